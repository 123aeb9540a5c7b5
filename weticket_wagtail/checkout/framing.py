"""Who may show our pages in an iframe: the organisation's allowed origins, nobody else.

Every buyer-facing response names its frame ancestors in ``Content-Security-Policy``; the
organisation lists them in the admin. Django's ``X-Frame-Options: DENY`` is lifted on these
responses only, since ``frame-ancestors`` supersedes it in every current browser.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from weticket_wagtail.ticketing.models import Organisation


def allowed_parent(request: HttpRequest, organisation: Organisation) -> str:
    """The embedding page's origin from ``?parent=``, if the organisation allows it; else ''."""
    parent = (request.GET.get("parent") or "").rstrip("/")
    return parent if parent and parent in organisation.allowed_origins else ""


def apply_frame_policy(response: HttpResponse, organisation: Organisation) -> HttpResponse:
    """Allow framing by the organisation's origins (and ourselves); refuse everyone else."""
    ancestors = " ".join(["'self'", *organisation.allowed_origins])
    response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    response.xframe_options_exempt = True
    return response
