"""What check-in holds about a person, declared to the privacy registry (rule 7).

A check-in says when a ticket's holder came in, and where: it is found through the ticket (and
so through the order's email address), exported with it, and deleted when the person is erased
or when the tickets' retention period has passed. Lists and devices hold no personal data.
"""

from __future__ import annotations

from weticket_wagtail.privacy.categories import DataCategory
from weticket_wagtail.privacy.registry import Retention, personal, personal_data

from .models import Checkin, CheckinDevice, CheckinList


def register() -> None:
    personal_data.register(
        Checkin,
        role="holder",
        via=[("ticket", "weticket_ticketing.ticket")],
        fields=[
            personal("scanned_at", DataCategory.LOCATION),
            personal("entrance", DataCategory.LOCATION),
        ],
        tenant="checkin_list__event__organisation_id",
        retention=Retention.TICKETS,
        retention_from="scanned_at",
        on_erase="delete",
    )
    personal_data.not_personal(
        Checkin,
        "checkin_list",
        "ticket",
        "device",
        "client_scan_id",
        "offline",
        "updated_at",
        reason="which scan of which ticket on which list; the ticket leads to the person",
    )
    personal_data.not_personal(
        CheckinList,
        "event",
        "name",
        "ticket_types",
        "created_at",
        reason="an organiser's list of ticket types to admit",
    )
    personal_data.not_personal(
        CheckinDevice,
        "checkin_list",
        "name",
        "entrance",
        "token",
        "revoked",
        "created_at",
        "last_seen_at",
        reason="a door scanner of the organisation, not a person",
    )
