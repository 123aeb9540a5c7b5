"""The buyer's journey: choose tickets, give details, pay at Mollie, see the order.

Views are thin: every decision is made by the services in ``ticketing.services`` and
``payments.services``. Buyer-facing URLs carry unguessable tokens, never ids.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.payments.services import (
    open_payment,
    owed_refund_total,
    start_payment,
    sync_latest_payment,
)
from weticket_wagtail.privacy.services.versions import statement_url
from weticket_wagtail.ticketing.models import Order, Reservation
from weticket_wagtail.ticketing.services.catalogue import Catalogue, shop_catalogue
from weticket_wagtail.ticketing.services.errors import CheckoutError
from weticket_wagtail.ticketing.services.orders import (
    line_price,
    place_order,
    reopen_for_payment,
    reservation_total,
)
from weticket_wagtail.ticketing.services.reservations import reserve_tickets
from weticket_wagtail.ticketing.services.tickets import order_pdf, ticket_qr_svg, ticket_token
from weticket_wagtail.ticketing.services.vouchers import AppliedVoucher, VoucherError, find_voucher

from . import pagecache
from .calendar import event_calendar
from .forms import BuyerForm, TicketSelectionForm
from .framing import allowed_parent, apply_frame_policy
from .presenters import get_catalogue, shop_context
from .ratelimit import hold_client, rate_limited
from .refusals import csrf_protect_framed
from .waiting_list import waiting_list_form


def with_parent(url: str, parent: str) -> str:
    """Keep the embedding page's origin on the next URL, so the next page can talk to it."""
    return f"{url}?{urlencode({'parent': parent})}" if parent else url


def render_framed(
    request,
    template: str,
    context: dict,
    organisation,
    status: int = 200,
    *,
    catalogue: Catalogue | None = None,
):
    """Render a buyer page that the organisation's allowed origins may show in an iframe.

    With the ``catalogue`` the page shows, a plain page view may be served from (and stored in)
    the shared page cache (``pagecache``)."""
    parent = allowed_parent(request, organisation)
    context = {**context, "embed_parent": parent, "embedded": bool(parent)}
    shared = catalogue is not None and bool(catalogue.version) and status == 200
    if shared and pagecache.cacheable(request):
        key = pagecache.page_key(template, context, catalogue.version, request)
        response = pagecache.serve(request, key, lambda: render(request, template, context))
    else:
        response = render(request, template, context, status=status)
    return apply_frame_policy(response, organisation)


def shop_organisation(request: HttpRequest, kwargs: dict):
    """The organisation of the shop a request is for (for refusals), from the cache."""
    catalogue = shop_catalogue(kwargs.get("organisation_slug", ""), kwargs.get("event_slug", ""))
    return catalogue.event.organisation if catalogue is not None else None


def reservation_organisation(request: HttpRequest, kwargs: dict):
    reservation = (
        Reservation.objects.select_related("event__organisation")
        .filter(token=kwargs.get("token", ""))
        .first()
    )
    return reservation.event.organisation if reservation is not None else None


def order_organisation(request: HttpRequest, kwargs: dict):
    order = Order.objects.select_related("organisation").filter(token=kwargs.get("token", ""))
    order = order.first()
    return order.organisation if order is not None else None


@require_http_methods(["GET", "POST"])
@csrf_protect_framed(shop_organisation)
@rate_limited("reserve", shop_organisation)
def event_shop(request: HttpRequest, organisation_slug: str, event_slug: str) -> HttpResponse:
    """The ticket selector; a valid POST holds the tickets and goes on to the checkout."""
    catalogue = get_catalogue(organisation_slug, event_slug)
    event, all_types = catalogue.event, catalogue.ticket_types
    form = None  # a page view shows an empty form: the rows are all it needs
    typed = None  # quantities shown again as typed, unjudged (a voucher applied or refused)
    status = 200
    code, applied, voucher_error = buyer_voucher(request, event)
    if request.method == "POST" and (voucher_error or APPLY_VOUCHER in request.POST):
        # Applying (or re-typing) a code reserves nothing: the same shop again with the code's
        # prices, or the reason it was refused, and everything the buyer typed still there.
        typed = request.POST
        status = 400 if voucher_error else 200
    elif request.method == "POST":
        form = TicketSelectionForm(
            request.POST, event=event, ticket_types=sellable_types(catalogue, applied)
        )
        if form.is_valid():
            try:
                reservation = reserve_tickets(
                    event,
                    form.quantities(),
                    client=hold_client(request),
                    voucher=applied.voucher if applied else None,
                )
            except CheckoutError as exc:
                form.add_error(None, exc.message)
                status = {"sold_out": 409, "hold_limit": 429}.get(exc.code, 200)
            else:
                url = reverse("weticket_checkout:checkout", args=[reservation.token])
                return redirect(with_parent(url, allowed_parent(request, event.organisation)))
        else:
            status = 400
    context = shop_context(event, form, all_types=all_types, voucher=applied, values=typed)
    context.update(voucher_code=code, voucher_error=voucher_error)
    # Always empty: the page is shared between visitors (pagecache); the join view answers alone.
    context = {**context, "waiting_list_form": waiting_list_form(context)}
    return render_framed(
        request,
        "weticket_wagtail/checkout/event_shop.html",
        context,
        event.organisation,
        status=status,
        catalogue=catalogue if shareable(request, form, typed) else None,
    )


VOUCHER_PARAM = "voucher"
#: The name of the shop form's "Apply" button (next to the voucher code).
APPLY_VOUCHER = "apply_voucher"


def shareable(request: HttpRequest, form=None, typed=None) -> bool:
    """Whether this shop page may come from (and go into) the shared page cache: a plain look
    at the shop. A page with a voucher (or a refused one) or with what a buyer typed is one
    visitor's, never shown to another."""
    return (
        request.method == "GET"
        and form is None
        and typed is None
        and VOUCHER_PARAM not in request.GET
    )


def buyer_voucher(request: HttpRequest, event) -> tuple[str, AppliedVoucher | None, str]:
    """The voucher code this request carries (the shop form's field, else ``?voucher=``), as
    typed, checked for ``event``: (the code, the voucher or None, why it was refused or "")."""
    if request.method == "POST" and VOUCHER_PARAM in request.POST:
        code = request.POST.get(VOUCHER_PARAM, "")
    else:
        code = request.GET.get(VOUCHER_PARAM, "")
    code = code.strip()[:64]
    if not code:
        return "", None, ""
    try:
        applied = find_voucher(event, code)
    except VoucherError as exc:
        return code, None, exc.message
    return applied.code, applied, ""


def sellable_types(catalogue: Catalogue, applied: AppliedVoucher | None) -> list:
    """The ticket types a buyer may choose: the active ones, hidden ones only if unlocked."""
    return [
        tt
        for tt in catalogue.active_ticket_types
        if not tt.requires_voucher or (applied is not None and applied.unlocks(tt))
    ]


def embed_shop(request: HttpRequest, organisation_slug: str, event_slug: str) -> HttpResponse:
    """The shop as shown inside another website's iframe (see static/weticket_wagtail/embed.js)."""
    catalogue = get_catalogue(organisation_slug, event_slug)
    event = catalogue.event
    code, applied, voucher_error = buyer_voucher(request, event)
    context = shop_context(event, all_types=catalogue.ticket_types, voucher=applied)
    context.update(voucher_code=code, voucher_error=voucher_error)
    return render_framed(
        request,
        "weticket_wagtail/checkout/embed.html",
        context,
        event.organisation,
        catalogue=catalogue if shareable(request) else None,
    )


def event_ics(request: HttpRequest, organisation_slug: str, event_slug: str) -> HttpResponse:
    """An iCalendar file so the visitor can add the event to their calendar."""
    event = get_catalogue(organisation_slug, event_slug).event
    response = HttpResponse(event_calendar(event, request), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


@require_http_methods(["GET", "POST"])
@csrf_protect_framed(reservation_organisation)
@rate_limited("checkout", reservation_organisation)
def checkout(request: HttpRequest, token: str) -> HttpResponse:
    """Contact details for a held reservation, then off to Mollie (or straight to the order)."""
    reservation = get_object_or_404(
        Reservation.objects.select_related("event__organisation"), token=token
    )
    existing = Order.objects.filter(reservation=reservation).first()
    if existing is not None and request.method == "GET":
        return redirect("weticket_checkout:order", token=existing.token)
    event = reservation.event
    lines = list(reservation.lines.select_related("ticket_type", "voucher"))
    for line in lines:
        line.price_now = line_price(line)
    form = BuyerForm(request.POST or None, organisation=event.organisation)
    context = {
        "reservation": reservation,
        "event": event,
        "organisation": event.organisation,
        "lines": lines,
        "total": reservation_total(lines),
        "form": form,
        "privacy_url": statement_url(request, translation.get_language())
        or weticket_settings.PRIVACY_STATEMENT_URL,
    }
    organisation = event.organisation
    if not reservation.is_live and existing is None:
        return render_framed(
            request, "weticket_wagtail/checkout/expired.html", context, organisation, status=410
        )
    if request.method == "POST" and form.is_valid():
        try:
            order = place_order(
                reservation, language=translation.get_language() or "nl", **form.cleaned_data
            )
        except CheckoutError as exc:
            form.add_error(None, exc.message)
        else:
            return _pay(request, order)
    return render_framed(request, "weticket_wagtail/checkout/checkout.html", context, organisation)


def _pay(request: HttpRequest, order: Order) -> HttpResponse:
    if order.status != Order.Status.PENDING:
        return redirect("weticket_checkout:order", token=order.token)
    return_url = request.build_absolute_uri(
        reverse("weticket_checkout:order_return", args=[order.token])
    )
    parent = allowed_parent(request, order.organisation)
    try:
        payment = start_payment(order, redirect_url=return_url)
    except CheckoutError as exc:
        messages.error(request, exc.message)
        url = reverse("weticket_checkout:order", args=[order.token])
        return redirect(with_parent(url, parent))
    if parent:
        # Mollie's checkout cannot run inside an iframe: hand the top window over to it.
        context = {"order": order, "organisation": order.organisation, "event": order.event}
        context["payment_url"] = payment.checkout_url
        return render_framed(
            request, "weticket_wagtail/checkout/to_payment.html", context, order.organisation
        )
    response = redirect(payment.checkout_url)
    response.status_code = 303
    return response


def get_order(token: str) -> Order:
    return get_object_or_404(Order.objects.select_related("event", "organisation"), token=token)


def order_detail(request: HttpRequest, token: str) -> HttpResponse:
    """The buyer's order page: status, tickets, PDF, and a way to (re)try paying."""
    order = get_order(token)
    tickets = list(order.tickets.select_related("line"))
    if order.status == Order.Status.PAID:
        for ticket in tickets:  # what the door scanner reads, as on the PDF
            if not ticket.is_valid:
                continue  # a refunded ticket shows no code to scan
            token = ticket_token(ticket, order.organisation, order.event.slug)
            ticket.qr_svg = ticket_qr_svg(
                token, _("QR code of ticket %(code)s") % {"code": ticket.code}
            )
    context = {
        "order": order,
        "event": order.event,
        "organisation": order.organisation,
        "lines": list(order.lines.all()),
        "tickets": tickets,
        "open_payment": open_payment(order),
        "can_pay": order.can_be_paid,
        # Owed refunds are not refunded until the provider accepted them: say "being refunded".
        "being_refunded": owed_refund_total(order),
    }
    response = render_framed(
        request, "weticket_wagtail/checkout/order.html", context, order.organisation
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@csrf_protect_framed(order_organisation)
@rate_limited("pay", order_organisation)
def order_pay(request: HttpRequest, token: str) -> HttpResponse:
    """Start (or retry) the payment of an order."""
    order = get_order(token)
    try:
        order = reopen_for_payment(order)
    except CheckoutError as exc:
        messages.error(request, exc.message)
        return redirect("weticket_checkout:order", token=order.token)
    return _pay(request, order)


def order_return(request: HttpRequest, token: str) -> HttpResponse:
    """Where Mollie sends the buyer back: sync the payment (webhooks may not reach a dev
    machine), then show the order."""
    order = get_order(token)
    sync_latest_payment(order)  # never raises: the order page says "awaiting payment" meanwhile
    return redirect("weticket_checkout:order", token=order.token)


def order_tickets_pdf(request: HttpRequest, token: str) -> HttpResponse:
    order = get_order(token)
    if order.status != Order.Status.PAID:
        raise Http404
    response = HttpResponse(order_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="tickets-{order.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
