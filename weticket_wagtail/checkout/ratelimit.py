"""Who a public request comes from, and a small fixed-window rate limit for the public forms.

Counts POSTs per client address and form; with a cache shared by all web processes (Redis)
the limit holds across processes. Limits come from ``WETICKET["RATE_LIMITS"]`` (requests per
minute per address; 0 switches a limit off).
"""

from __future__ import annotations

import time
from functools import wraps

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.ticketing.services.hold_limits import HoldClient

from .refusals import OrganisationOf, render_refusal


def client_address(request: HttpRequest) -> str:
    """The client's address. Behind a proxy, set it in REMOTE_ADDR there (we trust no header)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hold_client(request: HttpRequest) -> HoldClient:
    """Who asks for a hold, for the per-client hold limits: the browser by its CSRF secret
    (every reservation POST has passed the CSRF check with it), and its address."""
    return HoldClient.identify(
        browser_id=request.META.get("CSRF_COOKIE") or "", address=client_address(request)
    )


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


def rate_limited(scope: str, organisation_of: OrganisationOf | None = None):
    """Refuse POSTs over the limit with 429 and a message for the visitor; GETs are free. With
    ``organisation_of``, the refusal can be shown inside that organisation's embedded shop."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and over_limit(scope, request):
                organisation = organisation_of(request, kwargs) if organisation_of else None
                response = render_refusal(
                    request,
                    organisation,
                    "weticket_wagtail/checkout/rate_limited.html",
                    {"message": _("Too many attempts. Please wait a minute and try again.")},
                    status=429,
                )
                response["Retry-After"] = "60"
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
