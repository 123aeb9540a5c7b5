"""The waiting list: joining, confirming, leaving, and offering freed tickets in turn.

Guarantees:

* **Capacity stays a database invariant.** An offer is a reservation made through
  :func:`~weticket_wagtail.ticketing.services.reservations.reserve_tickets`, lengthened to
  ``WAITING_LIST_OFFER_HOURS``: offered tickets count as held, and nobody else can buy them.
* **Nobody is offered tickets twice.** An entry goes from ``waiting`` to ``offered`` by a
  compare-and-set; no state leads back to ``waiting``. Offers of one event are made under the
  locks of its ticket-type rows (taken first, in primary-key order, as every capacity change
  does), so two workers freeing tickets at once make their offers one after the other, and the
  second counts the first one's hold.
* **An order started on an offer is not lost.** Placing the order redeems the offer (as a
  waiting-list voucher is redeemed in pretix): the order keeps its tickets for its payment,
  at least ``RESERVATION_MINUTES`` from when it was placed, even past the offer's time
  (:func:`hold_for_order`); only when its payment fails or that time runs out unpaid do the
  tickets go to the next in line, and a payment after that is confirmed only if tickets are
  left (else refunded): a ticket is never sold twice.
* **The email goes with the offer.** The offer email is queued in the outbox in the
  transaction that makes the offer; it carries a link to leave the list, as every email does.

Who is offered first: the lowest ``position`` (then the earliest entry) whose number of tickets
fits what is free; an entry wanting more than is free waits, and later, smaller ones are
offered meanwhile (tickets never stay unsold while someone who fits is waiting).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.mail.outbox import Email, enqueue_templated_email
from weticket_wagtail.ticketing.links import absolute, shop_url
from weticket_wagtail.ticketing.models import (
    Event,
    Order,
    Reservation,
    ReservationLine,
    TicketType,
)
from weticket_wagtail.ticketing.services.availability import invalidate_event_availability
from weticket_wagtail.ticketing.services.errors import CheckoutError
from weticket_wagtail.ticketing.services.reservations import release_reservation, reserve_tickets

from .models import WaitingListEntry

logger = logging.getLogger(__name__)
Status = WaitingListEntry.Status
#: Entries still in line or holding an offer: one of these per address and ticket type.
OPEN = (Status.UNCONFIRMED, Status.WAITING, Status.OFFERED)


def join_waiting_list(
    ticket_type: TicketType, *, email: str, quantity: int, language: str, now=None
) -> WaitingListEntry:
    """Put ``email`` on the list for ``quantity`` tickets of ``ticket_type``, unconfirmed, and
    queue the email with the confirmation link (double opt-in: nobody is offered tickets, or
    emailed again, before they confirm). The caller checked the consent box was ticked.

    Joining again while an entry of that address is open returns that entry and sends nothing,
    so the form cannot be used to mail someone repeatedly.
    """
    now = now or timezone.now()
    email = email.strip()
    with transaction.atomic():
        existing = (
            WaitingListEntry.objects.filter(
                ticket_type=ticket_type, email__iexact=email, status__in=OPEN
            )
            .select_related("event__organisation", "ticket_type")
            .first()
        )
        if existing is not None:
            return existing
        entry = WaitingListEntry.objects.create(
            event_id=ticket_type.event_id,
            ticket_type=ticket_type,
            email=email,
            quantity=quantity,
            language=language,
            consented_at=now,
            created_at=now,
        )
        entry = WaitingListEntry.objects.select_related("event__organisation", "ticket_type").get(
            pk=entry.pk
        )
        _queue(entry, "waitinglist_confirm", f"waitinglist_confirm:{entry.token}")
    return entry


def confirm_entry(token: str, now=None) -> WaitingListEntry | None:
    """Confirm an entry by its emailed link: it joins the end of the line, and is offered
    tickets at once if some are free. Confirming twice changes nothing. ``None``: no such
    entry."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitingListEntry.objects.filter(token=token).first()
        if entry is None:
            return None
        last = WaitingListEntry.objects.filter(ticket_type_id=entry.ticket_type_id).aggregate(
            last=Max("position")
        )["last"]
        confirmed = WaitingListEntry.objects.filter(pk=entry.pk, status=Status.UNCONFIRMED).update(
            status=Status.WAITING, confirmed_at=now, position=(last or 0) + 1
        )
        if confirmed:
            offer_freed_tickets(entry.event_id, now=now)
    entry.refresh_from_db()
    return entry


def leave_waiting_list(token: str) -> WaitingListEntry | None:
    """Take an entry off the list (its link in every email). Tickets held for it are released
    and offered to the next person. Leaving twice changes nothing; an entry that bought its
    tickets stays bought. ``None``: no such entry."""
    with transaction.atomic():
        # Only the entry's row: the model's ordering joins its event and ticket type, which a
        # bare FOR UPDATE would lock too (before the reservation: the wrong order, and the
        # event row blocks every buyer's hold until commit).
        entry = (
            WaitingListEntry.objects.select_for_update(of=("self",))
            .filter(token=token)
            .order_by()
            .first()
        )
        if entry is None:
            return None
        left = WaitingListEntry.objects.filter(pk=entry.pk, status__in=OPEN).update(
            status=Status.LEFT
        )
        if left and entry.status == Status.OFFERED and entry.reservation_id:
            reservation = Reservation.objects.get(pk=entry.reservation_id)
            # An order started on the offer keeps its tickets: leaving the list does not
            # cancel an order. A hold that ran out is not written again (it stopped counting).
            if reservation.status == Reservation.Status.ACTIVE:
                if _holds(reservation, timezone.now()):
                    release_reservation(reservation)  # announces the freed tickets
                else:
                    offer_freed_tickets(entry.event_id)
    entry.refresh_from_db()
    return entry


def offer_freed_tickets(event_id: int, now=None) -> list[WaitingListEntry]:
    """Offer what is free of ``event_id``'s ticket types to the people waiting, in turn.

    Safe to call at any time, from any worker, any number of times: it counts what is free
    now, under the ticket-type locks, and offers only that. Returns the entries offered by
    this call. Runs in the caller's transaction when there is one.
    """
    now = now or timezone.now()
    if not WaitingListEntry.objects.filter(event_id=event_id, status=Status.WAITING).exists():
        return []
    offered: list[WaitingListEntry] = []
    with transaction.atomic():
        # The ticket-type rows first, in primary-key order (as every capacity change locks
        # them): a second worker waits here until this one's offers are committed.
        type_ids = list(
            TicketType.objects.select_for_update()
            .filter(event_id=event_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        event = Event.objects.select_related("organisation").get(pk=event_id)
        waiting = list(
            WaitingListEntry.objects.filter(
                event_id=event_id, ticket_type_id__in=type_ids, status=Status.WAITING
            )
            .select_related("ticket_type")
            .order_by("ticket_type_id", "position", "pk")
        )
        exhausted: set[int] = set()
        for entry in waiting:
            if entry.ticket_type_id in exhausted:
                continue
            try:
                with transaction.atomic():
                    reservation = reserve_tickets(
                        event, {entry.ticket_type_id: entry.quantity}, now=now
                    )
                    if not _mark_offered(entry, reservation, now):
                        raise _AlreadyOffered
            except _AlreadyOffered:
                continue
            except CheckoutError as exc:
                if exc.code != "sold_out":
                    exhausted.add(entry.ticket_type_id)  # not on sale: nobody can have it
                continue
            entry.event = event
            _queue(entry, "waitinglist_offer", f"waitinglist_offer:{entry.token}")
            offered.append(entry)
        invalidate_event_availability(event_id)  # holds undone above may have been noted
    return offered


class _AlreadyOffered(Exception):
    """Another call offered this entry first: undo this call's hold."""


def _mark_offered(entry: WaitingListEntry, reservation: Reservation, now: datetime) -> bool:
    expires_at = now + timedelta(hours=weticket_settings.WAITING_LIST_OFFER_HOURS)
    changed = WaitingListEntry.objects.filter(pk=entry.pk, status=Status.WAITING).update(
        status=Status.OFFERED, reservation=reservation, offered_at=now, offer_expires_at=expires_at
    )
    if not changed:
        return False
    # The hold lasts as long as the offer (it was counted under the lock: still within capacity).
    Reservation.objects.filter(pk=reservation.pk).update(expires_at=expires_at)
    ReservationLine.objects.filter(reservation=reservation).update(expires_at=expires_at)
    entry.status, entry.reservation, entry.offered_at = Status.OFFERED, reservation, now
    entry.offer_expires_at = expires_at
    return True


def hold_for_order(order: Order) -> bool:
    """An order was placed on an offer's hold (its reservation): from now on the tickets are
    the order's, held as any order's are, and no longer the offer's.

    As in pretix, where the waiting-list voucher is redeemed by placing the order, the offer's
    time limits when an order may be started, not how long a started order may take to be
    paid: an order started just before the offer runs out keeps its tickets for
    ``RESERVATION_MINUTES`` from when it was placed (the time any buyer has at most between
    choosing tickets and paying), so the payment open at Mollie can still complete. An order
    started earlier keeps the offer's longer hold. Then the order's own rules apply: paid, the
    entry becomes ``bought``; its payment failed or its hold ran out, the tickets go to the
    next in line (a late payment is confirmed only if tickets are left, else refunded).

    Called when the order row is created, in :func:`place_order`'s transaction (the
    reservation row is locked there). The hold is lengthened under the ticket-type locks and
    only while it still counts, so it never comes back after another buyer could have taken
    its tickets. True when this call lengthened it.
    """
    if not order.reservation_id:
        return False
    if not WaitingListEntry.objects.filter(
        reservation_id=order.reservation_id, status=Status.OFFERED
    ).exists():
        return False
    with transaction.atomic():
        type_ids = sorted(
            set(
                ReservationLine.objects.filter(reservation_id=order.reservation_id).values_list(
                    "ticket_type_id", flat=True
                )
            )
        )
        list(
            TicketType.objects.select_for_update()
            .filter(pk__in=type_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        now = timezone.now()  # after the locks: the hold is judged as it is now
        until = now + timedelta(minutes=weticket_settings.RESERVATION_MINUTES)
        lengthened = Reservation.objects.filter(
            pk=order.reservation_id,
            status__in=[Reservation.Status.ACTIVE, Reservation.Status.ORDERED],
            expires_at__gt=now,
            expires_at__lt=until,
        ).update(expires_at=until)
        if lengthened:
            ReservationLine.objects.filter(
                reservation_id=order.reservation_id, is_live=True, expires_at__gt=now
            ).update(expires_at=until)
    return bool(lengthened)


def move_expired_offers(now=None) -> int:
    """For the periodic task: offers that were bought become ``bought``; offers that ended
    become ``expired`` and their tickets go to the next in line.

    An offer ends when its time is up and no order was started on it, or when the order
    started on it lost its hold (its payment failed, or its hold ran out unpaid; see
    :func:`hold_for_order`). An offer whose order is awaiting payment with its hold still
    running is left alone: the payment may still come, and the tickets are that order's.

    The sweep writes no reservation whose hold ran out: it stopped counting at its expiry
    already (ticketing's own sweep tidies the rows, and this task cannot deadlock with it).
    Only a hold still live when its offer ends (not one this module made) is released.
    Returns the number of offers that expired.
    """
    now = now or timezone.now()
    WaitingListEntry.objects.filter(
        status__in=[Status.OFFERED, Status.EXPIRED],
        reservation__status=Reservation.Status.CONVERTED,
    ).update(status=Status.BOUGHT)
    due = WaitingListEntry.objects.filter(status=Status.OFFERED).filter(
        Q(offer_expires_at__lte=now)
        | Q(reservation__isnull=True)
        | Q(reservation__status=Reservation.Status.RELEASED)
    )
    expired = 0
    for entry_id, event_id in list(due.values_list("pk", "event_id")):
        with transaction.atomic():
            entry = (
                WaitingListEntry.objects.select_for_update(of=("self",))  # see leave_waiting_list
                .filter(pk=entry_id, status=Status.OFFERED)
                .order_by()
                .first()
            )
            if entry is None:
                continue
            # Locked so that an order being placed on this hold right now is placed (and its
            # hold lengthened) before we look, or finds the hold gone after.
            reservation = (
                Reservation.objects.select_for_update(of=("self",))
                .filter(pk=entry.reservation_id)
                .first()
                if entry.reservation_id
                else None
            )
            live = reservation is not None and _holds(reservation, now)
            if reservation is not None and reservation.status == Reservation.Status.CONVERTED:
                WaitingListEntry.objects.filter(pk=entry_id).update(status=Status.BOUGHT)
                continue
            if live and (
                reservation.status == Reservation.Status.ORDERED or entry.offer_expires_at > now
            ):
                continue  # an order awaits payment on it, or the offer still runs
            WaitingListEntry.objects.filter(pk=entry_id, status=Status.OFFERED).update(
                status=Status.EXPIRED
            )
            expired += 1
            if live:
                release_reservation(reservation)  # announces the freed tickets: next in line
            else:
                offer_freed_tickets(event_id, now=now)
    return expired


def _holds(reservation: Reservation, now: datetime) -> bool:
    """Whether ``reservation`` still holds its tickets at ``now``."""
    return (
        reservation.status in (Reservation.Status.ACTIVE, Reservation.Status.ORDERED)
        and reservation.expires_at > now
    )


def offer_view_target(entry: WaitingListEntry) -> str | None:
    """Where an offer link takes the person: the checkout of their held tickets, or ``None``
    when there is no live offer (expired, left, bought, or never made)."""
    if entry.status != Status.OFFERED or entry.reservation is None:
        return None
    if not entry.reservation.is_live:
        return None
    return reverse("weticket_checkout:checkout", args=[entry.reservation.token])


def entry_links(entry: WaitingListEntry) -> dict[str, str]:
    """The absolute links an email of ``entry`` carries."""
    token = entry.token
    return {
        f"{name}_url": absolute(reverse(f"weticket_checkout:waitinglist_{name}", args=[token]))
        for name in ("confirm", "offer", "leave")
    }


def _queue(entry: WaitingListEntry, topic: str, dedupe_key: str) -> None:
    event = entry.event
    enqueue_templated_email(
        Email(
            dedupe_key=dedupe_key,
            to=entry.email,
            language=entry.language,
            topic=topic,
            object_ref=entry.object_ref,
            reply_to=event.organisation.contact_email,
        ),
        template=f"weticket_wagtail/email/{topic}",
        context={
            "entry": entry,
            "event": event,
            "organisation": event.organisation,
            "ticket_type": entry.ticket_type,
            "shop_url": shop_url(event),
            **entry_links(entry),
        },
    )
