"""How many tickets are left: capacity minus sold minus live holds, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from ..models import Event, ReservationLine, TicketType


def live_holds(ticket_type_ids: Iterable[int], now=None) -> dict[int, int]:
    """Tickets held by live, unexpired reservations, per ticket type id (one aggregate query)."""
    now = now or timezone.now()
    rows = (
        ReservationLine.objects.filter(
            ticket_type_id__in=list(ticket_type_ids), is_live=True, expires_at__gt=now
        )
        .values("ticket_type_id")
        .annotate(held=Sum("quantity"))
        .order_by()
    )
    return {row["ticket_type_id"]: row["held"] for row in rows}


def remaining(ticket_types: Iterable[TicketType], now=None) -> dict[int, int]:
    """Tickets still available per ticket type id. Never negative."""
    ticket_types = list(ticket_types)
    held = live_holds((tt.pk for tt in ticket_types), now)
    return {tt.pk: max(0, tt.capacity - tt.sold_count - held.get(tt.pk, 0)) for tt in ticket_types}


CACHE_SECONDS = 10


def _cache_key(event_id: int) -> str:
    return f"weticket:availability:{event_id}"


def event_availability(event: Event) -> dict[int, int]:
    """Tickets left per ticket type of ``event``, cached briefly.

    Computed in one query from the ticket types' counters and the live holds, never from
    ticket-type objects the caller has (those may come from a cache). A cached value is trusted
    at most ``CACHE_SECONDS`` and never past the moment the earliest live hold expires (when
    capacity comes back by itself). A reservation writes its new counts into the cached value
    (:func:`note_reserved`); orders, refunds, releases and ticket-type changes drop it
    (:func:`invalidate_event_availability`), all after their commit. Use a cache shared by all
    web processes (Redis) in production, or a process may show a stale count for a few seconds;
    the reservation itself never relies on the cache.
    """
    now = timezone.now()
    key = _cache_key(event.pk)
    cached = cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    live = Q(reservation_lines__is_live=True, reservation_lines__expires_at__gt=now)
    rows = (
        TicketType.objects.filter(event_id=event.pk)
        .values_list("pk", "capacity", "sold_count")
        .annotate(
            held=Sum("reservation_lines__quantity", filter=live),
            first_expiry=Min("reservation_lines__expires_at", filter=live),
        )
        .order_by()
    )
    counts = {}
    valid_until = now + timedelta(seconds=CACHE_SECONDS)
    for pk, capacity, sold, held, first_expiry in rows:
        counts[pk] = max(0, capacity - sold - (held or 0))
        if first_expiry is not None:
            valid_until = min(valid_until, first_expiry)
    cache.set(key, (valid_until, counts), CACHE_SECONDS)
    return counts


def note_reserved(event_id: int, left: dict[int, int]) -> None:
    """After a reservation commits, put the counts it saw under its row locks into the cached
    availability, so that the next page view need not recompute it.

    Only ticket types in ``left`` change; a value computed concurrently may overwrite this one,
    which leaves a count stale until the cache expires (seconds), never a sale wrong.
    """

    def update() -> None:
        key = _cache_key(event_id)
        cached = cache.get(key)
        if cached is None:
            return
        valid_until, counts = cached
        seconds = (valid_until - timezone.now()).total_seconds()
        if seconds > 0:
            cache.set(key, (valid_until, {**counts, **left}), seconds)

    transaction.on_commit(update, robust=True)


def invalidate_event_availability(event_id: int) -> None:
    """Forget the cached availability of an event once the current transaction commits."""
    transaction.on_commit(lambda: cache.delete(_cache_key(event_id)), robust=True)


def forget_event_availability(event_id: int) -> None:
    """Forget the cached availability of an event now, whatever transaction is open."""
    cache.delete(_cache_key(event_id))
