"""Check-in in the Wagtail admin (*Tickets → Check-in lists* and *Check-in devices*).

Organisers make a list per event (which ticket types it admits) and a device per phone or
entrance; the devices' listing shows each scanner link to open on the phone, and revoking a
device stops its link at once. The lists' listing has a live counter (checked in / expected)
that refreshes itself from ``counter/``. Every view is scoped to the user's organisations; the
numbers come from :mod:`.services`.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView

from weticket_wagtail.permissions import is_active_superuser
from weticket_wagtail.ticketing.models import Event, TicketType
from weticket_wagtail.ticketing.permissions import (
    OrganisationScopedPolicy,
    organisation_ids_for,
    scope_queryset,
)
from weticket_wagtail.ticketing.viewsets import ScopedModelViewSet, TicketsViewSetGroup

from . import services
from .models import CheckinDevice, CheckinList

ACTIONS = frozenset({"add", "change", "delete", "view"})
LIST_POLICY = OrganisationScopedPolicy(CheckinList, "event__organisation_id", ACTIONS)
DEVICE_POLICY = OrganisationScopedPolicy(
    CheckinDevice, "checkin_list__event__organisation_id", ACTIONS
)


def _menu_hook():
    """Inside the "Tickets" menu on Wagtail 8 (as orders are); top-level on 7.x."""
    if WAGTAIL_VERSION >= (8, 0):
        return TicketsViewSetGroup.submenu_hook
    return "register_admin_menu_item"


class CheckinListForm(WagtailAdminModelForm):
    """Events and ticket types to choose from are only the user's own; the ticket types must
    be of the list's event."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_active_superuser(self.for_user):
            own = organisation_ids_for(self.for_user)
            self.fields["event"].queryset = Event.objects.filter(organisation_id__in=own)
            self.fields["ticket_types"].queryset = TicketType.objects.filter(
                event__organisation_id__in=own
            )
        self.fields["ticket_types"].queryset = self.fields["ticket_types"].queryset.select_related(
            "event"
        )
        self.fields["ticket_types"].label_from_instance = lambda t: f"{t.event} · {t.name}"

    def clean(self):
        cleaned = super().clean()
        event = cleaned.get("event")
        chosen = cleaned.get("ticket_types") or []
        if event is not None and any(t.event_id != event.pk for t in chosen):
            self.add_error("ticket_types", _("Choose ticket types of this list's event."))
        return cleaned


class CheckinDeviceForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_active_superuser(self.for_user):
            self.fields["checkin_list"].queryset = scope_queryset(
                CheckinList.objects.all(), self.for_user, "event__organisation_id"
            )


def _own_events(request):
    if request is None:
        return Event.objects.none()
    return scope_queryset(Event.objects.all(), request.user, "organisation_id")


def _own_lists(request):
    if request is None:
        return CheckinList.objects.none()
    return scope_queryset(CheckinList.objects.all(), request.user, "event__organisation_id")


class CheckinListFilterSet(WagtailFilterSet):
    """Only the user's own events to filter by: other tenants' names never show."""

    event = django_filters.ModelChoiceFilter(label=gettext_lazy("Event"), queryset=_own_events)

    class Meta:
        model = CheckinList
        fields = ["event"]


class CheckinDeviceFilterSet(WagtailFilterSet):
    checkin_list = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Check-in list"), queryset=_own_lists
    )

    class Meta:
        model = CheckinDevice
        fields = ["checkin_list", "revoked"]


class CounterColumn(Column):
    """Checked in / expected for the lists on the page, counted once for the whole page; the
    index page's script keeps the numbers live."""

    def get_value(self, instance):
        count = getattr(instance, "_weticket_count", None)
        if count is None:
            count = services.counts([instance])[instance.pk]
        return count

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        count = context["value"]
        context["value"] = format_html(
            '<span data-weticket-counter="{}">{} / {}</span>',
            instance.pk,
            count.checked_in,
            count.expected,
        )
        return context


class CheckinListIndexView(IndexView):
    template_name = "weticket_wagtail/checkin/admin/list_index.html"

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        rows = list(context.get("object_list") or [])
        numbers = services.counts(rows)
        for row in rows:
            row._weticket_count = numbers[row.pk]
        context["counter_url"] = reverse("weticket_checkin_lists:counter")
        return context


def counter_view(request: HttpRequest) -> JsonResponse:
    """Checked in / expected of the user's lists (``?id=`` narrows), for the live counter."""
    if not request.user.has_perm("wagtailadmin.access_admin"):
        raise PermissionDenied
    lists = scope_queryset(CheckinList.objects.all(), request.user, "event__organisation_id")
    ids = [int(value) for value in request.GET.getlist("id") if value.isdigit()]
    if ids:
        lists = lists.filter(pk__in=ids)
    numbers = services.counts(lists[:200])
    response = JsonResponse({str(pk): count.as_json() for pk, count in numbers.items()})
    response["Cache-Control"] = "private, no-store"
    return response


class CheckinListViewSet(ScopedModelViewSet):
    model = CheckinList
    icon = "tasks"
    menu_label = gettext_lazy("Check-in lists")
    menu_name = "weticket-checkin-lists"
    menu_order = 254
    add_to_admin_menu = True
    organisation_path = "event__organisation_id"
    list_display = [
        "name",
        "event",
        CounterColumn("counter", label=gettext_lazy("Checked in / expected")),
    ]
    filterset_class = CheckinListFilterSet
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["event", "name", "pk"]
    index_view_class = CheckinListIndexView
    copy_view_enabled = False
    inspect_view_enabled = True

    @cached_property
    def policy(self):
        return LIST_POLICY

    @cached_property
    def menu_hook(self):
        return _menu_hook()

    def get_edit_handler(self):
        panels = [
            FieldPanel("event"),
            FieldPanel("name"),
            FieldPanel("ticket_types", widget=forms.CheckboxSelectMultiple),
        ]
        return ObjectList(panels, base_form_class=CheckinListForm).bind_to_model(CheckinList)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [path("counter/", counter_view, name="counter")]


class ScannerLinkColumn(Column):
    """The device's scanner link, to open on the phone; struck out once revoked."""

    def get_value(self, instance):
        return reverse("weticket_checkin:scanner", args=[instance.token])

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        url = context["value"]
        absolute = request.build_absolute_uri(url) if request else url
        if instance.revoked:
            context["value"] = format_html("<s>{}</s> ({})", _("scanner link"), _("revoked"))
        else:
            context["value"] = format_html(
                '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
                absolute,
                _("Open scanner"),
            )
        return context


class CheckinDeviceViewSet(ScopedModelViewSet):
    model = CheckinDevice
    icon = "mobile-alt"
    menu_label = gettext_lazy("Check-in devices")
    menu_name = "weticket-checkin-devices"
    menu_order = 255
    add_to_admin_menu = True
    organisation_path = "checkin_list__event__organisation_id"
    list_display = [
        "name",
        "checkin_list",
        "entrance",
        ScannerLinkColumn("link", label=gettext_lazy("Scanner link")),
        "revoked",
        Column("last_seen_at", label=gettext_lazy("Last seen")),
    ]
    filterset_class = CheckinDeviceFilterSet
    search_fields = ["name", "entrance"]
    search_backend_name = None
    ordering = ["checkin_list", "name", "pk"]
    copy_view_enabled = False

    @cached_property
    def policy(self):
        return DEVICE_POLICY

    @cached_property
    def menu_hook(self):
        return _menu_hook()

    def get_edit_handler(self):
        panels = [
            FieldPanel("checkin_list"),
            FieldPanel("name"),
            FieldPanel("entrance"),
            FieldPanel("revoked"),
        ]
        return ObjectList(panels, base_form_class=CheckinDeviceForm).bind_to_model(CheckinDevice)
