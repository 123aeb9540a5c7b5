"""Refusing a buyer's request with a page that says why, also inside another website's iframe.

A refusal (too many attempts: 429; a form that failed its CSRF check: 403) is rendered like every
buyer page: the organisation's allowed origins may frame it and it tells the embedding page its
height, so an embedded shop shows the message instead of a blank frame.

The CSRF check of the buyer's forms is done here rather than by the project's
``CsrfViewMiddleware`` alone (whose failure page is the site's, and refuses to be framed): the
views are marked exempt for the middleware and checked by a subclass of it whose refusal is
this page. The check itself is Django's.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.decorators import decorator_from_middleware_with_args
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from weticket_wagtail.ticketing.models import Organisation

from .framing import allowed_parent, apply_frame_policy

#: Finds the organisation whose page a request is for (None when there is none), from the
#: request and the view's keyword arguments. Called only when a request is refused.
OrganisationOf = Callable[[HttpRequest, dict], Organisation | None]


def render_refusal(
    request: HttpRequest,
    organisation: Organisation | None,
    template: str,
    context: dict,
    *,
    status: int,
) -> HttpResponse:
    """``template`` as a buyer page of ``organisation`` (frameable by its allowed origins)."""
    parent = allowed_parent(request, organisation) if organisation is not None else ""
    context = {**context, "organisation": organisation, "embed_parent": parent}
    context["embedded"] = bool(parent)
    response = render(request, template, context, status=status)
    if organisation is not None:
        apply_frame_policy(response, organisation)
    return response


class FramedCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF check, refusing with a buyer page instead of the site's failure view."""

    def __init__(self, get_response, organisation_of: OrganisationOf):
        super().__init__(get_response)
        self.organisation_of = organisation_of

    def _reject(self, request, reason):
        super()._reject(request, reason)  # logs the failure as Django does
        match = getattr(request, "resolver_match", None)
        organisation = self.organisation_of(request, dict(match.kwargs) if match else {})
        shop = request.build_absolute_uri(request.path)
        return render_refusal(
            request,
            organisation,
            "weticket_wagtail/checkout/csrf_failure.html",
            {
                "message": _(
                    "Your browser did not send the security cookie this form needs, so we could "
                    "not take your request. Browsers that block cookies in embedded pages do "
                    "this. Open the ticket shop in its own window to continue."
                ),
                "shop_url": shop,
            },
            status=403,
        )


_framed_csrf = decorator_from_middleware_with_args(FramedCsrfMiddleware)


def csrf_protect_framed(organisation_of: OrganisationOf):
    """Protect a view against CSRF as Django does, refusing with a frameable page."""

    def decorator(view):
        return csrf_exempt(_framed_csrf(organisation_of)(view))

    return decorator
