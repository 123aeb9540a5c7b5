"""What personal data ticketing holds, declared to the privacy app's registry (rule 7).

* Buyers: an order holds the buyer's name, email address, phone and address (contact
  details); its amounts, VAT, dates and number are financial records the Dutch fiscal duty
  makes us keep for 7 years, so erasure keeps them and removes the rest. Order lines are the
  order's fiscal detail. Tickets hold the holder's name and are found through their order.
  A reservation, for the hold limits, holds keyed hashes of the buyer's browser and network
  address, blanked once the limits no longer look back to it.
* Organisations: the contact address of each organisation; staff reach the admin through
  memberships (their accounts are registered by the privacy app, as the user model's).
* Everything else of ticketing is declared not personal, field by field, so that a new field
  forces a decision (the registry-completeness test).

Who hears of a change of a site's privacy statement (``notice``): buyers with a paid (or
since refunded) order of an organisation on that site, the organisation's contact, and its
staff (in the admin language each chose). An organisation without a site of its own is covered
by the default site's statement.
Never the address of an order that was not paid: nobody confirmed it.

Registered from :meth:`TicketingConfig.ready`, with the tenant seam (which organisations a
staff member sees requests of).
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet

from weticket_wagtail.privacy.categories import Audience, DataCategory
from weticket_wagtail.privacy.registry import Anonymise, Retention, kept, personal, personal_data
from weticket_wagtail.privacy.tenancy import register_tenancy

from .models import (
    Event,
    Order,
    OrderLine,
    Organisation,
    OrganisationMembership,
    Reservation,
    ReservationLine,
    Ticket,
    TicketType,
    Voucher,
)
from .permissions import organisation_ids_for

C = DataCategory
ORDER = Order._meta.label_lower
#: Staff are written to in the admin language they chose (Wagtail's account settings); empty:
#: the site's default language.
STAFF_LANGUAGE = "user__wagtail_userprofile__preferred_language"
#: Orders whose buyer confirmed their address by paying (or by a free order's confirmation).
CONFIRMED = (Order.Status.PAID, Order.Status.REFUNDED)


def orders_still_held(rows: QuerySet) -> QuerySet:
    """Orders whose buyer's personal data we still hold: not erased, not purged."""
    return rows.filter(anonymised_at__isnull=True)


def covered_by_site(site, organisation_path: str) -> Q:
    """Rows of organisations whose privacy statement is ``site``'s (``None``: every site)."""
    if site is None:
        return Q()
    query = Q(**{f"{organisation_path}site": site})
    if site.is_default_site:
        query |= Q(**{f"{organisation_path}site__isnull": True})
    return query


def buyers_covered(rows: QuerySet, site) -> QuerySet:
    return rows.filter(covered_by_site(site, "organisation__"), status__in=CONFIRMED)


def organisations_covered(rows: QuerySet, site) -> QuerySet:
    return rows.filter(covered_by_site(site, ""))


def members_covered(rows: QuerySet, site) -> QuerySet:
    return rows.filter(covered_by_site(site, "organisation__"), user__is_active=True)


def reservations_of(records) -> Q | None:
    """The reservations behind the subject's orders: they may still hold the hold limits'
    keyed hashes of the buyer's browser and network address."""
    order_pks = records.pks(ORDER)
    if not order_pks:
        return None
    return Q(order__pk__in=order_pks)


def tenant_names(ids) -> dict[int, str]:
    return dict(Organisation.objects.filter(pk__in=list(ids)).values_list("pk", "name"))


def register() -> None:
    """Declare ticketing's personal data (and what is not) to the registry."""
    personal_data.register(
        Order,
        role="buyer",
        email="buyer_email",
        name="buyer_name",
        language="language",
        audience=Audience.VISITOR,
        categories=[C.FINANCIAL],
        fields=[
            personal("buyer_name", C.CONTACT, rectifiable=True),
            personal("buyer_email", C.EMAIL, rectifiable=True),
            personal("buyer_phone", C.CONTACT, rectifiable=True),
            personal("buyer_address", C.CONTACT, rectifiable=True),
        ],
        kept=[
            kept("reference"),
            kept("status"),
            kept("total"),
            kept("amount_refunded"),
            kept("currency"),
            kept("created_at"),
            kept("paid_at"),
        ],
        rotate=["token"],
        tenant="organisation_id",
        retention=Retention.ORDERS,
        retention_from="created_at",
        anonymised_marker="anonymised_at",
        still_held=orders_still_held,
        notice=buyers_covered,
    )
    personal_data.not_personal(
        Order,
        "organisation",
        "event",
        "reservation",
        "language",
        "policy_version",
        "status_changed_at",
        "anonymised_at",
        reason="what was bought and under which statement; no one is named",
    )
    personal_data.register(
        OrderLine,
        role="buyer",
        via=[("order", ORDER)],
        kept=[
            kept("name"),
            kept("quantity"),
            kept("unit_price"),
            kept("vat_rate"),
            kept("list_price"),
            kept("voucher_code"),
        ],
        tenant="order__organisation_id",
        retention=Retention.FISCAL_RECORDS,
    )
    personal_data.not_personal(OrderLine, "order", "ticket_type", "voucher")
    personal_data.register(
        Ticket,
        role="holder",
        via=[("order", ORDER)],
        fields=[personal("holder_name", C.CONTACT, rectifiable=True)],
        tenant="order__organisation_id",
        retention=Retention.TICKETS,
        retention_from="created_at",
    )
    personal_data.not_personal(
        Ticket, "order", "line", "code", "status", "status_changed_at", "created_at"
    )
    personal_data.register(
        Organisation,
        role="contact",
        email="contact_email",
        name="name",
        audience=Audience.ORGANISER,
        fields=[personal("contact_email", C.EMAIL, rectifiable=True)],
        tenant="pk",
        retention=Retention.ORGANISATION_CONTACTS,
        still_held=lambda rows: rows.exclude(contact_email=""),
        notice=organisations_covered,
    )
    personal_data.not_personal(
        Organisation,
        "name",
        "slug",
        "logo",
        "primary_colour",
        "accent_colour",
        "font",
        "embed_origins",
        "site",
        "mollie_api_key",
        "ticket_signing_key",
        "ticket_verify_key",
        "collect_phone",
        "collect_address",
        "created_at",
        "editors_group",
        reason="the organisation's own settings; a business, not a person",
    )
    personal_data.register(
        OrganisationMembership,
        role="member",
        email="user__email",
        name="user__first_name",
        language=STAFF_LANGUAGE if apps.is_installed("wagtail.users") else "",
        audience=Audience.ORGANISER,
        categories=[C.EMAIL],
        fields=[personal("user", C.CONTACT, Anonymise.NULL)],
        tenant="organisation_id",
        retention=Retention.STAFF_ACCOUNTS,
        on_erase="delete",
        notice=members_covered,
    )
    personal_data.not_personal(
        OrganisationMembership, "organisation", "can_manage_team", reason="what a member may do"
    )
    personal_data.register(
        Reservation,
        role="buyer",
        related=reservations_of,
        audience=Audience.VISITOR,
        fields=[
            personal("browser_hash", C.DEVICE),
            personal("address_hash", C.IP_ADDRESS),
        ],
        tenant="event__organisation_id",
        retention=Retention.ORDERS,
        retention_from="created_at",
        still_held=lambda rows: rows.exclude(browser_hash="", address_hash=""),
    )
    personal_data.not_personal(
        Reservation,
        "token",
        "event",
        "status",
        "created_at",
        "expires_at",
        "voucher",
        reason="a hold on tickets; no one is named (the order holds the buyer)",
    )
    personal_data.not_personal(
        ReservationLine,
        "reservation",
        "ticket_type",
        "quantity",
        "expires_at",
        "is_live",
        "voucher",
    )
    personal_data.not_personal(
        Voucher,
        "organisation",
        "event",
        "code",
        "kind",
        "value",
        "ticket_types",
        "unlocks_hidden",
        "valid_from",
        "valid_until",
        "max_uses",
        "is_active",
        "tag",
        "created_at",
        reason="a discount code; it names nobody (its tag is for batches, not for people)",
    )
    personal_data.not_personal(
        Event,
        "organisation",
        "title",
        "slug",
        "description",
        "venue",
        "address",
        "starts_at",
        "ends_at",
        "image",
        "is_published",
        "is_archived",
        "created_at",
        "updated_at",
    )
    personal_data.not_personal(
        TicketType,
        "sort_order",
        "event",
        "name",
        "description",
        "price",
        "vat_rate",
        "capacity",
        "sale_starts_at",
        "sale_ends_at",
        "min_per_order",
        "max_per_order",
        "is_active",
        "requires_voucher",
        "is_archived",
        "sold_count",
    )
    register_tenancy(user_tenant_ids=organisation_ids_for, tenant_names=tenant_names)
