"""The /v2/ resources (routes.py): payments, refunds and methods, through mollie-api-python."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests
from mollie.api.error import (
    NotFoundError,
    UnprocessableEntityError,
)

from weticket_wagtail.testing.mollie import MollieDouble

from .conftest import KEY_A, KEY_B, LIVE_KEY, REDIRECT, Receiver, make_client, payment_data

# ------------------------------------------------------------------- payments


def test_create_get_cancel(double: MollieDouble) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data(locale="nl_NL"))

    assert payment.resource == "payment"
    assert payment.id.startswith("tr_") and len(payment.id) == 13 and payment.id[3:].isalnum()
    assert payment.mode == "test"
    assert payment.status == "open" and payment.is_open()
    assert payment.amount == {"currency": "EUR", "value": "10.00"}
    assert payment.method is None
    assert payment.metadata == {"order": 42}
    assert payment.locale == "nl_NL"
    assert payment.redirect_url == REDIRECT
    assert payment.is_cancelable is True
    assert payment.amount_remaining is None  # only once paid, like Mollie
    assert payment.checkout_url == f"{double.base_url}/checkout/{payment.id}"
    assert payment["_links"]["self"]["href"] == f"{double.api_endpoint}/v2/payments/{payment.id}"
    created = datetime.fromisoformat(payment.created_at)
    assert datetime.fromisoformat(payment.expires_at) - created == timedelta(minutes=15)

    fetched = client.payments.get(payment.id)
    assert fetched.id == payment.id and fetched.status == "open"

    canceled = client.payments.delete(payment.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    assert canceled.checkout_url is None
    assert client.payments.get(payment.id).is_canceled()

    with pytest.raises(UnprocessableEntityError) as excinfo:
        client.payments.delete(payment.id)
    assert excinfo.value.status == 422


def test_live_key_gives_live_mode(double: MollieDouble) -> None:
    payment = make_client(double, LIVE_KEY).payments.create(payment_data())
    assert payment.mode == "live"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": {"currency": "EUR", "value": "10"}}, "amount.value"),
        ({"amount": {"currency": "EUR", "value": "10.5"}}, "amount.value"),
        ({"amount": {"currency": "EUR", "value": 10.0}}, "amount.value"),
        ({"amount": {"currency": "EUR", "value": "0.00"}}, "amount.value"),
        ({"amount": {"currency": "EUR", "value": "-1.00"}}, "amount.value"),
        ({"amount": {"currency": "EURO", "value": "10.00"}}, "amount.currency"),
        ({"amount": None}, "amount"),
        ({"description": ""}, "description"),
        ({"description": None}, "description"),
        ({"redirectUrl": None}, "redirectUrl"),
        ({"webhookUrl": "not a url"}, "webhookUrl"),
        ({"locale": "xx_XX"}, "locale"),
        ({"method": "bitcoin"}, "method"),
    ],
)
def test_validation_errors_carry_the_field(
    double: MollieDouble, overrides: dict, field: str
) -> None:
    client = make_client(double)
    with pytest.raises(UnprocessableEntityError) as excinfo:
        client.payments.create(payment_data(**overrides))
    assert excinfo.value.status == 422
    assert excinfo.value.field == field
    assert double.payments == {}


def test_error_body_is_mollie_shaped(double: MollieDouble) -> None:
    response = requests.post(
        f"{double.api_endpoint}/v2/payments",
        json=payment_data(amount={"currency": "EUR", "value": "1"}),
        headers={"Authorization": f"Bearer {KEY_A}"},
        timeout=5,
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/hal+json"
    body = response.json()
    assert body["status"] == 422
    assert body["title"] == "Unprocessable Entity"
    assert body["field"] == "amount.value"
    assert body["detail"]
    assert body["_links"]["documentation"]["href"].startswith("https://docs.mollie.com/")


# -------------------------------------------------------------------- refunds


def test_refunds_partial_then_full(double: MollieDouble, receiver: Receiver) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))
    double.set_status(payment.id, "paid", notify=False)
    payment = client.payments.get(payment.id)

    refund = payment.refunds.create(
        {"amount": {"currency": "EUR", "value": "4.00"}, "description": "1 ticket"}
    )
    assert refund.resource == "refund"
    assert refund.id.startswith("re_") and len(refund.id) == 13
    assert refund.status == "pending" and refund.is_pending()
    assert refund.payment_id == payment.id
    assert refund.amount == {"currency": "EUR", "value": "4.00"}
    assert refund.description == "1 ticket"

    after_first = client.payments.get(payment.id)
    assert after_first.amount_refunded == {"value": "4.00", "currency": "EUR"}
    assert after_first.amount_remaining == {"value": "6.00", "currency": "EUR"}
    assert after_first.has_refunds()

    with pytest.raises(UnprocessableEntityError) as excinfo:
        payment.refunds.create({"amount": {"currency": "EUR", "value": "6.01"}})
    assert excinfo.value.field == "amount"

    payment.refunds.create({"amount": {"currency": "EUR", "value": "6.00"}})
    after_full = client.payments.get(payment.id)
    assert after_full.amount_refunded == {"value": "10.00", "currency": "EUR"}
    assert after_full.amount_remaining == {"value": "0.00", "currency": "EUR"}
    with pytest.raises(UnprocessableEntityError):
        payment.refunds.create({"amount": {"currency": "EUR", "value": "0.01"}})

    listed = payment.refunds.list()
    assert listed.count == 2
    assert payment.refunds.get(refund.id).amount == {"currency": "EUR", "value": "4.00"}
    assert len(double.refunds) == 2

    # Each refund calls the payment's webhook, like Mollie.
    assert double.wait_for_webhooks(timeout=5, min_calls=2)
    assert [c["form"] for c in receiver.calls] == [{"id": [payment.id]}] * 2


def test_refund_validation(double: MollieDouble) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data())
    with pytest.raises(UnprocessableEntityError):  # not paid
        payment.refunds.create({"amount": {"currency": "EUR", "value": "1.00"}})

    double.set_status(payment.id, "paid", notify=False)
    with pytest.raises(UnprocessableEntityError) as excinfo:
        payment.refunds.create({})
    assert excinfo.value.field == "amount"
    with pytest.raises(UnprocessableEntityError) as excinfo:
        payment.refunds.create({"amount": {"currency": "USD", "value": "1.00"}})
    assert excinfo.value.field == "amount.currency"
    with pytest.raises(UnprocessableEntityError):
        payment.refunds.create({"amount": {"currency": "EUR", "value": "10.01"}})
    assert double.refunds == {}

    other = make_client(double, KEY_B)
    with pytest.raises(NotFoundError):
        other.payments.get(payment.id)


# ---------------------------------------------------------- methods and lists


def test_methods_and_pagination(double: MollieDouble) -> None:
    client = make_client(double)
    methods = client.methods.list()
    assert "ideal" in [m.id for m in methods]
    assert client.methods.get("ideal").description == "iDEAL"

    ids = [client.payments.create(payment_data()).id for _ in range(3)]
    page = client.payments.list(limit=2)
    assert [p.id for p in page] == [ids[2], ids[1]]  # newest first
    assert page.has_next()
    rest = page.get_next()
    assert [p.id for p in rest] == [ids[0]]
    assert not rest.has_next()
