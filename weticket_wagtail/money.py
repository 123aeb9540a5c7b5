"""Amounts of money as people read them: ``€ 1.234,50`` in Dutch, ``€ 1,234.50`` in English.

Every price of the site is in one currency, ``WETICKET["CURRENCY"]`` (ISO 4217). Rows that
store their own currency (orders, payments) are shown in theirs, so a changed setting never
relabels what was already sold. Mollie's ``{"currency", "value"}`` objects are written by
``payments``; this module only formats for people.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

from .conf import weticket_settings

#: Symbols people recognise; any other currency is written as its ISO code ("CHF 12.00").
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def site_currency() -> str:
    """The ISO 4217 code every price is in (``WETICKET["CURRENCY"]``, default ``"EUR"``).

    Also the default of ``Order.currency``: an order keeps the currency it was placed in.
    """
    return str(weticket_settings.CURRENCY).upper()


def currency_symbol(currency: str | None = None) -> str:
    """The symbol of ``currency`` (default: the site's), or its code when it has none here."""
    code = (currency or site_currency()).upper()
    return SYMBOLS.get(code, code)


def format_money(amount: Decimal | int | float | str, currency: str | None = None) -> str:
    """``amount`` with two decimals and grouped thousands in the active language, after the
    symbol of ``currency`` (default: the site's currency), e.g. ``€ 1.234,50``."""
    return f"{currency_symbol(currency)} {number_format(Decimal(amount), 2, force_grouping=True)}"
