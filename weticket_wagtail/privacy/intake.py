"""The request form over HTTP, shared by the request page (a Wagtail page editors place) and the
plain URL ``weticket_privacy:request``.

Abuse is kept out without keeping any record of who tried: a honeypot field (a bot fills it; the
visitor sees the usual "check your email" page and nothing is made), and fixed-window limits in
the cache per client address and per email address (``PRIVACY_REQUEST_LIMITS``). The email
address is never a cache key itself: a keyed hash of it is. Over the address limit the visitor
gets a 429 page; over the email limit the usual page, so nobody can tell whether an address
asked before (and nobody can flood someone's inbox with confirmation emails).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.models import Site

from weticket_wagtail.conf import weticket_settings

from .consent.choices import consent_id_of
from .forms import DataSubjectRequestForm
from .registry import normalise_email
from .services.deadlines import due_date
from .services.requests import submit_request

PAGE_TEMPLATE = "weticket_wagtail/privacy/request_page.html"
SENT_QUERY = "sent"


def client_address(request: HttpRequest) -> str:
    """The client's address. Behind a proxy, set it in REMOTE_ADDR there (we trust no header)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _over(key: str, limit: int, window: int) -> bool:
    """Count one more in this fixed window; True when the count is over ``limit``."""
    if limit <= 0:
        return False
    bucket = int(time.time() // window)
    full_key = f"weticket:privacy:rl:{key}:{bucket}"
    cache.add(full_key, 0, timeout=window + 30)
    try:
        count = cache.incr(full_key)
    except ValueError:  # evicted between add and incr
        cache.set(full_key, 1, timeout=window + 30)
        count = 1
    return count > limit


def _email_key(email: str) -> str:
    secret = f"weticket.privacy.ratelimit:{settings.SECRET_KEY}".encode()
    return hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def address_over_limit(request: HttpRequest) -> bool:
    limits = weticket_settings.PRIVACY_REQUEST_LIMITS or {}
    limit = int(limits.get("per_address_per_hour", 0) or 0)
    return _over(f"ip:{client_address(request)}", limit, 3600)


def email_over_limit(email: str) -> bool:
    limits = weticket_settings.PRIVACY_REQUEST_LIMITS or {}
    limit = int(limits.get("per_email_per_day", 0) or 0)
    return _over(f"email:{_email_key(email)}", limit, 86400)


def plain_form_url() -> str:
    try:
        return reverse("weticket_privacy:request")
    except NoReverseMatch:
        return ""


def what_happens_next(kind: str = "") -> dict:
    """What the page tells a requester after sending: confirm within N hours, then an answer
    by a date (counted as if they confirm today)."""
    return {
        "confirm_hours": weticket_settings.PRIVACY_REQUEST_CONFIRM_HOURS,
        "response_weeks": weticket_settings.PRIVACY_RESPONSE_WEEKS,
        "due_if_today": due_date(timezone.localdate()),
        "sent_kind": dict(DataSubjectRequestForm.kind_choices()).get(kind, ""),
    }


def _render(request: HttpRequest, page, context: dict, status: int = 200) -> HttpResponse:
    base = page.get_context(request) if page is not None else {"page": None, "request": request}
    context = {
        **base,
        "contact_email": weticket_settings.PRIVACY_CONTACT_EMAIL or weticket_settings.FROM_EMAIL,
        "response_weeks": weticket_settings.PRIVACY_RESPONSE_WEEKS,
        "robots": "noindex",
        **context,
    }
    template = page.get_template(request) if page is not None else PAGE_TEMPLATE
    return render(request, template, context, status=status)


def _sent(request: HttpRequest, page, kind: str) -> HttpResponse:
    target = page.get_url(request=request) if page is not None else plain_form_url()
    return HttpResponseRedirect(f"{target}?{SENT_QUERY}={kind}")


def handle_request_form(request: HttpRequest, page=None) -> HttpResponse:
    """GET shows the form (prefilled from ``?type=`` and ``?order=``) or, after sending, what
    happens next; POST validates, applies the honeypot and the limits, records the request
    and emails the confirmation link."""
    if request.method != "POST":
        if SENT_QUERY in request.GET:
            sent_kind = request.GET.get(SENT_QUERY, "")
            return _render(request, page, {"sent": True, **what_happens_next(sent_kind)})
        form = DataSubjectRequestForm(
            initial={
                "kind": request.GET.get("type", ""),
                "order_reference": request.GET.get("order", "")[:32],
            }
        )
        return _render(request, page, {"form": form, **what_happens_next()})
    form = DataSubjectRequestForm(request.POST)
    if address_over_limit(request):
        response = _render(
            request,
            page,
            {
                "form": form,
                "rate_limited": _("Too many requests. Please wait an hour and try again."),
            },
            status=429,
        )
        response["Retry-After"] = "3600"
        return response
    if form.is_bot():
        return _sent(request, page, form.data.get("kind", ""))
    if not form.is_valid():
        return _render(request, page, {"form": form, **what_happens_next()}, status=400)
    data = form.cleaned_data
    if not email_over_limit(data["email"]):
        submit_request(
            kind=data["kind"],
            email=data["email"],
            name=data.get("name", ""),
            details=data.get("details", ""),
            order_reference=data.get("order_reference", ""),
            language=(
                page.locale.language_code
                if page is not None
                else translation.get_language() or settings.LANGUAGE_CODE
            ),
            site=Site.find_for_request(request),
            consent_id=consent_id_of(request),
        )
    return _sent(request, page, data["kind"])
