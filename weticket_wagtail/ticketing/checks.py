"""System checks on ticketing data: rows saved before a validator was as strict as it is now."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import connections


@register(Tags.database)
def check_embed_origins(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """Name every organisation whose stored embedding origins include entries that are not
    origins. They are already left out of every header; the organisation should fix them.

    A database check: it runs with ``migrate`` and ``manage.py check --database default``.
    """
    from .models import Organisation

    warnings = []
    for alias in databases or ():
        # migrate runs database checks before it migrates: there may be no table yet.
        if Organisation._meta.db_table not in connections[alias].introspection.table_names():
            continue
        warnings += _bad_origins(Organisation._default_manager.using(alias))
    return warnings


def _bad_origins(organisations) -> list:
    warnings = []
    rows = organisations.exclude(embed_origins="").only("pk", "slug", "embed_origins")
    for organisation in rows.order_by("pk").iterator():
        bad = organisation.invalid_origins
        if bad:
            warnings.append(
                Warning(
                    f"Organisation {organisation.slug!r} lists embedding origins that are not "
                    f"origins: {', '.join(bad)}. They are left out of frame-ancestors.",
                    hint="Edit the organisation in the admin (Tickets → Organisations) and "
                    "write each as scheme://host[:port], e.g. https://www.example.org.",
                    obj=organisation,
                    id="weticket.W010",
                )
            )
    return warnings
