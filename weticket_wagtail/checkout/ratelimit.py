"""Who a public request comes from, and the checkout's answer to too many POSTs: a page for
the buyer with status 429, shown inside an embedded shop too.

The counting itself is :mod:`weticket_wagtail.ratelimit`, shared with the other public forms.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from weticket_wagtail.ratelimit import client_address, over_limit
from weticket_wagtail.ticketing.services.hold_limits import HoldClient

from .refusals import OrganisationOf, render_refusal

__all__ = ["client_address", "hold_client", "over_limit", "rate_limited"]


def hold_client(request: HttpRequest) -> HoldClient:
    """Who asks for a hold, for the per-client hold limits: the browser by its CSRF secret
    (every reservation POST has passed the CSRF check with it), and its address."""
    return HoldClient.identify(
        browser_id=request.META.get("CSRF_COOKIE") or "", address=client_address(request)
    )


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
