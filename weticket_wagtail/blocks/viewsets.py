"""Admin choosers for events, organisations and ticket types, scoped to the editor's
organisations.

Every view of a chooser is scoped: the lists, the search results and the "chosen" views that
take an id (another organisation's id answers 404, as in the admin's own views). Lists leave
archived events and ticket types that are not on sale out. Nothing is created from a chooser:
its "create" URL answers 404 (events are made under Tickets → Events).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.chooser import CreateView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from weticket_wagtail.ticketing.models import Event, Organisation, TicketType
from weticket_wagtail.ticketing.permissions import scope_queryset


class ScopedChooserMixin:
    """The rows of the editor's organisations only (see :func:`scope_queryset`); lists
    narrowed further by the viewset's ``listed`` (archived rows stay choosable by id)."""

    organisation_path = "organisation_id"
    listed = None

    def scoped(self, queryset):
        return scope_queryset(queryset, self.request.user, self.organisation_path)

    def get_object_list(self):
        return self.listed(self.scoped(super().get_object_list()))

    def get_object(self, pk):
        return self.scoped(self.model_class.objects.all()).get(pk=pk)

    def get_objects(self, pks):
        return self.scoped(super().get_objects(pks))

    def can_create(self) -> bool:
        return False


class NoCreateView(CreateView):
    """There is no creation form: every request answers 404 (not a server error)."""

    def dispatch(self, request, *args, **kwargs):
        raise Http404("Nothing is created from this chooser.")


class ScopedChooserViewSet(ChooserViewSet):
    """A chooser whose every view is scoped through :class:`ScopedChooserMixin`."""

    organisation_path = "organisation_id"
    create_view_class = NoCreateView

    def listed(self, queryset):
        """What the chooser's lists offer of the editor's rows."""
        return queryset

    def construct_view(self, view_class, **kwargs):
        if not issubclass(view_class, CreateView):
            view_class = type(f"Scoped{view_class.__name__}", (ScopedChooserMixin, view_class), {})
            kwargs.update(organisation_path=self.organisation_path, listed=self.listed)
        return super().construct_view(view_class, **kwargs)


class EventChooserViewSet(ScopedChooserViewSet):
    model = Event
    icon = "date"
    choose_one_text = _("Choose an event")
    choose_another_text = _("Choose another event")
    edit_item_text = _("Edit this event")

    def listed(self, queryset):
        return queryset.filter(is_archived=False)


class OrganisationChooserViewSet(ScopedChooserViewSet):
    model = Organisation
    icon = "group"
    choose_one_text = _("Choose an organisation")
    choose_another_text = _("Choose another organisation")
    organisation_path = "pk"


class TicketTypeChooserViewSet(ScopedChooserViewSet):
    model = TicketType
    icon = "tag"
    choose_one_text = _("Choose a ticket type")
    choose_another_text = _("Choose another ticket type")
    per_page = 20
    organisation_path = "event__organisation_id"

    def listed(self, queryset):
        return (
            queryset.filter(is_active=True, is_archived=False, event__is_archived=False)
            .select_related("event")
            .order_by("event__starts_at", "event_id", "sort_order", "pk")
        )


event_chooser_viewset = EventChooserViewSet("weticket_event_chooser")
organisation_chooser_viewset = OrganisationChooserViewSet("weticket_organisation_chooser")
ticket_type_chooser_viewset = TicketTypeChooserViewSet("weticket_ticket_type_chooser")
