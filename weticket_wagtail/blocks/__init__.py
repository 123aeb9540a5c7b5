"""StreamField blocks for selling tickets from any Wagtail page, and the branded ticket page.

Import the blocks from here::

    from weticket_wagtail.blocks import EventDetailsBlock, EventListBlock, TicketShopBlock

They are loaded lazily, so that importing this package while Django starts never touches models.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EventDetailsBlock", "EventListBlock", "TicketShopBlock", "ticket_blocks"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import stream

        return getattr(stream, name)
    raise AttributeError(name)
