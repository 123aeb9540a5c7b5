"""The language a link is for: what every emailed link of the package is built in.

A project that serves its pages under ``i18n_patterns`` (``/nl/…``, ``/en/…``) gets links that
carry the recipient's language, because Django's ``reverse()`` and Wagtail's page URLs prefix
the active language. A project without ``i18n_patterns`` gets the same links without a prefix:
then the recipient's browser (``LocaleMiddleware``) picks the language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.utils import translation

T = TypeVar("T")


def link_language(language: str | None) -> str:
    """``language`` (empty: the active language) as one of ``settings.LANGUAGES`` (``"en-gb"``
    → ``"en"``), else the site's default language: one the project's URL patterns serve."""
    language = language or translation.get_language()
    if language:
        try:
            return translation.get_supported_language_variant(language)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def in_language(language: str | None, build: Callable[[], T]) -> T:
    """``build()`` with ``language`` active (see :func:`link_language`), so the URLs it reverses
    carry that language's prefix wherever the project uses ``i18n_patterns``."""
    with translation.override(link_language(language)):
        return build()
