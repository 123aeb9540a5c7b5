"""The checkout's answer to too many POSTs: a page for the buyer with status 429.

The counting itself is :mod:`weticket_wagtail.ratelimit`, shared with the other public forms.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from weticket_wagtail.ratelimit import client_address, over_limit

__all__ = ["client_address", "over_limit", "rate_limited"]


def rate_limited(scope: str):
    """Refuse POSTs over the limit with 429 and a message for the visitor; GETs are free."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and over_limit(scope, request):
                response = render(
                    request,
                    "weticket_wagtail/checkout/rate_limited.html",
                    {"message": _("Too many attempts. Please wait a minute and try again.")},
                    status=429,
                )
                response["Retry-After"] = "60"
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
