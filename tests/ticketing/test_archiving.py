"""Events and ticket types that have orders cannot be deleted: the admin says so and offers to
archive them, which takes them out of shops and lists; nothing answers with a server error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from weticket_wagtail.blocks.stream import ticket_type_choices
from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
)
from weticket_wagtail.ticketing.models import Event, Order, TicketType
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

from .test_admin_scoping import admin_user
from .test_validation import formset

pytestmark = pytest.mark.django_db


def order_of(ticket_type: TicketType, quantity: int = 1) -> Order:
    reservation = reserve_tickets(ticket_type.event, {ticket_type.pk: quantity})
    return place_order(reservation, buyer_name="Sam", buyer_email="sam@example.org", language="en")


@pytest.fixture
def sold():
    organisation = OrganisationFactory(slug="org")
    event = EventFactory(organisation=organisation, slug="gig", title="The Gig")
    regular = TicketTypeFactory(event=event, name="Regular")
    spare = TicketTypeFactory(event=event, name="Spare")
    order_of(regular)
    member = admin_user("member")
    MembershipFactory(organisation=organisation, user=member)
    client = Client()
    client.force_login(member)
    return {"event": event, "regular": regular, "spare": spare, "client": client}


def test_deleting_an_event_with_orders_explains_and_offers_to_archive(sold):
    client, event = sold["client"], sold["event"]
    url = reverse("weticket_events:delete", args=[event.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "has orders, so it cannot be deleted" in html
    assert "Yes, delete" not in html
    assert "Archive this event" in html

    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "has orders, so it cannot be deleted" in response.content.decode()
    assert Event.objects.filter(pk=event.pk).exists()


def test_an_archived_event_leaves_the_shop_and_the_lists(sold, django_capture_on_commit_callbacks):
    client, event = sold["client"], sold["event"]
    assert Client().get("/tickets/org/gig/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the shop's caches drop at commit
        response = client.post(
            reverse("weticket_events:delete", args=[event.pk]), {"archive": "1"}, follow=True
        )
    assert response.status_code == 200
    assert "“The Gig” is archived" in response.content.decode()
    event.refresh_from_db()
    assert event.is_archived and not event.is_published
    assert Client().get("/tickets/org/gig/").status_code == 404
    index = reverse("weticket_events:index")
    assert "The Gig" not in client.get(index).content.decode()
    assert "The Gig" in client.get(index, {"archived": "only"}).content.decode()
    assert "The Gig" in client.get(index, {"archived": "all"}).content.decode()
    # Its orders stay where they were.
    assert Order.objects.filter(event=event).count() == 1


def test_an_event_without_orders_is_deleted_as_before(sold):
    client = sold["client"]
    empty = EventFactory(organisation=sold["event"].organisation, title="Empty")
    TicketTypeFactory(event=empty)
    response = client.post(reverse("weticket_events:delete", args=[empty.pk]))
    assert response.status_code == 302
    assert not Event.objects.filter(pk=empty.pk).exists()


def ticket_type_rows(event: Event, delete: set[int]) -> dict:
    rows = []
    for tt in event.ticket_types.order_by("sort_order", "pk"):
        rows.append(
            {
                "id": str(tt.pk),
                "name": tt.name,
                "price": str(tt.price),
                "vat_rate": str(tt.vat_rate),
                "capacity": str(tt.capacity),
                "min_per_order": str(tt.min_per_order),
                "max_per_order": str(tt.max_per_order),
                "is_active": "on",
                "DELETE": "1" if tt.pk in delete else "",
            }
        )
    data = formset("ticket_types", rows)
    data["ticket_types-INITIAL_FORMS"] = str(len(rows))
    return data


def event_data(event: Event, delete: set[int]) -> dict:
    return {
        "organisation": event.organisation_id,
        "title": event.title,
        "slug": event.slug,
        "venue": event.venue,
        "starts_at": event.starts_at.strftime("%Y-%m-%d %H:%M"),
        "ends_at": event.ends_at.strftime("%Y-%m-%d %H:%M"),
        "is_published": "on",
        **ticket_type_rows(event, delete),
    }


def test_removing_a_ticket_type_with_orders_is_a_form_error(sold):
    client, event, regular = sold["client"], sold["event"], sold["regular"]
    url = reverse("weticket_events:edit", args=[event.pk])
    response = client.post(url, event_data(event, delete={regular.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "“Regular” has orders, so it cannot be removed" in html
    assert TicketType.objects.filter(pk=regular.pk).exists()


def test_a_ticket_type_without_orders_is_removed_from_the_inline(sold):
    client, event, spare = sold["client"], sold["event"], sold["spare"]
    url = reverse("weticket_events:edit", args=[event.pk])
    response = client.post(url, event_data(event, delete={spare.pk}))
    assert response.status_code == 302
    assert not TicketType.objects.filter(pk=spare.pk).exists()


def test_an_archived_ticket_type_is_no_longer_sold_or_offered(sold):
    regular, event = sold["regular"], sold["event"]
    regular.is_archived = True
    regular.save()
    regular.refresh_from_db()
    assert not regular.is_active
    html = Client().get("/tickets/org/gig/").content.decode()
    assert "Regular" not in html and "Spare" in html
    assert regular.pk not in {pk for pk, _ in ticket_type_choices()}
    assert sold["spare"].pk in {pk for pk, _ in ticket_type_choices()}
    assert event.ticket_types.count() == 2


def test_the_event_chooser_has_no_create_view_to_crash(sold):
    client = sold["client"]
    url = reverse("weticket_event_chooser:create")
    assert client.post(url, {"title": "x"}).status_code == 404
    assert client.get(url).status_code == 404
