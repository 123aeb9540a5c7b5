"""What staff and the payment machinery did to an order, in Wagtail's audit log.

Every refund (asked by staff or owed automatically), every attempt to send one and its outcome,
every resent confirmation and every export is a log entry on the order (``wagtail.log_actions``),
shown on the order's admin page and in Wagtail's site history. Entries are titled with the order
number only and carry amounts, ids and log-safe error descriptions: no buyer name, email, token
or staff-typed reason, so the log needs no scrubbing when a buyer's data is erased.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter
from wagtail.log_actions import log as wagtail_log
from wagtail.models import ModelLogEntry

from weticket_wagtail.money import format_money
from weticket_wagtail.ticketing.models import Order

REFUND_REQUESTED = "weticket.refund.request"
REFUND_OWED = "weticket.refund.owe"
REFUND_RETRY = "weticket.refund.retry"
REFUND_ACCEPTED = "weticket.refund.accept"
REFUND_ATTEMPT_FAILED = "weticket.refund.attempt_failed"
REFUND_REFUSED = "weticket.refund.refuse"
CONFIRMATION_RESENT = "weticket.order.resend_confirmation"
ORDER_EXPORTED = "weticket.order.export"
PAYMENT_NOT_APPLIED = "weticket.payment.not_applied"
TICKETS_REFUNDED = "weticket.tickets.refund"


def log_order_action(order: Order, action: str, *, user=None, **data: Any) -> None:
    """Write one audit-log entry for ``order``; ``data`` must be JSON-safe and log-safe."""
    wagtail_log(
        instance=order,
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        title=order.reference,
        data={key: _json_safe(value) for key, value in data.items()},
    )


def log_refund_action(refund, action: str, *, user=None, **data: Any) -> None:
    """An entry about ``refund`` on its order, with the refund's id, amount and origin."""
    payment = refund.payment
    log_order_action(
        payment.order,
        action,
        user=user,
        refund=refund.pk,
        amount=refund.amount,
        currency=payment.currency,
        origin=refund.origin,
        **data,
    )


def log_export(orders: Iterable[tuple[int, str]], *, user, spreadsheet_format: str) -> int:
    """One entry per exported order, given as ``(pk, reference)`` (written in batches of a
    thousand); returns how many."""
    content_type = ContentType.objects.get_for_model(Order, for_concrete_model=False)
    now = timezone.now()
    entries = [
        ModelLogEntry(
            content_type=content_type,
            object_id=str(pk),
            label=reference,
            action=ORDER_EXPORTED,
            timestamp=now,
            user=user if user.is_authenticated else None,
            data={"format": spreadsheet_format},
        )
        for pk, reference in orders
    ]
    ModelLogEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def order_history(order: Order):
    """The order's audit-log entries, oldest first (with their users)."""
    content_type = ContentType.objects.get_for_model(Order, for_concrete_model=False)
    return (
        ModelLogEntry.objects.filter(content_type=content_type, object_id=str(order.pk))
        .select_related("user")
        .order_by("timestamp", "pk")
    )


def _json_safe(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _amount(entry) -> str:
    data = entry.data or {}
    try:
        return format_money(Decimal(data.get("amount", "0")), data.get("currency", "EUR"))
    except ArithmeticError:
        return str(data.get("amount", ""))


class _RefundFormatter(LogFormatter):
    template = ""

    def format_message(self, log_entry) -> str:
        data = log_entry.data or {}
        message = self.template % {
            "amount": _amount(log_entry),
            "refund": data.get("refund", ""),
            "provider_id": data.get("provider_id", ""),
            "error": data.get("error", ""),
        }
        if data.get("tickets"):
            message += " " + _("(tickets %(codes)s)") % {"codes": ", ".join(data["tickets"])}
        return message


class ConfirmationResent(LogFormatter):
    label = _("Confirmation sent again")
    message = _("Order confirmation queued again")


class OrderExported(LogFormatter):
    label = _("Order exported")

    def format_message(self, log_entry) -> str:
        return _("Exported in a %(format)s spreadsheet") % {
            "format": (log_entry.data or {}).get("format", "").upper()
        }


class PaymentNotApplied(LogFormatter):
    label = _("Payment not applied")

    def format_message(self, log_entry) -> str:
        data = log_entry.data or {}
        return _(
            "Paid, but the order could not be confirmed after %(attempts)s attempts; "
            "the payment is refunded: %(error)s"
        ) % {"attempts": data.get("attempts", ""), "error": data.get("error", "")}


class TicketsRefunded(LogFormatter):
    label = _("Tickets refunded")

    def format_message(self, log_entry) -> str:
        data = log_entry.data or {}
        return _("Tickets %(codes)s refunded (%(amount)s paid back)") % {
            "codes": ", ".join(data.get("tickets", [])),
            "amount": _amount(log_entry),
        }


def _refund_formatter(label, template) -> type[LogFormatter]:
    return type("RefundFormatter", (_RefundFormatter,), {"label": label, "template": template})


FORMATTERS = {
    REFUND_REQUESTED: _refund_formatter(
        _("Refund requested"), _("Refund %(refund)s of %(amount)s requested")
    ),
    REFUND_OWED: _refund_formatter(
        _("Automatic refund owed"),
        _("Refund %(refund)s of %(amount)s owed to the buyer automatically"),
    ),
    REFUND_RETRY: _refund_formatter(
        _("Refund sent again"), _("Refund %(refund)s of %(amount)s sent again by hand")
    ),
    REFUND_ACCEPTED: _refund_formatter(
        _("Refund accepted"),
        _("Refund %(refund)s of %(amount)s accepted by the provider (%(provider_id)s)"),
    ),
    REFUND_ATTEMPT_FAILED: _refund_formatter(
        _("Refund attempt failed"),
        _("Refund %(refund)s of %(amount)s could not be sent; it is retried: %(error)s"),
    ),
    REFUND_REFUSED: _refund_formatter(
        _("Refund refused"),
        _("Refund %(refund)s of %(amount)s refused by the provider: %(error)s"),
    ),
    CONFIRMATION_RESENT: ConfirmationResent,
    ORDER_EXPORTED: OrderExported,
    PAYMENT_NOT_APPLIED: PaymentNotApplied,
    TICKETS_REFUNDED: TicketsRefunded,
}


def register_actions(actions) -> None:
    """For the ``register_log_actions`` hook: our actions with their labels and messages."""
    for action, formatter in FORMATTERS.items():
        actions.register_action(action)(formatter)
