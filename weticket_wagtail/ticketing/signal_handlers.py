"""Keep cached availability honest when editors change ticket types or events."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from .models import Event, TicketType
from .services.availability import invalidate_event_availability


def ticket_type_changed(sender, instance: TicketType, **kwargs) -> None:
    if instance.event_id:
        invalidate_event_availability(instance.event_id)


def event_changed(sender, instance: Event, **kwargs) -> None:
    invalidate_event_availability(instance.pk)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(ticket_type_changed, sender=TicketType, dispatch_uid=f"wt-tt-{signal}")
        signal.connect(event_changed, sender=Event, dispatch_uid=f"wt-event-{signal}")
