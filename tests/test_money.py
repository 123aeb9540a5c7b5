"""Amounts read as people expect, in the row's own currency or the site's, in their language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from weticket_wagtail.money import currency_symbol, format_money


@pytest.mark.parametrize("language,expected", [("nl", "€ 1.234,50"), ("en", "€ 1,234.50")])
def test_two_decimals_and_grouping_in_the_active_language(language, expected):
    with translation.override(language):
        assert format_money(Decimal("1234.5")) == expected


def test_the_site_currency_comes_from_the_setting(settings):
    settings.WETICKET = {**settings.WETICKET, "CURRENCY": "GBP"}
    with translation.override("en"):
        assert format_money(Decimal("7")) == "£ 7.00"
        assert format_money(Decimal("7"), "EUR") == "€ 7.00"  # a row's own currency wins


def test_a_currency_without_a_symbol_is_written_as_its_code():
    assert currency_symbol("chf") == "CHF"
    with translation.override("en"):
        assert format_money(12, "CHF") == "CHF 12.00"


def test_the_template_filter_formats_and_leaves_nothing_for_none():
    template = Template(
        "{% load weticket_money %}[{{ a|money }}][{{ b|money:'USD' }}][{{ c|money }}]"
    )
    with translation.override("en"):
        assert template.render(Context({"a": 3, "b": Decimal("2.5"), "c": None})) == (
            "[€ 3.00][$ 2.50][]"
        )
