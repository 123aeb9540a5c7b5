"""Vouchers: finding a buyer's code, pricing with it, and taking its uses like capacity.

A voucher's ``max_uses`` is a database invariant in the same way as a ticket type's capacity:
the tickets of live holds and of paid orders bought with the code never exceed it, under any
concurrency. Every function that can take uses locks the voucher row with ``SELECT ... FOR
UPDATE`` and counts under that lock. Lock order, everywhere: the order row (if any), then
voucher rows by primary key, then ticket-type rows by primary key; so no two buyers deadlock.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import (
    Event,
    Order,
    OrderLine,
    ReservationLine,
    TicketType,
    Voucher,
    normalise_voucher_code,
)
from .errors import CheckoutError

CENT = Decimal("0.01")
#: Letters for generated codes: no 0/O/1/I, so codes can be read out and typed.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class VoucherError(CheckoutError):
    """A code that cannot be used (unknown, expired, used up, not for these tickets)."""

    def __init__(self, message: str, code: str = "voucher"):
        super().__init__(message, code=code)


def discounted_price(voucher: Voucher, price: Decimal) -> Decimal:
    """What one ticket of list price ``price`` costs with ``voucher``: never below 0, never
    above the list price, rounded half up to cents."""
    price = Decimal(price)
    value = Decimal(voucher.value)
    if voucher.kind == Voucher.Kind.FIXED:
        result = price - value
    elif voucher.kind == Voucher.Kind.PERCENTAGE:
        result = price - (price * value / Decimal("100"))
    else:
        result = value
    result = min(max(result, Decimal("0")), price)
    return result.quantize(CENT, rounding=ROUND_HALF_UP)


def applies_to(voucher: Voucher, ticket_type: TicketType, chosen_ids: set[int] | None) -> bool:
    """Whether ``voucher`` discounts ``ticket_type``; ``chosen_ids`` is the voucher's own ticket
    types (empty: all)."""
    if voucher.event_id and voucher.event_id != ticket_type.event_id:
        return False
    return not chosen_ids or ticket_type.pk in chosen_ids


@dataclass(frozen=True)
class AppliedVoucher:
    """A valid voucher as a shop page shows it: which ticket types it discounts or unlocks."""

    voucher: Voucher
    ticket_type_ids: frozenset[int]  # the event's ticket types it discounts

    @property
    def code(self) -> str:
        return self.voucher.code

    def unlocks(self, ticket_type: TicketType) -> bool:
        return self.voucher.unlocks_hidden and ticket_type.pk in self.ticket_type_ids

    def price(self, ticket_type: TicketType) -> Decimal:
        if ticket_type.pk in self.ticket_type_ids:
            return discounted_price(self.voucher, ticket_type.price)
        return ticket_type.price


def check_valid(voucher: Voucher, event: Event, now=None) -> None:
    """Raise :class:`VoucherError` unless ``voucher`` may be used for ``event`` now (its uses
    are counted separately, under the lock)."""
    now = now or timezone.now()
    if (
        not voucher.is_active
        or voucher.organisation_id != event.organisation_id
        or (voucher.event_id and voucher.event_id != event.pk)
    ):
        raise unknown_code()
    if voucher.valid_from and now < voucher.valid_from:
        raise VoucherError(_("This voucher is not valid yet."))
    if voucher.valid_until and now >= voucher.valid_until:
        raise VoucherError(_("This voucher has expired."))


def unknown_code() -> VoucherError:
    return VoucherError(_("This voucher code is not valid for this event."))


def find_voucher(event: Event, code: str, now=None) -> AppliedVoucher:
    """The valid voucher ``code`` for ``event``, or :class:`VoucherError` for the buyer."""
    code = normalise_voucher_code(code)
    voucher = (
        Voucher.objects.filter(organisation_id=event.organisation_id, code=code).first()
        if code
        else None
    )
    if voucher is None:
        raise unknown_code()
    check_valid(voucher, event, now)
    own = set(voucher.ticket_types.values_list("pk", flat=True))
    ids = frozenset(
        pk
        for pk in TicketType.objects.filter(event_id=event.pk).values_list("pk", flat=True)
        if not own or pk in own
    )
    return AppliedVoucher(voucher=voucher, ticket_type_ids=ids)


def uses(voucher_id: int, now=None, *, not_order: int | None = None) -> int:
    """Tickets counted against a voucher: those of live holds and of paid orders."""
    now = now or timezone.now()
    held = ReservationLine.objects.filter(
        voucher_id=voucher_id, is_live=True, expires_at__gt=now
    ).aggregate(n=Sum("quantity"))["n"]
    sold = OrderLine.objects.filter(voucher_id=voucher_id, order__status=Order.Status.PAID)
    if not_order is not None:
        sold = sold.exclude(order_id=not_order)
    return (held or 0) + (sold.aggregate(n=Sum("quantity"))["n"] or 0)


def uses_by_voucher(voucher_ids: Iterable[int], now=None) -> dict[int, int]:
    """:func:`uses` for many vouchers in two queries (the admin listing)."""
    now = now or timezone.now()
    ids = list(voucher_ids)
    counts = dict.fromkeys(ids, 0)
    held = (
        ReservationLine.objects.filter(voucher_id__in=ids, is_live=True, expires_at__gt=now)
        .values("voucher_id")
        .annotate(n=Sum("quantity"))
    )
    sold = (
        OrderLine.objects.filter(voucher_id__in=ids, order__status=Order.Status.PAID)
        .values("voucher_id")
        .annotate(n=Sum("quantity"))
    )
    for row in [*held, *sold]:
        counts[row["voucher_id"]] += row["n"] or 0
    return counts


def claim_uses(
    voucher_id: int,
    event: Event,
    reservation_id: int,
    wanted: Mapping[int, int],
    now,
    *,
    using: str = "default",
) -> set[int]:
    """Lock the voucher, check it and mark the lines of ``reservation_id`` it discounts.

    Must run inside the reservation's transaction, before the ticket-type rows are locked.
    Returns the ticket-type ids the voucher unlocks (hidden ones may be held only then).
    Raises :class:`VoucherError` when the code is not valid now or has too few uses left.
    """
    # FOR NO KEY UPDATE, not FOR UPDATE: the reservation row inserted just before references
    # the voucher, which takes a KEY SHARE lock on it; two buyers holding KEY SHARE and each
    # asking FOR UPDATE would deadlock. NO KEY UPDATE still makes the claims take turns.
    voucher = Voucher.objects.using(using).select_for_update(no_key=True).get(pk=voucher_id)
    check_valid(voucher, event, now)
    own = set(voucher.ticket_types.using(using).values_list("pk", flat=True))
    types = TicketType.objects.using(using).filter(event_id=event.pk, pk__in=wanted)
    discounted = [tt.pk for tt in types if applies_to(voucher, tt, own)]
    if not discounted:
        raise VoucherError(_("This voucher is not valid for the chosen tickets."))
    needed = sum(wanted[pk] for pk in discounted)
    left = voucher.max_uses - uses(voucher.pk, now)
    if needed > left:
        if left <= 0:
            raise VoucherError(_("This voucher has been used up."), code="voucher_used_up")
        raise VoucherError(
            ngettext(
                "This voucher can be used for %(left)d more ticket only.",
                "This voucher can be used for %(left)d more tickets only.",
                left,
            )
            % {"left": left},
            code="voucher_used_up",
        )
    ReservationLine.objects.using(using).filter(
        reservation_id=reservation_id, ticket_type_id__in=discounted
    ).update(voucher_id=voucher.pk)
    return set(discounted) if voucher.unlocks_hidden else set()


def check_uses_at_confirmation(order: Order, now) -> bool:
    """Lock the order's vouchers (by primary key) and say whether its discounted tickets still
    fit in their uses. For :func:`~.orders.confirm_order`, after the order row is locked and
    before the ticket types; the order's own hold must no longer be live."""
    wanted: dict[int, int] = {}
    for line in order.lines.all():
        if line.voucher_id:
            wanted[line.voucher_id] = wanted.get(line.voucher_id, 0) + line.quantity
    ok = True
    vouchers = Voucher.objects.select_for_update(no_key=True).filter(pk__in=wanted)
    for voucher in vouchers.order_by("pk"):
        if uses(voucher.pk, now, not_order=order.pk) + wanted[voucher.pk] > voucher.max_uses:
            ok = False
    return ok


def generate_code(prefix: str = "", length: int = 8) -> str:
    """A random code (40 bits for 8 letters) after ``prefix``."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    return normalise_voucher_code(f"{prefix}{body}")


def create_vouchers(template: Voucher, count: int, prefix: str = "", ticket_types=()) -> list:
    """Create ``count`` vouchers like ``template`` (unsaved, its code ignored), each with a new
    random code starting with ``prefix``, unique within the organisation. All or none."""
    if count < 1:
        return []
    with transaction.atomic():
        taken = set(
            Voucher.objects.filter(
                organisation_id=template.organisation_id, code__startswith=prefix.upper()
            ).values_list("code", flat=True)
        )
        codes: list[str] = []
        while len(codes) < count:
            code = generate_code(prefix)
            if code not in taken:
                taken.add(code)
                codes.append(code)
        fields = [
            f.name
            for f in Voucher._meta.concrete_fields
            if f.name not in ("id", "code", "created_at")
        ]
        now = timezone.now()
        created = Voucher.objects.bulk_create(
            Voucher(code=code, created_at=now, **{f: getattr(template, f) for f in fields})
            for code in codes
        )
        if ticket_types:
            through = Voucher.ticket_types.through
            through.objects.bulk_create(
                through(voucher_id=v.pk, tickettype_id=tt.pk)
                for v in created
                for tt in ticket_types
            )
    return created


def vouchers_csv(vouchers: Iterable[Voucher]) -> str:
    """The codes as CSV (one row per code, with its discount, validity and uses)."""
    vouchers = list(vouchers)
    counts = uses_by_voucher(v.pk for v in vouchers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Code"),
            _("Event"),
            _("Discount"),
            _("Value"),
            _("Valid from"),
            _("Valid until"),
            _("Maximum uses"),
            _("Used"),
            _("Tag"),
        ]
    )
    for v in vouchers:
        writer.writerow(
            [
                v.code,
                v.event.title if v.event_id else "",
                v.get_kind_display(),
                f"{v.value:.2f}",
                v.valid_from.isoformat() if v.valid_from else "",
                v.valid_until.isoformat() if v.valid_until else "",
                v.max_uses,
                counts.get(v.pk, 0),
                v.tag,
            ]
        )
    return out.getvalue()


def voucher_filter_for_event(event: Event) -> Q:
    """The vouchers that can be valid for ``event`` (its own and its organisation's)."""
    return Q(organisation_id=event.organisation_id) & (Q(event__isnull=True) | Q(event=event))
