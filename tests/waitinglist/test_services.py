"""The waiting list's service: freed tickets go to the first in line, move on when an offer
expires, and nobody is offered tickets twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.ticketing.models import Reservation
from weticket_wagtail.ticketing.services.reservations import release_reservation, reserve_tickets
from weticket_wagtail.waitinglist.models import WaitingListEntry
from weticket_wagtail.waitinglist.services import (
    confirm_entry,
    join_waiting_list,
    leave_waiting_list,
    move_expired_offers,
)

pytestmark = pytest.mark.django_db
Status = WaitingListEntry.Status


@pytest.fixture
def sold_out(on_sale):
    student = on_sale["student"]
    student.capacity = 1
    student.save()
    hold = reserve_tickets(on_sale["event"], {student.pk: 1})
    return student, hold


def waiting(ticket_type, email):
    entry = join_waiting_list(ticket_type, email=email, quantity=1, language="en")
    return confirm_entry(entry.token)


def offers_to(email):
    return OutboxMessage.objects.filter(to=email, topic="waitinglist_offer").count()


def test_unconfirmed_entry_is_emailed_a_confirmation_and_offered_nothing(sold_out):
    student, hold = sold_out
    entry = join_waiting_list(student, email="a@example.org", quantity=1, language="en")
    assert entry.status == Status.UNCONFIRMED
    assert OutboxMessage.objects.filter(to="a@example.org", topic="waitinglist_confirm").count()
    release_reservation(hold)
    entry.refresh_from_db()
    assert entry.status == Status.UNCONFIRMED and offers_to("a@example.org") == 0


def test_freed_ticket_goes_to_first_then_second_after_expiry_never_twice(sold_out):
    student, hold = sold_out
    first = waiting(student, "first@example.org")
    second = waiting(student, "second@example.org")
    assert first.position < second.position

    release_reservation(hold)  # a buyer's hold is given back
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.OFFERED and second.status == Status.WAITING
    assert first.reservation.status == Reservation.Status.ACTIVE
    assert first.reservation.expires_at == first.offer_expires_at

    later = first.offer_expires_at + timedelta(minutes=1)
    assert move_expired_offers(now=later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.EXPIRED and second.status == Status.OFFERED
    assert move_expired_offers() == 0  # a second sweep now changes nothing
    assert offers_to("first@example.org") == 1 and offers_to("second@example.org") == 1


def test_leaving_with_an_offer_passes_it_on(sold_out):
    student, hold = sold_out
    first = waiting(student, "first@example.org")
    second = waiting(student, "second@example.org")
    release_reservation(hold)
    leave_waiting_list(first.token)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.LEFT and second.status == Status.OFFERED


def test_capacity_raised_offers_tickets(sold_out):
    student, _hold = sold_out
    first = waiting(student, "first@example.org")
    assert first.status == Status.WAITING
    student.refresh_from_db()
    student.capacity = 2
    student.save()
    first.refresh_from_db()
    assert first.status == Status.OFFERED
    assert first.offer_expires_at > timezone.now()
