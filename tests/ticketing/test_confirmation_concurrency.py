"""Concurrency on PostgreSQL around confirming an order: a hold that expires while its payment
waits for the ticket-type locks is judged by the time the locks were taken."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from weticket_wagtail.payments.services import start_payment, sync_payment
from weticket_wagtail.ticketing.models import Order, Reservation, ReservationLine, TicketType
from weticket_wagtail.ticketing.services.orders import Confirmation, confirm_order, place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


def in_thread(func):
    """Run ``func`` with its own database connection, closed afterwards."""

    def wrapper(*args):
        try:
            return func(*args)
        finally:
            connections.close_all()

    return wrapper


def _wait_until_someone_waits_for_a_lock(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the confirmation never waited for the ticket-type lock")


def test_a_hold_that_expires_while_its_payment_waits_for_the_lock_is_refunded_not_oversold(
    mollie, on_sale
):
    """Ada's hold is live when her 'paid' webhook arrives, but the ticket types are locked by
    another buyer's checkout. While her confirmation waits, her hold expires and Bob takes the
    last tickets. Her confirmation must judge the hold by the time it got the locks: Bob keeps
    his tickets, Ada is refunded, nothing is sold beyond capacity."""
    event, student = on_sale["event"], on_sale["student"]  # capacity 10
    TicketType.objects.filter(pk=student.pk).update(sold_count=6)  # 4 left
    ada = place_order(
        reserve_tickets(event, {student.pk: 4}),
        buyer_name="Ada",
        buyer_email="ada@example.org",
        language="en",
    )
    payment = start_payment(ada, redirect_url="http://testserver/return/")
    expires = timezone.now() + timedelta(seconds=1.5)
    Reservation.objects.filter(pk=ada.reservation_id).update(expires_at=expires)
    ReservationLine.objects.filter(reservation_id=ada.reservation_id).update(expires_at=expires)
    mollie.set_status(payment.mollie_id, "paid", notify=False)

    @in_thread
    def ada_webhook():
        try:
            sync_payment(payment.mollie_id)
            return "applied"
        except Exception as exc:  # noqa: BLE001 - any error is a failure of the test
            return f"error: {type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            # Bob's checkout holds the ticket-type rows (as a reservation or confirmation does).
            list(TicketType.objects.select_for_update().filter(pk=student.pk))
            ada_result = pool.submit(ada_webhook)
            _wait_until_someone_waits_for_a_lock()
            time.sleep(max(0.0, (expires - timezone.now()).total_seconds()) + 0.2)
            bob = place_order(
                reserve_tickets(event, {student.pk: 4}),
                buyer_name="Bob",
                buyer_email="bob@example.org",
                language="en",
            )
            assert confirm_order(bob) is Confirmation.CONFIRMED
        outcome = ada_result.result(timeout=30)

    assert outcome == "applied"
    student.refresh_from_db()
    assert student.sold_count == 10
    ada.refresh_from_db()
    assert ada.status == Order.Status.CANCELED and not ada.tickets.exists()
    assert Order.objects.get(pk=bob.pk).status == Order.Status.PAID
    refunds = [r for r in mollie.refunds.values() if r["paymentId"] == payment.mollie_id]
    assert [r["amount"]["value"] for r in refunds] == ["60.00"]
