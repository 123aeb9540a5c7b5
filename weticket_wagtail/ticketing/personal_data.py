"""What personal data ticketing holds, declared to the privacy app's registry (rule 7).

Buyers: an order holds the buyer's name, email address, phone and address (contact details)
and what they paid (financial); a reservation, for the hold limits, keyed hashes of the
buyer's network address and browser, blanked once the limits no longer look back to it.
Organisations: the contact address of each organisation.

Registered from :meth:`TicketingConfig.ready`. ``still_held`` says which rows still hold a
person's data. Nothing erases orders yet, so every order does; when erasure and the retention
purge arrive, they narrow it here (e.g. ``rows.filter(erased_at__isnull=True)``) and every
campaign, export and purge that walks the registry follows.
"""

from __future__ import annotations

from django.db.models import QuerySet

from weticket_wagtail.privacy.categories import Audience, DataCategory
from weticket_wagtail.privacy.registry import personal_data

from .models import Order, Organisation, Reservation


def orders_still_held(rows: QuerySet) -> QuerySet:
    """Orders whose buyer's personal data we still hold: all of them, until erasure exists."""
    return rows


def reservations_still_held(rows: QuerySet) -> QuerySet:
    """Reservations that still hold a client hash (services.hold_limits blanks them)."""
    return rows.exclude(browser_hash="", address_hash="")


def register() -> None:
    """Declare the buyers of orders, the hold limits' client hashes and the organisations'
    contacts to the registry."""
    personal_data.register(
        Order,
        email="buyer_email",
        name="buyer_name",
        language="language",
        audience=Audience.VISITOR,
        categories=[DataCategory.CONTACT, DataCategory.EMAIL, DataCategory.FINANCIAL],
        still_held=orders_still_held,
    )
    personal_data.register(
        Reservation,
        email="",
        reference="token",  # the checkout link a buyer was given
        audience=Audience.VISITOR,
        categories=[DataCategory.IP_ADDRESS, DataCategory.DEVICE],
        still_held=reservations_still_held,
    )
    personal_data.register(
        Organisation,
        email="contact_email",
        name="name",
        audience=Audience.ORGANISER,
        categories=[DataCategory.CONTACT, DataCategory.EMAIL],
    )
