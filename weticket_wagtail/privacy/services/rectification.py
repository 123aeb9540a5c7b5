"""Rectification: correct a person's data across every registered model at once, audited.

A field is correctable when its registration says ``rectifiable=True`` (names, addresses,
phone numbers, email addresses). A correction applies to every row of that registration the
registry found for the person, so an order, its tickets and the next emails agree. The audit
trail records which fields changed on how many rows, never the old or new values.

Staff who are not privacy contacts correct only rows of their own organisations (from an
order's admin page, for instance): pass ``records.restricted_to(tenants)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import DataSubjectRequest
from ..registry import Registration, SubjectRecords
from .requests import Action, RequestError, audit


@dataclass(frozen=True)
class CorrectableField:
    """One correctable field of one registration, with the values the person's rows hold."""

    registration: Registration
    name: str

    @property
    def key(self) -> str:
        """``<registration key>:<field>``: how forms name it."""
        return f"{self.registration.key}:{self.name}"

    @property
    def model_field(self):
        return self.registration.model._meta.get_field(self.name)

    @property
    def label(self) -> str:
        meta = self.registration.model._meta
        return f"{str(meta.verbose_name).capitalize()}: {self.model_field.verbose_name}"


def correctable_fields(records: SubjectRecords) -> list[CorrectableField]:
    """The correctable fields of the registrations that hold rows for the person."""
    return [
        CorrectableField(registration, field.name)
        for registration in records.registrations()
        for field in registration.fields
        if field.rectifiable
    ]


def current_values(records: SubjectRecords, field: CorrectableField) -> list[Any]:
    """The distinct values the person's rows hold in ``field``, most recent row first."""
    values = records.rows(field.registration).order_by("-pk").values_list(field.name, flat=True)
    return list(dict.fromkeys(values))


def rectify(
    records: SubjectRecords,
    changes: Mapping[str, Any],
    *,
    by,
    request: DataSubjectRequest | None = None,
    note: str = "",
) -> dict[str, int]:
    """Set each field in ``changes`` (keyed by :attr:`CorrectableField.key`) on all the
    person's rows of its registration; return the rows changed per key.

    Values are validated by the model field (length, email syntax); an invalid one raises
    :class:`~.requests.RequestError` and nothing is changed. Unknown keys raise too.
    """
    fields = {field.key: field for field in correctable_fields(records)}
    cleaned: dict[str, Any] = {}
    for key, value in changes.items():
        field = fields.get(key)
        if field is None:
            raise RequestError(_("This field cannot be corrected here."))
        try:
            cleaned[key] = field.model_field.clean(value, None)
        except ValidationError as exc:
            raise RequestError(f"{field.label}: {' '.join(exc.messages)}") from exc
    counts: dict[str, int] = {}
    with transaction.atomic():
        for key, value in cleaned.items():
            field = fields[key]
            counts[key] = records.rows(field.registration).update(**{field.name: value})
        if counts:
            audit(
                Action.RECTIFIED,
                request=request,
                actor=by,
                email=records.email,
                message="; ".join(f"{fields[key].label}: {count}" for key, count in counts.items()),
                note=note,
            )
    return counts
