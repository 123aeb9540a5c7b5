"""What the ticket selector shows, as ready-to-print rows: shared by the shop pages and blocks.

A presenter turns domain state (sale windows, tickets left, prices) into what a template prints,
so templates make no decisions and the blocks app can show the same selector as the shop page
without importing checkout's views.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.money import format_money
from weticket_wagtail.ticketing.models import Event, SaleState, TicketType
from weticket_wagtail.ticketing.services.availability import event_availability
from weticket_wagtail.ticketing.services.catalogue import Catalogue, shop_catalogue
from weticket_wagtail.ticketing.services.vouchers import AppliedVoucher

from .forms import QUANTITY_PREFIX, TicketSelectionForm


def shop_context(
    event: Event,
    form: TicketSelectionForm | None = None,
    request: HttpRequest | None = None,
    all_types: list[TicketType] | None = None,
    voucher: AppliedVoucher | None = None,
    values: Mapping[str, str] | None = None,
) -> dict:
    """Everything the ticket selector needs, as ready-to-print rows.

    Two queries however many ticket types there are (ticket types, cached availability). With a
    ``request`` and no bound form, the result is shared by every block of that event on the page.
    Without a ``form`` the rows show an empty one (``form`` is None in the context). Each row's
    ``state`` is a :class:`SaleState` (``SOLD_OUT`` when a type on sale has nothing left) and
    ``on_sale`` says whether it takes a quantity. Ticket types sold only with a voucher are
    left out unless ``voucher`` unlocks them; with a ``voucher``, rows show its price and the
    list price (``list_price_text``) and the result is never shared. ``values`` (posted data,
    without a form) shows the quantities a buyer typed again, without judging them: the shop
    after a voucher was applied or refused.
    """
    personal = form is not None or bool(voucher) or values is not None
    memo = getattr(request, "_weticket_shops", None) if not personal else None
    if memo is not None and event.pk in memo:
        return memo[event.pk]
    if all_types is None:
        all_types = list(event.ticket_types.all())
    ticket_types = [
        tt
        for tt in all_types
        if tt.is_active and (not tt.requires_voucher or (voucher and voucher.unlocks(tt)))
    ]
    left = event_availability(event)
    now = timezone.now()
    threshold = weticket_settings.FEW_LEFT_THRESHOLD
    bound = form is not None and form.is_bound
    rows = []
    for ticket_type in ticket_types:
        pk = str(ticket_type.pk)
        state = ticket_type.sale_state(now)
        count = left.get(ticket_type.pk, 0)
        if state == SaleState.ON_SALE and count <= 0:
            state = SaleState.SOLD_OUT
        name = f"{QUANTITY_PREFIX}{pk}"
        price = voucher.price(ticket_type) if voucher else ticket_type.price
        discounted = price != ticket_type.price
        rows.append(
            {
                "ticket_type": ticket_type,
                "pk": pk,
                "state": state,
                "on_sale": state == SaleState.ON_SALE,
                "state_text": state_text(state, ticket_type, count, threshold),
                "remaining": count,
                "price_text": format_money(price) if price else _("Free"),
                "list_price_text": format_money(ticket_type.price) if discounted else "",
                "input_name": name,
                "input_id": f"id_{name}",
                "input_label": _("Number of “%(name)s” tickets") % {"name": ticket_type.name},
                "value": typed_value(form.data if bound else values, name),
                "errors": form.errors.get(name, []) if bound else [],
                "max": ticket_type.order_maximum,
            }
        )
    context = {
        "event": event,
        "organisation": event.organisation,
        "rows": rows,
        "form": form,
        "voucher": voucher,
    }
    if request is not None and not personal:
        if memo is None:
            memo = request._weticket_shops = {}
        memo[event.pk] = context
    return context


def typed_value(data: Mapping[str, str] | None, name: str) -> str:
    """What the buyer typed in a quantity field, or "0"."""
    return (data.get(name) or "0") if data is not None else "0"


def state_text(state: SaleState, ticket_type: TicketType, count: int, threshold: int) -> str:
    """The short line under a ticket type's name: sold out, when the sale opens, ended, or
    "Only 3 left" at or below ``threshold``; empty otherwise."""
    if state == SaleState.SOLD_OUT:
        return _("Sold out")
    if state == SaleState.NOT_STARTED:
        when = date_format(timezone.localtime(ticket_type.sale_starts_at), "DATETIME_FORMAT")
        return _("On sale from %(when)s") % {"when": when}
    if state == SaleState.SALE_ENDED:
        return _("Sale ended")
    if 0 < count <= threshold:
        return ngettext("Only %(count)d left", "Only %(count)d left", count) % {"count": count}
    return ""


def get_catalogue(organisation_slug: str, event_slug: str) -> Catalogue:
    """A published event with its organisation and ticket types, usually from the cache. The
    organisation's secrets are not loaded (nor decrypted) on buyer pages."""
    catalogue = shop_catalogue(organisation_slug, event_slug)
    if catalogue is None:
        raise Http404("No such event on sale.")
    return catalogue
