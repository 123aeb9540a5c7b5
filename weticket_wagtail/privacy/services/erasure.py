"""Erasure: anonymise everything the registry holds about one person, keep what the law needs.

:func:`erase_subject` answers an erasure request in four steps:

1. the export comes first: the request must have been exported (the admin's "download the
   export" step, :func:`~.export.export_for_staff`), so what was held is on record;
2. the apps' erasure steps run (registered with
   :meth:`~weticket_wagtail.privacy.registry.PersonalDataRegistry.register_erasure_step`):
   payments cancels and refunds tickets for events still to come, or keeps them, as
   ``PRIVACY_ERASURE_FUTURE_TICKETS`` says. Mollie is called here, outside any transaction;
3. in one transaction, every row the registry finds is anonymised by its registration (or
   deleted, where it says so): personal fields replaced, kept fields (amounts, VAT, dates,
   Mollie ids) untouched, credentials rotated, audit notes redacted, Wagtail's log entries
   about the rows scrubbed; the requester is emailed that it is done;
4. once that email has left, :func:`finish_erasure` scrubs it and the request's own address,
   so that afterwards neither the address nor the name is anywhere in the database.

:func:`anonymise_rows` is the one place that anonymises a registration's rows; the retention
purge uses it too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.mail.reports import may_still_send, rows_about
from weticket_wagtail.tasks_runtime import run_task

from ..models import DataSubjectRequest
from ..registry import (
    REDACTED_TEXT,
    Anonymise,
    Registration,
    SubjectRecords,
    any_of,
    personal_data,
)
from .requests import (
    Action,
    Kind,
    RequestError,
    Status,
    audit,
    confirm_max_age,
    email_requester,
    summary_labels,
)

logger = logging.getLogger(__name__)

#: An erasure's last email that has not left after this long is scrubbed anyway.
NOTICE_GRACE = timedelta(days=7)


@dataclass
class ErasureResult:
    """What an erasure did: rows anonymised or deleted per registration, and the steps' notes."""

    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def anonymise_rows(registration: Registration, rows: QuerySet, *, now: datetime) -> int:
    """Anonymise (or delete) ``rows`` of ``registration`` as it declares; return how many.

    Personal fields get their strategy's value, ``rotate`` fields a new random value, the
    ``anonymised_marker`` the time ``now``; kept fields and everything else stay. One UPDATE
    per call, so callers choose the batch size.
    """
    if registration.erase is not None:
        return registration.erase(rows)
    if registration.on_erase == "delete":
        return rows.delete()[0]
    model = registration.model
    values = {f.name: Anonymise.value(f.anonymise, model) for f in registration.fields}
    for name in registration.rotate:
        values[name] = Anonymise.value(Anonymise.NEW_TOKEN, model)
    if registration.anonymised_marker:
        values[registration.anonymised_marker] = now
    if not values:
        return 0
    return rows.update(**values)


def scrub_log_entries(registration: Registration, pks: list) -> None:
    """Wagtail's admin log keeps a label (``str(obj)``) per change: scrub those of ``pks``."""
    if not pks:
        return
    content_type = ContentType.objects.get_for_model(registration.model)
    ModelLogEntry.objects.filter(
        any_of("object_id", [str(pk) for pk in pks]), content_type=content_type
    ).update(label=REDACTED_TEXT, data={})


def anonymise_subject(
    records: SubjectRecords, *, now: datetime, exclude: dict[str, set] | None = None
) -> dict[str, int]:
    """Anonymise every row in ``records`` but those in ``exclude`` (``{key: pks}``); return
    the counts per registration key. Call it in a transaction."""
    exclude = exclude or {}
    counts = {}
    for registration in records.registrations():
        pks = [
            pk
            for pk in records.found[registration.key]
            if pk not in exclude.get(registration.key, set())
        ]
        if not pks:
            continue
        rows = registration.model._default_manager.filter(any_of("pk", pks))
        counts[registration.key] = anonymise_rows(registration, rows, now=now)
        scrub_log_entries(registration, pks)
    return counts


def future_tickets_policy() -> str:
    policy = weticket_settings.PRIVACY_ERASURE_FUTURE_TICKETS
    return policy if policy in ("cancel", "keep") else "cancel"


def erase_subject(
    req: DataSubjectRequest, *, by, require_export: bool = True, now: datetime | None = None
) -> ErasureResult:
    """Fulfil erasure request ``req`` (see the module docstring for the four steps).

    Raises :class:`~.requests.RequestError` when ``req`` is not an open erasure request, or
    when ``require_export`` and it was not exported first. Returns what was done.
    """
    if req.kind != Kind.ERASURE:
        raise RequestError(_("Only an erasure request erases data."))
    if req.status not in DataSubjectRequest.OPEN:
        raise RequestError(_("This request is closed."))
    if require_export and req.exported_at is None:
        raise RequestError(_("Download the export first: it records what is erased."))
    now = now or timezone.now()
    email = req.email
    result = ErasureResult()
    cancel_future = future_tickets_policy() == "cancel"
    records = personal_data.find(email)
    for step in personal_data.erasure_steps():
        result.notes.extend(step(records, cancel_future=cancel_future, user=by) or [])
    if result.notes:
        records = personal_data.find(email)  # the steps changed rows (refunds were made)
    requester_key = f"{DataSubjectRequest._meta.label_lower}:requester"
    with transaction.atomic():
        req = DataSubjectRequest.objects.select_for_update().get(pk=req.pk)
        if req.status not in DataSubjectRequest.OPEN:
            raise RequestError(_("This request is closed."))
        result.counts = anonymise_subject(records, now=now, exclude={requester_key: {req.pk}})
        DataSubjectRequest.objects.filter(pk=req.pk).update(
            status=Status.COMPLETED, completed_at=now, erased_at=now
        )
        req.refresh_from_db()
        audit(
            Action.ERASED,
            request=req,
            actor=by,
            message=describe_counts(result.counts),
            note="\n".join(result.notes),
        )
        email_requester(
            req,
            "request_update",
            "erased",
            update="erased",
            notes=result.notes,
            cancel_future=cancel_future,
        )
        run_task("weticket_wagtail.privacy.tasks.finish_erasure_task", req.pk)
    return result


def describe_counts(counts: dict[str, int]) -> str:
    return "; ".join(f"{label}: {count}" for label, count in summary_labels(counts))


def _outbox_registration() -> Registration:
    registration = personal_data.registration(f"{OutboxMessage._meta.label_lower}:recipient")
    if registration is None:  # pragma: no cover - registered in PrivacyConfig.ready()
        raise RuntimeError("The outbox is not registered with the personal-data registry.")
    return registration


def scrub_request_emails(req: DataSubjectRequest) -> int:
    """Scrub the outbox rows about ``req`` (confirmation, answers) as erasure scrubs email."""
    rows = rows_about(req.object_ref)
    return anonymise_rows(_outbox_registration(), rows, now=timezone.now())


def expire_unconfirmed(now: datetime | None = None) -> int:
    """Expire requests not confirmed within ``PRIVACY_REQUEST_CONFIRM_HOURS``; return how many.

    Their address was never shown to be the requester's, so what they typed is erased and the
    confirmation emails are scrubbed; the row stays, as a count, with its type and dates.
    """
    now = now or timezone.now()
    cutoff = now - confirm_max_age()
    expired = 0
    for pk in DataSubjectRequest.objects.filter(
        status=Status.NEW, received_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if not DataSubjectRequest.objects.filter(pk=pk, status=Status.NEW).update(
                status=Status.EXPIRED,
                completed_at=now,
                email="",
                name="",
                details="",
                order_reference="",
            ):
                continue
            req = DataSubjectRequest.objects.get(pk=pk)
            scrub_request_emails(req)
            audit(Action.EXPIRED, request=req, by="system")
            expired += 1
    return expired


def _notice_settled(req: DataSubjectRequest, now: datetime) -> bool:
    """Whether the emails about ``req`` have left (or will never leave)."""
    return not may_still_send(req.object_ref) or (
        req.erased_at is not None and now - req.erased_at > NOTICE_GRACE
    )


def finish_erasure(request_pk: int, *, now: datetime | None = None) -> bool:
    """Scrub an erased request's last traces once its emails have left; True when done.

    Idempotent; returns False while an email about the request still waits to be sent (the
    periodic sweep calls it again).
    """
    now = now or timezone.now()
    req = DataSubjectRequest.objects.filter(pk=request_pk, erased_at__isnull=False).first()
    if req is None:
        return True
    if not _notice_settled(req, now):
        return False
    with transaction.atomic():
        scrub_request_emails(req)
        registration = personal_data.registration(
            f"{DataSubjectRequest._meta.label_lower}:requester"
        )
        rows = DataSubjectRequest.objects.filter(pk=req.pk)
        if registration is not None:
            anonymise_rows(registration, rows, now=req.erased_at or now)
        req.refresh_from_db()
        req.audit_entries.exclude(note="").redact(note=REDACTED_TEXT)
        req.audit_entries.exclude(subject_digest="").redact(subject_digest="")
    return True


def pending_erasures() -> QuerySet[DataSubjectRequest]:
    """Erased requests whose own address is not scrubbed yet (waiting for their last email)."""
    return DataSubjectRequest.objects.filter(erased_at__isnull=False).exclude(
        Q(email="") & Q(name="")
    )


def finish_pending_erasures(now: datetime | None = None) -> int:
    """Finish every erasure whose last email has left; return how many were finished."""
    return sum(
        1 for pk in pending_erasures().values_list("pk", flat=True) if finish_erasure(pk, now=now)
    )
