"""A paid order is never left paid at Mollie and pending here: an unexpected error while
confirming rolls back, the webhook answers 503 (Mollie retries), the log carries no buyer token,
and the periodic reconcile task confirms it later, or refunds it if it never can (#14.3)."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from weticket_wagtail.logsafe import REDACTED
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.models import Payment, Refund
from weticket_wagtail.payments.services import (
    MAX_APPLY_FAILURES,
    reconcile_payments,
    start_payment,
)
from weticket_wagtail.payments.tasks import reconcile_payments_task
from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.services import orders as order_service

from .conftest import place

pytestmark = pytest.mark.django_db

WEBHOOK = "/tickets/webhooks/mollie/"


@pytest.fixture
def paid_at_mollie(shop, mollie):
    order = place(shop["event_a"], shop["regular"], 2, "ada@alpha.example", name="Ada")
    payment = start_payment(order, redirect_url="http://testserver/return/")
    mollie.set_status(payment.mollie_id, "paid", notify=False)
    return order, payment


@pytest.fixture
def confirmation_breaks(monkeypatch):
    """Issuing tickets raises an error whose text quotes the order's token and the buyer's
    email (as a database error quoting a row would)."""

    def broken(order, lines):
        raise RuntimeError(f"no tickets for order/{order.token}/ (to {order.buyer_email})")

    monkeypatch.setattr(order_service, "issue_tickets", broken)
    return monkeypatch


def later(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)


def test_an_error_while_confirming_answers_503_and_logs_no_token(
    client, paid_at_mollie, confirmation_breaks, caplog
):
    order, payment = paid_at_mollie
    client.raise_request_exception = False
    with caplog.at_level(logging.DEBUG):
        response = client.post(WEBHOOK, {"id": payment.mollie_id})
    assert response.status_code == 503
    order.refresh_from_db()
    payment.refresh_from_db()
    # Nothing half-done: the payment and the order are as before, with the error recorded.
    assert order.status == Order.Status.PENDING and not order.tickets.exists()
    assert payment.status == Payment.Status.OPEN and payment.apply_failures == 1
    assert "RuntimeError" in payment.last_error
    assert order.token not in payment.last_error and order.buyer_email not in payment.last_error
    assert not OutboxMessage.objects.filter(
        topic="order_confirmation", to="ada@alpha.example"
    ).exists()
    assert "RuntimeError" in caplog.text and REDACTED in caplog.text
    assert order.token not in caplog.text and order.buyer_email not in caplog.text
    assert order.reservation.token not in caplog.text


def test_the_reconcile_task_confirms_the_order_once_the_error_is_gone(
    client, paid_at_mollie, confirmation_breaks
):
    order, payment = paid_at_mollie
    client.raise_request_exception = False
    assert client.post(WEBHOOK, {"id": payment.mollie_id}).status_code == 503
    confirmation_breaks.undo()  # the cause is fixed (a deploy, a database back)

    assert reconcile_payments() == 0  # looked at a moment ago: not again so soon
    assert reconcile_payments(now=later(6)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.tickets.count() == 2
    assert Payment.objects.get(pk=payment.pk).confirmed_order
    assert (
        OutboxMessage.objects.filter(topic="order_confirmation", to="ada@alpha.example").count()
        == 1
    )
    assert reconcile_payments(now=later(20)) == 0  # settled: nothing left to look at


def test_a_payment_whose_webhook_never_arrived_is_confirmed_by_the_periodic_task(
    paid_at_mollie,
):
    order, payment = paid_at_mollie
    assert reconcile_payments() == 0  # the buyer may still be at Mollie
    Payment.objects.filter(pk=payment.pk).update(created_at=later(-6))
    reconcile_payments_task.apply()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_paid_order_that_never_confirms_is_canceled_and_refunded(
    paid_at_mollie, confirmation_breaks, mollie, django_capture_on_commit_callbacks
):
    order, payment = paid_at_mollie
    for attempt in range(MAX_APPLY_FAILURES):
        with django_capture_on_commit_callbacks(execute=True):
            assert reconcile_payments(now=later(6 * (attempt + 1))) == 1
        order.refresh_from_db()
        if attempt < MAX_APPLY_FAILURES - 1:
            assert order.status == Order.Status.PENDING and not Refund.objects.exists()

    assert order.status == Order.Status.CANCELED and not order.tickets.exists()
    refund = Refund.objects.get()
    assert refund.origin == Refund.Origin.AUTOMATIC and refund.mollie_id in mollie.refunds
    assert refund.amount == Decimal("49.00")
    assert OutboxMessage.objects.filter(topic="refund_made", to="ada@alpha.example").count() == 1
    assert reconcile_payments(now=later(60)) == 0


def test_the_return_page_never_fails_on_such_an_error(client, paid_at_mollie, confirmation_breaks):
    order, _payment = paid_at_mollie
    response = client.get(f"/tickets/order/{order.token}/return/")
    assert response.status_code == 302


def test_djangos_request_log_shows_no_buyer_token(client, caplog):
    token = "A" * 16 + "b-_" + "c" * 13
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/tickets/order/{token}/").status_code == 404
    assert "Not Found" in caplog.text and token not in caplog.text
    assert f"/tickets/order/{REDACTED}/" in caplog.text
