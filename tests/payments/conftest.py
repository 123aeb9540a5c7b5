"""Fixtures of the orders admin: two organisations with a paid order each, at the Mollie double."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from weticket_wagtail.payments.services import start_payment, sync_payment
from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
    UserFactory,
)
from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

KEY_A = "test_" + "AlphaKey" * 4
KEY_B = "test_" + "BravoKey" * 4


def admin_user(username: str):
    user = UserFactory(username=username)
    group, _ = Group.objects.get_or_create(name="Editors of tickets")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    user.groups.add(group)
    return user


def place(event, ticket_type, quantity: int, email: str, name: str = "Zoë de Vries") -> Order:
    reservation = reserve_tickets(event, {ticket_type.pk: quantity})
    return place_order(reservation, buyer_name=name, buyer_email=email, language="en")


@pytest.fixture
def shop(mollie):
    """Two organisations, each with a paid order; a member of Alpha only."""
    org_a = OrganisationFactory(name="Alpha", slug="alpha", mollie_api_key=KEY_A)
    org_b = OrganisationFactory(name="Bravo", slug="bravo", mollie_api_key=KEY_B)
    event_a = EventFactory(organisation=org_a, title="Alpha Night", slug="alpha-night")
    event_b = EventFactory(organisation=org_b, title="Bravo Night", slug="bravo-night")
    regular = TicketTypeFactory(
        event=event_a, name="Regular", price=Decimal("24.50"), vat_rate=Decimal("9.00")
    )
    bravo = TicketTypeFactory(event=event_b, name="Bravo seat", price=Decimal("30.00"))

    def paid(event, ticket_type, quantity, email, status="paid"):
        order = place(event, ticket_type, quantity, email)
        payment = start_payment(order, redirect_url="http://testserver/return/")
        mollie.set_status(payment.mollie_id, status, method="ideal", notify=False)
        sync_payment(payment.mollie_id)
        order.refresh_from_db()
        payment.refresh_from_db()
        return order, payment

    order_a, payment_a = paid(event_a, regular, 2, "zoe@alpha.example")
    order_b, payment_b = paid(event_b, bravo, 1, "bob@bravo.example")
    member = admin_user("member-a")
    MembershipFactory(organisation=org_a, user=member)
    return {
        "org_a": org_a,
        "org_b": org_b,
        "event_a": event_a,
        "event_b": event_b,
        "regular": regular,
        "order_a": order_a,
        "payment_a": payment_a,
        "order_b": order_b,
        "payment_b": payment_b,
        "member": member,
        "paid": paid,
    }
