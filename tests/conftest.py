"""Shared fixtures: an event on sale, Mollie's test double, an SMTP sink, the services.

Services that are missing skip their tests, or fail them with WETICKET_REQUIRE_SERVICES=1 (as
CI runs)."""

from __future__ import annotations

import os
import shutil
import socket
from decimal import Decimal

import pytest

from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, TicketTypeFactory

#: ``mollie_double`` (the Mollie v2 API on loopback) and ``smtp_sink`` (a real SMTP server).
pytest_plugins = ["weticket_wagtail.testing.fixtures", "weticket_wagtail.testing.smtp"]

REQUIRE_SERVICES = os.environ.get("WETICKET_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("WETICKET_CHROMIUM", "/usr/bin/chromium")
ORG_KEY = "test_" + "OrgKey" * 6


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(available: bool, what: str) -> None:
    """Skip the test when ``what`` is missing, or fail it when services are required."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (WETICKET_REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture
def require_postgres(settings):
    require_service(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "PostgreSQL")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    require_service(_port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    return url


@pytest.fixture
def chromium_path() -> str:
    require_service(bool(shutil.which(CHROMIUM)), f"Chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (cached availability must not leak between tests)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def mollie(settings, mollie_double):
    """Point the plugin at the Mollie test double."""
    settings.WETICKET = {
        **settings.WETICKET,
        "MOLLIE_API_ENDPOINT": mollie_double.api_endpoint,
        "MOLLIE_TIMEOUT": 3,
    }
    return mollie_double


@pytest.fixture
def on_sale(db):
    """An organisation (with a key for the double) selling two ticket types of one event."""
    organisation = OrganisationFactory(
        name="Stichting Test", slug="test-org", mollie_api_key=ORG_KEY, primary_colour="#7c2d12"
    )
    event = EventFactory(organisation=organisation, title="Jazz Night", slug="jazz-night")
    regular = TicketTypeFactory(
        event=event, name="Regular", price=Decimal("24.50"), capacity=50, max_per_order=6
    )
    student = TicketTypeFactory(
        event=event, name="Student", price=Decimal("15.00"), capacity=10, max_per_order=4
    )
    return {"organisation": organisation, "event": event, "regular": regular, "student": student}


@pytest.fixture
def consent_groups(db):
    """The default cookie groups (functional, analytics, marketing), as migration 0002 makes
    them; made again when a transactional test flushed the tables."""
    from django.apps import apps

    from weticket_wagtail.privacy.consent.cache import invalidate
    from weticket_wagtail.privacy.consent.defaults import install_default_groups

    install_default_groups(apps.get_model, "en")
    invalidate()
    from cookie_consent.models import CookieGroup

    return {group.varname: group for group in CookieGroup.objects.all()}
