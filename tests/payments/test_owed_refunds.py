"""Money owed to a buyer is never lost: an automatic refund whose first call to Mollie fails is
shown to staff, never called "refunded" before Mollie accepted it, and sent by the periodic task
exactly once (issue #14.1)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.models import Payment, Refund
from weticket_wagtail.payments.services import start_payment, sync_payment
from weticket_wagtail.payments.tasks import send_owed_refunds_task
from weticket_wagtail.testing.factories import TicketTypeFactory
from weticket_wagtail.ticketing.models import Order, Reservation, ReservationLine

from .conftest import place

pytestmark = pytest.mark.django_db


def expire(reservation_id: int) -> None:
    past = timezone.now() - timedelta(minutes=1)
    Reservation.objects.filter(pk=reservation_id).update(expires_at=past)
    ReservationLine.objects.filter(reservation_id=reservation_id).update(expires_at=past)


def text(response) -> str:
    """The page's words, without markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def inspect_html(client, order) -> str:
    return client.get(reverse("weticket_orders:inspect", args=[order.pk])).content.decode()


def make_due() -> None:
    """Let time pass until every owed refund's next attempt is due."""
    Refund.objects.exclude(next_attempt_at=None).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def refund_posts(mollie, payment: Payment) -> list[dict]:
    path = f"/v2/payments/{payment.mollie_id}/refunds"
    return [r for r in mollie.api_requests if r["method"] == "POST" and r["path"] == path]


@pytest.fixture
def paid_too_late(shop, mollie):
    """Ada paid after her hold expired, and Bob holds the last tickets meanwhile."""
    balcony = TicketTypeFactory(
        event=shop["event_a"], name="Balcony", price=Decimal("15.00"), capacity=4
    )
    order = place(shop["event_a"], balcony, 4, "ada@alpha.example", name="Ada")
    payment = start_payment(order, redirect_url="http://testserver/return/")
    expire(order.reservation_id)
    place(shop["event_a"], balcony, 4, "bob@alpha.example", name="Bob")
    mollie.set_status(payment.mollie_id, "paid", notify=False)
    return order, payment


def test_an_owed_refund_whose_first_call_fails_is_refunded_once_by_the_periodic_task(
    client, shop, mollie, paid_too_late, django_capture_on_commit_callbacks
):
    order, payment = paid_too_late
    mollie.fail_next(1, "500", paths_prefix=f"/v2/payments/{payment.mollie_id}/refunds")
    with django_capture_on_commit_callbacks(execute=True):
        sync_payment(payment.mollie_id)
    with django_capture_on_commit_callbacks(execute=True):
        sync_payment(payment.mollie_id)  # a replayed webhook neither loses nor repeats it

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED and not order.tickets.exists()
    refund = Refund.objects.get()
    assert refund.origin == Refund.Origin.AUTOMATIC and refund.amount == Decimal("60.00")
    assert refund.is_owed and refund.attempts == 1 and "500" in refund.last_error
    assert not mollie.refunds and order.amount_refunded == 0

    # The buyer is told the truth: tickets gone, money on its way, not "refunded".
    sold_out = OutboxMessage.objects.get(topic="sold_out_refund", to="ada@alpha.example")
    assert "We are refunding the full amount" in sold_out.body_text
    assert "We have refunded" not in sold_out.body_text
    assert "refunded" not in sold_out.subject.replace("will be refunded", "")
    assert not OutboxMessage.objects.filter(topic="refund_made").exists()
    buyer_page = text(client.get(reverse("weticket_checkout:order", args=[order.token])))
    assert "Canceled. Your payment is being refunded." in buyer_page
    assert "Being refunded € 60.00" in buyer_page

    # Staff see it waiting, in the list and on the order, and nothing counted as refunded.
    client.force_login(shop["member"])
    waiting = client.get(reverse("weticket_orders:index"), {"refunds_waiting": "true"})
    assert list(waiting.context["object_list"]) == [order]
    assert "Refund waiting" in text(waiting)
    not_waiting = client.get(reverse("weticket_orders:index"), {"refunds_waiting": "false"})
    assert order not in list(not_waiting.context["object_list"])
    inspect = text(client.get(reverse("weticket_orders:inspect", args=[order.pk])))
    assert "Refunds waiting to be sent" in inspect and "€ 60.00 in all" in inspect
    assert f'name="retry" value="{refund.pk}"' in inspect_html(client, order)
    assert "Automatic (tickets could not be delivered)" in inspect
    assert "Refund attempt failed" in inspect or "could not be sent; it is retried" in inspect
    refund_page = client.get(reverse("weticket_orders:refund", args=[order.pk]))
    assert refund_page.status_code == 200
    assert refund_page.context["refundable"] == "€ 0.00"  # owed already: not offered twice
    assert refund_page.context["refunded"] == "€ 0.00"
    assert [row["refund"] for row in refund_page.context["unsent"]] == [refund]

    # The periodic task leaves it alone until its next attempt is due, then sends it once.
    send_owed_refunds_task.apply()
    assert not mollie.refunds
    make_due()
    send_owed_refunds_task.apply()
    refund.refresh_from_db()
    assert not refund.is_owed and refund.mollie_id in mollie.refunds and refund.attempts == 2
    make_due()
    send_owed_refunds_task.apply()
    with django_capture_on_commit_callbacks(execute=True):
        sync_payment(payment.mollie_id)
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["60.00"]
    # The double records only requests it answered itself (not the injected 500): one
    # refund created, with the refund's own key (test_provider_seam checks every attempt's).
    posts = refund_posts(mollie, payment)
    assert [(p["idempotency_key"], p["status"]) for p in posts] == [(refund.idempotency_key, 201)]

    order.refresh_from_db()
    assert order.amount_refunded == Decimal("60.00")
    assert OutboxMessage.objects.filter(topic="refund_made", to="ada@alpha.example").count() == 1
    buyer_page = text(client.get(reverse("weticket_orders:inspect", args=[order.pk])))
    assert "Refunds waiting to be sent" not in buyer_page
    assert "Refund accepted" in buyer_page or "accepted by the provider" in buyer_page
    client.logout()
    buyer_page = text(client.get(reverse("weticket_checkout:order", args=[order.token])))
    assert "Canceled. Your payment is refunded." in buyer_page


def test_a_second_payment_is_owed_back_even_when_no_task_runs_after_the_commit(
    shop, mollie, paid_too_late
):
    """Paid twice: the first payment confirmed the order, the second must go back. The owed
    refund is written with the decision, so a broker that is down loses nothing."""
    order = place(shop["event_a"], shop["regular"], 1, "twice@alpha.example")
    first = start_payment(order, redirect_url="http://testserver/return/")
    mollie.set_status(first.mollie_id, "pending", notify=False)
    sync_payment(first.mollie_id)  # a bank transfer, still pending: the buyer pays again
    second = start_payment(order, redirect_url="http://testserver/return/")
    assert second.pk != first.pk
    mollie.set_status(second.mollie_id, "paid", notify=False)
    sync_payment(second.mollie_id)
    mollie.set_status(first.mollie_id, "paid", notify=False)
    sync_payment(first.mollie_id)  # the on-commit task never runs in this test

    refund = Refund.objects.get(payment=first)
    assert refund.is_owed and refund.origin == Refund.Origin.AUTOMATIC
    assert refund.amount == Decimal("24.50") and not mollie.refunds
    make_due()
    send_owed_refunds_task.apply()
    refund.refresh_from_db()
    assert refund.mollie_id in mollie.refunds
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.tickets.count() == 1
    assert order.amount_refunded == 0  # the order's price was not refunded


def test_a_staff_refund_saved_while_mollie_was_down_is_sent_by_the_periodic_task(
    client, shop, mollie
):
    client.force_login(shop["member"])
    order = shop["order_a"]
    mollie.fail_next(1, "503")
    url = reverse("weticket_orders:refund", args=[order.pk])
    client.post(url, {"amount": "10.00", "confirm": "1", "refundable_before": "49.00"})
    refund = Refund.objects.get()
    assert refund.is_owed and refund.origin == Refund.Origin.STAFF
    make_due()
    send_owed_refunds_task.apply()
    refund.refresh_from_db()
    assert refund.mollie_id in mollie.refunds
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("10.00")
