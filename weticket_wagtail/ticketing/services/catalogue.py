"""What a shop page shows that only changes when somebody edits it, cached.

A flash sale is thousands of page views of one event in a few minutes. The event, its
organisation and its ticket types are the same for every one of them, so they are read from
the database once and then from the cache, until an editor saves an organisation, an event or a
ticket type (every save or delete drops all cached catalogues after its commit) or
``CATALOGUE_CACHE_SECONDS`` pass.

What changes with every sale is **not** in here: tickets left come from
``availability.event_availability``, which reads the counters from the database, and
``reservations.reserve_tickets`` checks everything again against rows it locks.
A catalogue is for showing; never sell from it.

With Django's local-memory cache each web process has its own copy, so another process may show
an edit up to ``CATALOGUE_CACHE_SECONDS`` late. A cache shared by all processes (Redis) makes
edits visible at once.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, replace

from django.core.cache import cache
from django.db import transaction

from weticket_wagtail.conf import weticket_settings

from ..models import Event, TicketType

GENERATION_KEY = "weticket:catalogue:generation"
#: Catalogues this process has already unpickled, by cache key: {key: (valid until, catalogue)}.
_unpickled: dict[str, tuple[float, Catalogue]] = {}
_UNPICKLED_MAX = 256
#: Fields of the organisation a shop page never needs: secrets stay in the database.
SECRET_FIELDS = ("organisation__mollie_api_key", "organisation__ticket_signing_key")


@dataclass(frozen=True)
class Catalogue:
    """A published event (with its organisation) and all its ticket types in display order.

    Shared by the requests of a process: read it, never change it. The ticket types'
    ``sold_count`` is not kept up to date here and is therefore ``None``.
    """

    event: Event
    ticket_types: list[TicketType]
    #: Set when the catalogue is cached, and new whenever anything in it may have changed (for
    #: the keys of caches derived from it); empty when it comes straight from the database.
    version: str = ""

    @property
    def active_ticket_types(self) -> list[TicketType]:
        return [tt for tt in self.ticket_types if tt.is_active]


def load_catalogue(organisation_slug: str, event_slug: str) -> Catalogue | None:
    """The catalogue straight from the database (two queries), or None if there is no such
    published event."""
    event = (
        Event.objects.select_related("organisation")
        .defer(*SECRET_FIELDS)
        .filter(organisation__slug=organisation_slug, slug=event_slug, is_published=True)
        .first()
    )
    if event is None:
        return None
    ticket_types = list(TicketType.objects.filter(event_id=event.pk).order_by("sort_order", "pk"))
    for ticket_type in ticket_types:
        ticket_type.event = event  # sale windows end at the event's start: no query for it
        ticket_type.sold_count = None  # goes stale in the cache: must not be sold from
    return Catalogue(event=event, ticket_types=ticket_types)


def shop_catalogue(organisation_slug: str, event_slug: str) -> Catalogue | None:
    """The catalogue of a published event, from the cache when it can be."""
    seconds = weticket_settings.CATALOGUE_CACHE_SECONDS
    if not seconds:
        return load_catalogue(organisation_slug, event_slug)
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        # add(): when two processes start at once, both end up using the same generation.
        if not cache.add(GENERATION_KEY, generation, None):
            generation = cache.get(GENERATION_KEY, generation)
    address = hashlib.sha256(f"{organisation_slug}/{event_slug}".encode()).hexdigest()[:32]
    key = f"weticket:catalogue:{generation}:{address}"  # short whatever the slugs' length
    now = time.monotonic()
    unpickled = _unpickled.get(key)
    if unpickled is not None and unpickled[0] > now:
        return unpickled[1]  # unpickling it again costs more than the rest of a page view
    catalogue = cache.get(key)
    if catalogue is None:
        catalogue = load_catalogue(organisation_slug, event_slug)
        if catalogue is None:
            return None
        catalogue = replace(catalogue, version=uuid.uuid4().hex)
        cache.set(key, catalogue, seconds)
    if len(_unpickled) >= _UNPICKLED_MAX:
        _unpickled.clear()
    _unpickled[key] = (now + seconds, catalogue)
    return catalogue


def invalidate_catalogues() -> None:
    """Forget every cached catalogue once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, None), robust=True)
