"""The privacy app in the Wagtail admin: registers to edit, a history nobody can edit.

* Processors and retention rules are snippets (edited like any snippet; shown live by the
  statement's blocks). Their forms ask what changed and whether it is material: a save that
  changes the statement records its new versions (:mod:`.services.register_changes`).
* Statement versions: a read-only list, each version as it was published, and a diff between
  any two versions of a page. There are no add, edit, copy, delete, history or usage views,
  and the permission policy refuses those actions to everyone.
* The purge log: what each run of the retention purge did, for superusers.
* Policy-change notifications: each campaign's progress (people found, emails sent, failing),
  for superusers.
* Cookie consent: cookie groups, cookies and the consent log (:mod:`.consent.viewsets`).

The public archive and diffs are routes of the statement page itself (see
:class:`~weticket_wagtail.privacy.models.AbstractPrivacyStatementPage`).
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.http import Http404
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.views.snippets import SnippetViewSet

from weticket_wagtail.permissions import ViewOnlyPermissionPolicy
from weticket_wagtail.viewsets import LocaleColumnMixin, ReadOnlyModelViewSet

from .consent.viewsets import ConsentRecordViewSet, CookieGroupViewSet, CookieViewSet
from .diff import diff_versions
from .models import NotificationCampaign, PolicyVersion, Processor, PurgeLogEntry, RetentionRule
from .register_forms import with_change_panel
from .request_viewsets import DataSubjectRequestViewSet
from .services.campaigns import progress

VERSION_POLICY = ViewOnlyPermissionPolicy(PolicyVersion)
CAMPAIGN_POLICY = ViewOnlyPermissionPolicy(NotificationCampaign, superusers_only=True)
PURGE_LOG_POLICY = ViewOnlyPermissionPolicy(PurgeLogEntry, superusers_only=True)

# --- versions ---------------------------------------------------------------------------------


class PolicyVersionInspectView(InspectView):
    """A version as it was published, with links to what changed before and after it."""

    template_name = "weticket_wagtail/privacy/admin/version_inspect.html"
    diff_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = self.object
        siblings = PolicyVersion.objects.filter(page_id=version.page_id)
        previous = siblings.filter(number__lt=version.number).order_by("-number").first()
        following = siblings.filter(number__gt=version.number).order_by("number").first()
        context.update(
            version=version,
            previous=previous,
            following=following,
            diff_previous_url=self._diff_url(previous, version),
            diff_following_url=self._diff_url(version, following),
            comparisons=[
                (other, self._diff_url(*sorted((other, version), key=lambda v: v.number)))
                for other in siblings.exclude(pk=version.pk).order_by("-number")
            ],
        )
        return context

    def _diff_url(self, older, newer) -> str:
        if older is None or newer is None:
            return ""
        return reverse(self.diff_url_name, args=[older.pk, newer.pk])


class PolicyVersionDiffView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """What changed between two versions of the same statement (older first, whatever order)."""

    model = PolicyVersion
    permission_required = "view"
    template_name = "weticket_wagtail/privacy/admin/version_diff.html"
    page_title = _("Compare versions")
    index_url_name = None
    inspect_url_name = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        first = PolicyVersion.objects.filter(pk=kwargs["older"]).first()
        second = PolicyVersion.objects.filter(pk=kwargs["newer"]).first()
        if first is None or second is None or first.page_id != second.page_id:
            raise Http404
        if first.number > second.number:
            first, second = second, first
        self.older, self.newer = first, second

    def get_page_subtitle(self):
        return _("%(title)s: version %(older)s → %(newer)s") % {
            "title": self.newer.title,
            "older": self.older.number,
            "newer": self.newer.number,
        }

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {
                "url": reverse(self.inspect_url_name, args=[quote(self.newer.pk)]),
                "label": str(self.newer),
            },
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            older=self.older,
            newer=self.newer,
            diff=diff_versions(self.older, self.newer),
            older_url=reverse(self.inspect_url_name, args=[quote(self.older.pk)]),
            newer_url=reverse(self.inspect_url_name, args=[quote(self.newer.pk)]),
        )
        return context


class PolicyVersionViewSet(ReadOnlyModelViewSet):
    model = PolicyVersion
    policy = VERSION_POLICY
    icon = "history"
    menu_label = _("Statement versions")
    inspect_view_class = PolicyVersionInspectView
    list_display = [
        "title",
        Column("number", label=_("Version"), sort_key="number"),
        DateColumn("established_at", label=_("Established"), sort_key="established_at"),
        Column("is_material", label=_("Material")),
        "published_by",
        "change_summary",
    ]
    list_filter = ["is_material", "locale"]
    search_fields = ["title", "change_summary"]
    search_backend_name = None
    ordering = ["-established_at", "-pk"]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(diff_url_name=self.get_url_name("diff"), **kwargs)

    @property
    def diff_view(self):
        return self.construct_view(
            PolicyVersionDiffView,
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
            header_icon=self.icon,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("diff/<int:older>/<int:newer>/", self.diff_view, name="diff"),
        ]


# --- campaigns ---------------------------------------------------------------------------------


def _progress_text(campaign: NotificationCampaign) -> str:
    numbers = progress(campaign)
    return _("%(sent)s of %(recipients)s sent, %(failed)s failing") % {
        "sent": numbers.sent,
        "recipients": numbers.recipients,
        "failed": numbers.failed,
    }


class NotificationCampaignInspectView(InspectView):
    template_name = "weticket_wagtail/privacy/admin/campaign_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["progress"] = progress(self.object)
        context["version"] = self.object.version
        return context


class NotificationCampaignViewSet(ReadOnlyModelViewSet):
    model = NotificationCampaign
    policy = CAMPAIGN_POLICY
    icon = "mail"
    menu_label = _("Change notifications")
    inspect_view_class = NotificationCampaignInspectView
    list_display = [
        Column("version", label=_("Version")),
        "status",
        Column("progress", label=_("Progress"), accessor=_progress_text),
        DateColumn("created_at", label=_("Started"), sort_key="created_at"),
        DateColumn("finished_at", label=_("Finished"), sort_key="finished_at"),
    ]
    list_filter = ["status"]
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return NotificationCampaign.objects.select_related("version")


# --- registers -----------------------------------------------------------------------------------


class StatementRegisterViewSetMixin:
    """A register the statement shows: its form asks "About this change" and records the
    statement's new versions (:mod:`.register_forms`)."""

    def get_edit_handler(self):
        handler = super().get_edit_handler()
        return with_change_panel(handler, self.model).bind_to_model(self.model)


class ProcessorViewSet(StatementRegisterViewSetMixin, LocaleColumnMixin, SnippetViewSet):
    model = Processor
    icon = "group"
    menu_label = _("Processors")
    list_display = ["name", "role", "country", "agreement_date"]
    list_filter = ["role"]
    search_fields = ["name", "purpose"]
    search_backend_name = None
    ordering = ["sort_order", "name"]


class RetentionRuleViewSet(StatementRegisterViewSetMixin, LocaleColumnMixin, SnippetViewSet):
    model = RetentionRule
    icon = "time"
    menu_label = _("Retention schedule")
    list_display = ["record", "category", "period"]
    list_filter = ["category"]
    search_fields = ["record", "reason"]
    search_backend_name = None
    ordering = ["sort_order", "record"]


class PurgeLogViewSet(ReadOnlyModelViewSet):
    """What each run of the retention purge did, per category (superusers only)."""

    model = PurgeLogEntry
    policy = PURGE_LOG_POLICY
    icon = "bin"
    menu_label = _("Purge log")
    list_display = [
        DateColumn("started_at", label=_("Started"), sort_key="started_at"),
        "category",
        "dry_run",
        "status",
        Column("total", label=_("Records"), sort_key="total"),
        Column("held", label=_("Kept under a hold"), sort_key="held"),
        DateColumn("cutoff", label=_("Records dated before")),
    ]
    list_filter = ["category", "status", "dry_run"]
    ordering = ["-started_at", "-pk"]


class PrivacyViewSetGroup(ViewSetGroup):
    menu_label = _("Privacy")
    menu_icon = "lock"
    menu_order = 260
    items = (
        DataSubjectRequestViewSet("weticket_privacy_requests"),
        ProcessorViewSet(),
        RetentionRuleViewSet(),
        PurgeLogViewSet("weticket_purge_log"),
        PolicyVersionViewSet("weticket_policy_versions"),
        NotificationCampaignViewSet("weticket_policy_campaigns"),
        CookieGroupViewSet("weticket_cookie_groups"),
        CookieViewSet("weticket_cookies"),
        ConsentRecordViewSet("weticket_consent_log"),
    )
