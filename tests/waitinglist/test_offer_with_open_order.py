"""An offer whose holder started an order (payment open at Mollie) when the offer runs out.

What a pretix user expects: placing the order redeems the offer; the order then stays pending
until its own expiry, with its tickets, and is neither lost nor its ticket sold twice. Here an
order's own time is what any order gets at most between choosing tickets and paying:
``RESERVATION_MINUTES`` from when it was placed (or the offer's longer hold). Within it the
payment completes and the ticket is the holder's; after it, the ticket goes to the next in
line and a late payment is refunded automatically, never sold twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from weticket_wagtail.payments.models import Refund
from weticket_wagtail.ticketing.models import Order, Reservation, ReservationLine
from weticket_wagtail.ticketing.services.reservations import release_reservation, reserve_tickets
from weticket_wagtail.waitinglist.models import WaitingListEntry
from weticket_wagtail.waitinglist.services import confirm_entry, join_waiting_list

from .conftest import Person, run_beat

Status = WaitingListEntry.Status


@pytest.fixture
def offered(live_server, settings, mollie, smtp_sink, require_postgres, clock, on_sale):
    """One student ticket, offered to ``first`` (who has the email); ``second`` waits."""
    settings.WETICKET = {**settings.WETICKET, "PUBLIC_BASE_URL": live_server.url}
    student = on_sale["student"]
    student.capacity = 1
    student.save()
    hold = reserve_tickets(on_sale["event"], {student.pk: 1})
    people = {}
    for name in ("first", "second"):
        person = Person(f"{name}@example.org", live_server.url, smtp_sink)
        entry = join_waiting_list(student, email=person.email, quantity=1, language="en")
        confirm_entry(entry.token)
        people[name] = person
    release_reservation(hold)  # the ticket comes free: offered to the first
    smtp_sink.wait_for(3)  # two confirmations, one offer
    entry = WaitingListEntry.objects.get(email="first@example.org")
    assert entry.status == Status.OFFERED and len(people["first"].offers()) == 1
    return {**people, "entry": entry, "student": student}


def held(ticket_type, now) -> int:
    return sum(
        ReservationLine.objects.filter(
            ticket_type=ticket_type, is_live=True, expires_at__gt=now
        ).values_list("quantity", flat=True)
    )


def start_order_just_before_deadline(offered, clock) -> tuple[Order, str]:
    entry = offered["entry"]
    clock.move_to(entry.offer_expires_at - timedelta(minutes=5))
    _page, mollie_url = offered["first"].checkout_from_offer("First Person")
    order = Order.objects.get(buyer_email="first@example.org")
    assert order.status == Order.Status.PENDING
    return order, mollie_url


@pytest.mark.django_db(transaction=True)
def test_order_started_before_the_offer_ran_out_is_paid_after_it(offered, clock, smtp_sink):
    first, second, student = offered["first"], offered["second"], offered["student"]
    entry = offered["entry"]
    order, mollie_url = start_order_just_before_deadline(offered, clock)

    # The offer's time passes while the payment is open at Mollie; beat runs its sweeps.
    clock.move_to(entry.offer_expires_at + timedelta(minutes=1))
    run_beat()
    order.refresh_from_db()
    entry.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert entry.status == Status.OFFERED  # the order holds the ticket; nothing moved on
    assert held(student, clock()) == 1
    assert second.offers() == []

    back = first.pay_at_mollie(mollie_url)
    assert back.status_code == 200 and "Paid" in back.text
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    run_beat()
    entry.refresh_from_db()
    assert entry.status == Status.BOUGHT

    # Much later: nobody is offered the sold ticket, the second keeps waiting.
    clock.advance(days=2)
    run_beat()
    assert second.offers() == [] and len(first.offers()) == 1
    assert WaitingListEntry.objects.get(email=second.email).status == Status.WAITING
    student.refresh_from_db()
    assert student.sold_count == 1 and held(student, clock()) == 0
    assert not Refund.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_order_whose_own_time_ran_out_unpaid_passes_the_ticket_on_and_is_refunded_if_paid_late(
    offered, clock, smtp_sink, mollie
):
    first, second, student = offered["first"], offered["second"], offered["student"]
    entry = offered["entry"]
    order, mollie_url = start_order_just_before_deadline(offered, clock)
    reservation = Reservation.objects.get(order=order)
    assert reservation.expires_at > entry.offer_expires_at  # the order's own time

    # The payment stays open past the order's own time: the ticket goes to the next in line.
    clock.move_to(reservation.expires_at + timedelta(minutes=1))
    run_beat()
    entry.refresh_from_db()
    assert entry.status == Status.EXPIRED
    smtp_sink.wait_for(4)
    assert len(second.offers()) == 1 and len(first.offers()) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING  # kept: a late payment may still come

    # The first pays late: the ticket is the second's now, so the money goes back.
    back = first.pay_at_mollie(mollie_url)
    assert back.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    refund = Refund.objects.get(payment__order=order)
    assert refund.amount == order.total

    # The second buys the ticket through their offer.
    _page, second_url = second.checkout_from_offer("Second Person")
    assert "Paid" in second.pay_at_mollie(second_url).text
    run_beat()
    assert WaitingListEntry.objects.get(email=second.email).status == Status.BOUGHT
    assert len(second.offers()) == 1 and len(first.offers()) == 1
    student.refresh_from_db()
    assert student.sold_count == 1 == student.capacity
    assert Order.objects.filter(status=Order.Status.PAID).count() == 1
