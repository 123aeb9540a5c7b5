"""The cookie groups and their cookies as visitors read them, in one language.

Read by the banner (:mod:`.banner`) and by the blocks that render the cookie list or a gated
embed (:mod:`.blocks`). It knows nothing of statements or versions, so the statement's own
blocks can use it without reaching back into the statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cookie_consent.models import CookieGroup
from django.core.cache import cache
from django.utils import translation

from weticket_wagtail.conf import weticket_settings

from .cache import generation


@dataclass(frozen=True)
class CookieInfo:
    name: str
    domain: str
    description: str


@dataclass(frozen=True)
class GroupInfo:
    """A cookie group as visitors read it: texts in one language, its version, its cookies."""

    varname: str
    name: str
    description: str
    is_required: bool
    version: str
    cookies: tuple[CookieInfo, ...] = field(default=())


def _language_code(language: str) -> str:
    return (language or translation.get_language() or "").split("-")[0].lower()


def cookie_groups(language: str = "") -> list[GroupInfo]:
    """Every cookie group in their order, with its cookies, in ``language`` (default: active).

    A text in that language if there is one, else django-cookie-consent's own name and
    description (the site's default language). Three queries.
    """
    code = _language_code(language)
    groups = CookieGroup.objects.order_by("ordering", "pk").prefetch_related(
        "texts", "cookie_set__texts"
    )
    result = []
    for group in groups:
        texts = {text.language: text for text in group.texts.all()}
        text = texts.get(code)
        cookies = []
        for cookie in group.cookie_set.all():
            cookie_texts = {t.language: t.description for t in cookie.texts.all()}
            cookies.append(
                CookieInfo(cookie.name, cookie.domain, cookie_texts.get(code) or cookie.description)
            )
        result.append(
            GroupInfo(
                varname=group.varname,
                name=(text.name if text and text.name else group.name) or group.varname,
                description=(text.description if text and text.description else "")
                or group.description,
                is_required=group.is_required,
                version=group.get_version(),
                cookies=tuple(sorted(cookies, key=lambda c: (c.name, c.domain))),
            )
        )
    return result


def group_names(language: str = "") -> dict[str, str]:
    """Each group's name in ``language`` by its varname; from the cache until anything the
    banner shows changes (:func:`~.cache.generation`)."""
    code = _language_code(language)
    key = f"weticket:consent:names:{generation()}:{code}"
    names = cache.get(key)
    if names is None:
        names = {group.varname: group.name for group in cookie_groups(code)}
        cache.set(key, names, weticket_settings.CONSENT_CACHE_SECONDS)
    return names
