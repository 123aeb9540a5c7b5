"""Public views of the privacy app: the request form, the confirmation link, the export download.

Thin callers of :mod:`.intake` and :mod:`.services`. A link that was altered, made up or has
expired gets a page that says so (400 or 410), never a 500 and never a hint of whose it was.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from weticket_wagtail.conf import weticket_settings

from .intake import handle_request_form, plain_form_url
from .services.export import export_filename, export_for_download
from .services.requests import (
    CONFIRM_SALT,
    LinkExpired,
    LinkInvalid,
    RequestError,
    confirm_max_age,
    read_link,
    verify_request,
)

LINK_TEMPLATE = "weticket_wagtail/privacy/request_link.html"


def _link_page(request: HttpRequest, status: int = 200, **context) -> HttpResponse:
    context.setdefault("form_url", plain_form_url())
    context.setdefault("response_weeks", weticket_settings.PRIVACY_RESPONSE_WEEKS)
    context.setdefault(
        "contact_email", weticket_settings.PRIVACY_CONTACT_EMAIL or weticket_settings.FROM_EMAIL
    )
    return render(request, LINK_TEMPLATE, {"robots": "noindex", **context}, status=status)


def _refused(request: HttpRequest, exc: RequestError) -> HttpResponse:
    expired = isinstance(exc, LinkExpired)
    return _link_page(
        request,
        status=410 if expired else 400,
        state="expired" if expired else "invalid",
        message=exc.message,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    return handle_request_form(request)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners that follow links confirm nothing); POST confirms."""
    try:
        if request.method != "POST":
            req, _extra = read_link(token, CONFIRM_SALT, confirm_max_age())
            if req.status != req.Status.NEW:
                return _link_page(request, state="already", req=req)
            return _link_page(request, state="ask", req=req)
        req, confirmed = verify_request(token)
    except RequestError as exc:
        return _refused(request, exc)
    return _link_page(request, state="confirmed" if confirmed else "already", req=req)


@never_cache
@require_http_methods(["GET"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    """The requester's export, made now, as a ZIP; refused for a bad or expired link."""
    try:
        req, data = export_for_download(token)
    except RequestError as exc:
        if isinstance(exc, (LinkInvalid, LinkExpired)):
            return _refused(request, exc)
        return _link_page(request, status=410, state="gone", message=exc.message)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(req)}"'
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
