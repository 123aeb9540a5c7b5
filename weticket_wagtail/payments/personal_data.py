"""What personal data payments holds, declared to the privacy app's registry (rule 7), and the
erasure step that cancels a person's tickets for events still to come.

Payments and refunds are found through the buyer's order. They hold no payment details (Mollie
keeps those): their ids, amounts, statuses and methods are financial records kept for the
Dutch fiscal duty. A refund's free-text reason may name someone and is removed on erasure (the
reasons the system itself writes stay); who made a refund is a staff member's personal data.

Registered from :meth:`PaymentsConfig.ready`; privacy never imports payments.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Value, When
from django.utils import timezone

from weticket_wagtail.privacy.categories import DataCategory
from weticket_wagtail.privacy.registry import (
    Anonymise,
    Retention,
    SubjectRecords,
    kept,
    personal,
    personal_data,
)
from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.services.orders import cancel_paid_order

from .models import Payment, Refund

logger = logging.getLogger(__name__)

C = DataCategory
#: Refund reasons the system writes itself: no person's words, kept on erasure.
SYSTEM_REASONS = ("automatic", "erasure")
ERASURE_REFUND_REASON = "erasure"


def system_reason_or_blank(model) -> Case:
    return Case(
        *(When(reason=reason, then=Value(reason)) for reason in SYSTEM_REASONS),
        default=Value(""),
        output_field=CharField(),
    )


def cancel_future_orders(records: SubjectRecords, *, cancel_future: bool, user=None) -> list[str]:
    """Erasure step: the subject's paid orders for events still to come are cancelled and
    refunded in full (``cancel_future``), or kept, their tickets valid without a name.

    A refund Mollie cannot take now is saved and retried like any refund; the erasure goes on.
    Returns a line per order for the audit trail (order numbers only).
    """
    order_ids = records.pks(Order._meta.label_lower)
    future = Order.objects.filter(
        pk__in=order_ids, status=Order.Status.PAID, event__starts_at__gt=timezone.now()
    ).order_by("pk")
    lines = []
    for order in future:
        if not cancel_future:
            lines.append(f"{order.reference}: kept (event still to come)")
            continue
        lines.append(f"{order.reference}: {_cancel_and_refund(order, user)}")
    return lines


def _cancel_and_refund(order: Order, user) -> str:
    from .services import PaymentUnavailable, RefundError, refund_payment, refundable_amount

    payment = (
        order.payments.filter(status=Payment.Status.PAID)
        .order_by("-confirmed_order", "-created_at", "-pk")
        .first()
    )
    left = refundable_amount(payment) if payment is not None else 0
    if payment is None or left <= 0:
        cancel_paid_order(order)
        return "cancelled (nothing to refund)"
    try:
        refund_payment(
            payment,
            left,
            user=user,
            reason=ERASURE_REFUND_REASON,
            origin=Refund.Origin.ERASURE,
        )
    except PaymentUnavailable:
        logger.warning("Refund for erased order %s saved; Mollie will be asked again", order.pk)
        return "refund saved, sent to Mollie later"
    except RefundError as exc:
        logger.warning("Refund for erased order %s refused: %s", order.pk, exc)
        return "refund refused by Mollie; refund by hand"
    order.refresh_from_db()
    if order.status == Order.Status.PAID:  # not yet recorded as refunded: no more tickets
        cancel_paid_order(order)
    return "cancelled and refunded"


def register() -> None:
    """Declare payments' personal data and its erasure step to the registry."""
    order_label = Order._meta.label_lower
    payment_label = Payment._meta.label_lower
    personal_data.register(
        Payment,
        role="buyer",
        via=[("order", order_label)],
        kept=[
            kept("mollie_id"),
            kept("status"),
            kept("method"),
            kept("amount"),
            kept("amount_refunded"),
            kept("currency"),
            kept("created_at"),
        ],
        tenant="order__organisation_id",
        retention=Retention.PAYMENTS,
        retention_from="created_at",
    )
    personal_data.not_personal(
        Payment,
        "order",
        "checkout_url",
        "last_error",
        "confirmed_order",
        "updated_at",
        "checked_at",
        "apply_failures",
        reason="Mollie's answers and links; no card or bank details are ever stored",
    )
    personal_data.register(
        Refund,
        role="buyer",
        via=[("payment", payment_label)],
        fields=[personal("reason", C.SELF_PROVIDED, system_reason_or_blank)],
        kept=[kept("mollie_id"), kept("amount"), kept("status"), kept("created_at")],
        tenant="payment__order__organisation_id",
        retention=Retention.PAYMENTS,
        retention_from="created_at",
    )
    personal_data.register(
        Refund,
        role="staff",
        via=[("created_by", get_user_model()._meta.label_lower)],
        audience="organiser",
        fields=[personal("created_by", C.CONTACT, Anonymise.NULL)],
        tenant="payment__order__organisation_id",
        retention=Retention.PAYMENTS,
    )
    personal_data.not_personal(
        Refund,
        "payment",
        "last_error",
        "origin",
        "attempts",
        "next_attempt_at",
        "tickets",
        reason="where a refund stands and which tickets it pays back",
    )
    personal_data.register_erasure_step(
        "weticket_payments.cancel_future_orders", cancel_future_orders
    )
