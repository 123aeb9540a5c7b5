"""Whether an organisation can take payments: a Mollie key of its own, or the fallback key.

Without either, a buyer could hold paid tickets and then only read that payment is impossible,
while the tickets stay held. So paid tickets are refused before they are held (free tickets are
still given out), and the admin and a system check say which organisations are not ready.

This is the rule of the Mollie provider shipped with the package (``PAYMENT_PROVIDER``'s
default). Another provider owns its credentials, which we cannot see from here: with one
configured, every organisation counts as ready and the provider says no when it must.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from weticket_wagtail.conf import weticket_settings

from ..models import Event, Organisation, TicketType
from .errors import CheckoutError


class PaymentsNotReady(CheckoutError):
    """Paid tickets of an organisation that cannot take payments yet."""

    code = "payments_not_ready"


MOLLIE_PROVIDER = "weticket_wagtail.payments.providers.mollie.MollieProvider"


def every_organisation_can_pay() -> bool:
    """True when every organisation can take payments whatever its own key: the fallback key
    ``MOLLIE_FALLBACK_API_KEY`` is set, or a provider other than Mollie is configured."""
    if weticket_settings.PAYMENT_PROVIDER != MOLLIE_PROVIDER:
        return True
    return bool(weticket_settings.MOLLIE_FALLBACK_API_KEY)


def can_take_payments(organisation: Organisation) -> bool:
    """True when payments for ``organisation`` can be started (its own key or the fallback).

    Reads the key's column, never decrypts it."""
    if every_organisation_can_pay():
        return True
    if organisation.pk is None:
        return False
    return Organisation.objects.filter(pk=organisation.pk).exclude(mollie_api_key="").exists()


def organisations_without_payments(organisations: QuerySet[Organisation]) -> QuerySet:
    """Those of ``organisations`` that cannot take payments (none while a fallback key is set)."""
    if every_organisation_can_pay():
        return organisations.none()
    return organisations.filter(mollie_api_key="")


def refuse_unpayable_tickets(event: Event, ticket_type_ids: Iterable[int]) -> None:
    """Raise :class:`PaymentsNotReady` if one of the chosen ticket types costs money and the
    event's organisation cannot take payments. Free tickets always pass.

    No query while a fallback key is configured; one otherwise."""
    if every_organisation_can_pay():
        return
    unpayable = TicketType.objects.filter(
        pk__in=list(ticket_type_ids),
        event_id=event.pk,
        price__gt=0,
        event__organisation__mollie_api_key="",
    )
    if unpayable.exists():
        raise PaymentsNotReady(
            _(
                "The organiser cannot take payments yet, so paid tickets cannot be reserved. "
                "Free tickets can."
            )
        )
