"""The Mollie double, driven through the real mollie-api-python client.

Django-free on purpose: runs with ``-p no:django``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from mollie.api.client import Client
from mollie.api.error import (
    ConflictError,
    NotFoundError,
    RequestError,
    ResponseError,
    UnauthorizedError,
    UnprocessableEntityError,
)

from weticket_wagtail.testing.fixtures import mollie_double  # noqa: F401 - fixture
from weticket_wagtail.testing.mollie import MollieDouble

KEY_A = "test_" + "A" * 30
KEY_B = "test_" + "B" * 30
LIVE_KEY = "live_" + "L" * 30
REDIRECT = "https://shop.example/return/42"


def payment_data(**overrides: object) -> dict:
    data = {
        "amount": {"currency": "EUR", "value": "10.00"},
        "description": "2x Jazz in de tuin",
        "redirectUrl": REDIRECT,
        "metadata": {"order": 42},
    }
    data.update(overrides)
    return data


@pytest.fixture
def double() -> Iterator[MollieDouble]:
    with MollieDouble(retry_delays=(0.05, 0.05, 0.05), timeout_seconds=1.0) as d:
        yield d


def make_client(double: MollieDouble, key: str = KEY_A, timeout: float | None = None) -> Client:
    client = Client(api_endpoint=double.api_endpoint, timeout=timeout or (2, 5))
    client.set_api_key(key)
    return client


class Receiver:
    """A webhook endpoint that answers the scripted status codes, then 200."""

    def __init__(self, codes: list[int] | None = None) -> None:
        self.codes = list(codes or [])
        self.calls: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                receiver.calls.append(
                    {"form": parse_qs(body), "content_type": self.headers["Content-Type"]}
                )
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


# --------------------------------------------------------------------------- payments


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


# --------------------------------------------------------------------------- auth


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


# --------------------------------------------------------------------------- idempotency


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


# --------------------------------------------------------------------------- checkout


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


# --------------------------------------------------------------------------- webhooks


def test_webhook_is_retried_until_it_succeeds(double: MollieDouble, receiver: Receiver) -> None:
    receiver.codes = [500, 500]
    payment = make_client(double).payments.create(payment_data(webhookUrl=receiver.url))

    double.set_status(payment.id, "paid")
    assert double.wait_for_webhooks(timeout=5)

    calls = double.webhook_calls
    assert [(c["attempt"], c["status_code"], c["ok"]) for c in calls] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert len(receiver.calls) == 3
    assert all(c["url"] == receiver.url for c in calls)
    assert calls[0]["time"] <= calls[1]["time"] <= calls[2]["time"]


def test_webhook_gives_up_after_the_last_retry(double: MollieDouble) -> None:
    dead = Receiver()
    dead_url = dead.url
    dead.close()  # connection refused from now on
    payment = make_client(double).payments.create(payment_data(webhookUrl=dead_url))

    double.set_status(payment.id, "failed")
    assert double.wait_for_webhooks(timeout=5)
    calls = double.webhook_calls
    assert [c["attempt"] for c in calls] == [1, 2, 3, 4]  # 1 + len(retry_delays)
    assert all(c["status_code"] is None and c["error"] and not c["ok"] for c in calls)


def test_reset_abandons_pending_retries(receiver: Receiver) -> None:
    receiver.codes = [500] * 10
    with MollieDouble(retry_delays=(0.3, 0.3)) as slow:
        payment = make_client(slow).payments.create(payment_data(webhookUrl=receiver.url))
        slow.set_status(payment.id, "paid")  # attempt 1 fails, retries are scheduled
        assert len(receiver.calls) == 1
        slow.reset()
        assert slow.wait_for_webhooks(timeout=0.1)
        time.sleep(0.5)
        assert slow.webhook_calls == []
        assert len(receiver.calls) == 1


def test_no_webhook_when_not_notifying(double: MollieDouble, receiver: Receiver) -> None:
    payment = make_client(double).payments.create(payment_data(webhookUrl=receiver.url))
    assert double.set_status(payment.id, "paid", notify=False)["status"] == "paid"
    assert double.wait_for_webhooks(timeout=1)
    assert double.webhook_calls == [] and receiver.calls == []


def test_api_cancel_notifies_in_background(double: MollieDouble, receiver: Receiver) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))
    client.payments.delete(payment.id)
    assert double.wait_for_webhooks(timeout=5, min_calls=1)
    assert receiver.calls[0]["form"] == {"id": [payment.id]}


def test_expire_due(double: MollieDouble, receiver: Receiver) -> None:
    client = make_client(double)
    stale = client.payments.create(payment_data(webhookUrl=receiver.url))
    paid = client.payments.create(payment_data())
    double.set_status(paid.id, "paid", notify=False)

    assert double.expire_due() == []  # nothing is 15 minutes old yet
    later = datetime.fromisoformat(stale.expires_at) + timedelta(seconds=1)
    assert double.expire_due(now=later) == [stale.id]
    assert client.payments.get(stale.id).status == "expired"
    assert client.payments.get(paid.id).status == "paid"
    assert [c["payment_id"] for c in double.webhook_calls] == [stale.id]


# --------------------------------------------------------------------------- refunds


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


# --------------------------------------------------------------------------- failures


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


# --------------------------------------------------------------------------- control


def test_http_control_endpoints(double: MollieDouble, receiver: Receiver) -> None:
    client = make_client(double)
    payment = client.payments.create(payment_data(webhookUrl=receiver.url))
    control = f"{double.base_url}/_control"

    listed = requests.get(f"{control}/payments", timeout=5).json()
    assert listed[payment.id]["status"] == "open"

    response = requests.post(
        f"{control}/payments/{payment.id}/status",
        json={"status": "paid", "method": "bancontact", "notify": True},
        timeout=5,
    )
    assert response.status_code == 200 and response.json()["status"] == "paid"
    paid = client.payments.get(payment.id)
    assert paid.status == "paid" and paid.method == "bancontact"
    webhooks = requests.get(f"{control}/webhooks", timeout=5).json()
    assert [(w["payment_id"], w["status_code"]) for w in webhooks] == [(payment.id, 200)]

    bad = requests.post(
        f"{control}/payments/{payment.id}/status", json={"status": "bogus"}, timeout=5
    )
    assert bad.status_code == 400
    missing = requests.post(
        f"{control}/payments/tr_nope/status", json={"status": "paid"}, timeout=5
    )
    assert missing.status_code == 404

    assert requests.post(f"{control}/fail", json={"count": 1, "mode": "503"}, timeout=5).ok
    with pytest.raises(ResponseError) as excinfo:
        client.payments.get(payment.id)
    assert excinfo.value.status == 503
    assert client.payments.get(payment.id).status == "paid"

    assert requests.post(f"{control}/reset", timeout=5).ok
    assert requests.get(f"{control}/payments", timeout=5).json() == {}
    assert requests.get(f"{control}/webhooks", timeout=5).json() == []
    with pytest.raises(NotFoundError):
        client.payments.get(payment.id)


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


def test_client_headers_are_recorded(double: MollieDouble) -> None:
    make_client(double).payments.list()
    request = double.api_requests[-1]
    assert request["api_key"] == KEY_A
    assert request["user_agent"].startswith("Mollie/")
    assert request["path"] == "/v2/payments"


def test_pytest_fixture(mollie_double: MollieDouble) -> None:  # noqa: F811 - fixture
    assert mollie_double.api_endpoint.startswith("http://127.0.0.1:")
    payment = make_client(mollie_double).payments.create(payment_data())
    assert payment.id in mollie_double.payments
