"""The door scanner: a page behind each device's secret link, and the JSON it talks to.

``<token>/`` is the page (camera and typed codes), ``<token>/scan/`` takes a batch of scans
(one when online, the queue when the network is back) and ``<token>/state/`` gives the list's
check-ins and void codes for answering offline. The link's token is the only credential: no
session or cookie is used, so the JSON endpoints need no CSRF token (there is no ambient
authority to forge). Unknown and revoked links are rate limited per address. Every decision is in
:mod:`.services`.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from weticket_wagtail.ratelimit import over_limit

from . import services

#: A sync of :data:`services.MAX_BATCH` scans is about 200 KB; anything far larger is refused.
MAX_BODY = 1024 * 1024


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"  # the link is the device's credential
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _scanner_or_error(request: HttpRequest, token: str, *, page: bool = False):
    """The scanner of ``token``, or the response that refuses it. Only refused links count
    towards the rate limit: a busy door never hits it."""
    try:
        return services.scanner_for(token), None
    except services.DeviceUnavailable as refusal:
        message, status = str(refusal), 410 if refusal.revoked else 404
    if over_limit("checkin", request):
        message, status = _("Too many attempts. Wait a minute and try again."), 429
    if page:
        response = render(
            request,
            "weticket_wagtail/checkin/unavailable.html",
            {"message": message},
            status=status,
        )
    else:
        response = JsonResponse({"error": message}, status=status)
    return None, _private(response)


def scanner_messages() -> dict[str, str]:
    """What the scanner page says when it answers on its own (offline, or before the server)."""
    return {
        "ok": _("Welcome: checked in."),
        "okOffline": _(
            "Valid ticket. Offline: the scan is kept and sent when the network is back."
        ),
        "notGenuine": _("This is not a genuine ticket of ours."),
        "otherEvent": _("This ticket is for another event."),
        "notOnList": _("This ticket type does not get in on this list."),
        "void": _("This ticket was refunded or cancelled: it is no longer valid."),
        "already": _("Already checked in at %(time)s at entrance %(entrance)s."),
        "conflict": _(
            "Ticket %(code)s: already checked in at %(time)s at entrance %(entrance)s; "
            "the scan here at %(mine)s came later."
        ),
        "queued": _("Scans waiting to be sent: %(count)s."),
        "allSent": _("All scans sent."),
        "online": _("Online"),
        "offline": _("Offline: scans are kept on this device"),
        "typedOffline": _(
            "A typed code can only be checked online. Scan the QR code, or wait for the network."
        ),
        "revoked": _("This scanner link was revoked. Ask the organiser for a new one."),
        "cameraStart": _("Start camera"),
        "cameraStop": _("Stop camera"),
        "cameraError": _("The camera could not be started. Type the code instead."),
        "refused": _("Refused"),
        "admitted": _("Admitted"),
        "alreadyTitle": _("Already checked in"),
    }


@require_GET
def scanner_page(request: HttpRequest, token: str) -> HttpResponse:
    scanner, refusal = _scanner_or_error(request, token, page=True)
    if refusal:
        return refusal
    config = services.scanner_config(scanner)
    config.update(
        scanUrl=reverse("weticket_checkin:scan", args=[token]),
        stateUrl=reverse("weticket_checkin:state", args=[token]),
        storageKey=f"weticket-checkin-{scanner.device.pk}-{scanner.checkin_list.pk}",
        messages=scanner_messages(),
    )
    response = render(
        request,
        "weticket_wagtail/checkin/scanner.html",
        {"scanner": scanner, "config": config},
    )
    return _private(response)


@csrf_exempt  # authenticated by the link's token alone; see the module docstring
@require_POST
def scan(request: HttpRequest, token: str) -> HttpResponse:
    scanner, refusal = _scanner_or_error(request, token)
    if refusal:
        return refusal
    if len(request.body) > MAX_BODY:
        return _private(JsonResponse({"error": _("Too many scans in one request.")}, status=413))
    try:
        body = json.loads(request.body or b"{}")
        scans = body["scans"]
        if not isinstance(scans, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _private(
            JsonResponse({"error": _('Send JSON like {"scans": [{"token": …}]}.')}, status=400)
        )
    try:
        results = services.scan_batch(scanner, scans)
    except ValueError as error:
        return _private(JsonResponse({"error": str(error)}, status=413))
    return _private(JsonResponse({"results": [result.as_json() for result in results]}))


@require_GET
def state(request: HttpRequest, token: str) -> HttpResponse:
    scanner, refusal = _scanner_or_error(request, token)
    if refusal:
        return refusal
    return _private(JsonResponse(services.scanner_state(scanner, request.GET.get("since"))))
