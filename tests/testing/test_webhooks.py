"""Webhook delivery (webhooks.py): the first attempt, retries, giving up, reset."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from weticket_wagtail.testing.mollie import MollieDouble

from .conftest import Receiver, make_client, payment_data


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
