"""What the statement's live blocks list: processors and retention rules in a locale."""

from __future__ import annotations

from django.db.models import QuerySet
from wagtail.models import Locale

from ..processing import Processor, RetentionRule


def _in_locale(queryset: QuerySet, locale: Locale | None) -> QuerySet:
    """Rows in ``locale``; if there are none, the rows in the default locale.

    A register kept in one language (Wagtail's i18n off, or not yet translated) still shows on
    every translation of the statement.
    """
    if locale is not None:
        rows = queryset.filter(locale=locale)
        if rows.exists():
            return rows
    default = queryset.filter(locale=Locale.get_default())
    return default if default.exists() else queryset


def processors_for(locale: Locale | None) -> list[Processor]:
    """The processor register as the statement in ``locale`` shows it, in register order."""
    return list(_in_locale(Processor.objects.all(), locale))


def retention_rules_for(locale: Locale | None) -> list[RetentionRule]:
    """The retention schedule as the statement in ``locale`` shows it, in schedule order."""
    return list(_in_locale(RetentionRule.objects.all(), locale))
