"""The waiting list's public pages: join (from the shop), confirm, take an offer, leave.

Thin callers of :mod:`weticket_wagtail.waitinglist.services`. The links carry the entry's
unguessable token. Confirming and leaving are POSTs behind a page with one button, so a mail
scanner that follows links changes nothing.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_POST

from weticket_wagtail.ticketing.models import SaleState
from weticket_wagtail.waitinglist.forms import JoinWaitingListForm
from weticket_wagtail.waitinglist.models import WaitingListEntry
from weticket_wagtail.waitinglist.services import (
    confirm_entry,
    join_waiting_list,
    leave_waiting_list,
    offer_view_target,
)

from .presenters import get_catalogue, shop_context
from .ratelimit import rate_limited

TEMPLATES = "weticket_wagtail/waitinglist"


def sold_out_types(context: dict) -> list:
    """The ticket types the shop shows as sold out: those one may wait for."""
    return [row["ticket_type"] for row in context["rows"] if row["state"] == SaleState.SOLD_OUT]


def waiting_list_form(context: dict) -> JoinWaitingListForm | None:
    """An empty join form for the shop page when something is sold out (else ``None``)."""
    types = sold_out_types(context)
    return JoinWaitingListForm(ticket_types=types) if types else None


@require_POST
@rate_limited("waitinglist")
def join(request: HttpRequest, organisation_slug: str, event_slug: str) -> HttpResponse:
    """The shop's waiting-list form posts here; the answer is this visitor's alone (uncached)."""
    catalogue = get_catalogue(organisation_slug, event_slug)
    event = catalogue.event
    context = shop_context(event, all_types=catalogue.ticket_types)
    form = JoinWaitingListForm(request.POST, ticket_types=sold_out_types(context))
    page = {"event": event, "organisation": event.organisation, "form": form}
    if not form.is_valid():
        return render(request, f"{TEMPLATES}/join.html", page, status=400)
    join_waiting_list(
        form.cleaned_data["ticket_type_obj"],
        email=form.cleaned_data["email"],
        quantity=form.cleaned_data["quantity"],
        language=translation.get_language() or "",
    )
    # The same answer whether the address was on the list already: it tells nobody who is.
    response = render(request, f"{TEMPLATES}/joined.html", page)
    response["Cache-Control"] = "private, no-store"
    return response


def _entry_or_404(token: str) -> WaitingListEntry:
    entry = (
        WaitingListEntry.objects.select_related("event__organisation", "ticket_type", "reservation")
        .filter(token=token)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def _page(request, name: str, entry: WaitingListEntry, status: int = 200) -> HttpResponse:
    context = {"entry": entry, "event": entry.event, "organisation": entry.event.organisation}
    response = render(request, f"{TEMPLATES}/{name}.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "POST"])
@rate_limited("waitinglist")
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    entry = _entry_or_404(token)
    if request.method == "POST":
        entry = confirm_entry(token) or entry
        return _page(request, "confirmed", entry)
    return _page(request, "confirm", entry)


def offer(request: HttpRequest, token: str) -> HttpResponse:
    entry = _entry_or_404(token)
    target = offer_view_target(entry)
    if target is None:
        return _page(request, "offer_gone", entry, status=410)
    return redirect(target)


@require_http_methods(["GET", "POST"])
@rate_limited("waitinglist")
def leave(request: HttpRequest, token: str) -> HttpResponse:
    entry = _entry_or_404(token)
    if request.method == "POST":
        entry = leave_waiting_list(token) or entry
        return _page(request, "left", entry)
    return _page(request, "leave", entry)
