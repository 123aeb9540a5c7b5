"""How many tickets are left: capacity minus sold minus live holds, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Sum
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


def event_availability(
    event: Event, ticket_types: list[TicketType] | None = None
) -> dict[int, int]:
    """Tickets left per ticket type of ``event``, cached briefly and dropped on every change.

    A cached value is trusted at most ``CACHE_SECONDS`` and never past the moment the earliest
    live hold expires (when capacity comes back by itself). Every reservation, order, refund and
    ticket-type change calls :func:`invalidate_event_availability` after its commit. Use a cache
    shared by all web processes (Redis) in production, or a process may show a stale count for a
    few seconds; the reservation itself never relies on the cache.
    """
    now = timezone.now()
    key = _cache_key(event.pk)
    cached = cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    if ticket_types is None:
        ticket_types = list(event.ticket_types.all())
    # One aggregate gives both the holds and when the first of them runs out.
    rows = (
        ReservationLine.objects.filter(
            ticket_type_id__in=[tt.pk for tt in ticket_types], is_live=True, expires_at__gt=now
        )
        .values("ticket_type_id")
        .annotate(held=Sum("quantity"), first_expiry=Min("expires_at"))
        .order_by()
    )
    held = {row["ticket_type_id"]: row["held"] for row in rows}
    counts = {
        tt.pk: max(0, tt.capacity - tt.sold_count - held.get(tt.pk, 0)) for tt in ticket_types
    }
    valid_until = now + timedelta(seconds=CACHE_SECONDS)
    for row in rows:
        valid_until = min(valid_until, row["first_expiry"])
    cache.set(key, (valid_until, counts), CACHE_SECONDS)
    return counts


def invalidate_event_availability(event_id: int) -> None:
    """Forget the cached availability of an event once the current transaction commits."""
    transaction.on_commit(lambda: cache.delete(_cache_key(event_id)), robust=True)
