"""The hosted checkout page (checkout.py): a person picks the outcome of a payment."""

from __future__ import annotations

import pytest
import requests

from weticket_wagtail.testing.mollie import MollieDouble

from .conftest import REDIRECT, Receiver, make_client, payment_data


def test_checkout_paid_calls_webhook_then_redirects(
    double: MollieDouble, receiver: Receiver
) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))

    page = requests.get(payment.checkout_url, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    for marker in ('<html lang="en">', '<label for="method">', 'name="status" value="paid"'):
        assert marker in page.text
    for choice in ("paid", "failed", "canceled", "expired"):
        assert f'value="{choice}"' in page.text
    assert "2x Jazz in de tuin" in page.text and "EUR 10.00" in page.text

    response = requests.post(
        payment.checkout_url,
        data={"status": "paid", "method": "creditcard"},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == REDIRECT
    # The first webhook attempt happened before the redirect was answered.
    assert len(receiver.calls) == 1
    assert receiver.calls[0]["form"] == {"id": [payment.id]}
    assert receiver.calls[0]["content_type"] == "application/x-www-form-urlencoded"
    calls = double.webhook_calls
    assert [(c["payment_id"], c["attempt"], c["status_code"], c["ok"]) for c in calls] == [
        (payment.id, 1, 200, True)
    ]

    paid = client.payments.get(payment.id)
    assert paid.status == "paid" and paid.is_paid()
    assert paid.method == "creditcard"
    assert paid.paid_at is not None
    assert paid.checkout_url is None
    assert paid.amount_refunded == {"value": "0.00", "currency": "EUR"}
    assert paid.amount_remaining == {"value": "10.00", "currency": "EUR"}

    again = requests.post(payment.checkout_url, data={"status": "failed"}, timeout=5)
    assert again.status_code == 409
    assert "paid" in again.text
    assert client.payments.get(payment.id).status == "paid"


@pytest.mark.parametrize("choice", ["failed", "canceled", "expired"])
def test_checkout_other_outcomes(double: MollieDouble, choice: str) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data())
    response = requests.post(
        payment.checkout_url, data={"status": choice}, allow_redirects=False, timeout=5
    )
    assert response.status_code == 303
    result = client.payments.get(payment.id)
    assert result.status == choice
    assert result[f"{choice}At"] is not None
    assert result.paid_at is None


def test_checkout_unknown_payment_is_404(double: MollieDouble) -> None:
    assert requests.get(double.checkout_url("tr_doesnotexist"), timeout=5).status_code == 404
