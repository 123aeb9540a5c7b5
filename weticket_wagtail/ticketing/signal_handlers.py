"""Keep cached availability and shop catalogues honest when editors change what is sold."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from .models import Event, Organisation, TicketType
from .services.availability import invalidate_event_availability
from .services.catalogue import invalidate_catalogues


def ticket_type_changed(sender, instance: TicketType, **kwargs) -> None:
    if instance.event_id:
        invalidate_event_availability(instance.event_id)
    invalidate_catalogues()


def event_changed(sender, instance: Event, **kwargs) -> None:
    invalidate_event_availability(instance.pk)
    invalidate_catalogues()


def organisation_changed(sender, instance: Organisation, **kwargs) -> None:
    invalidate_catalogues()


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(ticket_type_changed, sender=TicketType, dispatch_uid=f"wt-tt-{signal}")
        signal.connect(event_changed, sender=Event, dispatch_uid=f"wt-event-{signal}")
        signal.connect(
            organisation_changed, sender=Organisation, dispatch_uid=f"wt-organisation-{signal}"
        )
