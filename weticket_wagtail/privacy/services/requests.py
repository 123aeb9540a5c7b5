"""The life of a data-subject request: submitted, confirmed, handled, closed; and its audit trail.

Every change is a compare-and-set on the request's status (ARCHITECTURE rule 4) and writes an
:class:`~weticket_wagtail.privacy.models.AuditEntry` in the same transaction; every email to
the requester or the handler goes through the outbox in that transaction too (rule 6).

Links in emails are signed (``django.core.signing``, salted per purpose) and carry the request's
primary key and its random ``nonce``: an altered link fails the signature, an old one fails
its maximum age. Nothing secret is stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.languages import in_language, link_language
from weticket_wagtail.mail.outbox import Email, enqueue_templated_email

from ..models import AuditEntry, DataSubjectRequest, RequestTenant
from ..registry import SubjectRecords, normalise_email, personal_data
from ..tenancy import is_privacy_contact, user_tenant_ids
from .deadlines import MAX_EXTENSION_MONTHS, due_date, extended_due_date

logger = logging.getLogger(__name__)

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status
Action = AuditEntry.Action

CONFIRM_SALT = "weticket.privacy.request.confirm"
EMAIL_DIR = "weticket_wagtail/privacy/email"


class RequestError(Exception):
    """A request cannot do what was asked; ``message`` says why, fit to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LinkInvalid(RequestError):
    """A link whose signature does not match: altered, cut short or made up."""


class LinkExpired(RequestError):
    """A link older than it may be."""


# --- signed links --------------------------------------------------------------------------------


def sign_link(req: DataSubjectRequest, salt: str, extra: str = "") -> str:
    """A signed, timestamped token naming ``req`` (and ``extra``), for one purpose (``salt``)."""
    return signing.dumps([req.pk, req.nonce, extra], salt=salt)


def read_link(token: str, salt: str, max_age: timedelta) -> tuple[DataSubjectRequest, str]:
    """The request (and ``extra``) a token of :func:`sign_link` names.

    Raises :class:`LinkExpired` for a genuine token older than ``max_age`` and
    :class:`LinkInvalid` for anything else that is not exactly a token we made.
    """
    try:
        pk, nonce, extra = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkExpired(_("This link has expired.")) from exc
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise LinkInvalid(
            _("This link is not valid. Use the link from the email exactly as it was sent.")
        ) from exc
    req = DataSubjectRequest.objects.filter(pk=pk).first()
    if req is None or not hmac.compare_digest(str(req.nonce), str(nonce)):
        raise LinkInvalid(_("This link is not valid any more."))
    return req, extra


def absolute_url(path: str) -> str:
    return weticket_settings.PUBLIC_BASE_URL.rstrip("/") + path


def public_url(name: str, *args: Any, language: str = "") -> str:
    """Absolute URL of one of the privacy app's public views, in ``language`` (default: the
    active one; a prefix only under the project's ``i18n_patterns``); ``""`` when they are not
    included."""
    try:
        return absolute_url(
            in_language(language, lambda: reverse(f"weticket_privacy:{name}", args=args))
        )
    except NoReverseMatch:
        return ""


def confirm_max_age() -> timedelta:
    return timedelta(hours=float(weticket_settings.PRIVACY_REQUEST_CONFIRM_HOURS))


def confirmation_url(req: DataSubjectRequest) -> str:
    """The emailed confirmation link, in the requester's language."""
    return public_url("confirm", sign_link(req, CONFIRM_SALT), language=req.language)


# --- the audit trail --------------------------------------------------------------------------


def subject_digest(email: str) -> str:
    """A keyed hash of a normalised address: ties audit entries to a subject without naming
    them. Empty for an empty address."""
    email = normalise_email(email)
    if not email:
        return ""
    key = f"weticket.privacy.subject:{settings.SECRET_KEY}".encode()
    return hmac.new(key, email.encode(), hashlib.sha256).hexdigest()


def actor_label(user) -> str:
    if user is None:
        return ""
    return user.get_username()


def audit(
    action: str,
    *,
    request: DataSubjectRequest | None = None,
    actor=None,
    message: str = "",
    note: str = "",
    email: str = "",
    by: str = "",
) -> AuditEntry:
    """Append an entry to the audit trail. ``message`` must name no person (it is kept after
    erasure); what a person typed goes in ``note``. ``by`` labels a non-user actor
    ("requester", "system")."""
    return AuditEntry.objects.create(
        request=request,
        subject_digest=subject_digest(email) if email else "",
        action=action,
        message=message,
        note=note,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor) if getattr(actor, "pk", None) else by,
    )


# --- emails ----------------------------------------------------------------------------------


def contact_email() -> str:
    configured = weticket_settings.PRIVACY_CONTACT_EMAIL or weticket_settings.FROM_EMAIL
    return parseaddr(configured)[1]


def request_context(req: DataSubjectRequest, **extra) -> dict:
    return {
        "request": req,
        "kind": req.get_kind_display(),
        "site_name": getattr(settings, "WAGTAIL_SITE_NAME", ""),
        "contact_email": contact_email(),
        "response_weeks": weticket_settings.PRIVACY_RESPONSE_WEEKS,
        **extra,
    }


def email_requester(req: DataSubjectRequest, template: str, key: str, **context) -> None:
    """Queue ``template`` to the requester, in their language, keyed ``dsr:<pk>:<key>``."""
    if not req.email:
        return
    enqueue_templated_email(
        Email(
            dedupe_key=f"dsr:{req.pk}:{key}"[:200],
            to=req.email,
            language=req.language or settings.LANGUAGE_CODE,
            topic=f"privacy_{template}"[:64],
            object_ref=req.object_ref,
            reply_to=contact_email(),
        ),
        template=f"{EMAIL_DIR}/{template}",
        context=request_context(req, **context),
    )


def admin_url(req: DataSubjectRequest) -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or weticket_settings.PUBLIC_BASE_URL
    try:
        path = reverse("weticket_privacy_requests:inspect", args=[req.pk])
    except NoReverseMatch:
        return ""
    return base.rstrip("/") + path


def email_handler(req: DataSubjectRequest, key: str) -> None:
    """Tell the assignee (else the privacy contact address) about a new request to handle.

    The email names the request by reference, type and due date only: the requester's address
    stays in the admin.
    """
    to = (req.assignee.email if req.assignee_id and req.assignee else "") or contact_email()
    if not to:
        return
    enqueue_templated_email(
        Email(
            dedupe_key=f"dsr:{req.pk}:{key}"[:200],
            to=to,
            language=settings.LANGUAGE_CODE,
            topic="privacy_request_new_staff",
            object_ref=req.object_ref,
        ),
        template=f"{EMAIL_DIR}/request_new_staff",
        context=request_context(req, admin_url=admin_url(req)),
    )


# --- submitting and confirming --------------------------------------------------------------


def submit_request(
    *,
    kind: str,
    email: str,
    details: str = "",
    name: str = "",
    order_reference: str = "",
    language: str = "",
    site=None,
    consent_id: str = "",
    now: datetime | None = None,
) -> DataSubjectRequest:
    """Record a new, unconfirmed request and email the requester the link to confirm it.

    Nothing else happens until the link is used: the address may not be the requester's.
    ``consent_id`` is the consent ID of the requester's browser, if it made a cookie choice:
    the registry then finds that browser's consent records as the subject's.
    """
    if kind not in Kind.values:
        raise RequestError(_("Unknown type of request."))
    email = normalise_email(email)
    if not email:
        raise RequestError(_("An email address is needed."))
    with transaction.atomic():
        req = DataSubjectRequest.objects.create(
            kind=kind,
            email=email,
            name=name.strip()[:200],
            details=details.strip(),
            order_reference=order_reference.strip()[:32],
            consent_id=(consent_id or "")[:19],
            language=(language or "")[:15],
            site=site,
            received_at=now or timezone.now(),
        )
        audit(Action.SUBMITTED, request=req, by="requester", message=req.get_kind_display())
        email_requester(
            req,
            "request_confirm",
            "confirm",
            confirm_url=confirmation_url(req),
            confirm_hours=weticket_settings.PRIVACY_REQUEST_CONFIRM_HOURS,
            due_if_today=due_date(timezone.localdate(req.received_at)),
        )
    return req


def verify_request(token: str, *, now: datetime | None = None) -> tuple[DataSubjectRequest, bool]:
    """Confirm the request a confirmation link names; return it and whether this call did.

    A request already confirmed is returned unchanged (``False``). Raises :class:`LinkInvalid`
    or :class:`LinkExpired` for a bad link, and :class:`LinkExpired` for a request that expired
    unconfirmed. On confirmation: the due date is set, the registry is searched for the
    subject's records (their counts and tenants are stored), the request is assigned to the
    default handler, and the requester and the handler are emailed.
    """
    req, _extra = read_link(token, CONFIRM_SALT, confirm_max_age())
    now = now or timezone.now()
    with transaction.atomic():
        changed = DataSubjectRequest.objects.filter(pk=req.pk, status=Status.NEW).update(
            status=Status.VERIFIED,
            verified_at=now,
            original_due_on=due_date(timezone.localdate(now)),
            due_on=due_date(timezone.localdate(now)),
        )
        req.refresh_from_db()
        if not changed:
            if req.status == Status.EXPIRED:
                raise LinkExpired(_("This request was not confirmed in time."))
            return req, False
        refresh_records(req)
        assignee = default_assignee()
        if assignee is not None:
            DataSubjectRequest.objects.filter(pk=req.pk).update(assignee=assignee)
            req.assignee = assignee
        audit(Action.VERIFIED, request=req, by="requester")
        email_requester(req, "request_received", "received")
        email_handler(req, "staff-new")
    return req, True


def default_assignee():
    """``PRIVACY_DEFAULT_ASSIGNEE``, else the first active privacy contact, else ``None``."""
    users = get_user_model()._default_manager.filter(is_active=True)
    username = weticket_settings.PRIVACY_DEFAULT_ASSIGNEE
    if username:
        return users.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    permission = Permission.objects.filter(
        content_type__app_label="weticket_privacy", codename="handle_all_requests"
    ).first()
    if permission is None:
        return None
    return (
        users.filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .distinct()
        .order_by("pk")
        .first()
    )


# --- what the registry finds -------------------------------------------------------------------


def find_records(req: DataSubjectRequest) -> SubjectRecords:
    """The subject's records, as the registry finds them now."""
    return personal_data.find(req.email)


def refresh_records(req: DataSubjectRequest) -> SubjectRecords:
    """Search the registry again; store the counts per kind of record and the tenants."""
    records = find_records(req)
    summary = records.counts()
    DataSubjectRequest.objects.filter(pk=req.pk).update(records_summary=summary)
    req.records_summary = summary
    tenants = records.tenant_ids()
    RequestTenant.objects.filter(request=req).exclude(tenant_id__in=tenants).delete()
    RequestTenant.objects.bulk_create(
        [RequestTenant(request=req, tenant_id=tenant) for tenant in tenants],
        ignore_conflicts=True,
    )
    return records


# --- who sees what ------------------------------------------------------------------------------


def requests_visible_to(user) -> QuerySet[DataSubjectRequest]:
    """The requests ``user`` may see in the admin.

    Privacy contacts (and superusers) see all; staff with ``view_datasubjectrequest`` see those
    about their tenants' data; anyone else none.
    """
    requests = DataSubjectRequest.objects.all()
    if is_privacy_contact(user):
        return requests
    if not (
        getattr(user, "is_active", False)
        and user.has_perm("weticket_privacy.view_datasubjectrequest")
    ):
        return requests.none()
    tenants = user_tenant_ids(user)
    return requests.filter(tenants__tenant_id__in=tenants).distinct()


# --- handling ------------------------------------------------------------------------------------


def _transition(req: DataSubjectRequest, allowed, **values) -> bool:
    changed = DataSubjectRequest.objects.filter(pk=req.pk, status__in=list(allowed)).update(
        **values
    )
    req.refresh_from_db()
    return bool(changed)


def _require_open(req: DataSubjectRequest) -> None:
    if req.status not in DataSubjectRequest.OPEN:
        raise RequestError(_("This request is closed."))


def assign(req: DataSubjectRequest, assignee, *, by) -> None:
    """Give the request to ``assignee`` (``None``: nobody) and tell them."""
    with transaction.atomic():
        _require_open(req)
        DataSubjectRequest.objects.filter(pk=req.pk).update(assignee=assignee)
        req.refresh_from_db()
        audit(
            Action.ASSIGNED,
            request=req,
            actor=by,
            message=actor_label(assignee) if assignee else _("nobody"),
        )
        if assignee is not None and assignee != by:
            email_handler(req, f"assigned:{assignee.pk}:{uuid.uuid4().hex}")


HANDLER_STATUSES = (Status.IN_PROGRESS, Status.WAITING)


def change_status(req: DataSubjectRequest, status: str, *, by, note: str = "") -> None:
    """Move an open request to "in progress" or "waiting for the requester"."""
    if status not in HANDLER_STATUSES:
        raise RequestError(_("Use the actions to close a request."))
    with transaction.atomic():
        if not _transition(req, DataSubjectRequest.OPEN, status=status):
            raise RequestError(_("This request is closed."))
        audit(Action.STATUS, request=req, actor=by, message=req.get_status_display(), note=note)


def add_note(req: DataSubjectRequest, note: str, *, by) -> None:
    note = note.strip()
    if not note:
        raise RequestError(_("The note is empty."))
    audit(Action.NOTE, request=req, actor=by, note=note)


def extend(
    req: DataSubjectRequest, months: int, reason: str, *, by, today=None
) -> DataSubjectRequest:
    """Extend the deadline by ``months`` (in all at most two beyond the first due date), with a
    reason, and email the requester; only before the first due date has passed."""
    today = today or timezone.localdate()
    reason = reason.strip()
    if not reason:
        raise RequestError(_("Say why the request needs more time."))
    with transaction.atomic():
        req = DataSubjectRequest.objects.select_for_update().get(pk=req.pk)
        _require_open(req)
        if req.original_due_on is None or today > req.original_due_on:
            raise RequestError(
                _("The deadline can only be extended before the first due date has passed.")
            )
        total = req.extension_months + int(months)
        if int(months) < 1 or total > MAX_EXTENSION_MONTHS:
            raise RequestError(
                _("The deadline can be extended by at most %(months)s months in all.")
                % {"months": MAX_EXTENSION_MONTHS}
            )
        req.due_on = extended_due_date(req.original_due_on, total)
        req.extension_months = total
        req.extension_reason = reason
        req.extended_at = timezone.now()
        req.status = Status.EXTENDED
        req.save(
            update_fields=[
                "due_on",
                "extension_months",
                "extension_reason",
                "extended_at",
                "status",
            ]
        )
        audit(
            Action.EXTENDED,
            request=req,
            actor=by,
            message=_("by %(months)s month(s), until %(due)s")
            % {"months": total, "due": req.due_on.isoformat()},
            note=reason,
        )
        email_requester(req, "request_update", f"extended:{total}", update="extended")
    return req


def reply(req: DataSubjectRequest, message: str, *, by, waiting: bool = False) -> None:
    """Email ``message`` to the requester; ``waiting`` marks the request as waiting for them."""
    message = message.strip()
    if not message:
        raise RequestError(_("The message is empty."))
    with transaction.atomic():
        _require_open(req)
        values: dict[str, Any] = {"reply": message}
        if waiting:
            values["status"] = Status.WAITING
        _transition(req, DataSubjectRequest.OPEN, **values)
        audit(Action.REPLIED, request=req, actor=by, note=message)
        email_requester(
            req, "request_update", f"reply:{uuid.uuid4().hex}", update="reply", message=message
        )


def reject(req: DataSubjectRequest, reason: str, *, by) -> None:
    """Close the request unfulfilled, telling the requester why (and where to complain)."""
    reason = reason.strip()
    if not reason:
        raise RequestError(_("Say why the request is rejected."))
    with transaction.atomic():
        if not _transition(
            req,
            DataSubjectRequest.OPEN,
            status=Status.REJECTED,
            rejection_reason=reason,
            completed_at=timezone.now(),
        ):
            raise RequestError(_("This request is closed."))
        audit(Action.REJECTED, request=req, actor=by, note=reason)
        email_requester(
            req,
            "request_update",
            "closed",
            update="rejected",
            message=reason,
            authority=weticket_settings.SUPERVISORY_AUTHORITY,
        )


def complete(
    req: DataSubjectRequest, *, by, message: str = "", update: str = "completed", **context
) -> None:
    """Close the request as done and email the requester (with ``message``, if any)."""
    message = message.strip()
    with transaction.atomic():
        values: dict[str, Any] = {"status": Status.COMPLETED, "completed_at": timezone.now()}
        if message:
            values["reply"] = message
        if not _transition(req, DataSubjectRequest.OPEN, **values):
            raise RequestError(_("This request is closed."))
        audit(Action.COMPLETED, request=req, actor=by, note=message)
        email_requester(req, "request_update", "closed", update=update, message=message, **context)


def summary_labels(summary: Mapping[str, int]) -> list[tuple[str, int]]:
    """``(label, count)`` per kind of record in a stored summary, for people to read."""
    rows = []
    for key, count in summary.items():
        registration = personal_data.registration(key)
        if registration is None:
            rows.append((key, count))
            continue
        name = capfirst(str(registration.model._meta.verbose_name_plural))
        if len(personal_data.registrations_of(registration.label)) > 1:
            name = f"{name} ({registration.role.replace('_', ' ')})"
        rows.append((name, count))
    return rows


# --- links to the form, for other apps' emails ---------------------------------------------------


def request_form_url(
    *, kind: str = "", order_reference: str = "", site=None, language: str = ""
) -> str:
    """Absolute URL of the request form, prefilled with ``kind`` and ``order_reference``, for a
    reader of ``language`` (default: the active one).

    The live *Privacy request page* of ``site`` (a ``Site``, its pk or ``None`` for the
    default) in that language, else in another, if there is one; else the plain URL
    (``weticket_privacy:request``); ``""`` when neither exists. Other apps call this to offer
    a request, e.g. the automatic cancellation's email offers a person's review of that
    decision.
    """
    from urllib.parse import urlencode

    from wagtail.models import Page

    from ..models import AbstractPrivacyRequestPage
    from ..sites import absolute_page_url, in_site_filter

    language = link_language(language)
    in_site = in_site_filter(site, "")
    page = None
    if in_site is not None:
        pages = Page.objects.live().type(AbstractPrivacyRequestPage).filter(in_site)
        page = pages.filter(locale__language_code=language).first() or pages.first()
    if page is not None:
        url = in_language(language, lambda: absolute_page_url(page))
    else:
        url = public_url("request", language=language)
    if not url:
        return ""
    query = {k: v for k, v in (("type", kind), ("order", order_reference)) if v}
    return f"{url}?{urlencode(query)}" if query else url
