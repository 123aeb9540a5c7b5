"""Money in templates: ``{% load weticket_money %}``, then ``{{ price|money }}`` (the site's
currency) or ``{{ order.total|money:order.currency }}`` (the row's own)."""

from __future__ import annotations

from django import template

from weticket_wagtail.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str | None = None) -> str:
    """``amount`` formatted by :func:`weticket_wagtail.money.format_money`; empty for ``None``."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency or None)
