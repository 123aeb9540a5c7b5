"""MollieDouble as a whole (server.py, cli.py): the pytest fixture and the command line."""

from __future__ import annotations

import signal
import subprocess
import sys

import requests
from mollie.api.client import Client

from weticket_wagtail.testing.fixtures import mollie_double  # noqa: F401 - fixture
from weticket_wagtail.testing.mollie import MollieDouble

from .conftest import KEY_A, make_client, payment_data


def test_pytest_fixture(mollie_double: MollieDouble) -> None:  # noqa: F811 - fixture
    assert mollie_double.api_endpoint.startswith("http://127.0.0.1:")
    payment = make_client(mollie_double).payments.create(payment_data())
    assert payment.id in mollie_double.payments


def test_runs_as_a_module_until_sigterm() -> None:
    """``make serve`` starts ``python -m weticket_wagtail.testing.mollie`` and kills it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "weticket_wagtail.testing.mollie", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        client = Client(api_endpoint=base_url)
        client.set_api_key(KEY_A)
        payment = client.payments.create(payment_data())
        listed = requests.get(f"{base_url}/_control/payments", timeout=5).json()
        assert listed[payment.id]["status"] == "open"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
