"""System checks on ticketing data (they need the database): organisations that cannot take
payments (``weticket.W010``), and embedding origins saved before the validator was as strict as
it is now (``weticket.W011``).

Tagged ``database``, as Django wants for checks that query: ``migrate`` runs them, and so does
``manage.py check --database default``.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, connections

SHOWN = 5


@register(Tags.database)
def check_organisations_can_take_payments(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list:
    if not databases:
        return []
    from .models import Organisation
    from .services.payability import organisations_without_payments

    try:
        names = list(
            organisations_without_payments(Organisation.objects.all()).values_list(
                "name", flat=True
            )
        )
    except DatabaseError:  # not migrated yet: nothing to say
        return []
    if not names:
        return []
    listed = ", ".join(names[:SHOWN]) + (
        f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    )
    return [
        Warning(
            f"{len(names)} organisation(s) cannot take payments: no Mollie API key, and "
            f"WETICKET['MOLLIE_FALLBACK_API_KEY'] is not set ({listed}). Buyers can reserve "
            "their free tickets only.",
            hint="Add each organisation's Mollie API key in the admin (Tickets → Organisations "
            "→ Integration). In development, run the Mollie test double "
            "(manage.py weticket_mollie_double) and set MOLLIE_API_ENDPOINT and "
            "MOLLIE_FALLBACK_API_KEY; see the README.",
            id="weticket.W010",
        )
    ]


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
                    id="weticket.W011",
                )
            )
    return warnings
