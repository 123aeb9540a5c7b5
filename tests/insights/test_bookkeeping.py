"""The bookkeeping export: sales and refunds per VAT rate, balanced, unchanged by an erasure."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from weticket_wagtail.insights.services.aggregates import Period
from weticket_wagtail.insights.services.bookkeeping import ledger
from weticket_wagtail.payments.models import Refund
from weticket_wagtail.privacy.services import erasure, requests
from weticket_wagtail.ticketing.models import Order

from .conftest import sell

pytestmark = pytest.mark.django_db


def csv_rows(client, **params) -> list[list[str]]:
    response = client.get(reverse("weticket_insights_bookkeeping"), params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_ledger_balances_and_survives_an_erasure(client, orgs, settings):
    settings.WETICKET = {
        **settings.WETICKET,
        "PRIVACY_ERASURE_FUTURE_TICKETS": "keep",
        "PUBLIC_BASE_URL": "http://testserver",
    }
    erased = sell(orgs["regular"], email="erase.me@example.net", quantity=2, name="Erase Me")
    sell(orgs["vip"], email="kees@example.net")
    sell(orgs["bravo"], email="bob@bravo.example")
    Refund.objects.create(payment=erased.payments.get(), amount=Decimal("15.00"), status="refunded")
    lines = ledger(orgs["org_a"], Period())
    assert sum(line.amount_including_vat for line in lines) == Decimal("90.00") - Decimal("15.00")
    refund = next(line for line in lines if line.kind == "refund")
    assert refund.amount_including_vat == Decimal("-15.00")
    assert refund.vat == Decimal("-1.24")  # 9 % VAT included in 15.00
    client.force_login(orgs["member"])
    before = csv_rows(client)

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    req = requests.submit_request(kind="erasure", email="erase.me@example.net")
    req, _ = requests.verify_request(requests.sign_link(req, requests.CONFIRM_SALT))
    erasure.erase_subject(req, by=admin, require_export=False)
    assert Order.objects.get(pk=erased.pk).anonymised_at is not None

    after = csv_rows(client)
    assert after == before
    assert sum(Decimal(row[6]) for row in after[1:]) == Decimal("75.00")
    assert "erase.me" not in str(after) and "Bravo" not in str(after)

    response = client.get(reverse("weticket_insights_bookkeeping"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert sum(Decimal(str(row[6])) for row in values[1:]) == Decimal("75.00")


def test_ledger_shows_voucher_codes_and_discounts_and_still_balances(client, orgs, mollie):
    """Sales carry the codes and discounts of their lines per VAT rate; amounts stay what was
    paid, so the ledger balances as before; a refund of a discounted ticket is what it cost."""
    from weticket_wagtail.payments.services import refund_tickets, start_payment, sync_payment
    from weticket_wagtail.testing.factories import TicketTypeFactory
    from weticket_wagtail.ticketing.models import Voucher
    from weticket_wagtail.ticketing.services.orders import place_order
    from weticket_wagtail.ticketing.services.reservations import reserve_tickets

    org, event, regular, vip = orgs["org_a"], orgs["event_a"], orgs["regular"], orgs["vip"]
    drinks = TicketTypeFactory(
        event=event, name="Drinks", price=Decimal("10.00"), vat_rate=Decimal("21.00")
    )
    half = Voucher.objects.create(
        organisation=org,
        code="HALF",
        kind=Voucher.Kind.PERCENTAGE,
        value=Decimal("50"),
        max_uses=9,
    )
    half.ticket_types.set([regular])
    guest = Voucher.objects.create(
        organisation=org, code="GUEST", kind=Voucher.Kind.PERCENTAGE, value=Decimal("100")
    )
    guest.ticket_types.set([vip])

    def buy(quantities, voucher):
        reservation = reserve_tickets(event, quantities, voucher=voucher)
        return place_order(reservation, buyer_name="A", buyer_email="a@x.example", language="en")

    paid = buy({regular.pk: 2, drinks.pk: 1}, half)  # 2 × 10.00 + 10.00
    payment = start_payment(paid, redirect_url="http://testserver/return/")
    mollie.set_status(payment.mollie_id, "paid", method="ideal", notify=False)
    sync_payment(payment.mollie_id)
    paid.refresh_from_db()
    assert (paid.status, paid.total) == (Order.Status.PAID, Decimal("30.00"))
    free = buy({vip.pk: 1}, guest)
    assert (free.status, free.total) == (Order.Status.PAID, Decimal("0.00"))
    refund = refund_tickets(paid, [paid.tickets.filter(line__ticket_type=regular).first().pk])
    assert refund.amount == Decimal("10.00")  # what the ticket cost, not its list price 20.00

    lines = ledger(org, Period())
    by_key = {(line.kind, line.reference, line.vat_rate): line for line in lines}
    sale_9 = by_key[("sale", paid.reference, Decimal("9.00"))]
    sale_21 = by_key[("sale", paid.reference, Decimal("21.00"))]
    assert (sale_9.amount_including_vat, sale_9.voucher_codes, sale_9.discount_including_vat) == (
        Decimal("20.00"),
        "HALF",
        Decimal("20.00"),
    )
    assert (sale_21.amount_including_vat, sale_21.voucher_codes) == (Decimal("10.00"), "")
    assert sale_21.discount_including_vat == Decimal("0")
    guest_sale = by_key[("sale", free.reference, Decimal("9.00"))]
    assert (guest_sale.amount_including_vat, guest_sale.voucher_codes) == (Decimal("0.00"), "GUEST")
    assert guest_sale.discount_including_vat == Decimal("50.00")
    refunded = by_key[("refund", paid.reference, Decimal("9.00"))]
    assert (refunded.voucher_codes, refunded.discount_including_vat) == ("HALF", Decimal("0"))
    # Balanced: what came in minus what went back; and each sale plus its discount is the
    # order's lines at list price.
    assert sum(line.amount_including_vat for line in lines) == Decimal("30.00") - Decimal("10.00")
    for order in (paid, free):
        for rate in {line.vat_rate for line in order.lines.all()}:
            sale = by_key[("sale", order.reference, rate)]
            listed = sum(line.list_total for line in order.lines.all() if line.vat_rate == rate)
            assert sale.amount_including_vat + sale.discount_including_vat == listed
            assert sale.amount_excluding_vat + sale.vat == sale.amount_including_vat

    client.force_login(orgs["member"])
    rows = csv_rows(client)
    assert rows[0][-2:] == ["Voucher code", "Discount incl. VAT"]
    assert [paid.reference, "9.00", "20.00", "HALF", "20.00"] == [
        rows[i][j] for i in [1 + lines.index(sale_9)] for j in (2, 3, 6, 9, 10)
    ]
    assert sum(Decimal(row[6]) for row in rows[1:]) == Decimal("20.00")
    assert sum(Decimal(row[10]) for row in rows[1:]) == Decimal("70.00")

    response = client.get(reverse("weticket_insights_bookkeeping"), {"format": "xlsx"})
    values = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(values[0][-2:]) == ["Voucher code", "Discount incl. VAT"]
    assert sum(Decimal(str(row[6])) for row in values[1:]) == Decimal("20.00")
    assert sum(Decimal(str(row[10])) for row in values[1:]) == Decimal("70.00")
    assert {row[9] for row in values[1:]} == {"HALF", "GUEST", None}
