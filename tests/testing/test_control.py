"""The /_control/ endpoints (control.py): the Python control methods over HTTP."""

from __future__ import annotations

import pytest
import requests
from mollie.api.error import (
    NotFoundError,
    ResponseError,
)

from weticket_wagtail.testing.mollie import MollieDouble

from .conftest import Receiver, make_client, payment_data


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
