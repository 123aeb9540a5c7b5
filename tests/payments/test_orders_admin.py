"""The orders admin: scoped per organisation, read-only, with refunds, resend and CSV export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.menu import admin_menu

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.models import Refund
from weticket_wagtail.payments.services import start_payment, sync_payment
from weticket_wagtail.testing.factories import (
    UserFactory,
)
from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.services.orders import reopen_for_payment

from .conftest import admin_user, place

pytestmark = pytest.mark.django_db

CSV_HEADER = [
    "Date",
    "Order number",
    "Amount excl. VAT",
    "VAT",
    "Amount incl. VAT",
    "Payment method",
    "Mollie payment id",
    "Status",
    "Refunded",
]


def refused(response) -> bool:
    """404 or 403, or Wagtail's permission-denied redirect to the dashboard (never the object)."""
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def index_orders(client, **params) -> list[Order]:
    response = client.get(reverse("weticket_orders:index"), params)
    assert response.status_code == 200
    return list(response.context["object_list"])


def export_rows(client, **params) -> list[list[str]]:
    response = client.get(reverse("weticket_orders:index"), {**params, "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def order_urls(order: Order) -> list[str]:
    return [
        reverse(f"weticket_orders:{name}", args=[order.pk])
        for name in ("inspect", "refund", "resend")
    ]


# --- tenants ------------------------------------------------------------------------------------


def test_member_lists_only_own_organisations_orders(client, shop):
    client.force_login(shop["member"])
    response = client.get(reverse("weticket_orders:index"))
    body = response.content.decode()
    assert shop["order_a"].reference in body
    assert shop["order_b"].reference not in body
    assert "Bravo Night" not in body and "bob@bravo.example" not in body
    assert index_orders(client) == [shop["order_a"]]


def test_event_filter_offers_and_applies_only_own_events(client, shop):
    client.force_login(shop["member"])
    body = client.get(reverse("weticket_orders:index")).content.decode()
    assert f'value="{shop["event_a"].pk}"' in body and "Alpha Night" in body
    assert "Bravo Night" not in body  # not even as a filter choice
    assert index_orders(client, event=shop["event_a"].pk) == [shop["order_a"]]
    by_other = client.get(reverse("weticket_orders:index"), {"event": shop["event_b"].pk})
    assert shop["order_b"].reference not in by_other.content.decode()
    assert "Bravo Night" not in by_other.content.decode()


def test_status_and_date_filters(client, shop):
    client.force_login(shop["member"])
    pending = place(shop["event_a"], shop["regular"], 1, "late@alpha.example")
    assert index_orders(client, status="pending") == [pending]
    assert shop["order_a"] in index_orders(client, status="paid")
    today = timezone.localdate().isoformat()
    assert set(index_orders(client, created_at_from=today, created_at_to=today)) == {
        shop["order_a"],
        pending,
    }
    assert index_orders(client, created_at_from="2000-01-01", created_at_to="2000-01-02") == []


@pytest.mark.parametrize("field", ["buyer_email", "token", "reference", "mollie_id"])
def test_search_finds_an_order_by_email_token_reference_or_mollie_id(client, shop, field):
    client.force_login(shop["member"])
    terms = {
        "buyer_email": shop["order_a"].buyer_email,
        "token": shop["order_a"].token,
        "reference": shop["order_a"].reference,
        "mollie_id": shop["payment_a"].mollie_id,
    }
    assert index_orders(client, q=terms[field]) == [shop["order_a"]]


@pytest.mark.parametrize("field", ["buyer_email", "token", "reference", "mollie_id"])
def test_search_never_finds_another_tenants_order(client, shop, field):
    client.force_login(shop["member"])
    terms = {
        "buyer_email": shop["order_b"].buyer_email,
        "token": shop["order_b"].token,
        "reference": shop["order_b"].reference,
        "mollie_id": shop["payment_b"].mollie_id,
    }
    response = client.get(reverse("weticket_orders:index"), {"q": terms[field]})
    assert list(response.context["object_list"]) == []
    body = response.content.decode()
    order_b = shop["order_b"]
    for leak in ("Bravo Night", order_b.buyer_email, order_b.reference, order_b.token):
        if leak != terms[field]:  # the search box echoes the term itself
            assert leak not in body
    assert export_rows(client, q=terms[field])[1:] == []


def test_search_by_mollie_id_lists_an_order_with_several_payments_once(client, shop, mollie):
    client.force_login(shop["member"])
    order = place(shop["event_a"], shop["regular"], 1, "retry@alpha.example")
    first = start_payment(order, redirect_url="http://testserver/return/")
    mollie.set_status(first.mollie_id, "failed", notify=False)
    sync_payment(first.mollie_id)
    second = start_payment(reopen_for_payment(order), redirect_url="http://testserver/return/")
    mollie.set_status(second.mollie_id, "paid", notify=False)
    sync_payment(second.mollie_id)
    assert index_orders(client, q="retry@alpha") == [order]
    assert index_orders(client, q=first.mollie_id) == [order]
    assert index_orders(client, q=second.mollie_id) == [order]


def test_member_cannot_reach_any_url_of_another_tenants_order(client, shop, mollie):
    client.force_login(shop["member"])
    order_b = shop["order_b"]
    emails_before = OutboxMessage.objects.count()
    for url in order_urls(order_b):
        assert refused(client.get(url)), url
        assert refused(
            client.post(url, {"amount": "30.00", "confirm": "1", "refundable_before": "30.00"})
        ), url
        assert refused(client.post(url, {"retry": "1"})), url
    assert not Refund.objects.exists() and not mollie.refunds
    assert OutboxMessage.objects.count() == emails_before
    order_b.refresh_from_db()
    assert order_b.status == Order.Status.PAID and order_b.amount_refunded == 0
    results = client.get(reverse("weticket_orders:index_results"), {"q": order_b.buyer_email})
    assert results.status_code == 200 and order_b.reference not in results.content.decode()
    rows = export_rows(client)
    assert [row[1] for row in rows[1:]] == [shop["order_a"].reference]
    assert export_rows(client, event=shop["event_b"].pk)[1:] == export_rows(client)[1:]


def test_member_can_open_own_orders_urls(client, shop):
    client.force_login(shop["member"])
    inspect, refund, _resend = order_urls(shop["order_a"])
    assert client.get(inspect).status_code == 200
    assert client.get(refund).status_code == 200


def test_user_without_membership_sees_no_orders(client, shop):
    outsider = admin_user("outsider")
    client.force_login(outsider)
    assert refused(client.get(reverse("weticket_orders:index")))
    assert refused(client.get(reverse("weticket_orders:index"), {"export": "csv"}))
    for url in order_urls(shop["order_a"]):
        assert refused(client.get(url)) and refused(client.post(url, {"confirm": "1"}))
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("weticket_orders:index") not in dashboard


def test_superuser_sees_every_tenants_orders(client, shop):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert set(index_orders(client)) == {shop["order_a"], shop["order_b"]}
    assert client.get(order_urls(shop["order_b"])[0]).status_code == 200


# --- read-only -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["add", "edit", "delete", "copy", "history", "usage"])
def test_orders_cannot_be_added_edited_copied_or_deleted(name):
    args = [] if name == "add" else [1]
    with pytest.raises(NoReverseMatch):
        reverse(f"weticket_orders:{name}", args=args)


def test_no_page_offers_to_change_an_order(client, shop):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    order = shop["order_a"]
    for path in ("new/", f"edit/{order.pk}/", f"delete/{order.pk}/", f"copy/{order.pk}/"):
        assert client.get(f"/admin/weticket_orders/{path}").status_code == 404
        assert client.post(f"/admin/weticket_orders/{path}").status_code == 404
    assert Order.objects.filter(pk=order.pk).exists()
    index = client.get(reverse("weticket_orders:index")).content.decode()
    inspect = client.get(order_urls(order)[0]).content.decode()
    for body in (index, inspect):
        assert "/admin/weticket_orders/new/" not in body
        assert f"/admin/weticket_orders/edit/{order.pk}/" not in body
        assert f"/admin/weticket_orders/delete/{order.pk}/" not in body


# --- inspect ------------------------------------------------------------------------------------


def test_inspect_shows_lines_payments_tickets_and_email_log(client, shop):
    client.force_login(shop["member"])
    order, payment = shop["order_a"], shop["payment_a"]
    body = client.get(order_urls(order)[0]).content.decode()
    assert "Regular" in body and "€ 24.50" in body and "€ 4.05" in body and "€ 44.95" in body
    assert payment.mollie_id in body and "ideal" in body
    for code in order.tickets.values_list("code", flat=True):
        assert code in body
    assert "<code>order_confirmation</code>" in body
    assert order.reference in body
    assert reverse("weticket_orders:refund", args=[order.pk]) in body
    assert reverse("weticket_orders:resend", args=[order.pk]) in body


def test_unpaid_orders_offer_neither_refund_nor_resend(client, shop):
    client.force_login(shop["member"])
    pending = place(shop["event_a"], shop["regular"], 1, "late@alpha.example")
    body = client.get(order_urls(pending)[0]).content.decode()
    assert reverse("weticket_orders:refund", args=[pending.pk]) not in body
    assert reverse("weticket_orders:resend", args=[pending.pk]) not in body
    response = client.get(reverse("weticket_orders:refund", args=[pending.pk]))
    assert response.status_code == 302
    assert response["Location"] == order_urls(pending)[0]
    before = OutboxMessage.objects.count()
    client.post(reverse("weticket_orders:resend", args=[pending.pk]))
    assert OutboxMessage.objects.count() == before


# --- refunds ------------------------------------------------------------------------------------


def test_partial_then_full_refund_each_after_a_confirmation(client, shop, mollie):
    client.force_login(shop["member"])
    order, payment = shop["order_a"], shop["payment_a"]
    url = reverse("weticket_orders:refund", args=[order.pk])

    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["amount"] == Decimal("49.00")

    review = client.post(url, {"amount": "10.00", "reason": "One guest cannot come"})
    assert review.status_code == 200
    text = " ".join(review.content.decode().split())
    assert "You are about to refund" in text and "€ 10.00" in text and order.reference in text
    assert 'name="confirm" value="1"' in text
    assert not Refund.objects.exists() and not mollie.refunds  # reviewing refunds nothing

    assert review.context["refundable_before"] == "49.00"
    confirm = {
        "amount": "10.00",
        "reason": "One guest cannot come",
        "confirm": "1",
        "refundable_before": "49.00",
    }
    done = client.post(url, confirm)
    assert done.status_code == 302 and done["Location"] == order_urls(order)[0]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.amount_refunded == Decimal("10.00")
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["10.00"]
    refund = Refund.objects.get()
    assert refund.created_by == shop["member"] and refund.reason == "One guest cannot come"

    rest = client.get(url)
    assert rest.context["form"].initial["amount"] == Decimal("39.00")
    assert client.post(url, {"amount": "39.00"}).context["refundable_before"] == "39.00"
    client.post(url, {"amount": "39.00", "confirm": "1", "refundable_before": "39.00"})
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.amount_refunded == Decimal("49.00")
    assert sorted(r["amount"]["value"] for r in mollie.refunds.values()) == ["10.00", "39.00"]
    assert mollie.payments[payment.mollie_id]["amountRemaining"]["value"] == "0.00"

    inspect = client.get(order_urls(order)[0]).content.decode()
    assert "€ 10.00" in inspect and "€ 39.00" in inspect
    assert reverse("weticket_orders:refund", args=[order.pk]) not in inspect


def test_a_confirmation_submitted_twice_refunds_once(client, shop, mollie):
    client.force_login(shop["member"])
    url = reverse("weticket_orders:refund", args=[shop["order_a"].pk])
    confirm = {"amount": "10.00", "confirm": "1", "refundable_before": "49.00"}
    assert client.post(url, confirm).status_code == 302
    again = client.post(url, confirm)
    assert again.status_code == 200 and not again.context["confirming"]
    assert "changed meanwhile" in again.content.decode()
    assert [r["amount"]["value"] for r in mollie.refunds.values()] == ["10.00"]
    assert Refund.objects.count() == 1
    shop["order_a"].refresh_from_db()
    assert shop["order_a"].amount_refunded == Decimal("10.00")


def test_refunding_more_than_is_left_is_a_form_error(client, shop, mollie):
    client.force_login(shop["member"])
    url = reverse("weticket_orders:refund", args=[shop["order_a"].pk])
    for data in (
        {"amount": "49.01"},
        {"amount": "49.01", "confirm": "1", "refundable_before": "49.00"},
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert "At most € 49.00 can still be refunded." in response.content.decode()
        assert not response.context["confirming"]
    for amount in ("0", "-5", "abc"):
        data = {"amount": amount, "confirm": "1", "refundable_before": "49.00"}
        assert client.post(url, data).status_code == 200
    assert not Refund.objects.exists() and not mollie.refunds
    shop["order_a"].refresh_from_db()
    assert shop["order_a"].amount_refunded == 0


def test_mollie_down_during_refund_keeps_the_order_and_the_refund_can_be_sent_again(
    client, shop, mollie
):
    client.force_login(shop["member"])
    order = shop["order_a"]
    url = reverse("weticket_orders:refund", args=[order.pk])
    mollie.fail_next(1, "500")
    data = {"amount": "49.00", "confirm": "1", "refundable_before": "49.00"}
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "Mollie cannot be reached; the refund is saved and will be sent again automatically."
        in " ".join(body.split())
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.amount_refunded == 0
    assert not mollie.refunds
    refund = Refund.objects.get()
    assert refund.mollie_id is None and refund.last_error

    # The saved refund is offered again (nothing lost) and sent once Mollie is back.
    page = client.get(url)
    assert page.status_code == 200 and 'name="retry"' in page.content.decode()
    sent = client.post(url, {"retry": str(refund.pk)})
    assert sent.status_code == 302
    refund.refresh_from_db()
    assert refund.mollie_id in mollie.refunds
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.amount_refunded == Decimal("49.00")
    assert len(mollie.refunds) == 1


# --- resend -------------------------------------------------------------------------------------


def test_resend_queues_another_confirmation_shown_in_the_email_log(client, shop):
    client.force_login(shop["member"])
    order = shop["order_a"]
    confirmations = OutboxMessage.objects.filter(
        object_ref=order.object_ref, topic="order_confirmation"
    )
    assert confirmations.count() == 1
    url = reverse("weticket_orders:resend", args=[order.pk])
    assert client.get(url).status_code == 405  # POST only
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == order_urls(order)[0]
    assert confirmations.count() == 2
    assert {m.to for m in confirmations} == {"zoe@alpha.example"}
    body = client.get(order_urls(order)[0]).content.decode()
    assert body.count("<code>order_confirmation</code>") == 2


# --- export -------------------------------------------------------------------------------------


def test_csv_export_has_bookkeeping_columns_and_amounts(client, shop):
    client.force_login(shop["member"])
    order, payment = shop["order_a"], shop["payment_a"]
    rows = export_rows(client)
    assert rows[0] == CSV_HEADER
    assert rows[1:] == [
        [
            timezone.localdate(order.created_at).isoformat(),
            order.reference,
            "44.95",
            "4.05",
            "49.00",
            "ideal",
            payment.mollie_id,
            "paid",
            "0.00",
        ]
    ]


def test_xlsx_export_of_the_same_rows_works_too(client, shop):
    client.force_login(shop["member"])
    response = client.get(reverse("weticket_orders:index"), {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="orders-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == CSV_HEADER
    assert rows[1][1] == shop["order_a"].reference and Decimal(str(rows[1][4])) == Decimal("49")


def test_csv_export_follows_the_filters_and_search(client, shop):
    client.force_login(shop["member"])
    pending = place(shop["event_a"], shop["regular"], 1, "late@alpha.example")
    assert [row[1] for row in export_rows(client, status="pending")[1:]] == [pending.reference]
    assert [row[1] for row in export_rows(client, q="zoe@alpha")[1:]] == [shop["order_a"].reference]
    assert export_rows(client, status="refunded")[1:] == []
    pending_row = export_rows(client, status="pending")[1]
    assert pending_row[2:5] == ["22.48", "2.02", "24.50"] and pending_row[7] == "pending"


# --- menu ---------------------------------------------------------------------------------------


def _menu_names(items) -> list[str]:
    return [item.name for item in items]


def test_orders_appear_once_in_the_menu_for_members(shop):
    request = RequestFactory().get("/admin/")
    request.user = shop["member"]
    top = admin_menu.menu_items_for_request(request)
    tickets = [item for item in top if item.name == "tickets"]
    assert len(tickets) == 1
    in_group = _menu_names(tickets[0].menu.menu_items_for_request(request))
    if WAGTAIL_VERSION >= (8, 0):  # the Tickets group collects Orders through its submenu hook
        assert "weticket-orders" in in_group and "weticket-orders" not in _menu_names(top)
    else:
        assert _menu_names(top).count("weticket-orders") == 1
        assert "weticket-orders" not in in_group
