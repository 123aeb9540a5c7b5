"""MollieDouble as a whole (server.py, cli.py): the pytest fixture and the command line."""

from __future__ import annotations

from weticket_wagtail.testing.fixtures import mollie_double  # noqa: F401 - fixture
from weticket_wagtail.testing.mollie import MollieDouble

from .conftest import make_client, payment_data


def test_pytest_fixture(mollie_double: MollieDouble) -> None:  # noqa: F811 - fixture
    assert mollie_double.api_endpoint.startswith("http://127.0.0.1:")
    payment = make_client(mollie_double).payments.create(payment_data())
    assert payment.id in mollie_double.payments
