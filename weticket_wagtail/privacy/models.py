"""The privacy statement page, its versions and their notifications.

The registers the statement shows (processors, retention rules) are models of
:mod:`.processing`, importable from here too. This module imports nothing of the app's services:
what the page needs (its site, the diff of two versions) comes from modules below it.

The cookie-consent models live in :mod:`.consent.models` and are imported here, so that they
belong to this app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models.functions import Lower, Trim
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import RICH_TEXT_FEATURES, SectionBlock
from .consent.models import ConsentRecord, ConsentSettings, CookieGroupText, CookieText
from .diff import diff_versions
from .forms import PrivacyStatementPageForm
from .immutable import InsertOnlyQuerySet
from .processing import Processor, PurgeLogEntry, RetentionRule
from .sites import pages_in_site_of

__all__ = [
    "AbstractPrivacyStatementPage",
    "CampaignRecipient",
    "ConsentRecord",
    "ConsentSettings",
    "CookieGroupText",
    "CookieText",
    "NotificationCampaign",
    "PolicyVersion",
    "PolicyVersionImmutable",
    "PrivacyStatementPage",
    "Processor",
    "PurgeLogEntry",
    "RetentionRule",
]

# --- the statement page --------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A section of the statement as the table of contents lists it."""

    anchor: str
    heading: str
    block: Any


class AbstractPrivacyStatementPage(RoutablePageMixin, Page):
    """A privacy statement: sections with a table of contents, versions, and their archive.

    One per site and locale. Publishing records a :class:`PolicyVersion` when the visible text
    changed; the editor says in the "About this change" panel what changed and whether it
    affects personal data already collected (then everyone affected is emailed).

    Routes: ``versions/`` (the archive), ``versions/<n>/`` (version *n* exactly as it was
    published) and ``versions/<a>/diff/<b>/`` (what changed from *a* to *b*).
    """

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)
    body = StreamField(
        [("section", SectionBlock())],
        verbose_name=_("sections"),
        help_text=_("Each section appears in the table of contents."),
    )
    change_summary = models.TextField(
        _("what changed"),
        blank=True,
        help_text=_(
            "Shown in the version history and, for a change that affects personal data "
            "already collected, emailed to everyone affected. Cleared after publishing."
        ),
    )
    change_is_material = models.BooleanField(
        _("this change affects personal data already collected"),
        default=False,
        help_text=_(
            "Publishing then emails everyone whose personal data we hold, once, in their "
            "language. Not for the first version."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("change_summary"), FieldPanel("change_is_material")],
            heading=_("About this change"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    base_form_class = PrivacyStatementPageForm
    subpage_types: list[str] = []

    class Meta:
        abstract = True

    # --- one per site and locale -------------------------------------------------------------

    @classmethod
    def can_create_at(cls, parent) -> bool:
        if not super().can_create_at(parent):
            return False
        statements = pages_in_site_of(parent, AbstractPrivacyStatementPage, parent.locale_id)
        return not statements.exists()

    def clean(self) -> None:
        super().clean()
        if not self.path:
            return
        others = pages_in_site_of(self, AbstractPrivacyStatementPage, self.locale_id).exclude(
            pk=self.pk
        )
        if others.exists():
            raise ValidationError(_("This site already has a privacy statement in this language."))

    # --- content -------------------------------------------------------------------------------

    def sections(self) -> list[Section]:
        """The sections in order, each with a unique anchor (given, or made from its heading)."""
        used: set[str] = set()
        sections = []
        for position, block in enumerate(self.body, start=1):
            if block.block_type != "section":
                continue
            heading = block.value.get("heading") or ""
            base = block.value.get("anchor") or slugify(heading) or f"section-{position}"
            anchor, suffix = base, 2
            while anchor in used:
                anchor, suffix = f"{base}-{suffix}", suffix + 1
            used.add(anchor)
            sections.append(Section(anchor, heading, block))
        return sections

    def versions(self) -> models.QuerySet[PolicyVersion]:
        return PolicyVersion.objects.filter(page_id=self.pk).order_by("-number")

    def current_version(self) -> PolicyVersion | None:
        """The latest recorded version: the one in force."""
        return self.versions().first()

    def version_path(self, number: int) -> str:
        return self.reverse_subpage("version", args=[number])

    def diff_path(self, older: int, newer: int) -> str:
        return self.reverse_subpage("version_diff", args=[older, newer])

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        page_url = self.get_url(request=request) or ""
        context["sections"] = self.sections()
        context["page_url"] = page_url
        context["archive_url"] = page_url + self.reverse_subpage("versions")
        if not getattr(request, "is_preview", False):
            context["version"] = self.current_version()
        return context

    @path("versions/", name="versions")
    def version_list(self, request):
        versions = list(self.versions())
        page_url = self.get_url(request=request) or ""
        rows = []
        for position, version in enumerate(versions):
            previous = versions[position + 1] if position + 1 < len(versions) else None
            rows.append(
                {
                    "version": version,
                    "url": page_url + self.version_path(version.number),
                    "previous": previous.number if previous else None,
                    "diff_url": (
                        page_url + self.diff_path(previous.number, version.number)
                        if previous
                        else ""
                    ),
                }
            )
        return self.render(
            request,
            template="weticket_wagtail/privacy/versions.html",
            context_overrides={
                "versions": versions,
                "version_rows": rows,
                "current": versions[0] if versions else None,
                "robots": "noindex",
            },
        )

    @path("versions/<int:number>/", name="version")
    def version_detail(self, request, number: int):
        version = self._version_or_404(number)
        versions = self.versions()
        previous = versions.filter(number__lt=number).first()
        following = versions.filter(number__gt=number).last()
        page_url = self.get_url(request=request) or ""
        return self.render(
            request,
            template="weticket_wagtail/privacy/version.html",
            context_overrides={
                "version": version,
                "current": versions.first(),
                "previous": previous,
                "next": following,
                "previous_diff_url": (
                    page_url + self.diff_path(previous.number, number) if previous else ""
                ),
                "next_url": page_url + self.version_path(following.number) if following else "",
                "robots": "noindex",
            },
        )

    @path("versions/<int:older>/diff/<int:newer>/", name="version_diff")
    def version_diff(self, request, older: int, newer: int):
        if older == newer:
            raise Http404
        first, second = self._version_or_404(older), self._version_or_404(newer)
        if first.number > second.number:
            first, second = second, first
        page_url = self.get_url(request=request) or ""
        return self.render(
            request,
            template="weticket_wagtail/privacy/version_diff.html",
            context_overrides={
                "older": first,
                "newer": second,
                "older_url": page_url + self.version_path(first.number),
                "newer_url": page_url + self.version_path(second.number),
                "diff": diff_versions(first, second),
                "robots": "noindex",
            },
        )

    def _version_or_404(self, number: int) -> PolicyVersion:
        version = PolicyVersion.objects.filter(page_id=self.pk, number=number).first()
        if version is None:
            raise Http404
        return version


class PrivacyStatementPage(AbstractPrivacyStatementPage):
    # Wagtail derives a template name per concrete class; a subclass of the abstract page names
    # its own, or reuses this one.
    template = "weticket_wagtail/privacy/privacy_statement_page.html"

    class Meta:
        verbose_name = _("privacy statement")
        verbose_name_plural = _("privacy statements")


# --- versions: immutable ------------------------------------------------------------------------


class PolicyVersionImmutable(PermissionDenied):
    """A published version of a privacy statement is never changed or deleted."""

    def __init__(self, message: str = "A privacy statement version cannot be changed or deleted."):
        super().__init__(message)


class PolicyVersionQuerySet(InsertOnlyQuerySet):
    """Refuses bulk changes: versions are only ever inserted."""

    refusal = PolicyVersionImmutable


class PolicyVersion(models.Model):
    """One published version of a privacy statement, exactly as the public read it.

    Recorded by :func:`weticket_wagtail.privacy.services.versions.record_version` when a
    statement page is published with a visible change. Never changed or deleted: ``save()`` on a
    stored row, ``delete()``, and the queryset's ``update()``/``delete()`` raise
    :class:`PolicyVersionImmutable`, and the admin has no edit or delete views. Orders (and
    consent records) point at the version in force when they were made.
    """

    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("privacy statement"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.PositiveIntegerField(_("version"))
    locale = models.ForeignKey(
        "wagtailcore.Locale",
        verbose_name=_("language"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=255)
    established_at = models.DateTimeField(_("established"), default=timezone.now)
    rendered_html = models.TextField(_("text as published (HTML)"))
    rendered_text = models.TextField(_("text as published (plain)"))
    body_json = models.JSONField(_("content (StreamField JSON)"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    revision_id = models.PositiveBigIntegerField(_("page revision"), null=True, blank=True)
    published_by = models.CharField(_("published by"), max_length=255, blank=True)
    change_summary = models.TextField(_("what changed"), blank=True)
    is_material = models.BooleanField(_("affects personal data already collected"), default=False)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("privacy statement version")
        verbose_name_plural = _("privacy statement versions")
        ordering = ["page_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="weticket_policy_version_no"),
        ]

    def __str__(self) -> str:
        return _("%(title)s, version %(number)s") % {"title": self.title, "number": self.number}

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PolicyVersionImmutable()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PolicyVersionImmutable()

    @property
    def object_ref(self) -> str:
        """How outbox rows about this version refer to it."""
        return f"{self._meta.label_lower}:{self.pk}"


# --- notifications of a material change ------------------------------------------------------


class NotificationCampaign(models.Model):
    """The emails that tell everyone affected about one material version, and their progress.

    Run by :mod:`weticket_wagtail.privacy.services.campaigns`. Each person is written to once
    (a recipient row per email address, unique per campaign; an outbox row per recipient with
    the dedupe key ``policy:<version pk>:<email>``).
    """

    class Status(models.TextChoices):
        COLLECTING = "collecting", _("Finding the people affected")
        SENDING = "sending", _("Sending")
        FINISHED = "finished", _("Finished")

    version = models.OneToOneField(
        PolicyVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="campaign",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.COLLECTING,
        db_index=True,
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_(
            "The recipients' languages this campaign covers; '*' stands for every language "
            "without a statement of its own."
        ),
    )
    recipients_total = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    collected_at = models.DateTimeField(_("recipients found"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    scheduled_until = models.DateTimeField(
        _("scheduled until"),
        null=True,
        blank=True,
        help_text=_("When the last email queued so far is due: the pace of the campaign."),
    )
    heartbeat_at = models.DateTimeField(
        _("last sign of life"),
        null=True,
        blank=True,
        help_text=_("When a task last worked on this campaign."),
    )

    class Meta:
        verbose_name = _("policy-change notification")
        verbose_name_plural = _("policy-change notifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.version)


class CampaignRecipient(models.Model):
    """One person to notify in a campaign. Holds personal data (a copy, to prove the notice)."""

    campaign = models.ForeignKey(
        NotificationCampaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="recipients",
    )
    email = models.CharField(_("email"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=15, blank=True, help_text=_("The person's own language.")
    )
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            # One campaign per version: so this is "once per person per version".
            models.UniqueConstraint(
                fields=["campaign", "email"], name="weticket_campaign_recipient_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["campaign", "id"],
                condition=models.Q(queued_at__isnull=True),
                name="weticket_campaign_unqueued",
            ),
            # Finding one person's notices (export, erasure) by address.
            models.Index(Lower(Trim("email")), name="weticket_recipient_email"),
        ]

    def __str__(self) -> str:
        return self.email


# --- data-subject requests (their own module; imported here so Django finds them) ------------

from .request_models import (  # noqa: E402
    AbstractPrivacyRequestPage,
    AuditEntry,
    AuditTrailImmutable,
    DataSubjectRequest,
    PrivacyRequestPage,
    RequestTenant,
    SubjectFlag,
)

__all__ = [
    "AbstractPrivacyRequestPage",
    "AbstractPrivacyStatementPage",
    "AuditEntry",
    "AuditTrailImmutable",
    "CampaignRecipient",
    "DataSubjectRequest",
    "NotificationCampaign",
    "PolicyVersion",
    "PrivacyRequestPage",
    "PrivacyStatementPage",
    "Processor",
    "PurgeLogEntry",
    "RequestTenant",
    "RetentionRule",
    "SubjectFlag",
]
