"""Bad input on the buyer's pages gets a clear message and creates nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.models import Order, Reservation

pytestmark = pytest.mark.django_db

SHOP = "/tickets/test-org/jazz-night/"


def post_quantities(client, data: dict):
    return client.post(SHOP, data)


@pytest.mark.parametrize(
    "value,message",
    [
        ("0", "Choose at least one ticket."),
        ("-1", "A quantity cannot be negative."),
        ("7", "At most 6 tickets of this type per order."),
        ("two", "Enter a whole number of tickets."),
        ("1.5", "Enter a whole number of tickets."),
    ],
)
def test_bad_quantities_get_a_form_error_and_reserve_nothing(client, on_sale, value, message):
    response = post_quantities(client, {f"quantity_{on_sale['regular'].pk}": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Reservation.objects.exists()


def test_an_unknown_ticket_type_is_refused(client, on_sale):
    response = post_quantities(client, {"quantity_999999": "1"})
    assert "One of the chosen ticket types is not available." in response.content.decode()
    assert not Reservation.objects.exists()


def test_an_inactive_ticket_type_is_refused(client, on_sale):
    hidden = TicketTypeFactory(event=on_sale["event"], name="Hidden", is_active=False)
    response = post_quantities(client, {f"quantity_{hidden.pk}": "1"})
    assert "One of the chosen ticket types is not available." in response.content.decode()
    assert not Reservation.objects.exists()


def test_another_events_ticket_type_is_refused(client, on_sale):
    other = TicketTypeFactory(name="Elsewhere")
    response = post_quantities(client, {f"quantity_{other.pk}": "1"})
    assert "not available" in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_sale_not_open_yet_says_when_it_opens(client, on_sale):
    early = TicketTypeFactory(
        event=on_sale["event"], name="Early", sale_starts_at=timezone.now() + timedelta(days=2)
    )
    page = client.get(SHOP).content.decode()
    assert "On sale from" in page
    response = post_quantities(client, {f"quantity_{early.pk}": "1"})
    assert "The sale of “Early” opens on" in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_closed_sale_is_refused(client, on_sale):
    late = TicketTypeFactory(
        event=on_sale["event"], name="Late", sale_ends_at=timezone.now() - timedelta(hours=1)
    )
    assert "Sale ended" in client.get(SHOP).content.decode()
    response = post_quantities(client, {f"quantity_{late.pk}": "1"})
    assert "The sale of “Late” has ended." in response.content.decode()
    assert not Reservation.objects.exists()


def test_a_sold_out_type_shows_sold_out_and_refuses(client, on_sale):
    student = on_sale["student"]
    student.sold_count = student.capacity
    student.save()
    assert "Sold out" in client.get(SHOP).content.decode()
    response = post_quantities(client, {f"quantity_{student.pk}": "1"})
    assert response.status_code == 409
    assert "“Student” is sold out." in response.content.decode()


def test_a_valid_choice_reserves_and_shows_the_time_left(client, on_sale):
    response = post_quantities(client, {f"quantity_{on_sale['regular'].pk}": "2"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your tickets are held until" in page
    assert "data-weticket-expires" in page


def test_the_checkout_form_requires_a_valid_email_and_keeps_the_hold(client, on_sale):
    response = post_quantities(client, {f"quantity_{on_sale['regular'].pk}": "2"})
    checkout = response["Location"]
    bad = client.post(checkout, {"buyer_name": "", "buyer_email": "not-an-email"})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "This field is required." in body and "Enter a valid email address." in body
    assert not Order.objects.exists()
    assert Reservation.objects.get().is_live


def test_mollie_stopped_during_checkout_gives_a_clear_message_and_loses_nothing(
    client, settings, on_sale, mollie
):
    response = post_quantities(client, {f"quantity_{on_sale['regular'].pk}": "2"})
    checkout = response["Location"]
    mollie.stop()
    paid = client.post(
        checkout, {"buyer_name": "Ada", "buyer_email": "ada@example.org"}, follow=True
    )
    body = paid.content.decode()
    assert "The payment service cannot be reached right now" in body
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING and order.reservation.is_live
    assert "Pay now" in body or "Continue to payment" in body
