"""The ticket blocks: a shop for one event, a list of upcoming events, and an event's details."""

from __future__ import annotations

import copy
from datetime import timedelta

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from weticket_wagtail.assets import assets_once
from weticket_wagtail.checkout.presenters import shop_context
from weticket_wagtail.ticketing.models import Event, TicketType

from .viewsets import (
    event_chooser_viewset,
    organisation_chooser_viewset,
    ticket_type_chooser_viewset,
)

_BaseEventChooserBlock = event_chooser_viewset.get_block_class(
    name="EventChooserBlock", module_path="weticket_wagtail.blocks.stream"
)


class EventChooserBlock(_BaseEventChooserBlock):
    """Chooses an event; a page's events arrive with their organisation and ticket types in
    two queries, however many blocks show them."""

    def bulk_to_python(self, values):
        events = (
            Event.objects.select_related("organisation")
            .prefetch_related("ticket_types")
            .in_bulk([v for v in values if v is not None])
        )
        result, seen = [], set()
        for pk in values:
            event = events.get(pk)
            if event is not None and pk in seen:
                event = copy.copy(event)  # each block gets its own instance, as Wagtail does
            result.append(event)
            seen.add(pk)
        return result


OrganisationChooserBlock = organisation_chooser_viewset.get_block_class(
    name="OrganisationChooserBlock", module_path="weticket_wagtail.blocks.stream"
)


def ticket_type_choices() -> list[tuple[int, str]]:
    """Every active ticket type, labelled with its event.

    Not used any more (it listed every organisation's ticket types to every editor); kept
    because migrations written before the ticket-type chooser name it.
    """
    return [
        (tt.pk, f"{tt.event.title} – {tt.name}")
        for tt in TicketType.objects.filter(is_active=True)
        .select_related("event")
        .order_by("event__starts_at", "sort_order")
    ]


def preview_event() -> Event | None:
    """A real upcoming event for block previews in the editor's block picker."""
    return (
        Event.objects.filter(is_published=True, ends_at__gte=timezone.now())
        .order_by("starts_at")
        .first()
    )


_BaseTicketTypeChooserBlock = ticket_type_chooser_viewset.get_block_class(
    name="TicketTypeChooserBlock", module_path="weticket_wagtail.blocks.stream"
)


def _ticket_type_id(value) -> int | None:
    if isinstance(value, Model):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class TicketTypeChooserBlock(_BaseTicketTypeChooserBlock):
    """A ticket type chosen in the editor's scoped chooser, kept as its id: reading a page never
    looks it up (that would cost a query); the editor's form does, to show its name."""

    def to_python(self, value):
        return _ticket_type_id(value)

    def bulk_to_python(self, values):
        return [_ticket_type_id(value) for value in values]

    def normalize(self, value):
        return _ticket_type_id(value)

    def get_prep_value(self, value):
        return _ticket_type_id(value)

    def value_from_form(self, value):
        return _ticket_type_id(value)

    def clean(self, value):
        return _ticket_type_id(super().clean(value))

    def extract_references(self, value):
        if value is not None:
            yield TicketType, str(value), "", ""


class TicketTypeSubsetBlock(blocks.ListBlock):
    """The ticket types a shop block offers, as ids; empty means all of the event's. Reads the
    earlier format (a plain list of id strings) as well."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default", [])  # not one empty chooser to fill in or remove
        super().__init__(TicketTypeChooserBlock(label=_("Ticket type")), **kwargs)


class FrontendAssetsMixin:
    """A block that brings our CSS and JS along, once per page (see ``weticket_wagtail.assets``),
    so it works in any page of any site: the template prints ``{{ weticket_assets }}``."""

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["weticket_assets"] = assets_once((parent_context or {}).get("request"))
        return context


class TicketsGroupBlock(FrontendAssetsMixin, blocks.StructBlock):
    """The "Tickets" group of the block picker, each block previewed with a real event and
    bringing its own CSS and JS."""

    class Meta:
        group = _("Tickets")
        preview_template = "weticket_wagtail/blocks/preview.html"


class TicketShopBlock(TicketsGroupBlock):
    """The ticket selector of one event, with live availability; submitting starts the checkout."""

    event = EventChooserBlock(label=_("Event"))
    ticket_types = TicketTypeSubsetBlock(
        label=_("Only these ticket types"),
        help_text=_("Leave empty to offer every ticket type of the event."),
    )
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    button_text = blocks.CharBlock(
        label=_("Button text"),
        required=False,
        max_length=60,
        help_text=_("Default: Reserve tickets"),
    )

    class Meta:
        icon = "tag"
        template = "weticket_wagtail/blocks/ticket_shop.html"
        label = _("Ticket shop")
        description = _("Sell the tickets of one event, right on this page.")

    def get_preview_value(self):
        """A real upcoming event, looked up when the editor opens the block picker."""
        return self.normalize(
            {"event": preview_event(), "heading": _("Tickets"), "ticket_types": []}
        )

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        event = value.get("event")
        if event is None or not event.is_published:
            context["unavailable"] = True
            return context
        request = (parent_context or {}).get("request")
        context.update(shop_context(event, request=request))
        subset = {pk for pk in value.get("ticket_types") or [] if pk is not None}
        if subset:
            context["rows"] = [r for r in context["rows"] if r["ticket_type"].pk in subset]
        context["button_text"] = value.get("button_text") or ""
        context["heading"] = value.get("heading") or ""
        return context


class EventListBlock(TicketsGroupBlock):
    """Upcoming events of an organisation, each linking to its shop."""

    organisation = OrganisationChooserBlock(label=_("Organisation"))
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    limit = blocks.IntegerBlock(label=_("How many"), default=5, min_value=1, max_value=50)
    days_ahead = blocks.IntegerBlock(
        label=_("Days ahead"),
        required=False,
        min_value=1,
        help_text=_("Only events starting within this many days. Empty: all upcoming."),
    )

    class Meta:
        icon = "list-ul"
        template = "weticket_wagtail/blocks/event_list.html"
        label = _("Upcoming events")
        description = _("A list of an organisation's upcoming events with links to buy tickets.")

    def get_preview_value(self):
        event = preview_event()
        organisation = event.organisation if event else None
        return self.normalize({"organisation": organisation, "limit": 3, "heading": ""})

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        organisation = value.get("organisation")
        now = timezone.now()
        events = Event.objects.none()
        if organisation is not None:
            events = Event.objects.filter(
                organisation=organisation, is_published=True, ends_at__gte=now
            ).select_related("organisation")
            if value.get("days_ahead"):
                events = events.filter(starts_at__lte=now + timedelta(days=value["days_ahead"]))
        context["events"] = list(events.order_by("starts_at")[: value.get("limit") or 5])
        return context


class EventDetailsBlock(TicketsGroupBlock):
    """When and where: date and time, the venue with a map link, and an .ics download."""

    event = EventChooserBlock(label=_("Event"))
    show_description = blocks.BooleanBlock(
        label=_("Show the description"), required=False, default=True
    )

    class Meta:
        icon = "date"
        template = "weticket_wagtail/blocks/event_details.html"
        label = _("Event details")
        description = _("Date, time and venue of an event, with a map and an add-to-calendar link.")

    def get_preview_value(self):
        return self.normalize({"event": preview_event(), "show_description": True})


def ticket_blocks() -> list[tuple[str, blocks.Block]]:
    """The three ticket blocks, ready to add to any StreamField::

    body = StreamField([("paragraph", RichTextBlock()), *ticket_blocks()])
    """
    return [
        ("ticket_shop", TicketShopBlock()),
        ("event_list", EventListBlock()),
        ("event_details", EventDetailsBlock()),
    ]
