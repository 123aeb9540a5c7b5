"""The retention schedule and the purge that runs it.

:func:`schedule` answers, per retention category of the registry, the period in force: the
category's rule in *Privacy → Retention schedule* (the default locale's, else any), else the
default in ``RETENTION_SCHEDULE``. The statement's retention block lists the same rules.

:func:`purge` anonymises (or deletes, as each registration says) every row past its period,
through the registry and :func:`~.erasure.anonymise_rows`, the erasure's own anonymisation.
Guarantees:

* **no long locks**: rows are taken in keyset batches by primary key (``pk > last ORDER BY pk
  LIMIT n``), each batch anonymised in its own short transaction;
* **resumable**: an anonymised row is no longer due (its registration's ``still_held``, or
  its personal fields no longer hold anything), so a purge that stopped half-way and runs
  again carries on and ends in the state an uninterrupted run leaves;
* **holds**: rows the registry finds for a person with an open request (confirmed or not), a
  legal hold or a restriction are never touched;
* **the dry run** walks the same batches and reports the same counts, changing nothing;
* every run writes one :class:`~..models.PurgeLogEntry` per category, updated per batch.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import CharField, Q, QuerySet, TextField
from django.utils import timezone
from wagtail.models import Locale

from weticket_wagtail.conf import weticket_settings

from ..categories import RetentionCategory
from ..models import DataSubjectRequest, PurgeLogEntry, RetentionRule, SubjectFlag
from ..periods import Period
from ..registry import REDACTED_TEXT, Anonymise, Registration, any_of, personal_data
from .erasure import anonymise_rows, scrub_log_entries

logger = logging.getLogger(__name__)

#: Flags under which the purge leaves a person's data alone.
HOLDING_FLAGS = (SubjectFlag.Kind.LEGAL_HOLD, SubjectFlag.Kind.RESTRICTION)


class UnknownCategory(ValueError):
    """A retention category that the schedule does not know."""


# --- the schedule ----------------------------------------------------------------------------


def default_period(category: str) -> Period:
    """The period ``RETENTION_SCHEDULE`` gives ``category`` (never purged when absent)."""
    return Period.from_setting((weticket_settings.RETENTION_SCHEDULE or {}).get(category))


def rule_for(category: str) -> RetentionRule | None:
    """The schedule's rule for ``category``: the default locale's, else any translation."""
    rules = RetentionRule.objects.filter(category=category)
    default = Locale.get_default() if Locale.objects.exists() else None
    if default is not None:
        rule = rules.filter(locale=default).first()
        if rule is not None:
            return rule
    return rules.order_by("pk").first()


def period_for(category: str) -> Period:
    """The period in force for ``category``: its rule's, else the settings' default."""
    rule = rule_for(category)
    return rule.retention_period if rule is not None else default_period(category)


def schedule() -> dict[str, Period]:
    """Every retention category with its period in force, in the categories' order."""
    return {category: period_for(category) for category in RetentionCategory.values}


def check_categories(categories: Iterable[str] | None) -> list[str]:
    """``categories`` checked (all when None); raises :class:`UnknownCategory`."""
    if categories is None:
        return list(RetentionCategory.values)
    wanted = list(dict.fromkeys(categories))
    unknown = [c for c in wanted if c not in RetentionCategory.values]
    if unknown:
        raise UnknownCategory(
            f"Unknown retention category {', '.join(unknown)}; "
            f"known: {', '.join(RetentionCategory.values)}."
        )
    return wanted


# --- which rows are due -----------------------------------------------------------------------


def purgeable_registrations(category: str) -> list[Registration]:
    """Registrations of ``category`` with a date to count from (``retention_from``) and
    something to remove (a payment's registration only keeps fiscal fields: nothing to do)."""
    return [
        r
        for r in personal_data.registrations()
        if r.retention == category and r.retention_from and _removes_something(r)
    ]


def _removes_something(registration: Registration) -> bool:
    return bool(
        registration.erase is not None
        or registration.on_erase == "delete"
        or registration.fields
        or registration.rotate
    )


def _still_personal(registration: Registration) -> Q | None:
    """Rows whose personal fields still hold something (None: no way to tell)."""
    query = Q()
    for personal_field in registration.fields:
        name, strategy = personal_field.name, personal_field.anonymise
        model_field = registration.model._meta.get_field(name)
        textual = isinstance(model_field, CharField | TextField)
        if strategy in (Anonymise.BLANK, Anonymise.REDACTED, Anonymise.UNIQUE) and not textual:
            return None
        if strategy == Anonymise.BLANK:
            query |= Q(**{f"{name}__gt": ""})
        elif strategy == Anonymise.NULL:
            query |= Q(**{f"{name}__isnull": False})
        elif strategy == Anonymise.REDACTED:
            query |= Q(**{f"{name}__gt": ""}) & ~Q(**{name: REDACTED_TEXT})
        elif strategy == Anonymise.UNIQUE:
            query |= Q(**{f"{name}__gt": ""}) & ~Q(**{f"{name}__startswith": "erased:"})
        else:
            return None
    return query or None


def due_rows(registration: Registration, cutoff: datetime) -> QuerySet:
    """``registration``'s rows dated before ``cutoff`` whose personal data is still held."""
    rows = registration.held_rows().filter(**{f"{registration.retention_from}__lt": cutoff})
    if registration.still_held is None and registration.on_erase != "delete":
        still = _still_personal(registration)
        if still is not None:
            rows = rows.filter(still)
    return rows


def held_emails() -> set[str]:
    """Addresses whose data the purge leaves alone: a legal hold or restriction in force, or
    a request that is not closed (confirmed or not)."""
    flagged = SubjectFlag.objects.filter(lifted_at__isnull=True, kind__in=HOLDING_FLAGS)
    requested = DataSubjectRequest.objects.exclude(status__in=DataSubjectRequest.CLOSED)
    return {
        email
        for email in [
            *flagged.values_list("email", flat=True),
            *requested.values_list("email", flat=True),
        ]
        if email
    }


def held_rows() -> dict[str, set]:
    """``{registration key: pks}`` of every row the registry finds for a held address."""
    held: dict[str, set] = {}
    for email in sorted(held_emails()):
        for key, pks in personal_data.find(email).found.items():
            held.setdefault(key, set()).update(pks)
    return held


# --- the purge --------------------------------------------------------------------------------


@dataclass
class CategoryResult:
    """What the purge did (or would do) to one category."""

    category: str
    period: Period
    cutoff: datetime | None
    counts: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    log_pk: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def total_held(self) -> int:
        return sum(self.held.values())


Progress = Callable[[CategoryResult, Registration], None]


def purge(
    categories: Iterable[str] | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> list[CategoryResult]:
    """Anonymise (or delete) what is past its period in ``categories`` (all when None).

    See the module docstring for what it guarantees. ``now`` is the clock (tests freeze it);
    ``dry_run`` changes nothing but the log; ``progress`` is called after every batch.
    Raises :class:`UnknownCategory` before doing anything for an unknown category.
    """
    wanted = check_categories(categories)
    now = now or timezone.now()
    size = max(1, int(batch_size or weticket_settings.PURGE_BATCH_SIZE))
    run = uuid.uuid4()
    held = held_rows()
    results = []
    for category in wanted:
        period = period_for(category)
        result = CategoryResult(category, period, period.cutoff(now))
        log = PurgeLogEntry.objects.create(
            run=run, category=category, dry_run=dry_run, cutoff=result.cutoff
        )
        result.log_pk = log.pk
        results.append(result)
        try:
            if result.cutoff is not None:
                for registration in purgeable_registrations(category):
                    _purge_registration(
                        registration,
                        result,
                        held.get(registration.key, set()),
                        now=now,
                        dry_run=dry_run,
                        size=size,
                        progress=progress,
                    )
        except BaseException as exc:
            _write_log(result, PurgeLogEntry.Status.FAILED, error=repr(exc))
            raise
        _write_log(result, PurgeLogEntry.Status.DONE, finished_at=timezone.now())
    return results


def _purge_registration(
    registration: Registration,
    result: CategoryResult,
    held: set,
    *,
    now: datetime,
    dry_run: bool,
    size: int,
    progress: Progress | None,
) -> None:
    key = registration.key
    result.counts.setdefault(key, 0)
    due = due_rows(registration, result.cutoff)
    last = None
    while True:
        batch_rows = due if last is None else due.filter(pk__gt=last)
        pks = list(batch_rows.order_by("pk").values_list("pk", flat=True)[:size])
        if not pks:
            break
        last = pks[-1]
        todo = [pk for pk in pks if pk not in held]
        if len(todo) < len(pks):
            result.held[key] = result.held.get(key, 0) + len(pks) - len(todo)
        if todo:
            if dry_run:
                done = len(todo)
            else:
                with transaction.atomic():
                    # The due filter again: a row changed since it was read is left alone.
                    done = anonymise_rows(registration, due.filter(any_of("pk", todo)), now=now)
                    scrub_log_entries(registration, todo)
            result.counts[key] += done
        _write_log(result, PurgeLogEntry.Status.RUNNING)
        if progress is not None:
            progress(result, registration)


def _write_log(result: CategoryResult, status: str, **extra) -> None:
    PurgeLogEntry.objects.filter(pk=result.log_pk).update(
        status=status,
        counts=dict(result.counts),
        total=result.total,
        held=result.total_held,
        **extra,
    )
