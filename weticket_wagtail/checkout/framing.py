"""Who may show our pages in an iframe: the organisation's allowed origins, nobody else.

Every buyer-facing response names its frame ancestors in ``Content-Security-Policy``; the
organisation lists them in the admin. Django's ``X-Frame-Options: DENY`` is lifted on these
responses only, since ``frame-ancestors`` supersedes it in every current browser.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse

from weticket_wagtail.ticketing.models import Organisation
from weticket_wagtail.ticketing.validators import normalise_origin, origin_allowed

logger = logging.getLogger(__name__)


def allowed_parent(request: HttpRequest, organisation: Organisation) -> str:
    """The embedding page's origin from ``?parent=``, if the organisation allows it; else ''."""
    parent = normalise_origin(request.GET.get("parent") or "", wildcard=False)
    if parent and origin_allowed(parent, organisation.allowed_origins):
        return parent
    return ""


def frame_ancestors(organisation: Organisation) -> str:
    """The ``frame-ancestors`` directive for ``organisation``.

    Each origin is checked again as it is written (a row saved before the validator was strict,
    or written around it, must not smuggle another directive into the header); what fails is
    left out and logged.
    """
    sources = ["'self'"]
    for origin in organisation.allowed_origins:
        if normalise_origin(origin) == origin:
            sources.append(origin)
        else:
            logger.warning("Not an origin, left out of frame-ancestors: %r", origin)
    return "frame-ancestors " + " ".join(sources)


def apply_frame_policy(response: HttpResponse, organisation: Organisation) -> HttpResponse:
    """Allow framing by the organisation's origins (and ourselves); refuse everyone else."""
    response["Content-Security-Policy"] = frame_ancestors(organisation)
    response.xframe_options_exempt = True
    return response
