"""The waiting list in the Wagtail admin: organisers see it and reorder it, for their own
organisations only (404 for other tenants' rows, as every scoped viewset)."""

from __future__ import annotations

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column

from weticket_wagtail.ticketing.permissions import OrganisationScopedPolicy
from weticket_wagtail.ticketing.viewsets import ScopedModelViewSet, TicketsViewSetGroup

from .models import WaitingListEntry

#: Organisers may look at, reorder (change the position of) and remove entries; entries are
#: only made by the people themselves, through the shop.
POLICY = OrganisationScopedPolicy(
    WaitingListEntry, "event__organisation_id", frozenset({"change", "delete", "view"})
)


class WaitingListViewSet(ScopedModelViewSet):
    model = WaitingListEntry
    icon = "list-ol"
    menu_label = _("Waiting list")
    menu_name = "weticket-waiting-list"
    menu_order = 252
    add_to_admin_menu = True
    organisation_path = "event__organisation_id"
    list_display = [
        "email",
        "event",
        "ticket_type",
        "quantity",
        "position",
        "status",
        Column("offer_expires_at", label=_("Offer until")),
        Column("created_at", label=_("Joined")),
    ]
    list_filter = ["status", "event"]
    search_fields = ["email"]
    search_backend_name = None
    ordering = ["event", "ticket_type", "position", "pk"]
    sort_order_field = "position"
    copy_view_enabled = False
    inspect_view_enabled = True
    panels = [FieldPanel("position"), FieldPanel("quantity")]

    @cached_property
    def policy(self):
        return POLICY

    @cached_property
    def menu_hook(self):
        """Inside the "Tickets" menu on Wagtail 8 (as orders are); top-level on 7.x."""
        if WAGTAIL_VERSION >= (8, 0):
            return TicketsViewSetGroup.submenu_hook
        return "register_admin_menu_item"
