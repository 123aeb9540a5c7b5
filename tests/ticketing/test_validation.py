"""Every validation rule gives the message an editor needs, in the model and in the admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, UserFactory
from weticket_wagtail.ticketing.models import Event, Organisation, TicketType

pytestmark = pytest.mark.django_db


def messages_of(exc: ValidationError, field: str) -> list[str]:
    return [str(m) for m in exc.message_dict.get(field, [])]


def test_event_that_ends_before_it_starts_is_refused():
    start = timezone.now() + timedelta(days=3)
    event = Event(
        organisation=OrganisationFactory(),
        title="Backwards",
        slug="b",
        venue="V",
        starts_at=start,
        ends_at=start - timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as exc:
        event.full_clean()
    assert messages_of(exc.value, "ends_at") == ["The event must end after it starts."]


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("price", Decimal("-1.00"), "The price cannot be negative."),
        ("capacity", -5, "The capacity cannot be negative."),
        ("vat_rate", Decimal("-1"), "The VAT rate cannot be negative."),
        ("vat_rate", Decimal("101"), "The VAT rate cannot exceed 100%."),
    ],
)
def test_ticket_type_number_rules(field, value, message):
    ticket_type = TicketType(event=EventFactory(), name="T", price=Decimal("10"), capacity=10)
    setattr(ticket_type, field, value)
    with pytest.raises(ValidationError) as exc:
        ticket_type.full_clean()
    assert message in messages_of(exc.value, field)


def test_minimum_above_maximum_is_refused():
    ticket_type = TicketType(
        event=EventFactory(),
        name="T",
        price=Decimal("10"),
        capacity=10,
        min_per_order=5,
        max_per_order=2,
    )
    with pytest.raises(ValidationError) as exc:
        ticket_type.full_clean()
    assert messages_of(exc.value, "max_per_order") == [
        "The maximum per order must be at least the minimum per order."
    ]


def test_sale_window_outside_the_event_is_refused():
    event = EventFactory()
    ticket_type = TicketType(
        event=event,
        name="T",
        price=Decimal("10"),
        capacity=10,
        sale_starts_at=event.ends_at + timedelta(hours=1),
        sale_ends_at=event.ends_at + timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        ticket_type.full_clean()
    assert messages_of(exc.value, "sale_starts_at") == [
        "The sale must start before the event ends."
    ]
    assert messages_of(exc.value, "sale_ends_at") == ["The sale cannot end after the event ends."]


def test_sale_that_ends_before_it_starts_is_refused():
    event = EventFactory()
    ticket_type = TicketType(
        event=event,
        name="T",
        price=Decimal("10"),
        capacity=10,
        sale_starts_at=event.starts_at - timedelta(days=1),
        sale_ends_at=event.starts_at - timedelta(days=2),
    )
    with pytest.raises(ValidationError) as exc:
        ticket_type.full_clean()
    assert messages_of(exc.value, "sale_ends_at") == ["The sale must end after it starts."]


@pytest.mark.parametrize("colour", ["red", "#12345", "#ggg000", "1d4ed8", ""])
def test_colours_that_are_not_colours_are_refused(colour):
    organisation = Organisation(
        name="X", slug="x", contact_email="x@example.org", primary_colour=colour
    )
    with pytest.raises(ValidationError) as exc:
        organisation.full_clean()
    assert messages_of(exc.value, "primary_colour")
    if colour:
        assert "is not a colour" in messages_of(exc.value, "primary_colour")[0]


def test_embed_origins_must_be_origins():
    organisation = Organisation(
        name="X",
        slug="x",
        contact_email="x@example.org",
        embed_origins="https://ok.example\nftp://files.example\nhttps://x.example/path",
    )
    with pytest.raises(ValidationError) as exc:
        organisation.full_clean()
    message = messages_of(exc.value, "embed_origins")[0]
    assert "ftp://files.example" in message and "https://x.example/path" in message
    assert "https://ok.example," not in message


def formset(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
        data.setdefault(f"{prefix}-{index}-ORDER", str(index + 1))
    return data


def test_admin_event_form_shows_each_message_and_saves_nothing(admin_client):
    organisation = OrganisationFactory()
    data = {
        "organisation": organisation.pk,
        "title": "Broken",
        "slug": "broken",
        "venue": "Hall",
        "starts_at": "2030-06-01 20:00",
        "ends_at": "2030-06-01 19:00",
        **formset(
            "ticket_types",
            [
                {
                    "name": "Regular",
                    "price": "-3",
                    "vat_rate": "9",
                    "capacity": "-1",
                    "min_per_order": "4",
                    "max_per_order": "2",
                    "is_active": "on",
                }
            ],
        ),
    }
    response = admin_client.post(reverse("weticket_events:add"), data)
    body = response.content.decode()
    assert response.status_code == 200
    for message in [
        "The event must end after it starts.",
        "The price cannot be negative.",
        "The capacity cannot be negative.",
        "The maximum per order must be at least the minimum per order.",
    ]:
        assert message in body, message
    assert not Event.objects.filter(slug="broken").exists()


def test_admin_event_form_refuses_a_sale_after_the_event(admin_client):
    organisation = OrganisationFactory()
    data = {
        "organisation": organisation.pk,
        "title": "Late",
        "slug": "late",
        "venue": "Hall",
        "starts_at": "2030-06-01 20:00",
        "ends_at": "2030-06-01 23:00",
        **formset(
            "ticket_types",
            [
                {
                    "name": "Regular",
                    "price": "10",
                    "vat_rate": "9",
                    "capacity": "10",
                    "min_per_order": "1",
                    "max_per_order": "2",
                    "is_active": "on",
                    "sale_ends_at": "2030-06-02 10:00",
                }
            ],
        ),
    }
    response = admin_client.post(reverse("weticket_events:add"), data)
    assert "The sale cannot end after the event ends." in response.content.decode()
    assert not Event.objects.filter(slug="late").exists()


def test_admin_event_form_saves_a_valid_event_with_ticket_types(admin_client):
    organisation = OrganisationFactory()
    data = {
        "organisation": organisation.pk,
        "title": "Fine",
        "slug": "fine",
        "venue": "Hall",
        "starts_at": "2030-06-01 20:00",
        "ends_at": "2030-06-01 23:00",
        **formset(
            "ticket_types",
            [
                {
                    "name": "Regular",
                    "price": "12.50",
                    "vat_rate": "9",
                    "capacity": "100",
                    "min_per_order": "1",
                    "max_per_order": "6",
                    "is_active": "on",
                }
            ],
        ),
    }
    response = admin_client.post(reverse("weticket_events:add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(slug="fine")
    assert [(t.name, t.price, t.capacity) for t in event.ticket_types.all()] == [
        ("Regular", Decimal("12.50"), 100)
    ]


def test_admin_organisation_form_refuses_a_malformed_mollie_key_and_keeps_the_old(admin_client):
    organisation = OrganisationFactory(mollie_api_key="test_" + "a" * 30)
    url = reverse("weticket_organisations:edit", args=[organisation.pk])
    base = {
        "name": organisation.name,
        "slug": organisation.slug,
        "contact_email": organisation.contact_email,
        "primary_colour": "#112233",
        "accent_colour": "#445566",
        "font": "system",
        **formset("memberships", []),
    }
    bad = admin_client.post(url, {**base, "mollie_api_key": "sk_live_nope"})
    assert "starts with test_ or live_" in bad.content.decode()
    kept = admin_client.post(url, {**base, "mollie_api_key": ""})
    assert kept.status_code == 302
    organisation.refresh_from_db()
    assert organisation.mollie_api_key == "test_" + "a" * 30
    assert organisation.primary_colour == "#112233"
    page = admin_client.get(url).content.decode()
    assert "test_" + "a" * 30 not in page


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    return client
