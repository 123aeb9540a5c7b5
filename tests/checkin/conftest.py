"""An event at the door: free tickets bought (so confirmed without Mollie), a check-in list and
two scanner devices at entrances A and B."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from weticket_wagtail.checkin import services
from weticket_wagtail.checkin.models import CheckinDevice, CheckinList
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
from weticket_wagtail.ticketing.services.tickets import ticket_token


def admin_member(username: str, organisation):
    user = UserFactory(username=username)
    group, _ = Group.objects.get_or_create(name="Door managers")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    user.groups.add(group)
    MembershipFactory(organisation=organisation, user=user)
    return user


class Door:
    def __init__(self, slug: str = "door"):
        self.organisation = OrganisationFactory(name=slug.title(), slug=slug)
        self.event = EventFactory(
            organisation=self.organisation, title=f"{slug.title()} Night", slug=f"{slug}-night"
        )
        self.regular = TicketTypeFactory(
            event=self.event, name="Regular", price=Decimal("0"), capacity=500
        )
        self.vip = TicketTypeFactory(event=self.event, name="VIP", price=Decimal("0"), capacity=50)
        self.main = CheckinList.objects.create(event=self.event, name="Main entrance")
        self.device_a = CheckinDevice.objects.create(
            checkin_list=self.main, name="Door phone 1", entrance="A"
        )
        self.device_b = CheckinDevice.objects.create(
            checkin_list=self.main, name="Door phone 2", entrance="B"
        )

    def buy(self, quantity: int = 1, ticket_type=None, email: str = "guest@example.nl") -> Order:
        ticket_type = ticket_type or self.regular
        reservation = reserve_tickets(self.event, {ticket_type.pk: quantity})
        order = place_order(reservation, buyer_name="Guest", buyer_email=email, language="en")
        assert order.status == Order.Status.PAID
        return order

    def ticket(self, ticket_type=None):
        return self.buy(1, ticket_type).tickets.get()

    def token(self, ticket) -> str:
        return ticket_token(ticket, self.organisation, self.event.slug)

    def scanner(self, device=None):
        return services.scanner_for((device or self.device_a).token)


@pytest.fixture
def door(db):
    return Door()
