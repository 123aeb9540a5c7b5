"""Pytest fixtures around the test doubles; import them into your ``conftest.py``::

from weticket_wagtail.testing.fixtures import mollie_double  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from weticket_wagtail.testing.mollie import MollieDouble


@pytest.fixture
def mollie_double() -> Iterator[MollieDouble]:
    """A running ``MollieDouble`` on a free port of 127.0.0.1, stopped after the test.

    Point the Mollie client at ``mollie_double.api_endpoint``. Each test gets a fresh
    double, so no payments, keys or webhook calls leak between tests.
    """
    with MollieDouble(host="127.0.0.1", port=0) as double:
        yield double
