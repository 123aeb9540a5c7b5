"""The endpoint the banner's script sends a choice to (and asks a CSRF token from)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from weticket_wagtail.ratelimit import over_limit

from .choices import record_choice
from .models import ConsentRecord

MAX_GROUPS = 50


def _names(value) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_GROUPS:
        raise ValueError
    if not all(isinstance(name, str) and len(name) <= 64 for name in value):
        raise ValueError
    return value


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def choice(request: HttpRequest) -> HttpResponse:
    """GET: a CSRF token for the script. POST (JSON ``{"accept": [...], "decline": [...],
    "method": "..."}``): record the choice, set the choice cookie, answer with the consent id."""
    if request.method == "GET":
        return JsonResponse({"csrfToken": get_token(request)})
    if over_limit("consent", request):
        response = JsonResponse(
            {"error": _("Too many attempts. Please wait a minute and try again.")}, status=429
        )
        response["Retry-After"] = "60"
        return response
    try:
        data = json.loads(request.body or b"{}")
        accept, decline = _names(data.get("accept", [])), _names(data.get("decline", []))
        method = data.get("method", ConsentRecord.Method.CUSTOM)
        if method not in ConsentRecord.Method.values:
            raise ValueError
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("Your choice could not be read.")}, status=400)
    response = HttpResponse(content_type="application/json")
    record = record_choice(request, response, accept=accept, decline=decline, method=method)
    response.content = json.dumps(
        {
            "consentId": record.consent_id,
            "accepted": sorted(record.accepted),
            "declined": sorted(record.declined),
            "recordedAt": record.created_at.isoformat(),
        }
    )
    return response
