"""Retention periods: how long, counted from what, and the moment before which a record is due.

A :class:`Period` is an amount of days, months or years, counted from the record's own date
or from the end of the financial year it falls in (the Dutch fiscal duty: 7 years from the
end of the financial year, art. 52 AWR). :meth:`Period.cutoff` turns it into one instant, so
the purge asks the database a single ``date < cutoff`` per registration, and
:meth:`Period.describe` says the same period in words, so the statement shows what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from weticket_wagtail.conf import weticket_settings


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")


class CountedFrom(models.TextChoices):
    RECORD = "record", _("the record's date")
    FINANCIAL_YEAR_END = "financial_year_end", _("the end of the financial year")


def financial_year_start(moment: datetime) -> datetime:
    """The start (midnight, local time) of the financial year ``moment`` falls in.

    The financial year starts on the first of ``FINANCIAL_YEAR_START_MONTH`` (1: January)."""
    month = int(weticket_settings.FINANCIAL_YEAR_START_MONTH)
    local = timezone.localtime(moment)
    year = local.year if local.month >= month else local.year - 1
    return local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Period:
    """A retention period. ``amount`` None: kept as long as needed, never purged by age."""

    amount: int | None
    unit: str = PeriodUnit.YEARS
    counted_from: str = CountedFrom.RECORD

    @classmethod
    def from_setting(cls, value: Any) -> Period:
        """``None`` (never purged) or a dict such as ``{"years": 7, "from":
        "financial_year_end"}`` (one of ``days``, ``months``, ``years``)."""
        if value is None:
            return cls(None)
        if not isinstance(value, dict):
            raise ValueError(f"A retention period is None or a dict, not {value!r}.")
        units = [unit for unit in PeriodUnit.values if unit in value]
        if len(units) != 1:
            raise ValueError(f"A retention period names one of days, months, years: {value!r}")
        counted_from = value.get("from", CountedFrom.RECORD)
        if counted_from not in CountedFrom.values:
            raise ValueError(f"Unknown 'from' in retention period {value!r}.")
        amount = int(value[units[0]])
        if amount < 0:
            raise ValueError(f"A retention period cannot be negative: {value!r}")
        return cls(amount, units[0], counted_from)

    @property
    def purges(self) -> bool:
        return self.amount is not None

    def delta(self) -> relativedelta:
        return relativedelta(**{self.unit: self.amount or 0})

    def cutoff(self, now: datetime) -> datetime | None:
        """Records dated before this instant are past the period at ``now`` (None: never).

        Counted from the record: ``now - period``. From the end of the financial year: a
        record is due once the end of its year plus the period has passed, i.e. when it is
        dated before the start of the financial year that ``now - period`` falls in.
        """
        if self.amount is None:
            return None
        moment = timezone.localtime(now) - self.delta()
        if self.counted_from == CountedFrom.FINANCIAL_YEAR_END:
            return financial_year_start(moment)
        return moment

    def describe(self) -> str:
        """The period in words, in the active language (what the statement shows)."""
        if self.amount is None:
            return gettext("As long as it is needed for the service")
        amount = self.amount
        words = {
            PeriodUnit.DAYS: ngettext("%(n)s day", "%(n)s days", amount),
            PeriodUnit.MONTHS: ngettext("%(n)s month", "%(n)s months", amount),
            PeriodUnit.YEARS: ngettext("%(n)s year", "%(n)s years", amount),
        }[self.unit] % {"n": amount}
        if self.counted_from == CountedFrom.FINANCIAL_YEAR_END:
            return gettext("%(period)s after the end of the financial year") % {"period": words}
        return words
