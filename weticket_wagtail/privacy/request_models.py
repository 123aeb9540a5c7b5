"""Data-subject requests: what people ask about their data, their deadlines, and the audit trail.

Imported by :mod:`weticket_wagtail.privacy.models`; the logic is in
:mod:`weticket_wagtail.privacy.services.requests` and its neighbours.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from .blocks import RICH_TEXT_FEATURES
from .immutable import InsertOnlyQuerySet


def new_request_reference() -> str:
    """A short reference people can quote in an email (no 0/O/1/I): ``R-`` and 8 characters."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "R-" + "".join(secrets.choice(alphabet) for _ in range(8))


def new_nonce() -> str:
    return secrets.token_hex(16)


class DataSubjectRequest(models.Model):
    """One request of a person about their personal data (GDPR articles 15–22), or a complaint.

    Made by :func:`~weticket_wagtail.privacy.services.requests.submit_request` when someone
    fills in the request form; valid once they confirm it through the signed link in their
    email (:attr:`Status.VERIFIED`). The answer is due on :attr:`due_on`: the earlier of one
    month and ``PRIVACY_RESPONSE_WEEKS`` after the confirmation, moved by an extension.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("See my data (access)")
        RECTIFICATION = "rectification", _("Correct my data (rectification)")
        ERASURE = "erasure", _("Erase my data (erasure)")
        RESTRICTION = "restriction", _("Limit the use of my data (restriction)")
        PORTABILITY = "portability", _("Receive my data to take elsewhere (portability)")
        OBJECTION = "objection", _("Object to the use of my data (objection)")
        HUMAN_REVIEW = "human_review", _("Have a person review an automatic decision")
        COMPLAINT = "complaint", _("A complaint about how my data is handled")

    class Status(models.TextChoices):
        NEW = "new", _("Waiting for the requester to confirm")
        VERIFIED = "verified", _("Confirmed")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for the requester")
        EXTENDED = "extended", _("Extended")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Not confirmed in time")

    OPEN = frozenset({"verified", "in_progress", "waiting", "extended"})
    CLOSED = frozenset({"completed", "rejected", "expired"})

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_request_reference
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    email = models.EmailField(_("email"), help_text=_("Stored trimmed and lower-cased."))
    name = models.CharField(_("name"), max_length=200, blank=True)
    details = models.TextField(_("details"), blank=True)
    order_reference = models.CharField(
        _("order number"),
        max_length=32,
        blank=True,
        help_text=_("The order a review of an automatic decision is about, if any."),
    )
    consent_id = models.CharField(
        _("consent ID"),
        max_length=19,
        blank=True,
        help_text=_(
            "The consent ID of the browser the request was sent from, if it made a cookie "
            "choice: it links the requester to their records in the consent log."
        ),
    )
    language = models.CharField(_("language"), max_length=15, blank=True)
    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    nonce = models.CharField(_("link secret"), max_length=32, default=new_nonce, editable=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    verified_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    original_due_on = models.DateField(_("first due date"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True, db_index=True)
    extension_months = models.PositiveSmallIntegerField(_("extended by (months)"), default=0)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    extended_at = models.DateTimeField(_("extended"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reply = models.TextField(
        _("last reply"), blank=True, help_text=_("The last message sent to the requester.")
    )
    rejection_reason = models.TextField(_("reason for rejecting"), blank=True)
    completed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    records_summary = models.JSONField(
        _("records found"),
        default=dict,
        blank=True,
        help_text=_("How many records of each kind the registry found (no personal data)."),
    )
    exported_at = models.DateTimeField(_("export downloaded"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["due_on", "received_at"]
        permissions = [
            (
                "handle_all_requests",
                _("Is a privacy contact: sees and fulfils every data-subject request"),
            )
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="weticket_dsr_status")]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_kind_display()})"

    @property
    def object_ref(self) -> str:
        """How outbox rows about this request refer to it."""
        return f"{self._meta.label_lower}:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_on is not None and self.due_on < today


class RequestTenant(models.Model):
    """A tenant (organisation) whose data a request is about, as the registry found it.

    Organisation staff see the requests about their organisations' data through these rows.
    """

    request = models.ForeignKey(
        DataSubjectRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="tenants",
    )
    tenant_id = models.PositiveBigIntegerField(_("organisation"), db_index=True)

    class Meta:
        verbose_name = _("organisation of a request")
        verbose_name_plural = _("organisations of requests")
        constraints = [
            models.UniqueConstraint(fields=["request", "tenant_id"], name="weticket_dsr_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.tenant_id}"


class AuditTrailImmutable(PermissionDenied):
    """The audit trail is append-only: entries are only ever added (and redacted on erasure)."""

    def __init__(self, message: str = "Audit entries cannot be changed or deleted."):
        super().__init__(message)


class AuditEntryQuerySet(InsertOnlyQuerySet):
    """Refuses changes and deletions; :meth:`redact` is the one way to touch stored entries."""

    refusal = AuditTrailImmutable

    def redact(self, **values) -> int:
        """Overwrite personal parts of these entries (erasure); every other column stays."""
        allowed = {"note", "subject_digest", "actor", "actor_id", "actor_label"}
        if set(values) - allowed:
            raise AuditTrailImmutable("Only the personal parts of audit entries may be redacted.")
        return models.QuerySet.update(self, **values)  # past the refusal, on purpose

    redact.alters_data = True


class AuditEntry(models.Model):
    """One thing that happened to a request or a subject's data: who, what, when. Append-only.

    ``message`` is written by the code and names no person; ``note`` is what a person typed
    and is redacted when the subject is erased. ``subject_digest`` (a keyed hash of the email
    address) ties entries made without a request, such as a rectification from an order, to
    the subject, so they are found and redacted too.
    """

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        VERIFIED = "verified", _("Confirmed by the requester")
        EXPIRED = "expired", _("Expired unconfirmed")
        ASSIGNED = "assigned", _("Assigned")
        STATUS = "status", _("Status changed")
        EXTENDED = "extended", _("Deadline extended")
        NOTE = "note", _("Note")
        REPLIED = "replied", _("Replied to the requester")
        EXPORTED = "exported", _("Data exported")
        DOWNLOADED = "downloaded", _("Export downloaded")
        RECTIFIED = "rectified", _("Data corrected")
        ERASED = "erased", _("Data erased")
        FLAGGED = "flagged", _("Processing limited")
        UNFLAGGED = "unflagged", _("Limit lifted")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Completed")
        REMINDED = "reminded", _("Reminder sent")

    request = models.ForeignKey(
        DataSubjectRequest,
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
    )
    subject_digest = models.CharField(_("subject"), max_length=64, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    message = models.TextField(_("what happened"), blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by (as shown)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditTrailImmutable()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable()


class SubjectFlag(models.Model):
    """A limit on what we do with one person's data: restriction, objection or a legal hold.

    While a restriction or objection flag is active (not lifted), nothing non-essential
    processes the person's data: no mail but what the law or their order needs, no policy
    campaigns, no insights or exports for organisations. A legal hold stops the retention
    purge. See :mod:`weticket_wagtail.privacy.services.flags`.
    """

    class Kind(models.TextChoices):
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection to processing")
        LEGAL_HOLD = "legal_hold", _("Legal hold (keep everything)")

    email = models.EmailField(_("email"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    request = models.ForeignKey(
        DataSubjectRequest,
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flags",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        verbose_name = _("processing limit")
        verbose_name_plural = _("processing limits")
        constraints = [
            models.UniqueConstraint(
                fields=["email", "kind"],
                condition=models.Q(lifted_at__isnull=True),
                name="weticket_one_active_flag",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}"


# --- the request page ------------------------------------------------------------------------

_request_form_view: Callable[..., HttpResponse]


def serve_request_form_with(view: Callable[..., HttpResponse]) -> None:
    """Make ``view(request, page=...)`` serve request pages (the app's ``ready()`` passes
    :func:`~weticket_wagtail.privacy.intake.handle_request_form`)."""
    global _request_form_view
    _request_form_view = view


class AbstractPrivacyRequestPage(Page):
    """A page with the form people use to exercise their rights; editors place it anywhere.

    The form itself, its rate limits, honeypot and emails are those of the plain URL
    (``weticket_privacy:request``); the page adds the editor's own words around it.
    """

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)
    after_submit = RichTextField(
        _("after sending"),
        blank=True,
        features=RICH_TEXT_FEATURES,
        help_text=_(
            "Shown after someone sent a request, above what happens next and by when "
            "(which the page adds itself)."
        ),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("after_submit")]
    subpage_types: list[str] = []

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        return _request_form_view(request, page=self)


class PrivacyRequestPage(AbstractPrivacyRequestPage):
    template = "weticket_wagtail/privacy/request_page.html"

    class Meta:
        verbose_name = _("privacy request page")
        verbose_name_plural = _("privacy request pages")
