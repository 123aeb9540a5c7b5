"""Concurrency on PostgreSQL: the last tickets go to exactly as many buyers as there are tickets,
and buyers of several ticket types never deadlock."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from weticket_wagtail.ticketing.models import ReservationLine, TicketType
from weticket_wagtail.ticketing.services.errors import SoldOut
from weticket_wagtail.ticketing.services.hold_limits import HoldClient, HoldLimitReached
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


def in_thread(func):
    """Run ``func`` with its own database connection, closed afterwards."""

    def wrapper(*args):
        try:
            return func(*args)
        finally:
            connections.close_all()

    return wrapper


def test_fifty_buyers_race_for_the_last_ten_tickets(on_sale):
    event, regular = on_sale["event"], on_sale["regular"]
    # 40 of 50 are gone already: exactly 10 left.
    TicketType.objects.filter(pk=regular.pk).update(sold_count=40)
    start = threading.Barrier(50)

    @in_thread
    def buy(_):
        start.wait()
        try:
            reserve_tickets(event, {regular.pk: 1})
            return "reserved"
        except SoldOut as exc:
            return f"sold out: {exc}"
        except Exception as exc:  # noqa: BLE001 - any other outcome is a failure of the test
            return f"error: {type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(buy, range(50)))

    assert outcomes.count("reserved") == 10
    refusals = [o for o in outcomes if o != "reserved"]
    assert len(refusals) == 40
    assert all(o == "sold out: “Regular” is sold out." for o in refusals), set(refusals)
    held = sum(
        ReservationLine.objects.filter(ticket_type=regular).values_list("quantity", flat=True)
    )
    assert held == 10


def test_concurrent_buyers_of_several_ticket_types_never_deadlock(on_sale):
    event, regular, student = on_sale["event"], on_sale["regular"], on_sale["student"]
    start = threading.Barrier(30)

    @in_thread
    def buy(i):
        start.wait()
        # Half ask for (regular, student), half for (student, regular): same lock order anyway.
        quantities = {regular.pk: 1, student.pk: 1} if i % 2 else {student.pk: 1, regular.pk: 1}
        try:
            reserve_tickets(event, quantities)
            return "reserved"
        except SoldOut:
            return "sold out"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(buy, range(30)))
    assert outcomes.count("reserved") == 10  # student has capacity 10
    assert outcomes.count("sold out") == 20


def test_concurrent_posts_of_one_browser_cannot_both_pass_its_limit(on_sale):
    """Ten requests of one browser at once, for different ticket types (so the ticket-type row
    locks alone would not keep them apart): only as many as the limit allows get through."""
    event, regular, student = on_sale["event"], on_sale["regular"], on_sale["student"]
    client = HoldClient.identify(browser_id="one-browser", address="192.0.2.50")
    start = threading.Barrier(10)

    @in_thread
    def hold(i):
        start.wait()
        ticket_type = regular if i % 2 else student
        try:
            reserve_tickets(event, {ticket_type.pk: 4}, client=client)
            return "held"
        except HoldLimitReached:
            return "refused"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(hold, range(10)))

    assert outcomes.count("held") == 2  # 8 tickets; a third hold would make 12 of 10
    assert sum(ReservationLine.objects.values_list("quantity", flat=True)) == 8


def test_concurrent_browsers_at_one_address_stop_at_the_address_limit(on_sale):
    event, regular = on_sale["event"], on_sale["regular"]
    TicketType.objects.filter(pk=regular.pk).update(capacity=500, max_per_order=8)
    start = threading.Barrier(12)

    @in_thread
    def hold(i):
        client = HoldClient.identify(browser_id=f"browser-{i}", address="198.51.100.3")
        start.wait()
        try:
            reserve_tickets(event, {regular.pk: 8}, client=client)
            return "held"
        except HoldLimitReached:
            return "refused"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(hold, range(12)))

    assert outcomes.count("held") == 5  # 40 tickets: the address limit
    assert sum(ReservationLine.objects.values_list("quantity", flat=True)) == 40
