"""Cookie consent in the Wagtail admin, under the privacy menu.

* Cookie groups and cookies: django-cookie-consent's models, edited with a name and
  description per language; a change asks visitors again (see :mod:`.forms`). Access follows
  the models' own permissions (``cookie_consent.change_cookiegroup`` …): superusers, and the
  groups an operator gives them to.
* The consent log: read-only, searchable by consent id, exportable as CSV and XLSX; for
  superusers and users with ``weticket_privacy.view_consentrecord``. Nobody may change it.
"""

from __future__ import annotations

from cookie_consent.models import Cookie, CookieGroup
from django.contrib.auth.models import Permission
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet

from weticket_wagtail.permissions import ViewOnlyPermissionPolicy
from weticket_wagtail.viewsets import ReadOnlyModelViewSet

from ..register_forms import change_panel
from .forms import content_languages, cookie_form_class, cookie_group_form_class
from .models import ConsentRecord

CONSENT_LOG_POLICY = ViewOnlyPermissionPolicy(
    ConsentRecord, superusers_only=True, view_permission="weticket_privacy.view_consentrecord"
)


def _language_panels(with_name: bool) -> list:
    panels = []
    for code, label in content_languages():
        fields = [FieldPanel(f"name_{code}")] if with_name else []
        fields.append(FieldPanel(f"description_{code}"))
        panels.append(MultiFieldPanel(fields, heading=label))
    return panels


class CookieGroupViewSet(ModelViewSet):
    model = CookieGroup
    icon = "list-ul"
    menu_label = _("Cookie groups")
    add_to_reference_index = False
    copy_view_enabled = False
    list_display = [
        "name",
        Column("varname", label=_("Variable name")),
        Column("is_required", label=_("Always on")),
        Column("ordering", label=_("Ordering"), sort_key="ordering"),
    ]
    search_fields = ["name", "varname", "description"]
    search_backend_name = None
    ordering = ["ordering", "pk"]

    def get_edit_handler(self):
        panels = [
            FieldRowPanel([FieldPanel("varname"), FieldPanel("ordering")]),
            FieldRowPanel([FieldPanel("is_required"), FieldPanel("is_deletable")]),
            *_language_panels(with_name=True),
            FieldPanel("ask_again"),
            change_panel(),
        ]
        return ObjectList(panels, base_form_class=cookie_group_form_class()).bind_to_model(
            CookieGroup
        )


class CookieViewSet(ModelViewSet):
    model = Cookie
    icon = "tag"
    menu_label = _("Cookies")
    add_to_reference_index = False
    copy_view_enabled = False
    list_display = [
        Column("name", label=_("Name"), sort_key="name"),
        Column("cookiegroup", label=_("Cookie group")),
        Column("domain", label=_("Domain")),
        "description",
        DateColumn("created", label=_("Declared"), sort_key="created"),
    ]
    list_filter = ["cookiegroup"]
    search_fields = ["name", "domain", "description"]
    search_backend_name = None
    ordering = ["cookiegroup__ordering", "name"]

    def get_queryset(self, request):
        return Cookie.objects.select_related("cookiegroup")

    def get_edit_handler(self):
        panels = [
            FieldRowPanel([FieldPanel("cookiegroup"), FieldPanel("name")]),
            FieldRowPanel([FieldPanel("domain"), FieldPanel("path")]),
            *_language_panels(with_name=False),
            FieldPanel("ask_again"),
            change_panel(),
        ]
        return ObjectList(panels, base_form_class=cookie_form_class()).bind_to_model(Cookie)


class ConsentRecordViewSet(ReadOnlyModelViewSet):
    """The consent log: nothing to add, change or delete; search by consent id; export."""

    model = ConsentRecord
    policy = CONSENT_LOG_POLICY
    icon = "clipboard-list"
    menu_label = _("Consent log")
    list_display = [
        Column("consent_id", label=_("Consent ID"), sort_key="consent_id"),
        DateColumn("created_at", label=_("When"), sort_key="created_at"),
        "method",
        Column("accepted_groups", label=_("Accepted")),
        Column("declined_groups", label=_("Declined")),
        Column("policy_version", label=_("Statement version")),
        "ip_prefix",
        "user_agent_family",
    ]
    list_filter = ["method", "created_at"]
    search_fields = ["consent_id"]
    search_backend_name = None
    ordering = ["-created_at", "-pk"]
    list_export = [
        "consent_id",
        "created_at",
        "method",
        "accepted_with_versions",
        "declined_with_versions",
        "policy_version",
        "site",
        "language",
        "ip_prefix",
        "user_agent_family",
    ]
    export_headings = {
        "accepted_with_versions": _("Accepted (version)"),
        "declined_with_versions": _("Declined (version)"),
    }
    export_filename = "consent-log"
    inspect_view_fields = [
        "consent_id",
        "created_at",
        "method",
        "accepted",
        "declined",
        "policy_version",
        "site",
        "language",
        "ip_prefix",
        "user_agent_family",
    ]

    def get_queryset(self, request):
        return ConsentRecord.objects.select_related("policy_version", "site")

    def get_permissions_to_register(self):
        # Auditors get "view consent log" in the group editor (CONSENT_LOG_POLICY honours it).
        return Permission.objects.filter(
            content_type__app_label="weticket_privacy", codename="view_consentrecord"
        )
