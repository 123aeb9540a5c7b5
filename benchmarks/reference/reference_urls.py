"""The floor for benchmarks/flash_sale.py: a bare Django view doing only the locked reservation.

What a developer would write in an afternoon, through the ORM: no templates, no forms, no
availability shown, no checks beyond the capacity. The page view hands out the CSRF token; the
reservation locks the ticket type, counts the live holds and writes the hold. It answers like
the shop (302 to a checkout URL, 409 "sold out") so the same load generator drives both.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import path
from django.utils import timezone

from weticket_wagtail.ticketing.models import Reservation, ReservationLine, TicketType

PAGE = (
    '<!DOCTYPE html><form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
    'value="{token}"><button>Reserve</button></form>'
)


def shop(request, organisation_slug: str, event_slug: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(PAGE.format(token=get_token(request)))
    wanted = {
        int(name.removeprefix("quantity_")): int(value)
        for name, value in request.POST.items()
        if name.startswith("quantity_")
    }
    now = timezone.now()
    with transaction.atomic():
        # list(): the rows must be locked before the holds are counted.
        ticket_types = list(
            TicketType.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
        )
        held = dict(
            ReservationLine.objects.filter(
                ticket_type_id__in=wanted, is_live=True, expires_at__gt=now
            )
            .values_list("ticket_type_id")
            .annotate(Sum("quantity"))
            .order_by()
        )
        for ticket_type in ticket_types:
            left = ticket_type.capacity - ticket_type.sold_count - held.get(ticket_type.pk, 0)
            if wanted[ticket_type.pk] > left:
                return HttpResponse("sold out", status=409)
        expires_at = now + timedelta(minutes=15)
        reservation = Reservation.objects.create(
            event_id=ticket_types[0].event_id, expires_at=expires_at
        )
        ReservationLine.objects.bulk_create(
            ReservationLine(
                reservation=reservation, ticket_type_id=pk, quantity=qty, expires_at=expires_at
            )
            for pk, qty in wanted.items()
        )
    return HttpResponseRedirect(f"/tickets/checkout/{reservation.token}/")


urlpatterns = [path("tickets/<slug:organisation_slug>/<slug:event_slug>/", shop)]
