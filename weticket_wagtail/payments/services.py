"""Payments and refunds: create, sync (webhook, return page, reconcile) and refund.

The payment provider (Mollie unless ``WETICKET["PAYMENT_PROVIDER"]`` says otherwise) is the
source of truth (ARCHITECTURE rule 5): a webhook carries only an id; we fetch the payment with
the organisation's own key and apply its status under the payment's row lock with a
compare-and-set, so replayed or concurrent webhooks change our state once. Calls to the
provider are made outside database transactions; every create carries an idempotency key
derived from our own row's id.

Money owed to a buyer is never lost: a refund is a row first (written in the transaction that
decides it is owed), then sent to the provider; until the provider accepts it, the row is
*owed*, shown to staff, not counted as refunded anywhere, and sent again with backoff by
:func:`send_owed_refunds` (a periodic task) with the same idempotency key. A payment the
provider says is paid but whose order we could not update (an unexpected error) stays
unsettled and is applied again by :func:`reconcile_payments`; after
:data:`MAX_APPLY_FAILURES` it is refunded instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import OperationalError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.logsafe import scrub_error
from weticket_wagtail.money import format_money
from weticket_wagtail.tasks_runtime import run_task
from weticket_wagtail.ticketing.models import Event, Order, Ticket
from weticket_wagtail.ticketing.services import notifications
from weticket_wagtail.ticketing.services import orders as order_service
from weticket_wagtail.ticketing.services.errors import CheckoutError

from . import audit
from .errors import PaymentError, PaymentRefused, PaymentUnavailable, RefundError
from .models import Payment, Refund
from .providers import PaymentRequest, RefundRequest, get_provider

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
FAILURE_REASONS = {
    Payment.Status.FAILED: gettext_lazy("the payment failed"),
    Payment.Status.CANCELED: gettext_lazy("the payment was canceled"),
    Payment.Status.EXPIRED: gettext_lazy("the payment expired"),
}
#: Payment statuses from which a payment may still become paid.
UNDECIDED = (Payment.Status.OPEN, Payment.Status.PENDING, Payment.Status.AUTHORIZED)
#: Refund statuses the provider may still change.
REFUND_IN_FLIGHT = (Refund.Status.QUEUED, Refund.Status.PENDING, Refund.Status.PROCESSING)

#: An owed refund is sent again after 1, 2, 4 … minutes, then every hour, until accepted.
REFUND_RETRY_FIRST = timedelta(minutes=1)
REFUND_RETRY_MAX = timedelta(hours=1)
#: A payment not decided this long after it was made (or last looked up) is looked up again.
RECONCILE_AFTER = timedelta(minutes=5)
#: After this many unexpected errors applying "paid", the order is canceled and refunded.
MAX_APPLY_FAILURES = 5
#: The task that sends one owed refund right after the transaction that owes it commits.
SEND_REFUND_TASK = "weticket_wagtail.payments.tasks.send_refund_task"


# --- reading ------------------------------------------------------------------------------------


def paid_payment(order: Order) -> Payment | None:
    """The payment that paid for ``order``: the one that confirmed it, else the latest paid one.

    ``None`` when no payment of the order is paid (pending, failed or free orders).
    """
    return (
        order.payments.filter(status=Payment.Status.PAID)
        .order_by("-confirmed_order", "-created_at", "-pk")
        .first()
    )


def refundable_amount(payment: Payment) -> Decimal:
    """What can still be refunded: the paid amount minus every refund that may still move
    money, accepted or owed (and never less than what the provider says it refunded)."""
    asked = payment.refunds.filter(status__in=Refund.ALIVE).aggregate(total=Sum("amount"))[
        "total"
    ] or Decimal("0")
    return max(Decimal("0"), payment.amount - max(asked, payment.amount_refunded))


def order_refundable(order: Order) -> tuple[Payment | None, Decimal]:
    """The payment to refund and how much of it can still be refunded (0 when nothing)."""
    payment = paid_payment(order)
    if payment is None:
        return None, Decimal("0")
    return payment, refundable_amount(payment)


def owed_refunds(order: Order) -> QuerySet[Refund]:
    """Refunds of ``order`` (staff or automatic) that the provider has not accepted yet: they
    are being sent, or will be sent again. Not part of anything "refunded"."""
    return Refund.objects.filter(
        payment__order=order, status=Refund.Status.CREATED, mollie_id__isnull=True
    ).order_by("created_at", "pk")


def owed_refund_total(order: Order) -> Decimal:
    """The sum of :func:`owed_refunds`: money the buyer is owed and will get back."""
    return owed_refunds(order).aggregate(total=Sum("amount"))["total"] or Decimal("0")


def has_owed_refunds() -> Exists:
    """An ``Exists`` for order querysets: the order has at least one owed refund."""
    return Exists(
        Refund.objects.filter(
            payment__order=OuterRef("pk"), status=Refund.Status.CREATED, mollie_id__isnull=True
        )
    )


def payment_for_export(order: Order) -> Payment | None:
    """The payment a bookkeeping row shows: the one that confirmed the order, else a paid one,
    else the latest. Reads ``order.payments.all()``, so prefetch it for many orders."""
    payments = sorted(order.payments.all(), key=lambda p: (p.created_at, p.pk), reverse=True)
    for wanted in (
        lambda p: p.confirmed_order,
        lambda p: p.status == Payment.Status.PAID,
        lambda p: True,
    ):
        for payment in payments:
            if wanted(payment):
                return payment
    return None


def open_payment(order: Order) -> Payment | None:
    """The payment a pending order's buyer can continue at the provider's checkout, if any."""
    if order.status != Order.Status.PENDING:
        return None
    return (
        order.payments.filter(status=Payment.Status.OPEN)
        .exclude(checkout_url="")
        .order_by("-pk")
        .first()
    )


# --- paying -------------------------------------------------------------------------------------


def webhook_url() -> str | None:
    base = weticket_settings.PUBLIC_BASE_URL
    if not base:
        return None
    return base.rstrip("/") + reverse("weticket_payments:mollie_webhook")


def start_payment(order: Order, *, redirect_url: str) -> Payment:
    """Create (or resume) the provider's payment for a pending order and return our row.

    A payment that was never confirmed created at the provider (a timeout, a 5xx) is retried
    with the same idempotency key, so the provider creates at most one payment for it. Raises
    :class:`PaymentUnavailable` with a message for the buyer when the provider cannot be
    reached (the order and its reservation are kept), :class:`PaymentRefused` when it refuses.
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
    try:
        created = get_provider().create_payment(
            order.organisation,
            PaymentRequest(
                amount=order.total,
                currency=order.currency,
                description=f"{order.event.title} – {order.reference}",
                redirect_url=redirect_url,
                webhook_url=webhook_url(),
                metadata={"order": order.token},
                language=order.language,
                idempotency_key=payment.idempotency_key,
            ),
        )
    except PaymentError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=exc.detail)
        logger.warning("Payment %s of order %s not created: %s", payment.pk, order.pk, exc.detail)
        if isinstance(exc, PaymentRefused):
            raise
        raise PaymentUnavailable(
            _(
                "The payment service cannot be reached right now. Your order and tickets are "
                "kept; please try again in a moment."
            ),
            detail=exc.detail,
        ) from exc
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
        mollie_id=created.id,
        status=created.status,
        checkout_url=created.checkout_url,
        last_error="",
    )
    payment.refresh_from_db()
    return payment


def sync_payment(mollie_id: str) -> Payment | None:
    """Fetch a payment from the provider and apply what it says. None for an id we do not know.

    Raises :class:`PaymentUnavailable` when the provider cannot be asked or our lock is busy,
    so the webhook answers 503 and the provider tries again later. Any other error while
    applying is counted on the payment and raised (see :func:`apply_payment_status`).
    """
    payment = (
        Payment.objects.select_related("order__organisation").filter(mollie_id=mollie_id).first()
    )
    if payment is None:
        return None
    provider = get_provider()
    try:
        remote = provider.get_payment(payment.order.organisation, mollie_id)
    except PaymentError as exc:
        raise PaymentUnavailable(exc.detail) from exc
    apply_payment_status(
        payment,
        status=remote.status,
        method=remote.method,
        amount_refunded=remote.amount_refunded,
    )
    _sync_refund_statuses(payment, provider)
    payment.refresh_from_db()
    return payment


def sync_latest_payment(order: Order) -> Payment | None:
    """Ask the provider about the order's latest undecided payment (the buyer is back from the
    checkout, and webhooks may not reach a development machine).

    Never raises for the provider or for an error applying the status: those are logged, and
    the webhook and :func:`reconcile_payments` catch up. Returns the payment looked at, if any.
    """
    payment = order.payments.exclude(mollie_id=None).order_by("-pk").first()
    if payment is None or payment.is_final:
        return payment
    try:
        return sync_payment(payment.mollie_id)
    except PaymentUnavailable:
        return payment
    except Exception:  # noqa: BLE001 - recorded by apply_payment_status; the page still shows
        return payment


def apply_payment_status(
    payment: Payment, *, status: str, method: str = "", amount_refunded: Decimal | None = None
) -> bool:
    """Apply the provider's status to our payment and its order, once. True if it changed.

    One transaction, under the payment's row lock: the status change, the order's transition
    (tickets, emails, or an owed refund) and the refunded amount either all happen or none.
    A paid payment whose order is not settled yet (not confirmed by it, no automatic refund)
    is settled now, also when the status did not change: that is how a replayed webhook or
    :func:`reconcile_payments` finishes what an earlier error interrupted.

    Raises :class:`PaymentUnavailable` when the lock is busy. Any other error rolls everything
    back, is logged (without the order's token) and counted on the payment; after
    :data:`MAX_APPLY_FAILURES` a paid payment is refunded instead (the order is canceled).
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            _lock_timeout()
            locked = (
                Payment.objects.select_for_update(of=("self",))
                .select_related("order")
                .get(pk=payment.pk)
            )
            changed = status != locked.status and locked.status not in Payment.FINAL
            update = {"checked_at": now}
            if changed:
                update.update(status=status, method=method)
            Payment.objects.filter(pk=locked.pk, status=locked.status).update(**update)
            if changed:
                locked.status, locked.method = status, method
            if locked.status == Payment.Status.PAID and _unsettled(locked):
                _settle_paid(locked)
            elif changed and status in FAILURE_REASONS:
                _fail_order(locked, status)
            if amount_refunded is not None:
                _apply_refunded_amount(locked, amount_refunded)
    except OperationalError as exc:  # lock_timeout on PostgreSQL, "database is locked" on SQLite
        logger.warning("Payment %s: lock unavailable, the provider will retry", payment.pk)
        raise PaymentUnavailable(_("Busy; try again.")) from exc
    except PaymentError:
        raise
    except Exception as exc:
        _note_apply_failure(payment, status, exc)
        raise
    return changed


def _unsettled(payment: Payment) -> bool:
    """A paid payment that neither confirmed its order nor is being refunded automatically."""
    return (
        not payment.confirmed_order
        and not payment.refunds.filter(origin=Refund.Origin.AUTOMATIC).exists()
    )


def _settle_paid(payment: Payment) -> None:
    outcome = order_service.confirm_order(payment.order)
    if outcome is order_service.Confirmation.CONFIRMED:
        Payment.objects.filter(pk=payment.pk).update(confirmed_order=True)
        payment.confirmed_order = True
    else:
        # Paid too late for the tickets, or twice: the money goes back automatically.
        logger.info(
            "Payment %s of order %s is refunded: %s", payment.pk, payment.order_id, outcome.value
        )
        owe_automatic_refund(payment)


def _fail_order(payment: Payment, status: str) -> None:
    order = payment.order
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


def _note_apply_failure(payment: Payment, status: str, exc: Exception) -> None:
    """Record an unexpected error applying ``status`` (its own transaction: the one that failed
    was rolled back), and refund a paid payment that failed too often."""
    detail = scrub_error(f"{type(exc).__name__}: {exc}")[:255]
    logger.error(
        "Payment %s of order %s: applying %r failed: %s",
        payment.pk,
        payment.order_id,
        status,
        detail,
    )
    Payment.objects.filter(pk=payment.pk).update(
        apply_failures=F("apply_failures") + 1, last_error=detail, checked_at=timezone.now()
    )
    failures = Payment.objects.filter(pk=payment.pk).values_list("apply_failures", flat=True)[0]
    if status == Payment.Status.PAID and failures >= MAX_APPLY_FAILURES:
        try:
            _refund_unconfirmable(payment, failures=failures, detail=detail)
        except Exception as second:  # noqa: BLE001 - logged; the next run tries again
            logger.error(
                "Payment %s: refunding it failed too: %s",
                payment.pk,
                scrub_error(f"{type(second).__name__}: {second}"),
            )


def _refund_unconfirmable(payment: Payment, *, failures: int, detail: str) -> None:
    """Give up confirming: mark the payment paid, cancel its order and owe the refund."""
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(pk=payment.pk)
        )
        if locked.status not in Payment.FINAL:
            Payment.objects.filter(pk=locked.pk, status=locked.status).update(
                status=Payment.Status.PAID
            )
            locked.status = Payment.Status.PAID
        if locked.status != Payment.Status.PAID or not _unsettled(locked):
            return
        order_service.cancel_unconfirmable(locked.order)
        audit.log_order_action(
            locked.order, audit.PAYMENT_NOT_APPLIED, attempts=failures, error=detail
        )
        owe_automatic_refund(locked)


def _apply_refunded_amount(payment: Payment, amount_refunded: Decimal) -> None:
    updated = Payment.objects.filter(pk=payment.pk, amount_refunded__lt=amount_refunded).update(
        amount_refunded=amount_refunded
    )
    if updated:
        # What was refunded of the order's price: the payment that paid for it. A second
        # payment sent back (paid twice) is the buyer's money, not a refund of the order.
        payments = Payment.objects.filter(order_id=payment.order_id)
        if payments.filter(confirmed_order=True).exists():
            payments = payments.filter(confirmed_order=True)
        total = payments.aggregate(total=Sum("amount_refunded"))["total"] or Decimal("0")
        order_service.record_refund(payment.order, amount_refunded=total)


def _sync_refund_statuses(payment: Payment, provider) -> None:
    """Update the refunds the provider may still change (queued, pending, processing)."""
    in_flight = list(payment.refunds.filter(status__in=REFUND_IN_FLIGHT).exclude(mollie_id=None))
    for refund in in_flight:
        try:
            remote = provider.get_refund(
                payment.order.organisation, payment_id=payment.mollie_id, refund_id=refund.mollie_id
            )
        except PaymentError:
            return  # the next webhook or sync asks again
        if remote.status == refund.status:
            continue
        with transaction.atomic():
            changed = Refund.objects.filter(pk=refund.pk, status=refund.status).update(
                status=remote.status
            )
            if not changed or remote.status in Refund.ALIVE:
                continue
            if refund.origin == Refund.Origin.AUTOMATIC:
                # The provider could not pay it out after all: the buyer is still owed it.
                owe_automatic_refund(Payment.objects.select_for_update().get(pk=payment.pk))
            elif refund.tickets.exists():
                # The tickets were refunded and stay so: the buyer is still owed their price.
                owe_ticket_refund_again(
                    refund, Payment.objects.select_for_update().get(pk=payment.pk)
                )


# --- refunding ----------------------------------------------------------------------------------


def refund_retry_delay(attempts: int) -> timedelta:
    """How long after its ``attempts``-th attempt an owed refund is sent again."""
    return min(REFUND_RETRY_FIRST * 2 ** max(0, attempts - 1), REFUND_RETRY_MAX)


def owe_automatic_refund(payment: Payment) -> Refund | None:
    """Owe the buyer all that is left of ``payment`` (paid for tickets we cannot give).

    Must run in the transaction that decided it, with the payment's row locked: the refund row
    is written there, so the decision and the debt are committed together. It is sent right
    after the commit and, until the provider accepts it, again by :func:`send_owed_refunds`.
    """
    left = refundable_amount(payment)
    if left <= 0:
        return None
    refund = Refund.objects.create(
        payment=payment,
        amount=left,
        origin=Refund.Origin.AUTOMATIC,
        next_attempt_at=timezone.now() + REFUND_RETRY_FIRST,
    )
    audit.log_refund_action(refund, audit.REFUND_OWED)
    run_task(_send_refund_task(), refund.pk)
    return refund


def owe_ticket_refund_again(failed: Refund, payment: Payment) -> Refund | None:
    """A refund of tickets failed at the provider after it accepted it: owe the same amount
    (what is still refundable at most) for the same tickets, as a new refund that is sent and
    retried like an automatic one. Run it with the payment's row locked."""
    left = min(failed.amount, refundable_amount(payment))
    if left <= 0:
        return None
    refund = Refund.objects.create(
        payment=payment,
        amount=left,
        origin=failed.origin,
        created_by=failed.created_by,
        reason=failed.reason,
        next_attempt_at=timezone.now() + REFUND_RETRY_FIRST,
    )
    refund.tickets.set(failed.tickets.all())
    audit.log_refund_action(refund, audit.REFUND_OWED)
    run_task(_send_refund_task(), refund.pk)
    return refund


def refund_payment(
    payment: Payment,
    amount: Decimal,
    *,
    expected_refundable: Decimal | None = None,
    user=None,
    reason: str = "",
    origin: str = Refund.Origin.STAFF,
) -> Refund:
    """Refund ``amount`` of a paid payment, asked by a staff member (or, with ``origin``
    ``ERASURE``, by the erasure of the buyer's data: such a refund is owed like an automatic one
    and no email announces it, since the buyer's address is being erased).

    With the payment row locked, the refund is checked and written: ``expected_refundable``
    is the refundable amount the person saw when they confirmed; if it is not the amount now
    (someone refunded meanwhile, or the same confirmation arrived twice), nothing is refunded
    and :class:`RefundError` says so. Then the provider is asked, with an idempotency key
    derived from the row. Raises :class:`RefundError` for an amount that is not refundable or
    that the provider refused, :class:`PaymentUnavailable` when the provider cannot be reached
    (the refund stays owed and is sent again automatically).
    """
    amount = Decimal(amount).quantize(CENT)
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("order__organisation")
            .get(pk=payment.pk)
        )
        if payment.status != Payment.Status.PAID or not payment.mollie_id:
            raise RefundError(_("Only paid payments can be refunded."))
        if amount <= 0:
            raise RefundError(_("The refund amount must be more than zero."))
        left = refundable_amount(payment)
        if expected_refundable is not None and left != Decimal(expected_refundable).quantize(CENT):
            raise RefundError(
                _("The refunds of this order changed meanwhile. Check the amount and try again."),
                code="refundable_changed",
            )
        if amount > left:
            raise RefundError(
                _("At most %(amount)s can still be refunded.")
                % {"amount": format_money(left, payment.currency)}
            )
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            origin=origin,
            created_by=user,
            reason=reason[:255],
        )
        audit.log_refund_action(refund, audit.REFUND_REQUESTED, user=user)
    return submit_refund(refund)


def refund_tickets(
    order: Order,
    ticket_ids: Iterable[int],
    *,
    user=None,
    reason: str = "",
) -> Refund | None:
    """Refund exactly these tickets of a paid order: each is marked refunded (its code is
    refused at the door from now on, its seat goes back to the sale) and the buyer is refunded
    its line's price, never more than what is still refundable on the payment.

    Under the payment's and the order's row locks, every ticket is set from valid to refunded
    by a compare-and-set; if any of them is not valid any more (another staff member refunded
    it a moment ago, or the same confirmation arrived twice), nothing is refunded and
    :class:`RefundError` says so. The refund row is written with its tickets in the same
    transaction, then sent to the provider like any refund. If the provider cannot be reached
    or refuses it, the tickets stay refunded and the refund stays owed: it is sent again
    automatically (:func:`send_owed_refunds`) until accepted, because the buyer was promised
    the money once the ticket stopped admitting them. Returns the refund, or ``None`` when
    nothing was left to pay back (the tickets are refunded all the same).
    """
    wanted = sorted({int(pk) for pk in ticket_ids})
    if not wanted:
        raise RefundError(_("Choose at least one ticket to refund."), code="no_tickets")
    with transaction.atomic():
        payment = paid_payment(order)
        if payment is None or not payment.mollie_id:
            raise RefundError(_("Only paid payments can be refunded."))
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("order__organisation")
            .get(pk=payment.pk)
        )
        if payment.status != Payment.Status.PAID:
            raise RefundError(_("Only paid payments can be refunded."))
        locked_order = Order.objects.select_for_update().get(pk=order.pk)
        if locked_order.status != Order.Status.PAID:
            raise RefundError(_("Only tickets of paid orders can be refunded."), code="not_paid")
        tickets = list(
            Ticket.objects.filter(order=locked_order, pk__in=wanted).select_related("line")
        )
        if len(tickets) != len(wanted):
            raise RefundError(_("These tickets are not part of this order."), code="not_in_order")
        price = sum((ticket.line.unit_price for ticket in tickets), Decimal("0"))
        amount = min(price, refundable_amount(payment)).quantize(CENT)
        voided = order_service.void_tickets(locked_order, wanted, Ticket.Status.REFUNDED)
        if len(voided) != len(wanted):  # raising rolls the voided ones back too
            raise RefundError(
                _(
                    "Some of these tickets were refunded or cancelled meanwhile. "
                    "Check and try again."
                ),
                code="tickets_changed",
            )
        if amount <= 0:
            # Nothing left to pay back (free tickets, or refunded as an amount before): the
            # tickets are refunded all the same, and no money moves.
            audit.log_order_action(
                locked_order,
                audit.TICKETS_REFUNDED,
                user=user,
                tickets=[t.code for t in tickets],
                amount=Decimal("0"),
                currency=payment.currency,
            )
            return None
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            origin=Refund.Origin.STAFF,
            created_by=user,
            reason=reason[:255],
            next_attempt_at=timezone.now() + REFUND_RETRY_FIRST,
        )
        refund.tickets.set(wanted)
        audit.log_refund_action(
            refund, audit.REFUND_REQUESTED, user=user, tickets=[t.code for t in tickets]
        )
    return submit_refund(refund)


def retry_refund(refund: Refund, *, user=None) -> Refund:
    """Send an owed refund again now, at a staff member's request (same idempotency key).

    Raises :class:`RefundError` when it is not owed (already accepted or refused) and what
    :func:`submit_refund` raises.
    """
    refund = Refund.objects.select_related("payment__order").get(pk=refund.pk)
    if not refund.is_owed:
        raise RefundError(_("This refund was already sent to Mollie."), code="not_owed")
    audit.log_refund_action(refund, audit.REFUND_RETRY, user=user)
    return submit_refund(refund)


def submit_refund(refund: Refund) -> Refund:
    """Send an owed refund to the provider (again, if an earlier attempt failed); idempotent.

    Every attempt uses the refund's own idempotency key and the same request, so the buyer is
    refunded once however often this runs. Before the call, the next attempt is scheduled
    (backoff), so a worker that dies mid-call still leaves the refund to be sent again. Only
    when the provider accepts it does it count as refunded (on the payment and the order) and
    is the buyer emailed. Each outcome is written to the order's audit log.

    Raises :class:`PaymentUnavailable` when the provider cannot be reached and
    :class:`RefundError` when it refused: a staff refund is then failed, an automatic one stays
    owed (the money is the buyer's) and keeps being retried.
    """
    refund = Refund.objects.select_related("payment__order__organisation").get(pk=refund.pk)
    if not refund.is_owed:
        return refund
    payment, order = refund.payment, refund.payment.order
    attempts = refund.attempts + 1
    Refund.objects.filter(pk=refund.pk).update(
        attempts=F("attempts") + 1, next_attempt_at=timezone.now() + refund_retry_delay(attempts)
    )
    still_owed = Refund.objects.filter(
        pk=refund.pk, status=Refund.Status.CREATED, mollie_id__isnull=True
    )
    try:
        remote = get_provider().create_refund(
            order.organisation,
            RefundRequest(
                payment_id=payment.mollie_id,
                amount=refund.amount,
                currency=payment.currency,
                description=refund_description(refund),
                metadata={"refund": str(refund.pk)},
                idempotency_key=refund.idempotency_key,
            ),
        )
    except RefundError as exc:
        # A staff refund of an amount fails for good; one that pays back refunded tickets is
        # owed like an automatic one: the tickets no longer admit anyone.
        if refund.origin == Refund.Origin.STAFF and not refund.tickets.exists():
            still_owed.update(
                status=Refund.Status.FAILED, last_error=exc.detail, next_attempt_at=None
            )
        else:
            still_owed.update(last_error=exc.detail)
        audit.log_refund_action(refund, audit.REFUND_REFUSED, error=exc.detail)
        logger.warning("Refund %s of order %s refused: %s", refund.pk, order.pk, exc.detail)
        raise RefundError(
            _("Mollie refused the refund: %(detail)s") % {"detail": exc.message},
            detail=exc.detail,
            code="provider_refused",
        ) from exc
    except PaymentError as exc:
        still_owed.update(last_error=exc.detail)
        audit.log_refund_action(refund, audit.REFUND_ATTEMPT_FAILED, error=exc.detail)
        logger.warning("Refund %s of order %s not sent: %s", refund.pk, order.pk, exc.detail)
        raise PaymentUnavailable(
            _(
                "Mollie cannot be reached; the refund is saved and will be sent again "
                "automatically."
            ),
            detail=exc.detail,
        ) from exc
    with transaction.atomic():
        accepted = Refund.objects.filter(pk=refund.pk, mollie_id__isnull=True).update(
            mollie_id=remote.id, status=remote.status, last_error="", next_attempt_at=None
        )
        refund.refresh_from_db()
        if accepted:
            total = Refund.objects.filter(payment=payment, mollie_id__isnull=False).filter(
                status__in=Refund.ALIVE
            ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
            _apply_refunded_amount(payment, total)
            order.refresh_from_db(fields=["buyer_email"])
            if refund.origin != Refund.Origin.ERASURE and order.buyer_email:
                notifications.queue_refund_made(order, refund_ref=remote.id, amount=refund.amount)
            audit.log_refund_action(refund, audit.REFUND_ACCEPTED, provider_id=remote.id)
    return refund


def refund_description(refund: Refund) -> str:
    """What the buyer sees on their statement: the staff member's reason, else the order
    number, in the buyer's language (the same text on every attempt of this refund)."""
    if refund.reason:
        return refund.reason
    order = refund.payment.order
    with translation.override(order.language):
        return _("Refund for order %(ref)s") % {"ref": order.reference}


def send_owed_refunds(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send every owed refund whose next attempt is due (the periodic task). Returns how many
    the provider accepted.

    Each refund is claimed first (its next attempt moved on by a compare-and-set), so two
    workers running this at once never send the same refund at the same moment; even then the
    idempotency key would make the provider refund once.
    """
    now = now or timezone.now()
    due = list(
        Refund.objects.filter(
            status=Refund.Status.CREATED, mollie_id__isnull=True, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    accepted = 0
    for pk, due_at in due:
        claimed = Refund.objects.filter(pk=pk, next_attempt_at=due_at, mollie_id__isnull=True)
        if not claimed.update(next_attempt_at=now + REFUND_RETRY_FIRST):
            continue
        try:
            refund = submit_refund(Refund(pk=pk))
        except PaymentError:
            continue  # recorded on the refund and in the order's log; retried later
        accepted += bool(refund.mollie_id)
    return accepted


def reconcile_payments(*, now: datetime | None = None, limit: int = 200) -> int:
    """Ask the provider again about payments it may have decided without us hearing of it
    (the periodic task): undecided payments older than :data:`RECONCILE_AFTER`, and paid ones
    whose order is not settled (an error interrupted applying them). Each is looked up at most
    every :data:`RECONCILE_AFTER`. Returns how many were looked up.
    """
    now = now or timezone.now()
    stale = now - RECONCILE_AFTER
    automatic = Refund.objects.filter(payment=OuterRef("pk"), origin=Refund.Origin.AUTOMATIC)
    candidates = (
        Payment.objects.exclude(mollie_id=None)
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lte=stale))
        .filter(
            Q(status__in=UNDECIDED, created_at__lte=stale)
            | Q(status=Payment.Status.PAID, confirmed_order=False) & ~Exists(automatic)
        )
        .order_by(F("checked_at").asc(nulls_first=True), "pk")
        .values_list("mollie_id", flat=True)[:limit]
    )
    looked_up = 0
    for mollie_id in list(candidates):
        looked_up += 1
        try:
            sync_payment(mollie_id)
        except Exception:  # noqa: BLE001, S112 - recorded on the payment; the next run retries
            continue
    return looked_up


def resend_confirmation(order: Order, *, attempt: str, user=None) -> None:
    """Queue the order confirmation (with tickets) again for a paid order, on a staff
    member's request; ``attempt`` makes each request one email. Logged on the order."""
    with transaction.atomic():
        notifications.resend_order_confirmation(order, attempt=attempt)
        audit.log_order_action(order, audit.CONFIRMATION_RESENT, user=user)


def record_export(orders: QuerySet[Order], *, user, spreadsheet_format: str) -> int:
    """Write an "exported" entry to the audit log of every order in ``orders``."""
    rows = orders.prefetch_related(None).values_list("pk", "reference")
    return audit.log_export(rows, user=user, spreadsheet_format=spreadsheet_format)


def _send_refund_task():
    # By name, not by import: tasks.py calls these services, and services never import it.
    return import_string(SEND_REFUND_TASK)


def _lock_timeout() -> None:
    """On PostgreSQL, wait at most a few seconds for row locks; then the provider should retry."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")


# --- the dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSales:
    """One organisation's figures for the dashboard (amounts in the site's currency)."""

    organisation_id: int
    name: str
    tickets_today: int
    orders_today: int
    revenue_today: Decimal
    revenue_month: Decimal
    events_on_sale: int
    refunds_waiting: int


def sales_overview(
    organisations: QuerySet, *, now: datetime | None = None
) -> list[OrganisationSales]:
    """Today's sales, today's and this month's revenue (orders paid in the site's time zone,
    less nothing: gross), events on sale and refunds waiting (owed, or accepted by the provider
    but not paid out yet), for each of ``organisations`` (already scoped to the user).

    Five aggregate queries, whatever the number of organisations or orders.
    """

    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    rows = list(organisations.order_by("name", "pk").values_list("pk", "name")[:50])
    ids = [pk for pk, _name in rows]
    sold = Order.objects.filter(
        organisation_id__in=ids,
        paid_at__gte=month,
        status__in=(Order.Status.PAID, Order.Status.REFUNDED),
    )
    orders = {
        row["organisation_id"]: row
        for row in sold.values("organisation_id").annotate(
            orders_today=Count("pk", filter=Q(paid_at__gte=today)),
            revenue_today=Sum("total", filter=Q(paid_at__gte=today)),
            revenue_month=Sum("total"),
        )
    }
    tickets = dict(
        Ticket.objects.filter(order__organisation_id__in=ids, order__paid_at__gte=today)
        .values("order__organisation_id")
        .annotate(n=Count("pk"))
        .values_list("order__organisation_id", "n")
    )
    events = dict(
        Event.objects.filter(
            organisation_id__in=ids, is_published=True, is_archived=False, starts_at__gt=now
        )
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "n")
    )
    waiting = dict(
        Refund.objects.filter(payment__order__organisation_id__in=ids)
        .filter(
            Q(status=Refund.Status.CREATED, mollie_id__isnull=True) | Q(status__in=REFUND_IN_FLIGHT)
        )
        .values("payment__order__organisation_id")
        .annotate(n=Count("pk"))
        .values_list("payment__order__organisation_id", "n")
    )
    zero = Decimal("0")
    return [
        OrganisationSales(
            organisation_id=pk,
            name=name,
            tickets_today=tickets.get(pk, 0),
            orders_today=orders.get(pk, {}).get("orders_today", 0),
            revenue_today=orders.get(pk, {}).get("revenue_today") or zero,
            revenue_month=orders.get(pk, {}).get("revenue_month") or zero,
            events_on_sale=events.get(pk, 0),
            refunds_waiting=waiting.get(pk, 0),
        )
        for pk, name in rows
    ]
