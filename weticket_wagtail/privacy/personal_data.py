"""What personal data the privacy and mail apps hold, and staff accounts, declared to the registry.

* the outbox (mail cannot import privacy, so privacy registers mail's model): the recipient's
  address, the subject and bodies, attachments and the dedupe key (which may hold an address);
  found by address and by the record each email is about;
* policy-change campaign recipients (a copy of who was told, with their name);
* data-subject requests, their audit trail and processing limits;
* the user model: staff accounts of organisers are personal data too (found by their email);
* who published a statement version (kept: the statement's history is never rewritten).

Registered from :meth:`PrivacyConfig.ready`, before the apps that hold buyers register theirs.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.db.models.lookups import Exact

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.mail.sender import withdraw

from .categories import Audience, DataCategory
from .models import (
    AuditEntry,
    CampaignRecipient,
    DataSubjectRequest,
    NotificationCampaign,
    PolicyVersion,
    PrivacyRequestPage,
    PrivacyStatementPage,
    Processor,
    PurgeLogEntry,
    RequestTenant,
    RetentionRule,
    SubjectFlag,
)
from .registry import (
    ACCOUNTABILITY,
    REDACTED_TEXT,
    Anonymise,
    Retention,
    SubjectRecords,
    any_of,
    email_expression,
    kept,
    personal,
    personal_data,
)

C = DataCategory
BOTH = (Audience.VISITOR, Audience.ORGANISER)
REQUEST_LABEL = DataSubjectRequest._meta.label_lower


def _erased_placeholder(model) -> Concat:
    return Concat(Value("erased:"), Cast("pk", output_field=CharField()), output_field=CharField())


def anonymise_outbox(rows: QuerySet) -> int:
    """Scrub emails: no address, subject, body or attachment left; never sent any more."""
    withdraw(rows)
    return rows.update(
        to="",
        subject=REDACTED_TEXT,
        body_text="",
        body_html="",
        attachments=[],
        dedupe_key=_erased_placeholder(OutboxMessage),
        last_error="",
    )


def outbox_about_records(records: SubjectRecords) -> Q | None:
    """The emails about any record found for the subject (its orders, its requests …), so an
    email sent before the address was corrected is found too."""
    own = f"{OutboxMessage._meta.label_lower}:"
    refs = [ref for ref in records.refs() if not ref.startswith(own)]
    return Q(any_of("object_ref", refs)) if refs else None


def outbox_replying_as_contact(records: SubjectRecords) -> Q | None:
    """Emails whose Reply-To is the subject's address. Only organisers' addresses (an
    organisation's contact, the privacy contact) are ever put there, so the outbox is searched
    for it only when the subject is found as an organiser: the column has no index, and the
    erasure of every buyer would scan the whole outbox for nothing."""
    organiser_only = (Audience.ORGANISER,)
    if not records.email or not any(
        records.found.get(r.key)
        for r in personal_data.registrations()
        if r.audiences == organiser_only and r.model is not OutboxMessage
    ):
        return None
    return Q(Exact(email_expression("reply_to"), records.email))


def redact_audit(rows: QuerySet) -> int:
    """Audit entries are append-only: only their notes and subject link are redacted."""
    count = rows.count()
    rows.exclude(note="").redact(note=REDACTED_TEXT)
    rows.exclude(subject_digest="").redact(subject_digest="")
    return count


def redact_audit_actor(rows: QuerySet) -> int:
    return rows.redact(actor=None, actor_label=REDACTED_TEXT)


def audit_about_subject(records: SubjectRecords) -> Q | None:
    from .services.requests import subject_digest

    digest = subject_digest(records.email)
    return Q(subject_digest=digest) if digest else None


def anonymise_accounts(rows: QuerySet) -> int:
    """Staff accounts: no name or address left, signed out for good (no usable password)."""
    user_model = rows.model
    values = {"is_active": False, "password": make_password(None)}
    names = {f.name for f in user_model._meta.get_fields()}
    for name in ("first_name", "last_name"):
        if name in names:
            values[name] = ""
    if "last_login" in names:
        values["last_login"] = None
    email_field = user_model.get_email_field_name()
    if email_field in names:
        values[email_field] = ""
    username = user_model.USERNAME_FIELD
    if username != email_field:
        values[username] = Concat(
            Value("erased-"), Cast("pk", output_field=CharField()), output_field=CharField()
        )
    return rows.update(**values)


def published_by_users(records: SubjectRecords) -> Q | None:
    """Statement versions published by a staff account found for the subject."""
    user_model = get_user_model()
    usernames = list(
        user_model._default_manager.filter(
            any_of("pk", records.pks(user_model._meta.label_lower))
        ).values_list(user_model.USERNAME_FIELD, flat=True)
    )
    query = Q()
    for username in usernames:
        query |= Q(published_by=username) | Q(published_by__endswith=f"({username})")
    return query or None


def register_user_model() -> None:
    user_model = get_user_model()
    names = {f.name for f in user_model._meta.get_fields()}
    email_field = user_model.get_email_field_name()
    if email_field not in names:
        return  # a user model without addresses: nothing to find its people by
    fields = [personal(email_field, C.EMAIL, rectifiable=True)]
    for name in ("first_name", "last_name"):
        if name in names:
            fields.append(personal(name, C.CONTACT, rectifiable=True))
    if user_model.USERNAME_FIELD != email_field:
        fields.append(personal(user_model.USERNAME_FIELD, C.CONTACT, Anonymise.UNIQUE))
    personal_data.register(
        user_model,
        role="account",
        email=email_field,
        name="first_name" if "first_name" in names else "",
        audience=Audience.ORGANISER,
        fields=fields,
        kept=[kept("date_joined", ACCOUNTABILITY, Retention.STAFF_ACCOUNTS, C.CONTACT)]
        if "date_joined" in names
        else [],
        retention=Retention.STAFF_ACCOUNTS,
        erase=anonymise_accounts,
        still_held=lambda rows: rows.exclude(**{email_field: ""}),
    )


def register() -> None:
    """Declare the personal data of the privacy and mail apps and of staff accounts."""
    user_label = get_user_model()._meta.label_lower
    register_user_model()

    # --- the outbox --------------------------------------------------------------------------
    personal_data.register(
        OutboxMessage,
        role="recipient",
        email="to",
        related=outbox_about_records,
        audience=BOTH,
        fields=[
            personal("to", C.EMAIL),
            personal("subject", C.SELF_PROVIDED, Anonymise.REDACTED),
            personal("body_text", C.SELF_PROVIDED),
            personal("body_html", C.SELF_PROVIDED),
            personal("attachments", C.SELF_PROVIDED, Anonymise.EMPTY_LIST),
            personal("dedupe_key", C.EMAIL, Anonymise.UNIQUE),
            personal("last_error", C.EMAIL),
        ],
        retention=Retention.OUTBOX,
        retention_from="created_at",
        erase=anonymise_outbox,
    )
    personal_data.register(
        OutboxMessage,
        role="reply_to",
        related=outbox_replying_as_contact,
        audience=Audience.ORGANISER,
        fields=[personal("reply_to", C.EMAIL)],
        retention=Retention.OUTBOX,
        retention_from="created_at",
    )
    personal_data.not_personal(
        OutboxMessage,
        "language",
        "topic",
        "object_ref",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "locked_until",
        "sent_at",
        "claim_token",
    )

    # --- policy-change notifications ------------------------------------------------------------
    personal_data.register(
        CampaignRecipient,
        role="recipient",
        email="email",
        name="name",
        language="language",
        audience=BOTH,
        fields=[
            personal("email", C.EMAIL, Anonymise.UNIQUE),
            personal("name", C.CONTACT),
        ],
        retention=Retention.CAMPAIGN_RECIPIENTS,
        retention_from="queued_at",
        still_held=lambda rows: rows.exclude(email__startswith="erased:"),
    )
    personal_data.not_personal(CampaignRecipient, "campaign", "language", "queued_at")
    personal_data.not_personal(
        NotificationCampaign,
        "version",
        "status",
        "languages",
        "recipients_total",
        "created_at",
        "collected_at",
        "finished_at",
        "scheduled_until",
        "heartbeat_at",
    )
    personal_data.register(
        PolicyVersion,
        role="publisher",
        related=published_by_users,
        audience=Audience.ORGANISER,
        kept=[kept("published_by", ACCOUNTABILITY, Retention.STATEMENT_HISTORY, C.CONTACT)],
        retention=Retention.STATEMENT_HISTORY,
    )
    personal_data.not_personal(
        PolicyVersion,
        "page",
        "number",
        "locale",
        "title",
        "established_at",
        "rendered_html",
        "rendered_text",
        "body_json",
        "content_hash",
        "revision_id",
        "change_summary",
        "is_material",
    )

    # --- data-subject requests --------------------------------------------------------------------
    personal_data.register(
        DataSubjectRequest,
        role="requester",
        email="email",
        name="name",
        language="language",
        audience=BOTH,
        fields=[
            personal("email", C.EMAIL),
            personal("name", C.CONTACT),
            personal("details", C.SELF_PROVIDED, Anonymise.REDACTED),
            personal("order_reference", C.SELF_PROVIDED),
            personal("consent_id", C.DEVICE),
            personal("reply", C.SELF_PROVIDED, Anonymise.REDACTED),
            personal("rejection_reason", C.SELF_PROVIDED, Anonymise.REDACTED),
            personal("extension_reason", C.SELF_PROVIDED, Anonymise.REDACTED),
        ],
        kept=[
            kept(name, ACCOUNTABILITY, Retention.REQUESTS, C.SELF_PROVIDED)
            for name in ("reference", "kind", "status", "received_at", "completed_at")
        ],
        retention=Retention.REQUESTS,
        retention_from="received_at",
        anonymised_marker="erased_at",
        still_held=lambda rows: rows.exclude(email=""),
    )
    personal_data.register(
        DataSubjectRequest,
        role="assignee",
        via=[("assignee", user_label)],
        audience=Audience.ORGANISER,
        fields=[personal("assignee", C.CONTACT, Anonymise.NULL)],
        retention=Retention.REQUESTS,
    )
    personal_data.not_personal(
        DataSubjectRequest,
        "language",
        "site",
        "nonce",
        "verified_at",
        "original_due_on",
        "due_on",
        "extension_months",
        "extended_at",
        "records_summary",
        "exported_at",
        "erased_at",
    )
    personal_data.not_personal(RequestTenant, "request", "tenant_id")
    personal_data.register(
        AuditEntry,
        role="subject",
        via=[("request", REQUEST_LABEL)],
        related=audit_about_subject,
        audience=BOTH,
        fields=[
            personal("note", C.SELF_PROVIDED, Anonymise.REDACTED),
            personal("subject_digest", C.EMAIL),
        ],
        retention=Retention.REQUESTS,
        retention_from="created_at",
        erase=redact_audit,
    )
    personal_data.register(
        AuditEntry,
        role="actor",
        via=[("actor", user_label)],
        audience=Audience.ORGANISER,
        fields=[
            personal("actor", C.CONTACT, Anonymise.NULL),
            personal("actor_label", C.CONTACT, Anonymise.REDACTED),
        ],
        retention=Retention.REQUESTS,
        erase=redact_audit_actor,
    )
    personal_data.not_personal(AuditEntry, "request", "action", "message", "created_at")
    personal_data.register(
        SubjectFlag,
        role="subject",
        email="email",
        audience=BOTH,
        fields=[personal("email", C.EMAIL), personal("reason", C.SELF_PROVIDED)],
        retention=Retention.REQUESTS,
        on_erase="delete",
    )
    personal_data.not_personal(SubjectFlag, "kind", "request", "created_at", "lifted_at")

    # --- what holds no personal data -----------------------------------------------------------
    personal_data.not_personal(
        Processor,
        "translation_key",
        "locale",
        "name",
        "role",
        "purpose",
        "data_categories",
        "agreement_date",
        "country",
        "website",
        "sort_order",
    )
    personal_data.not_personal(
        RetentionRule,
        "translation_key",
        "locale",
        "record",
        "category",
        "data_categories",
        "period_amount",
        "period_unit",
        "counted_from",
        "period",
        "reason",
        "sort_order",
    )
    personal_data.not_personal(
        PurgeLogEntry,
        "run",
        "category",
        "dry_run",
        "status",
        "cutoff",
        "counts",
        "total",
        "held",
        "error",
        "started_at",
        "finished_at",
        reason="counts per kind of record; no one is named",
    )
    personal_data.not_personal(
        PrivacyStatementPage, "intro", "body", "change_summary", "change_is_material"
    )
    personal_data.not_personal(PrivacyRequestPage, "intro", "after_submit")
