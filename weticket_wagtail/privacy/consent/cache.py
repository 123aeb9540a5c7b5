"""One number that changes whenever anything the banner shows changes.

Cached banners, and the shop's shared pages that carry one, are keyed by it, so an edit in
the admin reaches every page at once (with a cache shared by all web processes).
"""

from __future__ import annotations

import time

from cookie_consent.cache import delete_cache as delete_cookie_consent_cache
from django.core.cache import cache

GENERATION_KEY = "weticket:consent:generation"


def generation() -> str:
    """The current generation; a new one if the cache lost it."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = str(time.time_ns())
        if not cache.add(GENERATION_KEY, value, timeout=None):
            value = cache.get(GENERATION_KEY) or value
    return value


def invalidate() -> None:
    """Start a new generation, and drop django-cookie-consent's cache of the groups too."""
    cache.set(GENERATION_KEY, str(time.time_ns()), timeout=None)
    delete_cookie_consent_cache()
