"""How many tickets are left: capacity minus sold minus live holds, in one query."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Sum
from django.utils import timezone

from ..models import ReservationLine, TicketType


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
