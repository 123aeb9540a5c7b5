"""What each Mollie outcome does to the order, the capacity and the buyer's inbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.models import Payment
from weticket_wagtail.payments.services import (
    PaymentUnavailable,
    RefundError,
    refund_payment,
    start_payment,
    sync_payment,
)
from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.models import Order, Reservation, ReservationLine, TicketType
from weticket_wagtail.ticketing.services.availability import remaining
from weticket_wagtail.ticketing.services.errors import CheckoutError
from weticket_wagtail.ticketing.services.orders import place_order, reopen_for_payment
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = pytest.mark.django_db


def pending_order(
    on_sale, quantity: int = 2, ticket_type: str = "regular"
) -> tuple[Order, Payment]:
    tt = on_sale[ticket_type]
    reservation = reserve_tickets(on_sale["event"], {tt.pk: quantity})
    order = place_order(
        reservation, buyer_name="Ada Lovelace", buyer_email="ada@example.org", language="en"
    )
    return order, start_payment(order, redirect_url="http://testserver/return/")


def expire(reservation_id: int) -> None:
    """Let a hold run out (as time would)."""
    past = timezone.now() - timedelta(minutes=1)
    Reservation.objects.filter(pk=reservation_id).update(expires_at=past)
    ReservationLine.objects.filter(reservation_id=reservation_id).update(expires_at=past)


def left(ticket_type: TicketType) -> int:
    ticket_type.refresh_from_db()
    return remaining([ticket_type])[ticket_type.pk]


@pytest.mark.parametrize("status", ["failed", "canceled", "expired"])
def test_unsuccessful_payments_release_capacity_and_tell_the_buyer_once(mollie, on_sale, status):
    regular = on_sale["regular"]
    order, payment = pending_order(on_sale)
    assert left(regular) == 48
    mollie.set_status(payment.mollie_id, status, notify=False)
    sync_payment(payment.mollie_id)
    sync_payment(payment.mollie_id)  # a replay changes nothing
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED
    assert left(regular) == 50
    emails = OutboxMessage.objects.filter(topic="payment_failed")
    assert emails.count() == 1
    assert status.rstrip("ed") in emails.get().body_text or status in emails.get().body_text


def test_a_failed_payment_can_be_retried_while_tickets_last(mollie, on_sale):
    order, payment = pending_order(on_sale)
    mollie.set_status(payment.mollie_id, "failed", notify=False)
    sync_payment(payment.mollie_id)
    order = reopen_for_payment(Order.objects.get(pk=order.pk))
    assert order.status == Order.Status.PENDING and order.reservation.is_live
    second = start_payment(order, redirect_url="http://testserver/return/")
    assert second.mollie_id != payment.mollie_id
    mollie.set_status(second.mollie_id, "paid", notify=False)
    sync_payment(second.mollie_id)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.tickets.count() == 2


def test_late_paid_is_confirmed_when_capacity_is_still_there(mollie, on_sale):
    regular = on_sale["regular"]
    order, payment = pending_order(on_sale)
    expire(order.reservation_id)
    assert left(regular) == 50  # the expired hold no longer counts
    mollie.set_status(payment.mollie_id, "paid", notify=False)
    sync_payment(payment.mollie_id)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert left(regular) == 48
    assert OutboxMessage.objects.filter(topic="order_confirmation").count() == 1
    assert not mollie.refunds


def test_late_paid_without_capacity_is_refunded_and_the_buyer_told(
    mollie, on_sale, django_capture_on_commit_callbacks
):
    student = on_sale["student"]  # capacity 10
    order, payment = pending_order(on_sale, quantity=4, ticket_type="student")
    expire(order.reservation_id)
    # Meanwhile others bought the rest.
    other = reserve_tickets(on_sale["event"], {student.pk: 4})
    place_order(other, buyer_name="B", buyer_email="b@example.org", language="nl")
    reserve_tickets(on_sale["event"], {student.pk: 4})
    assert left(student) == 2

    mollie.set_status(payment.mollie_id, "paid", notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        sync_payment(payment.mollie_id)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert order.amount_refunded == Decimal("60.00")
    assert order.tickets.count() == 0
    assert left(student) == 2  # nothing was taken from the others
    refunds = list(mollie.refunds.values())
    assert len(refunds) == 1 and refunds[0]["amount"] == {"currency": "EUR", "value": "60.00"}
    assert OutboxMessage.objects.filter(topic="sold_out_refund", to="ada@example.org").count() == 1
    assert not OutboxMessage.objects.filter(topic="order_confirmation", to="ada@example.org")


def test_partial_then_full_refund_is_reflected_on_the_order(mollie, on_sale):
    regular = on_sale["regular"]
    order, payment = pending_order(on_sale)
    mollie.set_status(payment.mollie_id, "paid", notify=False)
    sync_payment(payment.mollie_id)
    payment.refresh_from_db()

    refund_payment(payment, Decimal("10.00"), reason="One guest cannot come")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.amount_refunded == Decimal("10.00")
    assert mollie.payments[payment.mollie_id]["amountRemaining"]["value"] == "39.00"

    with pytest.raises(RefundError):
        refund_payment(payment, Decimal("39.01"))
    refund_payment(payment, Decimal("39.00"))
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.amount_refunded == Decimal("49.00")
    assert left(regular) == 50  # a fully refunded order gives its tickets back
    assert OutboxMessage.objects.filter(topic="refund_made").count() == 2
    sync_payment(payment.mollie_id)  # Mollie's amountRefunded agrees; nothing changes
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("49.00")


def test_mollie_down_at_creation_keeps_order_and_hold_and_retry_makes_one_payment(mollie, on_sale):
    regular = on_sale["regular"]
    reservation = reserve_tickets(on_sale["event"], {regular.pk: 2})
    order = place_order(reservation, buyer_name="A", buyer_email="a@example.org", language="nl")
    mollie.fail_next(1, "500")
    with pytest.raises(PaymentUnavailable) as exc:
        start_payment(order, redirect_url="http://testserver/return/")
    assert "cannot be reached" in str(exc.value)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and left(regular) == 48
    payment = start_payment(order, redirect_url="http://testserver/return/")
    assert payment.mollie_id and len(mollie.payments) == 1
    keys = {r["idempotency_key"] for r in mollie.api_requests if r["method"] == "POST"}
    assert keys == {payment.idempotency_key}


def test_mollie_unreachable_on_sync_asks_for_a_retry(mollie, on_sale):
    order, payment = pending_order(on_sale)
    mollie.fail_next(1, "503")
    with pytest.raises(PaymentUnavailable):
        sync_payment(payment.mollie_id)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_free_order_skips_payment(on_sale):
    free = TicketTypeFactory(
        event=on_sale["event"], name="Child", price=Decimal("0"), capacity=5, max_per_order=4
    )
    reservation = reserve_tickets(on_sale["event"], {free.pk: 2})
    order = place_order(reservation, buyer_name="K", buyer_email="k@example.org", language="nl")
    assert order.status == Order.Status.PAID and order.tickets.count() == 2
    assert not Payment.objects.exists()
    assert OutboxMessage.objects.filter(topic="order_confirmation").count() == 1


def test_an_expired_reservation_cannot_be_ordered(on_sale):
    reservation = reserve_tickets(on_sale["event"], {on_sale["regular"].pk: 1})
    expire(reservation.pk)
    reservation.refresh_from_db()
    with pytest.raises(CheckoutError, match="expired"):
        place_order(reservation, buyer_name="A", buyer_email="a@example.org", language="nl")
    assert not Order.objects.exists()
