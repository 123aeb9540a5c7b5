"""System checks that need the database: organisations that cannot take payments.

Tagged ``database``, as Django wants for checks that query: ``migrate`` runs them, and so does
``manage.py check --database default``.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

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
