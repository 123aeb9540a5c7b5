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
