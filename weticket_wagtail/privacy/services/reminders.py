"""Daily reminders of privacy requests that are due soon or overdue, through the outbox.

One email per person per day (dedupe key ``dsr-reminders:<who>:<date>``): each assignee gets
their own requests; requests nobody is assigned to go to ``PRIVACY_CONTACT_EMAIL``. Due soon
means within ``PRIVACY_REMINDER_DAYS`` (7). Emails name requests by reference only.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.mail.outbox import Email, enqueue_templated_email

from ..models import DataSubjectRequest
from .requests import Action, admin_url, audit, contact_email


def due_soon(today: datetime.date | None = None) -> QuerySet[DataSubjectRequest]:
    """Open requests due within ``PRIVACY_REMINDER_DAYS`` of ``today``, or overdue."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=int(weticket_settings.PRIVACY_REMINDER_DAYS))
    return (
        DataSubjectRequest.objects.filter(
            status__in=list(DataSubjectRequest.OPEN), due_on__lte=horizon
        )
        .select_related("assignee")
        .order_by("due_on", "pk")
    )


def send_reminders(today: datetime.date | None = None) -> int:
    """Queue today's reminder emails; return how many were queued (0 when already sent)."""
    today = today or timezone.localdate()
    by_recipient: dict[tuple[str, str], list[DataSubjectRequest]] = defaultdict(list)
    for req in due_soon(today):
        if req.assignee_id and req.assignee and req.assignee.is_active and req.assignee.email:
            by_recipient[(f"user-{req.assignee_id}", req.assignee.email)].append(req)
        elif contact_email():
            by_recipient[("contact", contact_email())].append(req)
    queued = 0
    with transaction.atomic():
        for (who, to), requests in by_recipient.items():
            rows = [
                {
                    "reference": req.reference,
                    "kind": req.get_kind_display(),
                    "due_on": req.due_on,
                    "overdue": req.due_on < today,
                    "url": admin_url(req),
                }
                for req in requests
            ]
            message = enqueue_templated_email(
                Email(
                    dedupe_key=f"dsr-reminders:{who}:{today.isoformat()}",
                    to=to,
                    language=settings.LANGUAGE_CODE,
                    topic="privacy_request_reminders",
                ),
                template="weticket_wagtail/privacy/email/request_reminders",
                context={
                    "requests": rows,
                    "site_name": getattr(settings, "WAGTAIL_SITE_NAME", ""),
                },
            )
            if message is not None:
                queued += 1
                for req in requests:
                    audit(Action.REMINDED, request=req, by="system", message=who)
    return queued
