"""What the banner shows on a site in a language, rendered once and served from the cache.

A page view costs no query for consent: the banner's HTML (and the head's settings for the
script) are rendered on the first view after a change and kept per site, language and
:func:`~.cache.generation`. Nothing in them belongs to one visitor: the script reads the
visitor's choice from the choice cookie in the browser, so the fragments may sit in any
shared page cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from cookie_consent.conf import settings as cookie_consent_settings
from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from wagtail.models import Site

from weticket_wagtail.conf import weticket_settings

from ..services.versions import statement_url
from .cache import generation
from .catalogue import CookieInfo, GroupInfo, cookie_groups  # noqa: F401 - re-exported
from .models import ConsentSettings
from .reconsent import policy_marker

FRAGMENTS = {
    "head": "weticket_wagtail/privacy/consent/head.html",
    "banner": "weticket_wagtail/privacy/consent/banner.html",
    "footer": "weticket_wagtail/privacy/consent/footer.html",
}


@dataclass(frozen=True)
class BannerConfig:
    """Everything the banner and its script need on one site in one language."""

    site_id: int | None
    language: str
    show_banner: bool
    google_analytics_id: str
    groups: tuple[GroupInfo, ...]
    policy_marker: int
    statement_url: str
    endpoint: str

    @property
    def optional_groups(self) -> tuple[GroupInfo, ...]:
        return tuple(group for group in self.groups if not group.is_required)

    def for_script(self) -> dict:
        """The settings the browser script reads (JSON in the page's head)."""
        return {
            "cookie": cookie_consent_settings.COOKIE_CONSENT_NAME,
            "decline": cookie_consent_settings.COOKIE_CONSENT_DECLINE,
            "maxAge": cookie_consent_settings.COOKIE_CONSENT_MAX_AGE,
            "showBanner": self.show_banner,
            "endpoint": self.endpoint,
            "policy": self.policy_marker,
            "groups": [
                {
                    "varname": group.varname,
                    "version": group.version,
                    "cookies": [cookie.name for cookie in group.cookies],
                }
                for group in self.optional_groups
            ],
            "consentMode": weticket_settings.CONSENT_MODE_TYPES or {},
            "csrfHeader": _csrf_header(),
        }


def _csrf_header() -> str:
    """Django's CSRF header as a script sends it: ``HTTP_X_CSRFTOKEN`` -> ``X-CSRFToken``."""
    name = getattr(django_settings, "CSRF_HEADER_NAME", "HTTP_X_CSRFTOKEN")
    name = name.removeprefix("HTTP_")
    return "X-CSRFToken" if name == "X_CSRFTOKEN" else name.replace("_", "-")


def site_id_for(request: HttpRequest | None) -> int | None:
    """The Wagtail site of ``request``, without a query when Wagtail already knows it."""
    if request is None:
        return None
    site = getattr(request, "_wagtail_site", None)
    if site is not None:
        return site.pk
    # Wagtail keeps the sites' root URLs in the cache: match the host there when that is
    # unambiguous, and ask Wagtail (a query) only when it is not.
    roots = {(root.site_id, root.root_url) for root in Site.get_site_root_paths()}
    if len({site_id for site_id, _url in roots}) == 1:
        return next(iter(roots))[0]
    host = request.get_host().lower()
    by_host = {site_id for site_id, url in roots if urlsplit(url).netloc.lower() == host}
    if len(by_host) == 1:
        return by_host.pop()
    site = Site.find_for_request(request)
    return site.pk if site is not None else None


def build_config(site_id: int | None, language: str, request: HttpRequest | None = None):
    """The banner's settings for ``site_id`` in ``language``, from the database."""
    settings_row = ConsentSettings.objects.filter(site_id=site_id).first() if site_id else None
    try:
        endpoint = reverse("weticket_consent:choice")
    except NoReverseMatch:
        endpoint = ""
    with translation.override(language or None):
        link = statement_url(request if request is not None else site_id, language)
        groups = tuple(cookie_groups(language))
    return BannerConfig(
        site_id=site_id,
        language=language,
        show_banner=bool(settings_row and settings_row.show_banner and endpoint),
        google_analytics_id=(settings_row.google_analytics_id if settings_row else "").strip(),
        groups=groups,
        policy_marker=policy_marker(site_id),
        statement_url=link,
        endpoint=endpoint,
    )


def fragments(request: HttpRequest | None) -> dict:
    """The banner's rendered HTML for this request's site and language (``head``, ``banner``,
    ``footer``), and the groups' names (``names``: varname to name).

    From the cache when nothing changed since they were rendered; remembered on the request, so
    several tags on one page cost one cache read.
    """
    memo = getattr(request, "_weticket_consent", None)
    if memo is not None:
        return memo
    language = translation.get_language() or ""
    site_id = site_id_for(request)
    key = f"weticket:consent:fragments:{generation()}:{site_id}:{language}"
    found = cache.get(key)
    if found is None:
        config = build_config(site_id, language, request)
        context = {"consent": config, "consent_script": config.for_script()}
        found = {name: render_to_string(template, context) for name, template in FRAGMENTS.items()}
        found["names"] = {group.varname: group.name for group in config.groups}
        cache.set(key, found, weticket_settings.CONSENT_CACHE_SECONDS)
    if request is not None:
        request._weticket_consent = found
    return found
