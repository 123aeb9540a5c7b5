"""The gate in front of the routes (api.py): API keys, idempotency keys, queued failures."""

from __future__ import annotations

import time

import pytest
import requests
from mollie.api.error import (
    ConflictError,
    NotFoundError,
    RequestError,
    ResponseError,
    UnauthorizedError,
    UnprocessableEntityError,
)

from weticket_wagtail.testing.mollie import MollieDouble

from .conftest import KEY_A, KEY_B, make_client, payment_data

# ----------------------------------------------------------------------- auth


def test_payments_are_scoped_per_api_key(double: MollieDouble) -> None:
    client_a, client_b = make_client(double, KEY_A), make_client(double, KEY_B)
    payment = client_a.payments.create(payment_data())

    with pytest.raises(NotFoundError) as excinfo:
        client_b.payments.get(payment.id)
    assert excinfo.value.status == 404
    with pytest.raises(NotFoundError):
        client_b.payments.delete(payment.id)

    assert [p.id for p in client_a.payments.list()] == [payment.id]
    assert len(client_b.payments.list()) == 0
    assert double.payment_api_key(payment.id) == KEY_A


def test_unknown_or_missing_keys_get_401(double: MollieDouble) -> None:
    double.allow_keys([KEY_A])
    assert make_client(double, KEY_A).payments.create(payment_data()).status == "open"
    with pytest.raises(UnauthorizedError) as excinfo:
        make_client(double, KEY_B).payments.create(payment_data())
    assert excinfo.value.status == 401

    url = f"{double.api_endpoint}/v2/payments"
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": KEY_A}):
        response = requests.get(url, headers=headers, timeout=5)
        assert response.status_code == 401, headers
        assert response.json()["title"] == "Unauthorized Request"

    double.allow_any_key()
    assert make_client(double, KEY_B).payments.list().count == 0


def test_strict_keys_require_real_key_shape() -> None:
    with MollieDouble(strict_keys=True) as strict:
        with pytest.raises(UnauthorizedError):
            make_client(strict, "test_short").payments.list()
        assert make_client(strict, KEY_A).payments.list().count == 0


# ---------------------------------------------------------------- idempotency


def test_idempotency_key_replays_the_first_response(double: MollieDouble) -> None:
    client = make_client(double)
    first = client.payments.create(payment_data(), idempotency_key="order-42-attempt-1")
    second = client.payments.create(payment_data(), idempotency_key="order-42-attempt-1")
    assert second.id == first.id
    assert len(double.payments) == 1
    assert double.api_requests[-1]["replayed"] is True
    assert double.api_requests[-1]["idempotency_key"] == "order-42-attempt-1"

    response = requests.post(
        f"{double.api_endpoint}/v2/payments",
        json=payment_data(),
        headers={"Authorization": f"Bearer {KEY_A}", "Idempotency-Key": "order-42-attempt-1"},
        timeout=5,
    )
    assert response.status_code == 201
    assert response.headers["Idempotent-Replayed"] == "true"
    assert response.json()["id"] == first.id

    # Without a key (the client then generates a fresh one) a second payment is made.
    assert client.payments.create(payment_data()).id != first.id
    # Keys are per API key: the same key for another organisation creates its own payment.
    other = make_client(double, KEY_B).payments.create(
        payment_data(), idempotency_key="order-42-attempt-1"
    )
    assert other.id != first.id
    assert len(double.payments) == 3


def test_idempotency_key_with_a_different_body_is_refused(double: MollieDouble) -> None:
    client = make_client(double)
    client.payments.create(payment_data(), idempotency_key="same-key")
    with pytest.raises(ResponseError) as excinfo:
        client.payments.create(
            payment_data(amount={"currency": "EUR", "value": "99.00"}),
            idempotency_key="same-key",
        )
    assert excinfo.value.status == MollieDouble.idempotency_mismatch_status
    assert "idempotency key" in str(excinfo.value)
    assert len(double.payments) == 1


def test_failed_requests_are_not_stored_under_the_key(double: MollieDouble) -> None:
    client = make_client(double)
    with pytest.raises(UnprocessableEntityError):
        client.payments.create(payment_data(description=""), idempotency_key="k1")
    assert client.payments.create(payment_data(), idempotency_key="k1").status == "open"


def test_refund_idempotency(double: MollieDouble) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data())
    double.set_status(payment.id, "paid", notify=False)
    data = {"amount": {"currency": "EUR", "value": "5.00"}}
    first = payment.refunds.create(data, idempotency_key="refund-1")
    second = payment.refunds.create(data, idempotency_key="refund-1")
    assert first.id == second.id
    assert len(double.refunds) == 1
    assert client.payments.get(payment.id).amount_remaining["value"] == "5.00"


# ------------------------------------------------------------------- failures


@pytest.mark.parametrize("mode", ["500", "503"])
def test_fail_next_makes_the_client_raise(double: MollieDouble, mode: str) -> None:
    client = make_client(double)
    double.fail_next(2, mode=mode)
    for _ in range(2):
        with pytest.raises(ResponseError) as excinfo:
            client.payments.create(payment_data())
        assert excinfo.value.status == int(mode)
        assert type(excinfo.value) is ResponseError  # no 4xx subclass
    assert double.payments == {}  # failed requests did nothing
    assert client.payments.create(payment_data()).status == "open"


def test_fail_next_only_matches_its_prefix(double: MollieDouble) -> None:
    client = make_client(double)
    double.fail_next(1, paths_prefix="/v2/methods")
    payment = client.payments.create(payment_data())
    with pytest.raises(ResponseError):
        client.methods.list()
    assert client.payments.get(payment.id).id == payment.id


def test_timeout_mode_then_idempotent_retry(double: MollieDouble) -> None:
    client = make_client(double, timeout=0.3)
    double.fail_next(1, mode="timeout")  # the double sleeps 1.0 s, then creates anyway
    started = time.monotonic()
    with pytest.raises(RequestError) as excinfo:
        client.payments.create(payment_data(), idempotency_key="retry-me")
    assert "Unable to communicate with Mollie" in str(excinfo.value)
    assert time.monotonic() - started < 0.9

    # Retrying while Mollie still works on the first request is a 409...
    with pytest.raises(ConflictError):
        client.payments.create(payment_data(), idempotency_key="retry-me")

    deadline = time.monotonic() + 3
    while not double.payments and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(double.payments) == 1  # ...the first request did go through...

    replay = client.payments.create(payment_data(), idempotency_key="retry-me")
    assert list(double.payments) == [replay.id]  # ...and the retry gets that payment.


def fail_in_python(double: MollieDouble, paths_prefix: str) -> None:
    double.fail_next(1, mode="500", paths_prefix=paths_prefix, method="POST")


def fail_over_http(double: MollieDouble, paths_prefix: str) -> None:
    body = {"count": 1, "mode": "500", "paths_prefix": paths_prefix, "method": "POST"}
    assert requests.post(f"{double.base_url}/_control/fail", json=body, timeout=5).ok


@pytest.mark.parametrize("queue_failure", [fail_in_python, fail_over_http])
@pytest.mark.parametrize("paths_prefix", ["/v2/payments/{id}/refunds", "/v2/payments/*/refunds"])
def test_failing_only_refund_creation_then_retry_refunds_once(
    double: MollieDouble, queue_failure, paths_prefix: str
) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data())
    double.set_status(payment.id, "paid", notify=False)
    queue_failure(double, paths_prefix.format(id=payment.id))

    # Requests other than creating a refund are not hit by the failure...
    payment = client.payments.get(payment.id)
    assert payment.refunds.list().count == 0
    assert client.payments.create(payment_data()).status == "open"

    # ...creating the refund is, once, and nothing is refunded...
    data = {"amount": {"currency": "EUR", "value": "4.00"}, "description": "1 ticket"}
    with pytest.raises(ResponseError) as excinfo:
        payment.refunds.create(data, idempotency_key="refund-7")
    assert excinfo.value.status == 500
    assert double.refunds == {}

    # ...and retrying with the same Idempotency-Key refunds exactly once.
    refund = payment.refunds.create(data, idempotency_key="refund-7")
    assert payment.refunds.create(data, idempotency_key="refund-7").id == refund.id
    assert list(double.refunds) == [refund.id]
    assert client.payments.get(payment.id).amount_remaining == {"value": "6.00", "currency": "EUR"}
    creations = [r for r in double.api_requests if r["path"].endswith("/refunds")]
    assert [(r["method"], r["status"], r["replayed"]) for r in creations] == [
        ("GET", 200, False),
        ("POST", 201, False),
        ("POST", 201, True),
    ]


def test_refund_created_despite_a_timeout_is_not_made_again_by_the_retry(
    double: MollieDouble,
) -> None:
    client = make_client(double, timeout=0.3)
    payment = client.payments.create(payment_data())
    double.set_status(payment.id, "paid", notify=False)
    double.fail_next(1, mode="timeout", paths_prefix="/v2/payments/*/refunds", method="POST")
    data = {"amount": {"currency": "EUR", "value": "10.00"}}
    refunds = client.payments.get(payment.id).refunds

    with pytest.raises(RequestError):  # the client gives up; the double goes on after 1 s
        refunds.create(data, idempotency_key="refund-8")
    deadline = time.monotonic() + 3
    while not double.refunds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(double.refunds) == 1

    retried = refunds.create(data, idempotency_key="refund-8")
    assert list(double.refunds) == [retried.id]
    assert client.payments.get(payment.id).amount_remaining["value"] == "0.00"


def test_fail_next_refuses_an_unknown_method(double: MollieDouble) -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        double.fail_next(1, method="PUT")
    response = requests.post(f"{double.base_url}/_control/fail", json={"method": "PUT"}, timeout=5)
    assert response.status_code == 400
    assert make_client(double).payments.create(payment_data()).status == "open"


# ---------------------------------------------------------------- request log


def test_client_headers_are_recorded(double: MollieDouble) -> None:
    make_client(double).payments.list()
    request = double.api_requests[-1]
    assert request["api_key"] == KEY_A
    assert request["user_agent"].startswith("Mollie/")
    assert request["path"] == "/v2/payments"
