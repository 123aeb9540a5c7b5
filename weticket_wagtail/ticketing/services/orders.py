"""Orders: placing them, confirming them when paid, and what happens when payment fails.

Every transition is a compare-and-set on the order row (ARCHITECTURE rule 4): the order row is
locked, its status checked, and only then changed, so replayed or concurrent webhooks apply once.
Lock order is always order row first, then ticket types by primary key.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from weticket_wagtail.privacy.services.versions import version_in_force

from ..models import Order, OrderLine, Reservation, ReservationLine, Ticket, TicketType
from ..signals import announce_tickets_freed
from . import notifications
from .availability import invalidate_event_availability
from .errors import CheckoutError, ReservationExpired
from .reservations import release_reservation, reserve_tickets, take_capacity
from .tickets import issue_tickets
from .vouchers import check_uses_at_confirmation, discounted_price

logger = logging.getLogger(__name__)


class Confirmation(enum.Enum):
    """What :func:`confirm_order` did."""

    CONFIRMED = "confirmed"  # this call marked the order paid and issued its tickets
    ALREADY_PAID = "already_paid"  # another payment or call confirmed it before
    NO_CAPACITY = "no_capacity"  # paid too late: the tickets are gone; the order is canceled
    NOT_PAYABLE = "not_payable"  # canceled or refunded orders are not confirmed again


def line_price(line: ReservationLine) -> Decimal:
    """What one ticket of a held line costs now: its ticket type's price, or the price with
    the line's voucher (loaded with it) when the voucher discounts it."""
    if line.voucher_id:
        return discounted_price(line.voucher, line.ticket_type.price)
    return line.ticket_type.price


def reservation_total(lines: Iterable[ReservationLine]) -> Decimal:
    """What the held ``lines`` cost at today's prices (their ticket types and vouchers loaded
    with them): the total an order placed now would have."""
    return sum((line_price(line) * line.quantity for line in lines), Decimal("0"))


def place_order(
    reservation: Reservation,
    *,
    buyer_name: str,
    buyer_email: str,
    language: str,
    buyer_phone: str = "",
    buyer_address: str = "",
) -> Order:
    """Turn a live reservation into an order awaiting payment (or paid at once when free).

    Idempotent per reservation: a double-submitted form gets the same order back. Raises
    :class:`ReservationExpired` when the hold has run out.
    """
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().get(pk=reservation.pk)
        existing = Order.objects.filter(reservation=reservation).first()
        if existing is not None:
            return existing
        if not reservation.is_live:
            raise ReservationExpired(
                _(
                    "Your reservation has expired and the tickets were released. "
                    "Please choose again."
                )
            )
        lines = list(reservation.lines.select_related("ticket_type", "voucher"))
        event = reservation.event
        total = reservation_total(lines)
        order = Order.objects.create(
            organisation_id=event.organisation_id,
            event=event,
            reservation=reservation,
            buyer_name=buyer_name.strip(),
            buyer_email=buyer_email.strip(),
            buyer_phone=buyer_phone.strip(),
            buyer_address=buyer_address.strip(),
            language=language,
            total=total,
            policy_version=version_in_force(site=event.organisation.site_id, language=language),
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                ticket_type=line.ticket_type,
                name=line.ticket_type.name,
                quantity=line.quantity,
                unit_price=line_price(line),
                vat_rate=line.ticket_type.vat_rate,
                list_price=line.ticket_type.price if line.voucher_id else None,
                voucher_id=line.voucher_id,
                voucher_code=line.voucher.code if line.voucher_id else "",
            )
            for line in lines
        )
        Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.Status.ORDERED)
        if order.is_free:
            confirm_order(order)
            order.refresh_from_db()
    return order


def confirm_order(order: Order) -> Confirmation:
    """Mark ``order`` paid, turn its hold into sold tickets, issue tickets, queue the email.

    Safe to call any number of times, concurrently: only one call confirms. The clock is read
    and the capacity counted only once the order and ticket-type rows are locked, so a hold
    that expired while this call waited for the locks counts as expired, and tickets another
    buyer took meanwhile are never sold twice. When the tickets are not there any more, the
    order is canceled (:attr:`Confirmation.NO_CAPACITY`) and the caller must refund the payment.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.PAID:
            return Confirmation.ALREADY_PAID
        if order.status not in (Order.Status.PENDING, Order.Status.PAYMENT_FAILED):
            return Confirmation.NOT_PAYABLE
        lines = list(order.lines.all())
        wanted: dict[int, int] = {}
        for line in lines:
            wanted[line.ticket_type_id] = wanted.get(line.ticket_type_id, 0) + line.quantity
        reservation = order.reservation
        has_voucher = any(line.voucher_id for line in lines)
        if has_voucher and reservation is not None:
            # Our own hold must not count against the voucher (nor, below, the capacity).
            ReservationLine.objects.filter(reservation=reservation, is_live=True).update(
                is_live=False
            )
        # Lock order: order row, voucher rows, ticket-type rows (see services/vouchers.py).
        vouchers_ok = not has_voucher or check_uses_at_confirmation(order, timezone.now())
        locked = list(TicketType.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
        now = timezone.now()  # after the locks: the hold is judged as it is when we sell
        if reservation is not None and not has_voucher:
            # From here on our own hold must not count against us.
            ReservationLine.objects.filter(reservation=reservation, is_live=True).update(
                is_live=False
            )
        try:
            # Checked even for a live hold: what counts is what is left under the locks.
            take_capacity(locked, wanted, now)
            if not vouchers_ok:
                raise CheckoutError(_("The voucher has been used up."), code="voucher_used_up")
        except CheckoutError:
            _set_status(order, Order.Status.CANCELED, now)
            if reservation is not None:
                Reservation.objects.filter(pk=reservation.pk).update(
                    status=Reservation.Status.RELEASED
                )
            notifications.queue_sold_out_after_payment(order)
            invalidate_event_availability(order.event_id)
            logger.info("Order %s paid without tickets left for it; it is refunded", order.pk)
            return Confirmation.NO_CAPACITY
        for ticket_type in locked:
            TicketType.objects.filter(pk=ticket_type.pk).update(
                sold_count=F("sold_count") + wanted[ticket_type.pk]
            )
        if reservation is not None:
            Reservation.objects.filter(pk=reservation.pk).update(
                status=Reservation.Status.CONVERTED
            )
        order.paid_at = now
        _set_status(order, Order.Status.PAID, now, extra=["paid_at"])
        issue_tickets(order, lines)
        notifications.queue_order_confirmation(order)
        invalidate_event_availability(order.event_id)
    return Confirmation.CONFIRMED


def cancel_unconfirmable(order: Order) -> bool:
    """Cancel a paid order that could not be confirmed (an unexpected error, again and again),
    so that its payment can be refunded: its hold is released, no email is queued here (the
    refund's email follows). True when this call canceled it."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in (Order.Status.PENDING, Order.Status.PAYMENT_FAILED):
            return False
        _set_status(order, Order.Status.CANCELED, timezone.now())
        if order.reservation_id:
            release_reservation(order.reservation)
    return True


def mark_payment_failed(order: Order, *, payment_ref: str, reason: str) -> bool:
    """A payment failed, was canceled or expired: release the hold and tell the buyer once.

    True when this call changed the order. ``payment_ref`` (the Mollie id) keys the email, so each
    failed attempt is reported once.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PENDING:
            return False
        _set_status(order, Order.Status.PAYMENT_FAILED, timezone.now())
        if order.reservation_id:
            release_reservation(order.reservation)
        notifications.queue_payment_failed(order, payment_ref=payment_ref, reason=reason)
    return True


def reopen_for_payment(order: Order) -> Order:
    """Let a buyer retry a failed payment: hold the same tickets again and mark it pending.

    Raises :class:`CheckoutError` (sold out, sale ended) when the tickets cannot be held again.
    A pending order with a live hold is returned unchanged.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Order.Status.PENDING and order.reservation and order.reservation.is_live:
            return order
        if order.status not in (Order.Status.PAYMENT_FAILED, Order.Status.PENDING):
            raise CheckoutError(_("This order cannot be paid any more."), code="not_payable")
        quantities: dict[int, int] = {}
        voucher = None
        for line in order.lines.select_related("voucher"):
            quantities[line.ticket_type_id] = quantities.get(line.ticket_type_id, 0) + line.quantity
            voucher = voucher or line.voucher
        old = order.reservation
        # The order keeps its prices; the voucher's uses are taken again with the new hold.
        reservation = reserve_tickets(order.event, quantities, voucher=voucher)
        Reservation.objects.filter(pk=reservation.pk).update(status=Reservation.Status.ORDERED)
        if old is not None:
            release_reservation(old)
            Order.objects.filter(pk=order.pk).update(reservation=None)
        order.reservation = reservation
        order.status = Order.Status.PENDING
        order.status_changed_at = timezone.now()
        order.save(update_fields=["reservation", "status", "status_changed_at"])
    return order


def void_tickets(order: Order, ticket_ids: Iterable[int], status: str) -> list[int]:
    """Mark the valid tickets among ``ticket_ids`` (of ``order``) ``status`` (refunded or
    cancelled) and give their seats back to the sale; returns the primary keys this call
    changed. Tickets that are no longer valid are left alone, so concurrent or repeated calls
    void each ticket once (a compare-and-set on the ticket's status).

    Runs in the caller's transaction (or its own): the tickets' rows are locked, then their
    ticket types in primary-key order. A refunded or cancelled ticket frees its seat, as a
    cancelled position does in pretix: it admits nobody, so it no longer counts as sold.
    """
    if status not in (Ticket.Status.REFUNDED, Ticket.Status.CANCELLED):
        raise ValueError(f"tickets are voided as refunded or cancelled, not {status!r}")
    with transaction.atomic():
        rows = list(
            Ticket.objects.select_for_update(of=("self",))
            .filter(order_id=order.pk, pk__in=list(ticket_ids), status=Ticket.Status.VALID)
            .values_list("pk", "line__ticket_type_id")
        )
        if not rows:
            return []
        changed = [pk for pk, _type in rows]
        Ticket.objects.filter(pk__in=changed, status=Ticket.Status.VALID).update(
            status=status, status_changed_at=timezone.now()
        )
        freed: dict[int, int] = {}
        for _pk, ticket_type_id in rows:
            freed[ticket_type_id] = freed.get(ticket_type_id, 0) + 1
        _free_seats(freed)
        invalidate_event_availability(order.event_id)
        # The waiting list (and any other listener) offers these seats in this transaction.
        announce_tickets_freed(order.event_id, sorted(freed), reason="returned")
    return changed


def record_refund(order: Order, *, amount_refunded: Decimal) -> None:
    """Store the total refunded so far (from Mollie); a full refund marks the order refunded,
    its still valid tickets refunded, and gives their seats back to the sale."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if amount_refunded <= order.amount_refunded:
            return
        order.amount_refunded = amount_refunded
        fields = ["amount_refunded"]
        if amount_refunded >= order.total and order.status == Order.Status.PAID:
            _return_capacity(order, Ticket.Status.REFUNDED)
            order.status = Order.Status.REFUNDED
            order.status_changed_at = timezone.now()
            fields += ["status", "status_changed_at"]
        order.save(update_fields=fields)


def cancel_paid_order(order: Order) -> bool:
    """Cancel a paid order without a refund (a free order, or one refunded elsewhere): its
    still valid tickets are cancelled and their seats go back to the sale. True when this call
    cancelled it; idempotent."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.PAID:
            return False
        _return_capacity(order, Ticket.Status.CANCELLED)
        _set_status(order, Order.Status.CANCELED, timezone.now())
    return True


def _return_capacity(order: Order, status: str) -> None:
    """The whole order ends: void its tickets that are still valid (seats of tickets refunded
    one by one were given back then, so they are not given back twice)."""
    if order.tickets.exists():
        void_tickets(order, order.tickets.values_list("pk", flat=True), status)
        return
    # Paid before tickets existed (data from before tickets were issued): seats by the lines.
    wanted: dict[int, int] = {}
    for line in order.lines.all():
        wanted[line.ticket_type_id] = wanted.get(line.ticket_type_id, 0) + line.quantity
    _free_seats(wanted)
    invalidate_event_availability(order.event_id)
    announce_tickets_freed(order.event_id, sorted(wanted), reason="returned")


def _free_seats(freed: dict[int, int]) -> None:
    """Take ``freed`` seats per ticket type off its sold count, locking in primary-key order."""
    for ticket_type in TicketType.objects.select_for_update().filter(pk__in=freed).order_by("pk"):
        TicketType.objects.filter(pk=ticket_type.pk).update(
            sold_count=F("sold_count") - freed[ticket_type.pk]
        )


def _set_status(order: Order, status: str, now, extra: list[str] | None = None) -> None:
    order.status = status
    order.status_changed_at = now
    order.save(update_fields=["status", "status_changed_at", *(extra or [])])
