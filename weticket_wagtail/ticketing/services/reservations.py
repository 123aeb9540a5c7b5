"""Holding tickets for a buyer: the one place capacity is checked and taken.

Invariant (ARCHITECTURE rule 2): for every ticket type, ``sold_count`` plus the quantities of
live, unexpired reservation lines never exceeds ``capacity``. Every function that can take
capacity locks the ticket-type rows with ``SELECT ... FOR UPDATE`` in primary-key order (so two
buyers of overlapping ticket types cannot deadlock) and checks the numbers under that lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import NoReturn

from django.db import connections, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from weticket_wagtail.conf import weticket_settings

from ..models import (
    Event,
    Reservation,
    ReservationLine,
    SaleState,
    TicketType,
    Voucher,
    order_maximum,
)
from ..signals import announce_tickets_freed
from . import hold_sql
from .availability import (
    forget_event_availability,
    invalidate_event_availability,
    live_holds,
    note_reserved,
)
from .errors import CheckoutError, NotOnSale, SoldOut
from .hold_limits import (
    ADVISORY_NAMESPACE,
    EarlierHold,
    HoldClient,
    HoldLimits,
    advisory_keys,
    check_client_holds,
    forget_client_hashes,
)
from .payability import refuse_unpayable_tickets
from .vouchers import claim_uses


def validate_quantities(
    event: Event,
    quantities: Mapping[int, int],
    now=None,
    ticket_types: Iterable[TicketType] | None = None,
) -> list[TicketType]:
    """Check a buyer's choice against the event's rules.

    Returns the chosen ticket types in primary-key order. Raises :class:`CheckoutError` with a
    message for the buyer when nothing is chosen, a ticket type is unknown, inactive or not on
    sale, or a quantity is outside the per-order limits. Pass the event's ``ticket_types`` when
    they are loaded already (the form has them; the reservation has them locked) to save a query.
    """
    now = now or timezone.now()
    chosen = {int(pk): int(qty) for pk, qty in quantities.items() if int(qty) != 0}
    if any(qty < 0 for qty in chosen.values()):
        raise CheckoutError(_("A quantity cannot be negative."), code="invalid_quantity")
    if not chosen:
        raise CheckoutError(_("Choose at least one ticket."), code="nothing_chosen")
    if not event.is_published or event.ends_at <= now:
        raise NotOnSale(_("Tickets for this event are not on sale."))
    if ticket_types is None:
        ticket_types = TicketType.objects.filter(event=event, pk__in=chosen)
    by_pk = {tt.pk: tt for tt in ticket_types if tt.is_active and tt.event_id == event.pk}
    for ticket_type in by_pk.values():
        ticket_type.event = event  # a sale window ends at the event's start: no query for it
    chosen_types = []
    for pk in sorted(chosen):
        ticket_type = by_pk.get(pk)
        if ticket_type is None:
            raise NotOnSale(_("One of the chosen ticket types is not available."))
        check_on_sale(ticket_type, now)
        qty = chosen[pk]
        if qty < ticket_type.min_per_order or qty > ticket_type.order_maximum:
            raise CheckoutError(
                _("Choose between %(min)d and %(max)d tickets of “%(name)s”.")
                % {
                    "min": ticket_type.min_per_order,
                    "max": ticket_type.order_maximum,
                    "name": ticket_type.name,
                },
                code="invalid_quantity",
            )
        chosen_types.append(ticket_type)
    return chosen_types


def check_on_sale(ticket_type: TicketType, now=None) -> None:
    """Raise :class:`NotOnSale` with the reason when ``ticket_type`` cannot be bought now."""
    state = ticket_type.sale_state(now)
    if state == SaleState.NOT_STARTED:
        raise NotOnSale(
            _("The sale of “%(name)s” opens on %(when)s.")
            % {
                "name": ticket_type.name,
                "when": date_format(
                    timezone.localtime(ticket_type.sale_starts_at), "DATETIME_FORMAT"
                ),
            }
        )
    if state == SaleState.SALE_ENDED:
        raise NotOnSale(_("The sale of “%(name)s” has ended.") % {"name": ticket_type.name})


def reserve_tickets(
    event: Event,
    quantities: Mapping[int, int],
    *,
    client: HoldClient | None = None,
    now=None,
    voucher: Voucher | None = None,
) -> Reservation:
    """Hold the chosen tickets for ``RESERVATION_MINUTES``; never oversells.

    ``quantities`` maps ticket-type ids of ``event`` to how many. Either every ticket is held or
    none is: raises :class:`SoldOut` (with how many are left),
    :class:`~.hold_limits.HoldLimitReached` (the ``client`` holds as much of the event as it
    may) or another :class:`CheckoutError`.
    Without a ``client`` (callers other than a buyer's request) no per-client limit applies.
    With a ``voucher`` (found by :func:`~.vouchers.find_voucher`), its row is locked after the
    client's holds and before the ticket types, its uses taken for the tickets it discounts
    (:class:`~.vouchers.VoucherError` when too few are left) and the hidden ticket types it
    unlocks may be held; without one, hidden ticket types are refused like inactive ones.

    One transaction: the hold is written (nobody else sees it before the commit) and, on
    PostgreSQL, the client's advisory locks taken in the same statement, so two requests of one
    client (browser or address) never check their limits side by side, whichever ticket types
    they ask for; the client's other holds of the event are checked against the limits, then
    the ticket-type rows are locked in primary-key order, checked as they are now (not as the
    caller loaded them: a shop page's copy may come from a cache) and the live holds of other
    buyers counted. The row lock is held only for the counting, and a refused client never
    waits for it. The statements are plain SQL (``hold_sql``) because this runs once per buyer
    in a flash sale.
    """
    now = now or timezone.now()
    wanted = {int(pk): int(qty) for pk, qty in quantities.items() if int(qty) != 0}
    if not wanted or any(qty < 0 for qty in wanted.values()):
        validate_quantities(event, quantities, now, ticket_types=())  # raises the right message
    ids = sorted(wanted)
    refuse_unpayable_tickets(event, ids)  # before holding anything: see payability
    expires_at = now + timedelta(minutes=weticket_settings.RESERVATION_MINUTES)
    limits = HoldLimits.current()
    keys = limits.keys(client)
    reservation = Reservation(
        event=event,
        expires_at=expires_at,
        created_at=now,
        browser_hash=keys.browser,
        address_hash=keys.address,
        voucher=voucher,
    )
    alias = hold_sql.database_alias()
    connection = connections[alias]
    statements = hold_sql.statements(connection)
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            locks = [(ADVISORY_NAMESPACE, key) for key in advisory_keys(keys)]
            statements.insert_hold(cursor, reservation, {pk: wanted[pk] for pk in ids}, locks)
            if keys.browser or keys.address:
                since = now - limits.lookback()
                earlier = statements.client_holds(
                    cursor, event.pk, keys.browser, keys.address, since, now, reservation.pk
                )
                check_client_holds(
                    (EarlierHold(*row) for row in earlier), keys, limits, sum(wanted.values()), now
                )
            unlocked: set[int] = set()
            if voucher is not None:
                unlocked = claim_uses(voucher.pk, event, reservation.pk, wanted, now, using=alias)
            locked = statements.lock_ticket_types(cursor, event.pk, ids, now)
            if len(locked) != len(ids) or any(
                not tt.min_per_order <= wanted[tt.pk] <= order_maximum(tt.max_per_order)
                or (tt.requires_voucher and tt.pk not in unlocked)
                for tt in locked
            ):
                refuse(event, wanted, now)
            held = statements.live_holds(cursor, ids, now, not_counting=reservation.pk)
            left_after = {}
            for tt in locked:
                left = tt.capacity - tt.sold_count - held.get(tt.pk, 0)
                if wanted[tt.pk] > left:
                    raise sold_out(tt.name, left)
                left_after[tt.pk] = left - wanted[tt.pk]
            note_reserved(event.pk, left_after)
    except SoldOut:
        # The page said there were tickets: let the page that says sorry count them again.
        forget_event_availability(event.pk)
        raise
    return reservation


def refuse(event: Event, wanted: Mapping[int, int], now) -> NoReturn:
    """Raise the reason why ``wanted`` cannot be held now, found with the ORM (rare path)."""
    current = Event.objects.filter(pk=event.pk).first() or event
    ticket_types = TicketType.objects.filter(pk__in=wanted, event_id=event.pk)
    validate_quantities(current, wanted, now, ticket_types=ticket_types)
    # The rows changed between the two looks: say so in general terms.
    raise NotOnSale(_("One of the chosen ticket types is not available."))


def sold_out(name: str, left: int) -> SoldOut:
    """The error for a buyer who wants more of ``name`` than the ``left`` there are."""
    if left <= 0:
        return SoldOut(_("“%(name)s” is sold out.") % {"name": name})
    return SoldOut(
        ngettext(
            "Only %(left)d ticket of “%(name)s” is left.",
            "Only %(left)d tickets of “%(name)s” are left.",
            left,
        )
        % {"left": left, "name": name}
    )


def take_capacity(locked: list[TicketType], wanted: Mapping[int, int], now) -> None:
    """Raise :class:`SoldOut` unless every ticket type in ``locked`` (rows locked by the caller)
    has ``wanted`` tickets left. Must be called inside the transaction that holds the locks."""
    held = live_holds(wanted, now)
    for ticket_type in locked:
        left = ticket_type.capacity - ticket_type.sold_count - held.get(ticket_type.pk, 0)
        if wanted[ticket_type.pk] > left:
            raise sold_out(ticket_type.name, left)


def release_reservation(reservation: Reservation) -> bool:
    """Give a reservation's tickets back at once. True if this call released it."""
    with transaction.atomic():
        released = Reservation.objects.filter(
            pk=reservation.pk, status__in=[Reservation.Status.ACTIVE, Reservation.Status.ORDERED]
        ).update(status=Reservation.Status.RELEASED)
        ReservationLine.objects.filter(reservation_id=reservation.pk, is_live=True).update(
            is_live=False
        )
        invalidate_event_availability(reservation.event_id)
        if released:
            announce_tickets_freed(reservation.event_id, reason="released")
    return bool(released)


def release_expired_reservations(now=None) -> int:
    """Housekeeping for the periodic task: mark expired holds as not live.

    Expired holds already stopped counting at their expiry (availability filters on
    ``expires_at``); this keeps the live-holds index small and the admin truthful. Reservations
    that belong to an order stay ``ordered``: a late payment may still confirm that order.
    Client hashes that the hold limits no longer look back to are blanked. Sends
    :data:`~weticket_wagtail.ticketing.signals.tickets_freed` once per event with expired holds.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired = ReservationLine.objects.filter(is_live=True, expires_at__lte=now)
        freed_events = set(expired.values_list("reservation__event_id", flat=True).distinct())
        lines = expired.update(is_live=False)
        Reservation.objects.filter(status=Reservation.Status.ACTIVE, expires_at__lte=now).update(
            status=Reservation.Status.RELEASED
        )
        forget_client_hashes(now)  # the hold limits look back no further
        for event_id in sorted(freed_events):
            announce_tickets_freed(event_id, reason="expired")
    return lines
