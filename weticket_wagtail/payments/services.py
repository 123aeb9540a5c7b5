"""Mollie payments: create, sync (webhook and return page) and refund.

Mollie is the source of truth (ARCHITECTURE rule 5): a webhook carries only an id; we fetch the
payment with the organisation's own key and apply its status with a compare-and-set, so replayed
or concurrent webhooks change our state once. Calls to Mollie are made outside database
transactions; every create carries an idempotency key derived from our own row's id.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import OperationalError, connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.error import RequestError, ResponseError
from mollie.api.objects.payment import Payment as MolliePayment

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.tasks_runtime import run_task
from weticket_wagtail.ticketing.models import Order, Organisation
from weticket_wagtail.ticketing.services import notifications
from weticket_wagtail.ticketing.services import orders as order_service
from weticket_wagtail.ticketing.services.errors import CheckoutError

from .models import Payment, Refund

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
MOLLIE_LOCALES = {"nl": "nl_NL", "en": "en_US", "de": "de_DE", "fr": "fr_FR"}
FAILURE_REASONS = {
    Payment.Status.FAILED: gettext_lazy("the payment failed"),
    Payment.Status.CANCELED: gettext_lazy("the payment was canceled"),
    Payment.Status.EXPIRED: gettext_lazy("the payment expired"),
}


class PaymentUnavailable(CheckoutError):
    """Mollie (or our lock) is unavailable; nothing is lost and the caller may retry."""

    code = "payment_unavailable"


class RefundError(CheckoutError):
    code = "refund_error"


def mollie_amount(amount: Decimal, currency: str = "EUR") -> dict[str, str]:
    """The one formatter for Mollie's amount objects: ``{"currency": "EUR", "value": "10.00"}``."""
    return {"currency": currency, "value": f"{Decimal(amount).quantize(CENT)}"}


def parse_amount(value: dict | None) -> Decimal:
    if not value:
        return Decimal("0")
    return Decimal(str(value.get("value", "0")))


def mollie_client(organisation: Organisation) -> Client:
    """A Mollie client with the organisation's decrypted key (never logged)."""
    key = organisation.mollie_api_key or weticket_settings.MOLLIE_FALLBACK_API_KEY
    if not key:
        raise PaymentUnavailable(_("This organisation cannot take payments yet."))
    timeout = weticket_settings.MOLLIE_TIMEOUT
    client = Client(api_endpoint=weticket_settings.MOLLIE_API_ENDPOINT or "", timeout=timeout)
    client.set_api_key(key)
    return client


def webhook_url() -> str | None:
    base = weticket_settings.PUBLIC_BASE_URL
    if not base:
        return None
    return base.rstrip("/") + reverse("weticket_payments:mollie_webhook")


def start_payment(order: Order, *, redirect_url: str) -> Payment:
    """Create (or resume) the Mollie payment for a pending order and return our Payment row.

    A payment that was never confirmed created at Mollie (a timeout, a 5xx) is retried with the
    same idempotency key, so Mollie creates at most one payment for it. Raises
    :class:`PaymentUnavailable` with a message for the buyer when Mollie cannot be reached; the
    order and its reservation are kept.
    """
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .select_related("event", "organisation")
            .get(pk=order.pk)
        )
        if order.status != Order.Status.PENDING:
            raise CheckoutError(_("This order is not awaiting payment."), code="not_payable")
        payment = (
            order.payments.filter(status__in=[Payment.Status.CREATED, Payment.Status.OPEN])
            .order_by("-pk")
            .first()
        )
        if payment is not None and payment.status == Payment.Status.OPEN and payment.checkout_url:
            return payment
        if payment is None:
            payment = Payment.objects.create(
                order=order, amount=order.total, currency=order.currency
            )
    data = {
        "amount": mollie_amount(order.total, order.currency),
        "description": f"{order.event.title} – {order.reference}"[:255],
        "redirectUrl": redirect_url,
        "metadata": {"order": order.token},
        "locale": MOLLIE_LOCALES.get(order.language[:2], "en_US"),
    }
    hook = webhook_url()
    if hook:
        data["webhookUrl"] = hook
    try:
        created = mollie_client(order.organisation).payments.create(
            data, idempotency_key=payment.idempotency_key
        )
    except (RequestError, ResponseError) as exc:
        payment.last_error = _describe(exc)
        payment.save(update_fields=["last_error", "updated_at"])
        logger.warning("Mollie payment for order %s not created: %s", order.pk, payment.last_error)
        if isinstance(exc, ResponseError) and exc.status and 400 <= exc.status < 500:
            if exc.status != 409:
                raise CheckoutError(
                    _("The payment could not be started. Please contact the organiser."),
                    code="payment_refused",
                ) from exc
        raise PaymentUnavailable(
            _(
                "The payment service cannot be reached right now. Your order and tickets are "
                "kept; please try again in a moment."
            )
        ) from exc
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
        mollie_id=created.id,
        status=created.status,
        checkout_url=created.checkout_url or "",
        last_error="",
    )
    payment.refresh_from_db()
    return payment


def sync_payment(mollie_id: str) -> Payment | None:
    """Fetch a payment from Mollie and apply what it says. None for an id we do not know.

    Raises :class:`PaymentUnavailable` when Mollie cannot be asked or our lock is busy, so the
    webhook answers 503 and Mollie tries again later.
    """
    payment = (
        Payment.objects.select_related("order__organisation").filter(mollie_id=mollie_id).first()
    )
    if payment is None:
        return None
    try:
        remote = mollie_client(payment.order.organisation).payments.get(mollie_id)
    except MollieError as exc:
        raise PaymentUnavailable(_describe(exc)) from exc
    apply_payment_status(
        payment,
        status=remote.status,
        method=remote.method or "",
        amount_refunded=parse_amount(remote.amount_refunded),
    )
    payment.refresh_from_db()
    return payment


def apply_payment_status(
    payment: Payment, *, status: str, method: str = "", amount_refunded: Decimal | None = None
) -> bool:
    """Apply Mollie's status to our payment and its order, once. True if the status changed."""
    changed = False
    try:
        with transaction.atomic():
            _lock_timeout()
            if status != payment.status:
                changed = bool(
                    Payment.objects.filter(pk=payment.pk)
                    .exclude(status__in=Payment.FINAL)
                    .exclude(status=status)
                    .update(status=status, method=method)
                )
            if changed:
                _apply_order_transition(payment, status)
            if amount_refunded is not None:
                _apply_refunded_amount(payment, amount_refunded)
    except OperationalError as exc:  # lock_timeout on PostgreSQL, "database is locked" on SQLite
        logger.warning("Payment %s: lock unavailable, Mollie will retry", payment.pk)
        raise PaymentUnavailable(_("Busy; try again.")) from exc
    return changed


def _apply_order_transition(payment: Payment, status: str) -> None:
    order = payment.order
    if status == Payment.Status.PAID:
        outcome = order_service.confirm_order(order)
        if outcome is order_service.Confirmation.CONFIRMED:
            Payment.objects.filter(pk=payment.pk).update(confirmed_order=True)
        else:
            # Paid too late for the tickets, or twice: the money goes back automatically.
            logger.info("Payment %s of order %s refunded: %s", payment.pk, order.pk, outcome.value)
            run_task(_auto_refund_task(), payment.pk)
    elif status in FAILURE_REASONS:
        others_alive = (
            order.payments.exclude(pk=payment.pk)
            .filter(status__in=[Payment.Status.OPEN, Payment.Status.PENDING, Payment.Status.PAID])
            .exists()
        )
        if not others_alive:
            order_service.mark_payment_failed(
                order,
                payment_ref=payment.mollie_id or str(payment.pk),
                reason=FAILURE_REASONS[status],
            )


def _apply_refunded_amount(payment: Payment, amount_refunded: Decimal) -> None:
    updated = Payment.objects.filter(pk=payment.pk, amount_refunded__lt=amount_refunded).update(
        amount_refunded=amount_refunded
    )
    if updated:
        total = Payment.objects.filter(order_id=payment.order_id).aggregate(
            total=Sum("amount_refunded")
        )["total"] or Decimal("0")
        order_service.record_refund(payment.order, amount_refunded=total)


def refundable_amount(payment: Payment) -> Decimal:
    """What can still be refunded: paid amount minus every refund we asked for that may succeed."""
    asked = payment.refunds.exclude(
        status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return max(Decimal("0"), payment.amount - max(asked, payment.amount_refunded))


def refund_payment(
    payment: Payment, amount: Decimal, *, user=None, reason: str = "", notify: bool = True
) -> Refund:
    """Refund ``amount`` of a paid payment through Mollie's refunds API.

    The refund row is written first (with the payment row locked, so two admins cannot refund
    more than was paid), then Mollie is asked with an idempotency key derived from that row.
    Raises :class:`RefundError` for an amount that is not refundable and
    :class:`PaymentUnavailable` when Mollie cannot be reached (the row stays, to be retried).
    """
    amount = Decimal(amount).quantize(CENT)
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .select_related("order__organisation")
            .get(pk=payment.pk)
        )
        if payment.status != Payment.Status.PAID or not payment.mollie_id:
            raise RefundError(_("Only paid payments can be refunded."))
        if amount <= 0:
            raise RefundError(_("The refund amount must be more than zero."))
        left = refundable_amount(payment)
        if amount > left:
            raise RefundError(
                _("At most € %(left)s can still be refunded.") % {"left": f"{left:.2f}"}
            )
        refund = Refund.objects.create(
            payment=payment, amount=amount, created_by=user, reason=reason[:255]
        )
    return submit_refund(refund, notify=notify)


def submit_refund(refund: Refund, *, notify: bool = True) -> Refund:
    """Send a refund row to Mollie (again, if an earlier attempt failed); idempotent."""
    payment = refund.payment
    client = mollie_client(payment.order.organisation)
    description = refund.reason or _("Refund for order %(ref)s") % {"ref": payment.order.reference}
    try:
        remote = MolliePayment({"id": payment.mollie_id}, client).refunds.create(
            {"amount": mollie_amount(refund.amount, payment.currency), "description": description},
            idempotency_key=refund.idempotency_key,
        )
    except (RequestError, ResponseError) as exc:
        refund.last_error = _describe(exc)
        refund.save(update_fields=["last_error"])
        if isinstance(exc, ResponseError) and exc.status == 422:
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
            raise RefundError(_("Mollie refused the refund: %(detail)s") % {"detail": exc}) from exc
        raise PaymentUnavailable(
            _("Mollie cannot be reached; the refund is saved and can be retried.")
        ) from exc
    with transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(
            mollie_id=remote.id, status=remote.status, last_error=""
        )
        refund.refresh_from_db()
        total = Refund.objects.filter(payment=payment).exclude(
            status__in=[Refund.Status.FAILED, Refund.Status.CANCELED, Refund.Status.CREATED]
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
        _apply_refunded_amount(payment, total)
        if notify:
            notifications.queue_refund_made(
                payment.order, refund_ref=refund.mollie_id, amount=refund.amount
            )
    return refund


def auto_refund(payment_id: int) -> Refund | None:
    """Refund all that is left of a payment that paid for tickets we could not give."""
    payment = Payment.objects.get(pk=payment_id)
    existing = payment.refunds.filter(reason="automatic").first()
    if existing is not None:
        return existing if existing.mollie_id else submit_refund(existing, notify=False)
    left = refundable_amount(payment)
    if left <= 0:
        return None
    return refund_payment(payment, left, reason="automatic", notify=False)


def _auto_refund_task():
    from .tasks import auto_refund_task

    return auto_refund_task


def _lock_timeout() -> None:
    """On PostgreSQL, wait at most a few seconds for row locks; then Mollie should retry."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")


def _describe(exc: Exception) -> str:
    """A log-safe description of a Mollie error (no keys, no bodies)."""
    status = getattr(exc, "status", None)
    text = str(exc).replace("\n", " ")[:200]
    return f"{type(exc).__name__}{f' {status}' if status else ''}: {text}"[:255]
