"""Restriction, objection and legal hold: limits on what we do with one person's data.

A restriction (GDPR article 18) or objection (article 21) flag means: only what the law or the
person's own order needs. Concretely, everything that is not essential asks here first:

* policy-change campaigns leave flagged people out (:func:`exclude_limited`);
* anonymised insights and exports for organisations leave them out (the same filter, for
  #12's insights and any agency report: ``rows.exclude(limited_q("buyer_email"))``);
* order emails, refunds and answers to their own requests are essential and still go out.

A legal hold stops the retention purge (:func:`on_hold`), as does any open request.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import DataSubjectRequest, SubjectFlag
from ..registry import email_expression, normalise_email
from .requests import Action, audit

Kind = SubjectFlag.Kind
#: Flags under which only essential processing happens.
LIMITING = (Kind.RESTRICTION, Kind.OBJECTION)


def active_flags() -> QuerySet[SubjectFlag]:
    return SubjectFlag.objects.filter(lifted_at__isnull=True)


def set_flag(
    email: str,
    kind: str,
    *,
    by=None,
    request: DataSubjectRequest | None = None,
    reason: str = "",
) -> SubjectFlag:
    """Put an active ``kind`` flag on the person at ``email`` (idempotent) and audit it."""
    email = normalise_email(email)
    with transaction.atomic():
        flag = active_flags().filter(email=email, kind=kind).first()
        if flag is None:
            try:
                with transaction.atomic():
                    flag = SubjectFlag.objects.create(
                        email=email, kind=kind, request=request, reason=reason.strip()
                    )
            except IntegrityError:  # set at the same moment by someone else
                flag = active_flags().get(email=email, kind=kind)
            audit(
                Action.FLAGGED,
                request=request,
                actor=by,
                email=email,
                message=str(Kind(kind).label),
                note=reason,
            )
    return flag


def lift_flag(flag: SubjectFlag, *, by=None, reason: str = "") -> None:
    """End an active flag (the person's data may be processed normally again)."""
    with transaction.atomic():
        if SubjectFlag.objects.filter(pk=flag.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now()
        ):
            audit(
                Action.UNFLAGGED,
                request=flag.request,
                actor=by,
                email=flag.email,
                message=str(Kind(flag.kind).label),
                note=reason,
            )


def flags_for(email: str) -> list[SubjectFlag]:
    return list(active_flags().filter(email=normalise_email(email)).order_by("created_at"))


def is_limited(email: str) -> bool:
    """Whether only essential processing may use this person's data."""
    return active_flags().filter(email=normalise_email(email), kind__in=LIMITING).exists()


def limited_q(email_path: str) -> Q:
    """A filter matching rows whose ``email_path`` belongs to a restricted or objecting person.

    Use it to leave them out of anything non-essential: ``rows.exclude(limited_q("email"))``.
    """
    return Q(
        Exists(
            active_flags().filter(kind__in=LIMITING, email=email_expression(OuterRef(email_path)))
        )
    )


def exclude_limited(emails: Iterable[str]) -> set[str]:
    """The normalised addresses among ``emails`` that are restricted or objecting."""
    wanted = {normalise_email(email) for email in emails}
    if not wanted:
        return set()
    return set(
        active_flags().filter(kind__in=LIMITING, email__in=wanted).values_list("email", flat=True)
    )


def on_hold(email: str) -> bool:
    """Whether the retention purge must leave this person's data alone: a legal hold, or a
    request that is not closed yet (confirmed or not)."""
    email = normalise_email(email)
    if active_flags().filter(email=email, kind=Kind.LEGAL_HOLD).exists():
        return True
    return (
        DataSubjectRequest.objects.filter(email=email)
        .exclude(status__in=DataSubjectRequest.CLOSED)
        .exists()
    )


def describe(kind: str) -> str:
    return {
        Kind.RESTRICTION: _("Only essential processing: no campaigns, insights or exports."),
        Kind.OBJECTION: _("Only essential processing: no campaigns, insights or exports."),
        Kind.LEGAL_HOLD: _("Nothing is purged while the hold lasts."),
    }.get(kind, "")
