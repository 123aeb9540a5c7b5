"""Offer freed tickets to the waiting list when ticketing says some came free, and keep an
offer's tickets for the order started on it."""

from __future__ import annotations

from django.db.models.signals import post_save

from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.signals import tickets_freed


def tickets_came_free(sender, event_id: int, **kwargs) -> None:
    """In the transaction that freed them: the offers commit (or roll back) with the change."""
    from .services import offer_freed_tickets

    offer_freed_tickets(event_id)


def order_created(sender, instance: Order, created: bool, raw: bool = False, **kwargs) -> None:
    """In ``place_order``'s transaction: an order started on an offer keeps its tickets for
    its payment (see :func:`~.services.hold_for_order`)."""
    if created and not raw and instance.reservation_id:
        from .services import hold_for_order

        hold_for_order(instance)


def connect() -> None:
    tickets_freed.connect(tickets_came_free, dispatch_uid="wt-waitinglist-offer")
    post_save.connect(order_created, sender=Order, dispatch_uid="wt-waitinglist-order-hold")
