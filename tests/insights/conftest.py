"""Two organisations with sold orders made straight in the database (amounts, methods, dates)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from weticket_wagtail.payments.models import Payment
from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
)
from weticket_wagtail.ticketing.models import Order, OrderLine

from ..payments.conftest import admin_user


def sell(
    ticket_type,
    *,
    email: str,
    quantity: int = 1,
    method: str = "ideal",
    when: datetime.datetime | None = None,
    status: str = Order.Status.PAID,
    name: str = "Buyer",
) -> Order:
    """A paid order of ``quantity`` tickets of ``ticket_type``, with its confirming payment."""
    when = when or timezone.now()
    total = ticket_type.price * quantity
    order = Order.objects.create(
        organisation=ticket_type.event.organisation,
        event=ticket_type.event,
        status=status,
        buyer_name=name,
        buyer_email=email,
        total=total,
        created_at=when,
        paid_at=when,
    )
    OrderLine.objects.create(
        order=order,
        ticket_type=ticket_type,
        name=ticket_type.name,
        quantity=quantity,
        unit_price=ticket_type.price,
        vat_rate=ticket_type.vat_rate,
    )
    Payment.objects.create(
        order=order,
        mollie_id=f"tr_{order.pk}",
        status=Payment.Status.PAID,
        method=method,
        amount=total,
        confirmed_order=True,
    )
    return order


@pytest.fixture
def orgs(db):
    org_a = OrganisationFactory(name="Alpha", slug="alpha")
    org_b = OrganisationFactory(name="Bravo", slug="bravo")
    event_a = EventFactory(organisation=org_a, title="Alpha Night")
    event_b = EventFactory(organisation=org_b, title="Bravo Night")
    regular = TicketTypeFactory(event=event_a, name="Regular", price=Decimal("20.00"), capacity=100)
    vip = TicketTypeFactory(event=event_a, name="VIP", price=Decimal("50.00"), capacity=10)
    bravo = TicketTypeFactory(event=event_b, name="Bravo seat", price=Decimal("30.00"))
    member = admin_user("member-a")
    MembershipFactory(organisation=org_a, user=member)
    return {
        "org_a": org_a,
        "org_b": org_b,
        "event_a": event_a,
        "event_b": event_b,
        "regular": regular,
        "vip": vip,
        "bravo": bravo,
        "member": member,
    }
