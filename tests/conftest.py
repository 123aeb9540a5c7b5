"""Shared fixtures. Services that are missing skip their tests, or fail them with
WETICKET_REQUIRE_SERVICES=1 (as CI runs)."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

from weticket_wagtail.testing.fixtures import mollie_double  # noqa: F401

REQUIRE_SERVICES = os.environ.get("WETICKET_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("WETICKET_CHROMIUM", "/usr/bin/chromium")


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
