"""Wagtail admin viewsets for organisations and events, scoped to the user's organisations."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import DeleteView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from weticket_wagtail.viewsets import PolicyViewSetMixin

from .forms import EventAdminForm, OrganisationAdminForm
from .models import Event, Organisation, Voucher
from .panels import EVENT_PANELS, ORGANISATION_PANELS
from .payment_warnings import PaymentsReadinessPanel
from .permissions import policy_for, scope_queryset
from .services.archiving import archive_event, event_removal_blocker, forget_holds_that_are_over
from .voucher_admin import (
    UsesColumn,
    VoucherFilterSet,
    VoucherIndexView,
    extra_urlpatterns,
    voucher_edit_handler,
)


class ScopedQuerysetMixin:
    """Every object view of a scoped viewset only ever finds the user's organisations' rows.

    A row of another organisation answers 404, never 403, so ids do not leak what exists.
    """

    organisation_path = "organisation_id"

    def _scoped(self, queryset):
        # History and usage views list log entries and references, not our model: leave those.
        if getattr(queryset, "model", None) is not self.model:
            return queryset
        return scope_queryset(queryset, self.request.user, self.organisation_path)

    def get_base_queryset(self):
        return self._scoped(super().get_base_queryset())

    def get_queryset(self):
        return self._scoped(super().get_queryset())

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if obj is None:  # the create view has no object
            return obj
        if not scope_queryset(
            type(obj)._default_manager.filter(pk=obj.pk), self.request.user, self.organisation_path
        ).exists():
            raise Http404
        return obj


class ScopedModelViewSet(PolicyViewSetMixin, ModelViewSet):
    """A ModelViewSet whose every view (index, add, edit, delete, inspect, history, usage, copy)
    is scoped to the user's organisations through :class:`ScopedQuerysetMixin`."""

    organisation_path = "organisation_id"

    @cached_property
    def policy(self):
        """The model's organisation-scoped policy (see :func:`.permissions.policy_for`)."""
        return policy_for(self.model)

    def construct_view(self, view_class, **kwargs):
        scoped = type(
            f"Scoped{view_class.__name__}",
            (ScopedQuerysetMixin, view_class),
            {"organisation_path": self.organisation_path},
        )
        return super().construct_view(scoped, **kwargs)


class OrganisationViewSet(ScopedModelViewSet):
    model = Organisation
    icon = "group"
    menu_label = _("Organisations")
    list_display = ["name", "slug", "contact_email", Column("created_at", label=_("Created"))]
    list_filter = ["font"]
    search_fields = ["name", "slug", "contact_email"]
    ordering = ["name"]
    inspect_view_enabled = True
    inspect_view_fields = ["name", "slug", "contact_email", "primary_colour", "accent_colour"]
    copy_view_enabled = False
    organisation_path = "pk"

    def get_edit_handler(self):
        panels = [PaymentsReadinessPanel(heading=_("Payments")), *ORGANISATION_PANELS]
        return ObjectList(panels, base_form_class=OrganisationAdminForm).bind_to_model(Organisation)


def _scoped_organisations(request):
    if request is None:
        return Organisation.objects.none()
    return scope_queryset(Organisation.objects.all(), request.user, "pk")


class EventFilterSet(WagtailFilterSet):
    """The organisation choices are only the user's own: other tenants' names never show.
    Archived events are left out unless the editor asks for them."""

    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"), queryset=_scoped_organisations
    )
    starts_at = django_filters.DateFromToRangeFilter(
        label=_("Starts"), widget=DateRangePickerWidget
    )
    archived = django_filters.ChoiceFilter(
        label=_("Archived"),
        choices=[("only", _("Archived only")), ("all", _("All events"))],
        empty_label=_("Not archived"),
        method="filter_archived",
    )

    class Meta:
        model = Event
        fields = ["organisation", "is_published", "starts_at"]

    def filter_archived(self, queryset, name, value):
        return queryset.filter(is_archived=True) if value == "only" else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("archived"):
            queryset = queryset.filter(is_archived=False)
        return queryset


class EventDeleteView(DeleteView):
    """Deletes an event that has no history; one with orders is explained and can be archived
    from here instead (POST ``archive``)."""

    template_name = "weticket_wagtail/admin/event_confirm_delete.html"

    @cached_property
    def blocker(self) -> str:
        return event_removal_blocker(self.object)

    def post(self, request, *args, **kwargs):
        if "archive" in request.POST:
            archive_event(self.object)
            messages.success(
                request,
                _("“%(title)s” is archived: no longer sold, hidden from shops and lists.")
                % {"title": self.object.title},
            )
            return redirect(self.get_success_url())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if not self.blocker:
            try:
                with transaction.atomic():
                    ticket_types = self.object.ticket_types.values_list("pk", flat=True)
                    forget_holds_that_are_over(ticket_types)
                    return super().form_valid(form)
            except ProtectedError:  # an order arrived between the check and the delete
                self.__dict__.pop("blocker", None)
        messages.error(self.request, self.blocker or _("This event cannot be deleted now."))
        return redirect(self.request.get_full_path())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["blocker"] = self.blocker
        if self.blocker:
            context["is_protected"] = True
        return context


class EventViewSet(ScopedModelViewSet):
    model = Event
    icon = "date"
    menu_label = _("Events")
    list_display = ["title", "organisation", "starts_at", "venue", "is_published"]
    filterset_class = EventFilterSet
    search_fields = ["title", "venue", "slug"]
    search_backend_name = None
    ordering = ["-starts_at"]
    inspect_view_enabled = True
    delete_view_class = EventDeleteView

    def get_edit_handler(self):
        panels = [PaymentsReadinessPanel(heading=_("Payments")), *EVENT_PANELS]
        return ObjectList(panels, base_form_class=EventAdminForm).bind_to_model(Event)


class VoucherViewSet(ScopedModelViewSet):
    """Discount codes: list with uses, edit, bulk creation and CSV export (``bulk/``,
    ``export/``)."""

    model = Voucher
    icon = "tag"
    menu_label = _("Vouchers")
    list_display = [
        "code",
        "organisation",
        "event",
        "kind",
        "value",
        UsesColumn("uses", label=_("Used")),
        "max_uses",
        "valid_until",
        "is_active",
    ]
    filterset_class = VoucherFilterSet
    search_fields = ["code", "tag"]
    search_backend_name = None
    ordering = ["-created_at", "code"]
    index_view_class = VoucherIndexView
    copy_view_enabled = False

    def get_edit_handler(self):
        return voucher_edit_handler()

    def get_urlpatterns(self):
        return super().get_urlpatterns() + extra_urlpatterns()


class TicketsViewSetGroup(ViewSetGroup):
    # Other parts (payments' orders) join this submenu through this hook.
    submenu_hook = "register_weticket_tickets_menu_item"
    menu_label = _("Tickets")
    menu_icon = "tag"
    menu_order = 250
    items = (
        OrganisationViewSet("weticket_organisations"),
        EventViewSet("weticket_events"),
        VoucherViewSet("weticket_vouchers"),
    )
