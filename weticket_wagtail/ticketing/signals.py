"""Signals ticketing sends, so that other apps (the waiting list) can react without ticketing
importing them."""

from __future__ import annotations

from django.dispatch import Signal

#: Tickets of an event may have come free: a hold was released or expired, an order was
#: cancelled or refunded, or an editor raised a capacity. Sent inside the transaction that
#: freed them (receivers run in it, so what they write commits or rolls back with the change).
#: Receivers must not assume how many came free: they count what is available now.
#:
#: Arguments: ``event_id`` (int), ``ticket_type_ids`` (list of int; empty means "any of the
#: event's ticket types"), ``reason`` (``"released"``, ``"expired"``, ``"returned"``,
#: ``"capacity"``).
tickets_freed = Signal()


def announce_tickets_freed(event_id: int, ticket_type_ids=(), *, reason: str) -> None:
    """Send :data:`tickets_freed` for ``event_id``."""
    tickets_freed.send(
        sender=None, event_id=event_id, ticket_type_ids=list(ticket_type_ids), reason=reason
    )
