"""Vouchers: each discount kind, the validity window, hidden ticket types, uses, free orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from weticket_wagtail.ticketing.models import Order, TicketType, Voucher
from weticket_wagtail.ticketing.services.orders import confirm_order, place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets
from weticket_wagtail.ticketing.services.vouchers import (
    VoucherError,
    create_vouchers,
    discounted_price,
    find_voucher,
    uses,
    vouchers_csv,
)

pytestmark = pytest.mark.django_db


def make_voucher(organisation, **kwargs) -> Voucher:
    kwargs.setdefault("code", "SUMMER")
    kwargs.setdefault("kind", Voucher.Kind.PERCENTAGE)
    kwargs.setdefault("value", Decimal("10"))
    kwargs.setdefault("max_uses", 10)
    return Voucher.objects.create(organisation=organisation, **kwargs)


def buy(event, quantities, code=None) -> Order:
    voucher = find_voucher(event, code).voucher if code else None
    reservation = reserve_tickets(event, quantities, voucher=voucher)
    return place_order(reservation, buyer_name="Anna", buyer_email="anna@example.nl", language="en")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (Voucher.Kind.FIXED, "5.00", "19.50"),
        (Voucher.Kind.FIXED, "30.00", "0.00"),  # never below zero
        (Voucher.Kind.PERCENTAGE, "10", "22.05"),
        (Voucher.Kind.PERCENTAGE, "33", "16.42"),  # 24.50 × 0.67 = 16.415: half up
        (Voucher.Kind.SET_PRICE, "12.00", "12.00"),
        (Voucher.Kind.SET_PRICE, "99.00", "24.50"),  # never above the list price
    ],
)
def test_each_discount_kind_prices_a_ticket(kind, value, expected):
    voucher = Voucher(kind=kind, value=Decimal(value))
    assert discounted_price(voucher, Decimal("24.50")) == Decimal(expected)


def test_order_stores_the_discount_per_line_and_keeps_it_when_the_voucher_changes(on_sale):
    event, regular, student = on_sale["event"], on_sale["regular"], on_sale["student"]
    voucher = make_voucher(on_sale["organisation"], kind=Voucher.Kind.FIXED, value=Decimal("4.50"))
    voucher.ticket_types.set([regular])
    order = buy(event, {regular.pk: 2, student.pk: 1}, code=" summer ")
    assert order.total == Decimal("55.00")  # 2 × 20.00 + 15.00
    line = order.lines.get(ticket_type=regular)
    assert (line.unit_price, line.list_price, line.voucher_code) == (
        Decimal("20.00"),
        Decimal("24.50"),
        "SUMMER",
    )
    assert line.discount == Decimal("9.00")
    assert order.lines.get(ticket_type=student).voucher_id is None
    Voucher.objects.filter(pk=voucher.pk).update(value=Decimal("20"))
    line.refresh_from_db()
    assert line.unit_price == Decimal("20.00")
    voucher.delete()
    line.refresh_from_db()
    assert (line.unit_price, line.list_price, line.voucher_code) == (
        Decimal("20.00"),
        Decimal("24.50"),
        "SUMMER",
    )


def test_a_voucher_outside_its_window_is_refused_with_the_reason(on_sale):
    now = timezone.now()
    make_voucher(on_sale["organisation"], code="EARLY", valid_from=now + timedelta(days=1))
    make_voucher(on_sale["organisation"], code="LATE", valid_until=now - timedelta(minutes=1))
    with pytest.raises(VoucherError, match="not valid yet"):
        find_voucher(on_sale["event"], "early")
    with pytest.raises(VoucherError, match="expired"):
        find_voucher(on_sale["event"], "late")
    with pytest.raises(VoucherError, match="not valid"):
        find_voucher(on_sale["event"], "nonsense")


def test_an_event_voucher_does_not_work_for_another_event(on_sale):
    from weticket_wagtail.testing.factories import EventFactory

    other = EventFactory(organisation=on_sale["organisation"], slug="other")
    make_voucher(on_sale["organisation"], code="JAZZ", event=on_sale["event"])
    make_voucher(on_sale["organisation"], code="ALL")
    find_voucher(on_sale["event"], "JAZZ")
    find_voucher(other, "ALL")
    with pytest.raises(VoucherError):
        find_voucher(other, "JAZZ")


def test_a_hidden_ticket_type_is_sold_only_with_a_voucher_that_unlocks_it(on_sale):
    event = on_sale["event"]
    crew = TicketType.objects.create(
        event=event, name="Crew", price=Decimal("10"), capacity=5, requires_voucher=True
    )
    with pytest.raises(Exception, match="not available"):
        reserve_tickets(event, {crew.pk: 1})
    plain = make_voucher(on_sale["organisation"], code="PLAIN")
    with pytest.raises(Exception, match="not available"):
        reserve_tickets(event, {crew.pk: 1}, voucher=plain)
    make_voucher(
        on_sale["organisation"],
        code="CREW",
        kind=Voucher.Kind.SET_PRICE,
        value=Decimal("0"),
        unlocks_hidden=True,
    )
    order = buy(event, {crew.pk: 1}, code="crew")
    assert order.total == Decimal("0.00")


def test_a_used_up_voucher_is_refused_and_a_refund_gives_its_uses_back(on_sale):
    event, regular = on_sale["event"], on_sale["regular"]
    voucher = make_voucher(on_sale["organisation"], max_uses=3)
    first = buy(event, {regular.pk: 2}, code="SUMMER")
    with pytest.raises(VoucherError, match="1 more ticket"):
        buy(event, {regular.pk: 2}, code="SUMMER")
    assert confirm_order(first).value == "confirmed"
    assert uses(voucher.pk) == 2
    buy(event, {regular.pk: 1}, code="SUMMER")
    with pytest.raises(VoucherError, match="used up"):
        buy(event, {regular.pk: 1}, code="SUMMER")
    Order.objects.filter(pk=first.pk).update(status=Order.Status.REFUNDED)
    assert uses(voucher.pk) == 1


def test_a_hundred_percent_voucher_confirms_the_order_without_payment(on_sale):
    make_voucher(on_sale["organisation"], code="GUEST", value=Decimal("100"))
    order = buy(on_sale["event"], {on_sale["regular"].pk: 2}, code="guest")
    assert order.total == Decimal("0.00")
    assert order.status == Order.Status.PAID
    assert order.tickets.count() == 2
    assert not order.payments.exists()


def test_bulk_creation_makes_unique_codes_with_the_prefix_and_exports_them(on_sale):
    template = Voucher(
        organisation=on_sale["organisation"],
        kind=Voucher.Kind.FIXED,
        value=Decimal("5"),
        max_uses=1,
        tag="sponsors",
    )
    created = create_vouchers(template, 25, prefix="spons-", ticket_types=[on_sale["regular"]])
    codes = {v.code for v in created}
    assert len(codes) == 25
    assert all(code.startswith("SPONS-") for code in codes)
    assert all(set(v.ticket_types.all()) == {on_sale["regular"]} for v in created)
    csv_text = vouchers_csv(Voucher.objects.filter(tag="sponsors"))
    assert len(csv_text.strip().splitlines()) == 26
    assert created[0].code in csv_text
