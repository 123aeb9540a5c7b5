"""A small fixed-window rate limit, kept in Django's cache, for every public form.

Counts POSTs per client address and scope; with a cache shared by all web processes (Redis)
the limit holds across processes. Limits come from ``WETICKET["RATE_LIMITS"]`` (requests per
minute per address; 0 switches a limit off). The checkout's forms and the cookie-consent
endpoint use it; each front end decides how to answer a refused request.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

from weticket_wagtail.conf import weticket_settings


def client_address(request: HttpRequest) -> str:
    """The client's address. Behind a proxy, set it in REMOTE_ADDR there (we trust no header)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(scope: str, request: HttpRequest) -> bool:
    """Count this request; True when the address has used up this minute's allowance."""
    limit = int((weticket_settings.RATE_LIMITS or {}).get(scope, 0) or 0)
    if limit <= 0:
        return False
    window = int(time.time() // 60)
    key = f"weticket:rl:{scope}:{client_address(request)}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    return count > limit
