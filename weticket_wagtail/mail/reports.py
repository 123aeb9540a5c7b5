"""What other apps may know about the outbox's rows, without reading them.

The columns of :class:`~weticket_wagtail.mail.models.OutboxMessage` (states, leases, claim
tokens, attempts) belong to the sender's protocol and may change with it. An order's email log
or a campaign's progress asks here instead, by the ``object_ref`` its emails were queued with,
and gets plain values back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from .models import OutboxMessage

Status = OutboxMessage.Status


@dataclass(frozen=True)
class MessageRecord:
    """One email as the admin shows it: to whom, what, and how far sending got."""

    pk: int
    to: str
    subject: str
    topic: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None

    @property
    def status_label(self) -> str:
        """The status in the active language ("Sent", "Verzonden")."""
        return str(Status(self.status).label)

    def get_status_display(self) -> str:
        """:attr:`status_label` under the name a model's templates use for it."""
        return self.status_label


@dataclass(frozen=True)
class StatusCounts:
    """How many emails are pending, being sent, sent and failed (failed ones may be retried)."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sending + self.sent + self.failed


def messages_about(object_ref: str) -> list[MessageRecord]:
    """The emails queued about ``object_ref``, oldest first (an order's email log)."""
    if not object_ref:
        return []
    rows = (
        OutboxMessage.objects.filter(object_ref=object_ref)
        .order_by("created_at", "pk")
        .values_list(
            "pk",
            "to",
            "subject",
            "topic",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
        )
    )
    return [MessageRecord(*row) for row in rows]


def status_counts(object_ref: str) -> StatusCounts:
    """How many of the emails about ``object_ref`` are in each state (a campaign's progress).

    One grouped count, answered from the ``object_ref`` index.
    """
    counts = dict(
        OutboxMessage.objects.filter(object_ref=object_ref)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    return StatusCounts(
        pending=counts.get(Status.PENDING, 0),
        sending=counts.get(Status.SENDING, 0),
        sent=counts.get(Status.SENT, 0),
        failed=counts.get(Status.FAILED, 0),
    )


def may_still_send(object_ref: str) -> bool:
    """Whether an email about ``object_ref`` is waiting to be sent or being sent (one that is
    sent, or failed for good, will never leave again)."""
    from .sender import MAX_ATTEMPTS

    return (
        OutboxMessage.objects.filter(object_ref=object_ref)
        .exclude(status=Status.SENT)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .exclude(status=Status.FAILED, next_attempt_at__isnull=True)
        .exists()
    )


def rows_about(object_ref: str):
    """The outbox rows about ``object_ref``, as a queryset: for the personal-data registry,
    which scrubs them on erasure (:func:`~weticket_wagtail.mail.sender.withdraw` first)."""
    return OutboxMessage.objects.filter(object_ref=object_ref)
