"""Links to the buyer's pages, for the parts of ticketing that mention them.

Ticketing emails the buyer a link to their order and shows editors an event's embed snippet,
but those pages are served by the checkout app, which sits above ticketing and may change its
URLs freely. So ticketing asks a resolver, and checkout registers its own in
``CheckoutConfig.ready()`` (:func:`register_buyer_links`). Without checkout installed the
links are empty. A project that serves the buyer's pages itself registers its own resolver.

The absolute URLs are built in a language (the order's, for its emails): under the project's
``i18n_patterns`` they carry that language's prefix, without them none (see
:mod:`weticket_wagtail.languages`). A resolver is called with that language active.
"""

from __future__ import annotations

from django.db.models import Model

from weticket_wagtail.conf import weticket_settings
from weticket_wagtail.languages import in_language

# Orders and events are typed as plain models: ticketing's models import its panels, which
# import this module, so it imports nothing of ticketing (not even for type checking).


class BuyerLinks:
    """Site-relative paths of the buyer's pages; this base knows none (each answers ``""``)."""

    def order_path(self, order: Model) -> str:
        """The buyer's order page (status, tickets, retry payment); its URL holds the token."""
        return ""

    def shop_path(self, event: Model) -> str:
        """The event's ticket shop."""
        return ""

    def embed_path(self, event: Model) -> str:
        """The shop as another website frames it (see ``embed.js``)."""
        return ""


_resolver: BuyerLinks = BuyerLinks()


def register_buyer_links(resolver: BuyerLinks) -> None:
    """Make ``resolver`` the one that answers from now on (the last registration wins)."""
    global _resolver
    _resolver = resolver


def buyer_links() -> BuyerLinks:
    """The registered resolver (a :class:`BuyerLinks` that knows no pages if none is)."""
    return _resolver


def absolute(path: str) -> str:
    """``path`` on ``WETICKET["PUBLIC_BASE_URL"]``; ``""`` stays ``""`` (no page, no link)."""
    return weticket_settings.PUBLIC_BASE_URL.rstrip("/") + path if path else ""


def order_url(order: Model, language: str | None = None) -> str:
    """The absolute URL of ``order``'s page, for emails, in ``language`` (default: the language
    the order was placed in); ``""`` when no resolver knows it."""
    language = language or getattr(order, "language", "")
    return absolute(in_language(language, lambda: _resolver.order_path(order)))


def shop_url(event: Model, language: str | None = None) -> str:
    """The absolute URL of ``event``'s shop, in ``language`` (default: the active one); ``""``
    when no resolver knows it."""
    return absolute(in_language(language, lambda: _resolver.shop_path(event)))


def embed_url(event: Model, language: str | None = None) -> str:
    """The absolute URL another website frames to sell ``event``'s tickets, in ``language``
    (default: the active one)."""
    return absolute(in_language(language, lambda: _resolver.embed_path(event)))
