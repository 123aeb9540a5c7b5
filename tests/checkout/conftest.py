"""Fixtures for the buyer's journey: an event on sale, Mollie's test double, an SMTP sink."""

from __future__ import annotations

from decimal import Decimal

import pytest

from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, TicketTypeFactory
from weticket_wagtail.testing.smtp import smtp_sink  # noqa: F401

ORG_KEY = "test_" + "OrgKey" * 6


@pytest.fixture
def on_sale(db):
    organisation = OrganisationFactory(
        name="Stichting Test", slug="test-org", mollie_api_key=ORG_KEY, primary_colour="#7c2d12"
    )
    event = EventFactory(organisation=organisation, title="Jazz Night", slug="jazz-night")
    regular = TicketTypeFactory(
        event=event, name="Regular", price=Decimal("24.50"), capacity=50, max_per_order=6
    )
    student = TicketTypeFactory(
        event=event, name="Student", price=Decimal("15.00"), capacity=10, max_per_order=4
    )
    return {"organisation": organisation, "event": event, "regular": regular, "student": student}
