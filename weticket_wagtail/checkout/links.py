"""Checkout's answer to ticketing's question "where are the buyer's pages?" (see
:mod:`weticket_wagtail.ticketing.links`); registered in :class:`.apps.CheckoutConfig`."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from weticket_wagtail.ticketing.links import BuyerLinks
from weticket_wagtail.ticketing.models import Event, Order


def _path(name: str, *args: str) -> str:
    try:
        return reverse(f"weticket_checkout:{name}", args=args)
    except NoReverseMatch:  # the project does not include checkout's URLs
        return ""


class CheckoutLinks(BuyerLinks):
    """The paths of checkout's own URLs (``weticket_checkout`` namespace); ``""`` for each
    while the project's URLs do not include them."""

    def order_path(self, order: Order) -> str:
        return _path("order", order.token)

    def shop_path(self, event: Event) -> str:
        return _path("event_shop", event.organisation.slug, event.slug)

    def embed_path(self, event: Event) -> str:
        return _path("embed", event.organisation.slug, event.slug)
