"""Concurrency on PostgreSQL: a voucher's uses are taken like capacity, and vouchers never let
a flash sale oversell."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from weticket_wagtail.ticketing.models import Order, ReservationLine, TicketType, Voucher
from weticket_wagtail.ticketing.services.errors import SoldOut
from weticket_wagtail.ticketing.services.orders import confirm_order, place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets
from weticket_wagtail.ticketing.services.vouchers import VoucherError, find_voucher, uses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


def in_thread(func):
    def wrapper(*args):
        try:
            return func(*args)
        finally:
            connections.close_all()

    return wrapper


def test_a_voucher_with_ten_uses_is_used_exactly_ten_times_by_fifty_buyers(on_sale):
    event, regular = on_sale["event"], on_sale["regular"]
    voucher = Voucher.objects.create(
        organisation=on_sale["organisation"],
        code="TEN",
        kind=Voucher.Kind.PERCENTAGE,
        value=Decimal("50"),
        max_uses=10,
    )
    start = threading.Barrier(50)

    @in_thread
    def buy(i):
        start.wait()
        try:
            applied = find_voucher(event, "ten")
            reservation = reserve_tickets(event, {regular.pk: 1}, voucher=applied.voucher)
            order = place_order(
                reservation, buyer_name=f"B{i}", buyer_email=f"b{i}@example.nl", language="en"
            )
            return confirm_order(order).value
        except VoucherError as exc:
            return f"refused: {exc.code}"
        except Exception as exc:  # noqa: BLE001 - any other outcome fails the test
            return f"error: {type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(buy, range(50)))

    assert outcomes.count("confirmed") == 10, set(outcomes)
    assert outcomes.count("refused: voucher_used_up") == 40, set(outcomes)
    assert uses(voucher.pk) == 10
    paid = Order.objects.filter(status=Order.Status.PAID)
    assert paid.count() == 10
    assert all(order.total == Decimal("12.25") for order in paid)


def test_a_flash_sale_with_and_without_vouchers_never_oversells(on_sale):
    event = on_sale["event"]
    regular = on_sale["regular"]
    hidden = TicketType.objects.create(
        event=event, name="Friends", price=Decimal("10"), capacity=5, requires_voucher=True
    )
    TicketType.objects.filter(pk=regular.pk).update(capacity=12)
    Voucher.objects.create(
        organisation=on_sale["organisation"],
        code="FRIENDS",
        kind=Voucher.Kind.FIXED,
        value=Decimal("2"),
        unlocks_hidden=True,
        max_uses=100,
    )
    start = threading.Barrier(60)

    @in_thread
    def buy(i):
        start.wait()
        try:
            if i % 3 == 0:  # a third with the code, for both types at once
                voucher = find_voucher(event, "FRIENDS").voucher
                reserve_tickets(event, {regular.pk: 1, hidden.pk: 1}, voucher=voucher)
                return "reserved with voucher"
            reserve_tickets(event, {regular.pk: 1})
            return "reserved"
        except SoldOut:
            return "sold out"
        except Exception as exc:  # noqa: BLE001
            return f"error: {type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=60) as pool:
        outcomes = list(pool.map(buy, range(60)))

    assert not [o for o in outcomes if o.startswith("error")], set(outcomes)
    held = {
        tt: sum(ReservationLine.objects.filter(ticket_type=tt).values_list("quantity", flat=True))
        for tt in (regular, hidden)
    }
    assert held[regular] == 12
    assert held[hidden] == outcomes.count("reserved with voucher") <= 5
    assert outcomes.count("reserved") + outcomes.count("reserved with voucher") == 12
