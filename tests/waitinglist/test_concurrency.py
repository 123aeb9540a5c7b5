"""Concurrency on PostgreSQL: tickets freed by two workers at the same moment are offered to
different people, each once, and never more tickets are offered than came free.

Each test makes the race certain rather than likely: the test holds the ticket-type rows
locked (as a buyer's checkout would), starts both workers, waits until both wait for that lock
(``pg_locks``), then lets go; the two then run into the waiting list together."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.ticketing.models import Order, Reservation, ReservationLine, TicketType
from weticket_wagtail.ticketing.services.orders import confirm_order, place_order, record_refund
from weticket_wagtail.ticketing.services.reservations import (
    release_expired_reservations,
    release_reservation,
    reserve_tickets,
)
from weticket_wagtail.waitinglist.models import WaitingListEntry
from weticket_wagtail.waitinglist.services import (
    confirm_entry,
    join_waiting_list,
    leave_waiting_list,
    move_expired_offers,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]
Status = WaitingListEntry.Status


def _waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def race(ticket_type, *workers, waiting: int | None = None) -> list:
    """Run ``workers`` in threads (each with its own connection) so that they meet at the
    ticket-type lock; return what each returned or the error it raised."""

    def run(work):
        try:
            return work()
        except Exception as exc:  # noqa: BLE001 - the test asserts there is none
            return exc
        finally:
            connections.close_all()

    waiting = len(workers) if waiting is None else waiting
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        with transaction.atomic():
            list(TicketType.objects.select_for_update().filter(pk=ticket_type.pk))
            futures = [pool.submit(run, work) for work in workers]
            deadline = time.monotonic() + 10
            while _waiters() < waiting:
                assert time.monotonic() < deadline, "the workers never met at the lock"
                assert not any(f.done() for f in futures), [f.result() for f in futures]
                time.sleep(0.02)
        results = [future.result(timeout=30) for future in futures]
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def people_waiting(ticket_type, count: int) -> list[WaitingListEntry]:
    entries = []
    for n in range(count):
        entry = join_waiting_list(
            ticket_type, email=f"person{n}@example.org", quantity=1, language="en"
        )
        entries.append(confirm_entry(entry.token))
    return entries


def held(ticket_type) -> int:
    now = timezone.now()
    return sum(
        ReservationLine.objects.filter(
            ticket_type=ticket_type, is_live=True, expires_at__gt=now
        ).values_list("quantity", flat=True)
    )


def assert_offered_once(ticket_type, expected_emails: list[str]) -> None:
    """Exactly ``expected_emails`` hold offers, each one offer email and one held ticket; the
    others still wait and were sent nothing."""
    entries = list(WaitingListEntry.objects.filter(ticket_type=ticket_type).order_by("position"))
    offered = [e.email for e in entries if e.status == Status.OFFERED]
    assert offered == expected_emails
    assert all(e.status == Status.WAITING for e in entries if e.email not in expected_emails)
    for entry in entries:
        offers = OutboxMessage.objects.filter(to=entry.email, topic="waitinglist_offer").count()
        assert offers == (1 if entry.email in expected_emails else 0), entry.email
    offer_holds = ReservationLine.objects.filter(
        ticket_type=ticket_type, is_live=True, reservation__waiting_list_entry__isnull=False
    )
    assert offer_holds.count() == len(expected_emails)
    ticket_type.refresh_from_db()
    assert ticket_type.sold_count + held(ticket_type) <= ticket_type.capacity


@pytest.fixture
def two_held(on_sale):
    """Both student tickets held by two buyers; three people wait."""
    student = on_sale["student"]
    TicketType.objects.filter(pk=student.pk).update(capacity=2)
    student.refresh_from_db()
    holds = [reserve_tickets(on_sale["event"], {student.pk: 1}) for _ in range(2)]
    entries = people_waiting(student, 3)
    assert all(e.status == Status.WAITING for e in entries)
    return student, holds, entries


def test_two_holds_given_back_at_once_go_to_the_first_two_each_once(two_held):
    student, holds, entries = two_held
    race(student, *(lambda hold=hold: release_reservation(hold) for hold in holds))
    assert_offered_once(student, [entries[0].email, entries[1].email])
    assert held(student) == 2


def test_two_holds_given_back_at_once_with_one_person_waiting_offer_one_ticket(on_sale):
    student = on_sale["student"]
    TicketType.objects.filter(pk=student.pk).update(capacity=2)
    student.refresh_from_db()
    holds = [reserve_tickets(on_sale["event"], {student.pk: 1}) for _ in range(2)]
    [only] = people_waiting(student, 1)
    race(student, *(lambda hold=hold: release_reservation(hold) for hold in holds))
    assert_offered_once(student, [only.email])
    assert held(student) == 1  # the other ticket is free for anyone


def test_two_workers_expiring_the_same_holds_offer_them_once(two_held, clock):
    """Two beat workers (a slow run and the next one) sweep the same expired holds together."""
    student, holds, entries = two_held
    clock.advance(minutes=16)
    # One waits for the ticket-type lock, the other for the row locks of the first's lines.
    race(student, release_expired_reservations, release_expired_reservations)
    entries_now = {e.email: e for e in WaitingListEntry.objects.all()}
    offered = [e for e in entries if entries_now[e.email].status == Status.OFFERED]
    assert [e.email for e in offered] == [entries[0].email, entries[1].email]
    for entry in entries:
        offers = OutboxMessage.objects.filter(to=entry.email, topic="waitinglist_offer").count()
        assert offers == (1 if entry in offered else 0)


def test_two_refunds_at_once_offer_each_freed_ticket_once(on_sale):
    """Two paid orders refunded in full at the same moment (two Mollie webhooks)."""
    event, student = on_sale["event"], on_sale["student"]
    TicketType.objects.filter(pk=student.pk).update(capacity=2)
    orders = []
    for n in range(2):
        order = place_order(
            reserve_tickets(event, {student.pk: 1}),
            buyer_name=f"Buyer {n}",
            buyer_email=f"buyer{n}@example.org",
            language="en",
        )
        confirm_order(order)
        orders.append(Order.objects.get(pk=order.pk))
    student.refresh_from_db()
    assert student.sold_count == 2
    entries = people_waiting(student, 3)
    race(
        student,
        *(
            lambda order=order: record_refund(order, amount_refunded=order.total)
            for order in orders
        ),
    )
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.REFUNDED}
    assert_offered_once(student, [entries[0].email, entries[1].email])
    student.refresh_from_db()
    assert student.sold_count == 0 and held(student) == 2


def test_a_hold_given_back_while_the_sweep_expires_an_offer_is_offered_once(on_sale, clock):
    """A buyer gives a hold back while the waiting list's sweep expires the first person's
    offer: both free a ticket at the same moment; each goes to a different person."""
    event, student = on_sale["event"], on_sale["student"]
    TicketType.objects.filter(pk=student.pk).update(capacity=2)
    student.refresh_from_db()
    given_back, _runs_out = (reserve_tickets(event, {student.pk: 1}) for _ in range(2))
    entries = people_waiting(student, 3)
    release_reservation(given_back)  # offered to the first person
    first = WaitingListEntry.objects.get(pk=entries[0].pk)
    assert first.status == Status.OFFERED
    clock.move_to(first.offer_expires_at + timedelta(minutes=1))
    hold = reserve_tickets(event, {student.pk: 1})  # a buyer takes the other ticket meanwhile
    race(student, move_expired_offers, lambda: release_reservation(hold))
    statuses = dict(WaitingListEntry.objects.values_list("email", "status"))
    assert statuses == {
        entries[0].email: Status.EXPIRED,
        entries[1].email: Status.OFFERED,
        entries[2].email: Status.OFFERED,
    }
    for entry in entries:
        assert OutboxMessage.objects.filter(to=entry.email, topic="waitinglist_offer").count() == 1
    assert held(student) == 2


def test_leaving_with_an_offer_while_a_hold_is_given_back_offers_each_ticket_once(on_sale):
    """The first person leaves the list (their offer passes on) at the moment a buyer gives
    a hold back: two tickets come free together, the next two people get one each."""
    event, student = on_sale["event"], on_sale["student"]
    TicketType.objects.filter(pk=student.pk).update(capacity=2)
    student.refresh_from_db()
    given_back, hold = (reserve_tickets(event, {student.pk: 1}) for _ in range(2))
    entries = people_waiting(student, 3)
    release_reservation(given_back)  # offered to the first person
    assert WaitingListEntry.objects.get(pk=entries[0].pk).status == Status.OFFERED
    race(
        student,
        lambda: leave_waiting_list(entries[0].token),
        lambda: release_reservation(hold),
    )
    statuses = dict(WaitingListEntry.objects.values_list("email", "status"))
    assert statuses == {
        entries[0].email: Status.LEFT,
        entries[1].email: Status.OFFERED,
        entries[2].email: Status.OFFERED,
    }
    for entry in entries:
        assert OutboxMessage.objects.filter(to=entry.email, topic="waitinglist_offer").count() == 1
    assert held(student) == 2


@pytest.fixture
def offer_running_out(on_sale):
    """One student ticket offered to person0 (person1 waits); the offer ends in 3 seconds."""
    event, student = on_sale["event"], on_sale["student"]
    TicketType.objects.filter(pk=student.pk).update(capacity=1)
    student.refresh_from_db()
    hold = reserve_tickets(event, {student.pk: 1})
    entries = people_waiting(student, 2)
    release_reservation(hold)
    entry = WaitingListEntry.objects.get(pk=entries[0].pk)
    assert entry.status == Status.OFFERED
    deadline = timezone.now() + timedelta(seconds=3)
    WaitingListEntry.objects.filter(pk=entry.pk).update(offer_expires_at=deadline)
    Reservation.objects.filter(pk=entry.reservation_id).update(expires_at=deadline)
    ReservationLine.objects.filter(reservation_id=entry.reservation_id).update(expires_at=deadline)
    return student, entries, Reservation.objects.get(pk=entry.reservation_id), deadline


def _place(reservation):
    return place_order(
        reservation, buyer_name="Person Zero", buyer_email="person0@example.org", language="en"
    )


def _in_thread(work):
    def run():
        try:
            return work()
        finally:
            connections.close_all()

    return run


def _wait_for_waiters(count: int) -> None:
    deadline = time.monotonic() + 10
    while _waiters() < count:
        assert time.monotonic() < deadline, "nobody waited for the lock"
        time.sleep(0.02)


def test_the_sweep_waits_for_an_order_being_placed_on_the_offer(offer_running_out):
    """The order is being placed just before the offer ends (its hold is being lengthened,
    waiting for the ticket-type lock) when the sweep, past the deadline, looks at the offer:
    the sweep waits for the order and leaves its tickets alone."""
    student, entries, reservation, deadline = offer_running_out
    with ThreadPoolExecutor(max_workers=2) as pool:
        with transaction.atomic():
            list(TicketType.objects.select_for_update().filter(pk=student.pk))
            placing = pool.submit(_in_thread(lambda: _place(reservation)))
            _wait_for_waiters(1)
            sweeping = pool.submit(
                _in_thread(lambda: move_expired_offers(now=deadline + timedelta(seconds=1)))
            )
            _wait_for_waiters(2)  # the sweep waits for the reservation the order has locked
            assert timezone.now() < deadline
        order = placing.result(timeout=30)
        assert sweeping.result(timeout=30) == 0
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.ORDERED
    assert reservation.expires_at > deadline + timedelta(minutes=10)  # the order's own time
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    statuses = dict(WaitingListEntry.objects.values_list("email", "status"))
    assert statuses == {entries[0].email: Status.OFFERED, entries[1].email: Status.WAITING}
    assert not OutboxMessage.objects.filter(to=entries[1].email, topic="waitinglist_offer")
    assert held(student) == 1


def test_a_hold_that_ran_out_while_its_order_waited_for_the_lock_is_not_lengthened(
    offer_running_out,
):
    """The order was placed a moment before the offer ended, but its hold ran out while it
    waited for the ticket-type lock: the hold is not brought back (someone else may have the
    ticket by then); the sweep passes the ticket on and the order's payment will be refunded
    if it comes."""
    student, entries, reservation, deadline = offer_running_out
    with ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            list(TicketType.objects.select_for_update().filter(pk=student.pk))
            placing = pool.submit(_in_thread(lambda: _place(reservation)))
            _wait_for_waiters(1)
            time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + 0.2)
        order = placing.result(timeout=30)
    reservation.refresh_from_db()
    assert reservation.expires_at == deadline
    assert move_expired_offers() == 1
    statuses = dict(WaitingListEntry.objects.values_list("email", "status"))
    assert statuses == {entries[0].email: Status.EXPIRED, entries[1].email: Status.OFFERED}
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert held(student) == 1
    assert confirm_order(order).value == "no_capacity"  # paid now: refunded, not sold twice
    student.refresh_from_db()
    assert student.sold_count == 0 and held(student) == 1
