"""Concurrency on PostgreSQL: staff confirming refunds at the same moment never refund more than
the confirmation they saw allowed (issue #14.2 / #16.1)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from weticket_wagtail.payments.models import Refund

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


def confirm_at_once(user, url: str, amounts: list[str], refundable_before: str) -> list[str]:
    """POST one refund confirmation per amount, all released at the same instant, each from
    its own browser session and database connection. Returns what each one saw."""
    clients = []
    for _ in amounts:
        client = Client()
        client.force_login(user)
        clients.append(client)
    start = threading.Barrier(len(amounts))

    def confirm(index: int) -> str:
        try:
            start.wait()
            response = clients[index].post(
                url,
                {
                    "amount": amounts[index],
                    "confirm": "1",
                    "refundable_before": refundable_before,
                },
            )
            if response.status_code == 302:
                return "refunded"
            return " ".join(response.content.decode().split())
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(amounts)) as pool:
        return list(pool.map(confirm, range(len(amounts))))


@pytest.mark.parametrize(
    "amounts",
    [["30.00", "30.00"], ["5.00"] * 5],
    ids=["two partial refunds that exceed the payment", "five identical confirmations"],
)
def test_concurrent_confirmations_refund_exactly_once(shop, mollie, amounts):
    order = shop["order_a"]  # paid € 49.00
    url = reverse("weticket_orders:refund", args=[order.pk])

    outcomes = confirm_at_once(shop["member"], url, amounts, refundable_before="49.00")

    assert outcomes.count("refunded") == 1, outcomes
    for outcome in outcomes:
        if outcome != "refunded":
            assert "The refunds of this order changed meanwhile" in outcome
    refund = Refund.objects.get()
    assert refund.mollie_id in mollie.refunds
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == [amounts[0]]
    order.refresh_from_db()
    assert order.amount_refunded == Decimal(amounts[0])


def test_two_staff_refunding_the_same_ticket_at_once_refund_it_once(shop, mollie):
    """Both see the ticket valid and confirm at the same instant: the ticket's compare-and-set
    under the payment's lock lets exactly one of them refund it; the other is told why."""
    order, _payment = shop["paid"](shop["event_a"], shop["regular"], 3, "three@alpha.example")
    ticket = order.tickets.order_by("pk").first()
    url = reverse("weticket_orders:refund", args=[order.pk])
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(shop["member"])
        clients.append(client)
    start = threading.Barrier(2)

    def confirm(index: int) -> str:
        try:
            start.wait()
            response = clients[index].post(
                url, {"what": "tickets", "tickets": [str(ticket.pk)], "confirm": "1"}
            )
            if response.status_code == 302:
                return "refunded"
            return " ".join(response.content.decode().split())
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(confirm, range(2)))

    assert outcomes.count("refunded") == 1, outcomes
    refused = next(o for o in outcomes if o != "refunded")
    # Whoever came second sees the ticket gone from the choices, or the refusal itself.
    assert "refunded or cancelled meanwhile" in refused or "Select a valid choice" in refused
    refund = Refund.objects.get()
    assert list(refund.tickets.values_list("pk", flat=True)) == [ticket.pk]
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["24.50"]
    statuses = sorted(order.tickets.values_list("status", flat=True))
    assert statuses == ["refunded", "valid", "valid"]
