"""Taking events and ticket types out of sale: what has no history is deleted, what has orders
is archived.

Orders and their lines keep their event and ticket types for ever (the bookkeeping needs them),
so the database refuses to delete those (``on_delete=PROTECT``). A hold that is over is no
history: its lines are deleted with what they held. A hold that is live belongs to a buyer who
is checking out right now, so it blocks removal until it runs out.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from ..models import Event, Order, OrderLine, ReservationLine, TicketType


def _live_until(ticket_type_ids: Iterable[int], now) -> object | None:
    """When the last live hold of these ticket types runs out; None when none is live."""
    return ReservationLine.objects.filter(
        ticket_type_id__in=list(ticket_type_ids), is_live=True, expires_at__gt=now
    ).aggregate(until=Max("expires_at"))["until"]


def ticket_type_removal_blocker(ticket_type: TicketType, now=None) -> str:
    """Why ``ticket_type`` cannot be deleted now, for the editor; '' when it can."""
    now = now or timezone.now()
    if OrderLine.objects.filter(ticket_type_id=ticket_type.pk).exists():
        return _(
            "“%(name)s” has orders, so it cannot be removed. Archive it instead (tick "
            "“archived”): it is then no longer sold or shown, and its orders stay."
        ) % {"name": ticket_type.name}
    until = _live_until([ticket_type.pk], now)
    if until is not None:
        return _(
            "Tickets of “%(name)s” are held by buyers who are checking out right now, so it "
            "cannot be removed yet. Try again after %(time)s, or archive it."
        ) % {"name": ticket_type.name, "time": time_format(timezone.localtime(until))}
    return ""


def event_removal_blocker(event: Event, now=None) -> str:
    """Why ``event`` cannot be deleted now, for the editor; '' when it can."""
    now = now or timezone.now()
    if Order.objects.filter(event_id=event.pk).exists():
        return _(
            "“%(title)s” has orders, so it cannot be deleted: orders are kept for the "
            "bookkeeping. Archive it instead: an archived event is no longer sold and is "
            "hidden from shops and lists, and its orders stay."
        ) % {"title": event.title}
    until = _live_until(event.ticket_types.values_list("pk", flat=True), now)
    if until is not None:
        return _(
            "Tickets of “%(title)s” are held by buyers who are checking out right now, so it "
            "cannot be deleted yet. Try again after %(time)s, or archive it."
        ) % {"title": event.title, "time": time_format(timezone.localtime(until))}
    return ""


def forget_holds_that_are_over(ticket_type_ids: Iterable[int], now=None) -> int:
    """Delete the lines of holds of these ticket types that no longer hold anything (expired
    or released, and not part of an order), so that the ticket types can be deleted. Returns
    how many lines went."""
    now = now or timezone.now()
    lines = ReservationLine.objects.filter(ticket_type_id__in=list(ticket_type_ids))
    over = lines.exclude(is_live=True, expires_at__gt=now).filter(reservation__order=None)
    deleted, _counts = over.delete()
    return deleted


def archive_event(event: Event) -> None:
    """Archive ``event``: unpublished, not sold, hidden from shops, lists and choosers."""
    with transaction.atomic():
        event.is_archived = True
        event.save(update_fields=["is_archived", "updated_at"])
