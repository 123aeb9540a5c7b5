"""Shop pages rendered once and served to every visitor, each with their own CSRF token.

During a flash sale nearly every request is a first look at the same shop page, and rendering
its templates was the largest cost left per buyer (docs/performance.md). The page is the same
for every visitor but for the CSRF token in its form, so it is rendered once with the visitor's
token, stored with that token replaced by a marker, and served to the next visitors with the
marker replaced by their own token (which also sets their CSRF cookie, as rendering does).

A stored page is keyed by everything it shows: the catalogue's version (any edit to the event,
its organisation or ticket types), each row's state and text (so "Only 3 left" and "Sold out"
are current), the language, the time zone, the embedding origin, the template and the cookie
banner's generation and site (the banner is the same for every visitor: its state is read from
the choice cookie in the browser). It is
served only for plain GETs: never with a bound form or errors, never when the visitor has a
message waiting, never to a signed-in user, and never if the page has no CSRF token to swap.

Overriding the shop templates? Show nothing there that belongs to one visitor (other than the
CSRF token), or set ``SHOP_PAGE_CACHE_SECONDS`` to 0.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.privacy.consent.banner import site_id_for as consent_site_id
from weticket_wagtail.privacy.consent.cache import generation as consent_generation

MARKER = "__weticket_csrf_token__"
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def cacheable(request: HttpRequest) -> bool:
    """Whether this request may get (and give) the shared page."""
    if not weticket_settings.SHOP_PAGE_CACHE_SECONDS or request.method != "GET":
        return False
    # Without a session cookie nobody is signed in: no need to look the user up.
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return False
    return not len(messages.get_messages(request))  # len() leaves them for the page


def page_key(
    template: str, context: dict, catalogue_version: str, request: HttpRequest | None = None
) -> str:
    """The cache key of a shop page: what the page shows, not who asks for it.

    With the ``request``, also the cookie banner the page carries (its site's, in the current
    generation; the banner holds no visitor's state: the browser reads that from the cookie)."""
    rows = "|".join(f"{row['pk']}:{row['state']}:{row['state_text']}" for row in context["rows"])
    parts = [
        template,
        catalogue_version,
        rows,
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        context.get("embed_parent", ""),
    ]
    if request is not None and not context.get("embedded"):
        parts.append(f"{consent_generation()}:{consent_site_id(request)}")
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]
    return f"weticket:shop-page:{digest}"


def serve(request: HttpRequest, key: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The stored page for ``key`` with this visitor's token, or ``render()`` (then stored)."""
    html = cache.get(key)
    if html is not None:
        return HttpResponse(html.replace(MARKER, get_token(request)))
    response = render()
    if response.status_code == 200 and not response.streaming:
        content = response.content.decode(response.charset)
        found = CSRF_VALUE.search(content)
        if found:
            shared = content.replace(found.group(1), MARKER)
            cache.set(key, shared, weticket_settings.SHOP_PAGE_CACHE_SECONDS)
    return response
