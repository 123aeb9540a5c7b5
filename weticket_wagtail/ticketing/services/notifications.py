"""The emails an order causes, queued in the outbox inside the transaction that causes them.

Each has a dedupe key, so however often a transition is attempted, the buyer gets one email.
"""

from __future__ import annotations

from decimal import Decimal

from weticket_wagtail.mail.outbox import Email, enqueue_templated_email
from weticket_wagtail.privacy.services.requests import request_form_url

from ..links import order_url
from ..models import Order

PDF_ATTACHMENT = "weticket_order_tickets_pdf"


def _context(order: Order, **extra) -> dict:
    return {
        "order": order,
        "event": order.event,
        "organisation": order.organisation,
        "lines": list(order.lines.all()),
        "order_url": order_url(order),
        **extra,
    }


def _queue(order: Order, *, topic: str, dedupe_key: str, attachments: tuple = (), **extra) -> None:
    enqueue_templated_email(
        Email(
            dedupe_key=dedupe_key,
            to=order.buyer_email,
            language=order.language,
            topic=topic,
            object_ref=order.object_ref,
            reply_to=order.organisation.contact_email,
            attachments=attachments,
        ),
        template=f"weticket_wagtail/email/{topic}",
        context=_context(order, **extra),
    )


def _tickets_pdf(order: Order) -> tuple:
    return ({"kind": PDF_ATTACHMENT, "args": {"order_id": order.pk}},)


def queue_order_confirmation(order: Order) -> None:
    _queue(
        order,
        topic="order_confirmation",
        dedupe_key=f"order_confirmation:{order.token}",
        attachments=_tickets_pdf(order),
    )


def resend_order_confirmation(order: Order, *, attempt: str) -> None:
    """Queue the confirmation again on request (admin); ``attempt`` makes the key unique."""
    _queue(
        order,
        topic="order_confirmation",
        dedupe_key=f"order_confirmation:{order.token}:resend:{attempt}",
        attachments=_tickets_pdf(order),
    )


def queue_payment_failed(order: Order, *, payment_ref: str, reason: str) -> None:
    """One email per failed payment attempt (keyed by the Mollie id)."""
    _queue(
        order,
        topic="payment_failed",
        dedupe_key=f"payment_failed:{order.token}:{payment_ref}",
        reason=reason,
    )


def queue_sold_out_after_payment(order: Order) -> None:
    """The automatic cancel-and-refund email; it offers a person's review of the decision."""
    _queue(
        order,
        topic="sold_out_refund",
        dedupe_key=f"sold_out_refund:{order.token}",
        review_url=request_form_url(
            kind="human_review",
            order_reference=order.reference,
            site=order.organisation.site_id,
            language=order.language,
        ),
    )


def queue_refund_made(order: Order, *, refund_ref: str, amount: Decimal) -> None:
    _queue(
        order,
        topic="refund_made",
        dedupe_key=f"refund_made:{order.token}:{refund_ref}",
        amount=amount,
    )
