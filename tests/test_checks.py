"""System checks explain misconfiguration with a hint."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.checks import run_checks


def ids(settings) -> set[str]:
    return {message.id for message in run_checks() if message.id.startswith("weticket.")}


def test_a_complete_configuration_is_quiet(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.WETICKET = {
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "PUBLIC_BASE_URL": "https://tickets.example.org",
    }
    assert ids(settings) == set()


def test_missing_keys_in_production_is_an_error_with_a_hint(settings):
    settings.DEBUG = False
    settings.WETICKET = {"ENCRYPTION_KEYS": [], "PUBLIC_BASE_URL": "https://t.example.org"}
    messages = [m for m in run_checks() if m.id == "weticket.E001"]
    assert messages and "Fernet.generate_key" in messages[0].hint


def test_missing_keys_in_development_is_a_warning(settings):
    settings.DEBUG = True
    settings.WETICKET = {"ENCRYPTION_KEYS": []}
    assert "weticket.W001" in ids(settings)
    assert "weticket.E001" not in ids(settings)


def test_a_bad_key_is_an_error(settings):
    settings.WETICKET = {"ENCRYPTION_KEYS": ["not-a-key"]}
    assert "weticket.E002" in ids(settings)


def test_no_broker_is_reported(settings):
    settings.CELERY_BROKER_URL = ""
    settings.WETICKET = {"ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}
    assert "weticket.W002" in ids(settings)


def test_no_public_base_url_is_reported(settings):
    settings.WETICKET = {"ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}
    assert "weticket.W003" in ids(settings)


def test_a_public_base_url_with_a_path_is_an_error(settings):
    settings.WETICKET = {"PUBLIC_BASE_URL": "tickets.example.org/shop"}
    assert "weticket.E003" in ids(settings)


def test_a_typo_in_settings_is_reported(settings):
    settings.WETICKET = {"RESERVATION_MINUTS": 10}
    assert "weticket.W005" in ids(settings)


def test_missing_privacy_urls_are_reported(settings):
    from django.urls import clear_url_caches

    settings.ROOT_URLCONF = "tests.urls_without_privacy"
    clear_url_caches()
    try:
        assert "weticket.W008" in ids(settings)
    finally:
        clear_url_caches()
    settings.ROOT_URLCONF = "demo.urls"
    assert "weticket.W006" not in ids(settings)
