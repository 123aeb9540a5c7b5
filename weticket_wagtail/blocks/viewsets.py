"""Admin choosers for events and organisations, scoped to the editor's organisations."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from weticket_wagtail.ticketing.models import Event, Organisation
from weticket_wagtail.ticketing.permissions import scope_queryset


class ScopedChooserMixin:
    organisation_path = "organisation_id"

    def get_object_list(self):
        return scope_queryset(super().get_object_list(), self.request.user, self.organisation_path)


class EventChooseView(ScopedChooserMixin, ChooseView):
    pass


class EventChooseResultsView(ScopedChooserMixin, ChooseResultsView):
    pass


class OrganisationChooseView(ScopedChooserMixin, ChooseView):
    organisation_path = "pk"


class OrganisationChooseResultsView(ScopedChooserMixin, ChooseResultsView):
    organisation_path = "pk"


class EventChooserViewSet(ChooserViewSet):
    model = Event
    icon = "date"
    choose_one_text = _("Choose an event")
    choose_another_text = _("Choose another event")
    edit_item_text = _("Edit this event")
    choose_view_class = EventChooseView
    choose_results_view_class = EventChooseResultsView


class OrganisationChooserViewSet(ChooserViewSet):
    model = Organisation
    icon = "group"
    choose_one_text = _("Choose an organisation")
    choose_another_text = _("Choose another organisation")
    choose_view_class = OrganisationChooseView
    choose_results_view_class = OrganisationChooseResultsView


event_chooser_viewset = EventChooserViewSet("weticket_event_chooser")
organisation_chooser_viewset = OrganisationChooserViewSet("weticket_organisation_chooser")
