"""Django system checks that explain a misconfigured installation before it bites."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import weticket_settings


@register(Tags.security, deploy=False)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list:
    keys = weticket_settings.ENCRYPTION_KEYS or []
    errors = []
    if not keys:
        if settings.DEBUG:
            errors.append(
                Warning(
                    "WETICKET['ENCRYPTION_KEYS'] is empty: secrets are encrypted with a key "
                    "derived from SECRET_KEY, which is only acceptable in development.",
                    hint='Generate a key with: python -c "from cryptography.fernet import '
                    'Fernet; print(Fernet.generate_key().decode())" and set '
                    "WETICKET = {'ENCRYPTION_KEYS': [<key>]}.",
                    id="weticket.W001",
                )
            )
        else:
            errors.append(
                Error(
                    "WETICKET['ENCRYPTION_KEYS'] is empty while DEBUG is False: Mollie API keys "
                    "cannot be stored encrypted.",
                    hint='Generate a key with: python -c "from cryptography.fernet import '
                    'Fernet; print(Fernet.generate_key().decode())" and set '
                    "WETICKET = {'ENCRYPTION_KEYS': [<key>]} (from an environment variable).",
                    id="weticket.E001",
                )
            )
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"WETICKET['ENCRYPTION_KEYS'][{index}] is not a valid Fernet key.",
                    hint="A key is 32 random bytes, url-safe base64 encoded (44 characters).",
                    id="weticket.E002",
                )
            )
    return errors


@register()
def check_broker(app_configs: Any = None, **kwargs: Any) -> list:
    if weticket_settings.BROKER_URL:
        return []
    return [
        Warning(
            "No Celery broker is configured: emails and background work run in the web "
            "process right after each transaction commits.",
            hint="Set CELERY_BROKER_URL (for example redis://127.0.0.1:6379/0) and run a Celery "
            "worker and beat; see the README, section 'Celery'.",
            id="weticket.W002",
        )
    ]


@register()
def check_public_base_url(app_configs: Any = None, **kwargs: Any) -> list:
    url = weticket_settings.PUBLIC_BASE_URL
    if not url:
        return [
            Warning(
                "WETICKET['PUBLIC_BASE_URL'] is not set: Mollie cannot be given a webhook URL, "
                "so payments are only updated when the buyer returns to the site.",
                hint="Set WETICKET['PUBLIC_BASE_URL'] to the public https address of this site, "
                "e.g. 'https://tickets.example.org'.",
                id="weticket.W003",
            )
        ]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        return [
            Error(
                f"WETICKET['PUBLIC_BASE_URL'] = {url!r} is not a base URL.",
                hint="Use scheme and host only, e.g. 'https://tickets.example.org'.",
                id="weticket.E003",
            )
        ]
    if parts.scheme != "https" and not settings.DEBUG:
        return [
            Warning(
                "WETICKET['PUBLIC_BASE_URL'] is not https while DEBUG is False.",
                hint="Mollie requires a publicly reachable webhook; serve it over https.",
                id="weticket.W004",
            )
        ]
    return []


@register()
def check_unknown_settings(app_configs: Any = None, **kwargs: Any) -> list:
    return [
        Warning(
            f"WETICKET[{key!r}] is not a weticket-wagtail setting and is ignored.",
            hint="See the settings reference in the README for the names we know.",
            id="weticket.W005",
        )
        for key in weticket_settings.unknown_keys()
    ]


@register(Tags.urls)
def check_cookie_consent(app_configs: Any = None, **kwargs: Any) -> list:
    """The banner needs its site setting (wagtail.contrib.settings) and its endpoint's URLs."""
    from django.apps import apps
    from django.urls import NoReverseMatch, reverse

    problems = []
    if not apps.is_installed("wagtail.contrib.settings"):
        problems.append(
            Warning(
                "wagtail.contrib.settings is not installed: the cookie banner cannot be "
                "switched on (Settings → Cookie consent), so visitors are never asked and "
                "content behind consent only loads when they allow it on the spot.",
                hint="Add 'wagtail.contrib.settings' to INSTALLED_APPS.",
                id="weticket.W006",
            )
        )
    try:
        reverse("weticket_consent:choice")
    except NoReverseMatch:
        problems.append(
            Warning(
                "The cookie-consent URLs are not included: the banner cannot record a choice, "
                "so it stays hidden.",
                hint='Include every public URL of the package: path("tickets/", '
                'include("weticket_wagtail.urls")) in your urls.py, before Wagtail\'s catch-all.',
                id="weticket.W007",
            )
        )
    return problems
