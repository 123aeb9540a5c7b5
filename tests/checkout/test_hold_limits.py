"""One client cannot hold an event's stock: a per-order maximum, a cap on what a browser and an
address hold at once, and no renewing holds for ever. The refusal says why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from weticket_wagtail.privacy.categories import DataCategory
from weticket_wagtail.privacy.registry import personal_data
from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.models import Reservation, ReservationLine
from weticket_wagtail.ticketing.services.errors import CheckoutError
from weticket_wagtail.ticketing.services.hold_limits import (
    HoldClient,
    HoldLimitReached,
    client_hash,
    network_of,
)
from weticket_wagtail.ticketing.services.reservations import (
    release_expired_reservations,
    reserve_tickets,
)

pytestmark = pytest.mark.django_db

SHOP = "/tickets/test-org/jazz-night/"


def browser(address: str = "203.0.113.7") -> Client:
    """A new visitor: a fresh browser (its own CSRF cookie) at ``address``."""
    visitor = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    visitor.get(SHOP)
    return visitor


def reserve(visitor: Client, ticket_type, quantity: int):
    token = visitor.cookies["csrftoken"].value
    return visitor.post(
        SHOP, {f"quantity_{ticket_type.pk}": str(quantity), "csrfmiddlewaretoken": token}
    )


def held(ticket_type) -> int:
    lines = ReservationLine.objects.filter(ticket_type=ticket_type, is_live=True)
    return sum(lines.values_list("quantity", flat=True))


@pytest.fixture
def big_sale(on_sale):
    """The probe of issue #14: 150 tickets, 8 per order."""
    return TicketTypeFactory(event=on_sale["event"], name="Standing", capacity=150, max_per_order=8)


def test_the_per_order_maximum_caps_every_ticket_types_own(on_sale, settings):
    generous = TicketTypeFactory(event=on_sale["event"], name="Crate", max_per_order=50)
    settings.WETICKET = {**settings.WETICKET, "MAX_TICKETS_PER_ORDER": 8}
    response = reserve(browser(), generous, 9)
    assert response.status_code == 400
    assert "At most 8 tickets of this type per order." in response.content.decode()
    assert 'max="8"' in Client().get(SHOP).content.decode()
    with pytest.raises(CheckoutError, match="Choose between 1 and 8 tickets of “Crate”"):
        reserve_tickets(on_sale["event"], {generous.pk: 9})
    assert reserve(browser(), generous, 8).status_code == 302
    # A ticket type's own lower maximum still holds.
    assert reserve(browser(), on_sale["regular"], 7).status_code == 400


def test_one_browser_holds_at_most_its_share_and_is_told_why(on_sale):
    visitor, regular = browser(), on_sale["regular"]
    assert reserve(visitor, regular, 6).status_code == 302
    refused = reserve(visitor, regular, 6)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "You already hold 6 tickets for this event" in text
    assert "at most 10 at a time" in text
    assert held(regular) == 6
    assert reserve(visitor, regular, 4).status_code == 302  # up to the limit is fine


def test_a_hoarder_who_drops_cookies_is_stopped_by_the_address_limit(big_sale):
    statuses = [reserve(browser("198.51.100.9"), big_sale, 8).status_code for _ in range(18)]
    assert statuses.count(302) == 5  # 40 tickets: the address limit
    assert held(big_sale) == 40
    refused = reserve(browser("198.51.100.9"), big_sale, 8)
    assert "Buyers on your network already hold 40 tickets" in refused.content.decode()
    # Someone elsewhere is not affected.
    assert reserve(browser("192.0.2.44"), big_sale, 8).status_code == 302


def test_the_address_limit_can_be_raised_or_switched_off(big_sale, settings):
    settings.WETICKET = {
        **settings.WETICKET,
        "HOLD_LIMITS": {"address_tickets": 0, "address_minutes": 0},
    }
    statuses = [reserve(browser("198.51.100.9"), big_sale, 8).status_code for _ in range(18)]
    assert statuses == [302] * 18
    assert not Reservation.objects.exclude(address_hash="").exists()  # nothing kept for it
    assert not Reservation.objects.filter(browser_hash="").exists()  # the browser limit holds


def test_ipv6_addresses_of_one_network_share_a_limit(big_sale):
    first = [reserve(browser(f"2001:db8:1:2::{i}"), big_sale, 8).status_code for i in range(6)]
    assert first == [302] * 5 + [429]
    assert reserve(browser("2001:db8:1:3::1"), big_sale, 8).status_code == 302
    assert network_of("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert network_of("::ffff:192.0.2.1") == "192.0.2.1"


def test_holds_cannot_be_renewed_beyond_the_minutes_allowed(on_sale):
    event, regular = on_sale["event"], on_sale["regular"]
    client = HoldClient.identify(browser_id="secret-of-one-browser", address="192.0.2.10")
    start = timezone.now()
    # Renewing at each expiry: 3 holds of 15 minutes are 45 minutes in all.
    for minutes in (0, 15, 30):
        reserve_tickets(
            event, {regular.pk: 2}, client=client, now=start + timedelta(minutes=minutes)
        )
    with pytest.raises(HoldLimitReached, match="held tickets for this event for a long time"):
        reserve_tickets(event, {regular.pk: 2}, client=client, now=start + timedelta(minutes=45))
    # A new browser at the same address may (the address allows more) ...
    other = HoldClient.identify(browser_id="another-browser", address="192.0.2.10")
    reserve_tickets(event, {regular.pk: 2}, client=other, now=start + timedelta(minutes=45))
    # ... and once the old holds leave the window, so may the first browser again.
    later = start + timedelta(minutes=121)
    reserve_tickets(event, {regular.pk: 2}, client=client, now=later)


def test_holds_that_became_orders_do_not_count_against_the_buyer(on_sale):
    event, regular = on_sale["event"], on_sale["regular"]
    client = HoldClient.identify(browser_id="a-loyal-buyer", address="192.0.2.11")
    start = timezone.now()
    for minutes in (0, 15, 30, 45, 60):
        reservation = reserve_tickets(
            event, {regular.pk: 6}, client=client, now=start + timedelta(minutes=minutes)
        )
        Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.Status.CONVERTED)
        ReservationLine.objects.filter(reservation=reservation).update(is_live=False)


def test_only_keyed_hashes_are_kept_and_only_as_long_as_the_limits_look_back(on_sale):
    visitor = browser("198.51.100.77")
    assert reserve(visitor, on_sale["regular"], 1).status_code == 302
    reservation = Reservation.objects.get()
    assert reservation.address_hash == client_hash("address", "198.51.100.77")
    assert "198.51.100.77" not in reservation.address_hash
    assert reservation.browser_hash == client_hash("browser", visitor.cookies["csrftoken"].value)
    release_expired_reservations(now=timezone.now() + timedelta(minutes=119))
    reservation.refresh_from_db()
    assert reservation.address_hash  # still needed by the limits
    release_expired_reservations(now=timezone.now() + timedelta(minutes=121))
    reservation.refresh_from_db()
    assert reservation.address_hash == "" and reservation.browser_hash == ""


def test_the_hashes_are_declared_as_personal_data(on_sale):
    (registration,) = [r for r in personal_data.registrations() if r.model is Reservation]
    assert DataCategory.IP_ADDRESS in registration.categories
    reserve(browser(), on_sale["regular"], 1)
    assert registration.held_rows().count() == 1
    Reservation.objects.update(browser_hash="", address_hash="")
    assert registration.held_rows().count() == 0
    # Nobody is written to because of it: it holds no email address.
    assert all(
        s.source != "weticket_ticketing.reservation" for b in personal_data.subjects() for s in b
    )
