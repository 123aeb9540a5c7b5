"""Offer freed tickets to the waiting list when ticketing says some came free."""

from __future__ import annotations

from weticket_wagtail.ticketing.signals import tickets_freed


def tickets_came_free(sender, event_id: int, **kwargs) -> None:
    """In the transaction that freed them: the offers commit (or roll back) with the change."""
    from .services import offer_freed_tickets

    offer_freed_tickets(event_id)


def connect() -> None:
    tickets_freed.connect(tickets_came_free, dispatch_uid="wt-waitinglist-offer")
