"""Template tags for pages that show our blocks or shop: ``{% load weticket %}``."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from weticket_wagtail.assets import assets_once

register = template.Library()


@register.simple_tag(takes_context=True)
def weticket_assets(context) -> SafeString:
    """Our stylesheet and script, once per page: put it in your base template's ``<head>``.

    Ticket blocks emit the same tags themselves when the page has not loaded them yet, so the
    tag is optional; in the ``<head>`` it saves the page a flash of unstyled content.
    """
    return assets_once(context.get("request"))
