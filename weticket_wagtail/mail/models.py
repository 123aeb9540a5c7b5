"""The outbox: one row per email, written in the transaction of the change that causes it."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """An email waiting to be sent, being sent, sent, or failed (and retried later).

    Rows are created by :mod:`weticket_wagtail.mail.outbox` and moved between states only by
    compare-and-set updates in :mod:`weticket_wagtail.mail.sender`, so two workers never both
    claim the same row at the same time. Other apps read them only through
    :mod:`weticket_wagtail.mail.reports`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    dedupe_key = models.CharField(
        _("dedupe key"),
        max_length=200,
        unique=True,
        help_text=_(
            "The sender's idempotency key, e.g. order-confirmation:<order token>. "
            "An email with a key that already exists is not created again."
        ),
    )
    to = models.EmailField(_("to"), max_length=254)
    reply_to = models.CharField(_("reply to"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("plain-text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    language = models.CharField(_("language"), max_length=15, blank=True)
    topic = models.SlugField(
        _("topic"),
        max_length=64,
        blank=True,
        help_text=_("What kind of email this is, e.g. order_confirmation."),
    )
    object_ref = models.CharField(
        _("object reference"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("The record this email is about, e.g. weticket_ticketing.order:42."),
    )
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text=_('Attachments resolved when sending: [{"kind": ..., "args": {...}}].'),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        null=True,
        blank=True,
        default=timezone.now,
        help_text=_("Empty when no further attempt will be made."),
    )
    locked_until = models.DateTimeField(
        _("locked until"),
        null=True,
        blank=True,
        help_text=_("While sending: when the sender's lease expires and another may retry."),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    claim_token = models.CharField(
        _("claim token"),
        max_length=32,
        blank=True,
        editable=False,
        help_text=_("Which sending attempt currently holds the row."),
    )

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The sweep's two questions, each answered from a small partial index: what is due
            # (oldest first), and whose lease has run out. Sent rows are in neither.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["pending", "failed"]),
                name="weticket_mail_due_idx",
            ),
            models.Index(
                fields=["locked_until"],
                condition=models.Q(status="sending"),
                name="weticket_mail_stuck_idx",
            ),
            # Finding the emails sent to one person (export, erasure), by the address compared
            # trimmed and lower-cased.
            models.Index(Lower(Trim("to")), name="weticket_mail_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
