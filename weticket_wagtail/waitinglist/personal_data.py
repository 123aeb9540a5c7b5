"""What personal data the waiting list holds, declared to the privacy registry (rule 7).

An entry holds an email address and the language to write in, with the time the person
consented to be contacted and confirmed it. Erasure deletes the entry (nothing of it must be
kept: it is not a financial record); the retention purge does the same after the waiting-list
period, counted from when the entry was made.
"""

from __future__ import annotations

from weticket_wagtail.privacy.categories import Audience, DataCategory
from weticket_wagtail.privacy.registry import Retention, personal, personal_data

from .models import WaitingListEntry


def register() -> None:
    personal_data.register(
        WaitingListEntry,
        role="waiting",
        email="email",
        language="language",
        audience=Audience.VISITOR,
        fields=[
            personal("email", DataCategory.EMAIL, rectifiable=True),
            personal("consented_at", DataCategory.CONTACT),
            personal("confirmed_at", DataCategory.CONTACT),
        ],
        tenant="event__organisation_id",
        retention=Retention.WAITING_LIST,
        retention_from="created_at",
        on_erase="delete",
    )
    personal_data.not_personal(
        WaitingListEntry,
        "event",
        "ticket_type",
        "quantity",
        "language",
        "position",
        "status",
        "token",
        "reservation",
        "offered_at",
        "offer_expires_at",
        "created_at",
        reason="a place in line for tickets; the address names the person",
    )
