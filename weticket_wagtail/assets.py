"""The CSS and JavaScript that our public markup needs, emitted once per page.

Blocks dropped into a client's page must work whatever that page's template loads, so every
ticket block emits :data:`FRONTEND_MEDIA` itself. A template may load it first, in its
``<head>`` (``{% load weticket %}{% weticket_assets %}``), which avoids a flash of unstyled
content; the blocks of that page then emit nothing. "Once per page" is remembered on the
request: a block rendered without one (``{{ page.body }}`` passes no context) always emits the
assets, which is harmless, because the script runs its set-up only once.
"""

from __future__ import annotations

from django.forms import Media, Script
from django.utils.safestring import SafeString, mark_safe

#: Our stylesheet and the checkout script (countdown, focus on errors), as Django form media.
FRONTEND_MEDIA = Media(
    css={"all": ["weticket_wagtail/weticket.css"]},
    js=[Script("weticket_wagtail/checkout.js", defer=True)],
)
_EMITTED = "_weticket_assets_emitted"


def assets_once(request) -> SafeString:
    """The ``<link>`` and ``<script>`` tags, or ``""`` if this request's page already has them.

    Without a ``request`` there is no page to remember them on: they are returned every time.
    """
    if request is not None:
        if getattr(request, _EMITTED, False):
            return mark_safe("")  # noqa: S308 - a constant empty string
        setattr(request, _EMITTED, True)
    return mark_safe(FRONTEND_MEDIA.render())  # noqa: S308 - built from static paths only
