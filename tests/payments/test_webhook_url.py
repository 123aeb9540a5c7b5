"""Mollie is given the webhook that ``weticket_wagtail.urls`` installs, under payments' own
namespace; a project without it hears so from ``manage.py check``."""

from __future__ import annotations

from django.core.checks import run_checks

from weticket_wagtail.payments.services import webhook_url


def check_ids() -> set[str]:
    return {message.id for message in run_checks() if message.id.startswith("weticket.")}


def test_mollie_is_given_the_webhook_of_the_package_urls(settings):
    settings.WETICKET = {**settings.WETICKET, "PUBLIC_BASE_URL": "https://tickets.example.org/"}
    assert webhook_url() == "https://tickets.example.org/tickets/webhooks/mollie/"


def test_the_package_urls_pass_the_webhook_check():
    assert "weticket.E004" not in check_ids()


def test_a_project_with_only_the_checkout_urls_is_told_to_include_the_package_urls(settings):
    settings.ROOT_URLCONF = "tests.payments.checkout_urls_only"
    [error] = [m for m in run_checks() if m.id == "weticket.E004"]
    assert 'include("weticket_wagtail.urls")' in error.hint
