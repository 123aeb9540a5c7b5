"""Template tags for cookie consent: ``{% load weticket_consent %}``.

In your base template::

    <head>
      {% consent_head %}      {# first in <head>: Consent Mode defaults before any tag #}
      ...
    </head>
    <body>
      {% consent_banner %}    {# early in <body>: the banner and the settings dialog #}
      ...
      {% consent_footer %}    {# or {% cookie_settings_link %} in a footer of your own #}
    </body>

and around anything that may only run after consent::

    {% consent_gated "analytics" %}<script src="..."></script>{% endconsent_gated %}

``consent_head``, ``consent_banner`` and ``consent_footer`` come from the cache (no query per
page view) and hold nothing of the visitor, so pages with them may be cached and shared.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..consent.banner import fragments

register = template.Library()


def _fragment(context, name: str) -> SafeString:
    return mark_safe(fragments(context.get("request"))[name])  # noqa: S308 - our own templates


@register.simple_tag(takes_context=True)
def consent_head(context) -> SafeString:
    """Google Consent Mode defaults (all denied), the banner's settings, script and styles,
    and Google Analytics behind the analytics group if the site has a measurement id."""
    return _fragment(context, "head")


@register.simple_tag(takes_context=True)
def consent_banner(context) -> SafeString:
    """The banner (shown by the script to visitors who have not chosen) and the dialog."""
    return _fragment(context, "banner")


@register.simple_tag(takes_context=True)
def consent_footer(context) -> SafeString:
    """Links to the privacy statement and to the cookie settings, for a footer."""
    return _fragment(context, "footer")


@register.simple_tag
def cookie_settings_link(label: str = "", css_class: str = "weticket-cookie-settings") -> str:
    """A button that reopens the cookie settings, so consent is withdrawn as easily as given."""
    return format_html(
        '<button type="button" class="{}" data-weticket-consent-open aria-haspopup="dialog">'
        "{}</button>",
        css_class,
        label or _("Cookie settings"),
    )


class ConsentGatedNode(template.Node):
    def __init__(self, group: template.base.FilterExpression, nodelist: template.NodeList):
        self.group = group
        self.nodelist = nodelist

    def render(self, context) -> str:
        return format_html(
            '<template data-weticket-consent="{}">{}</template>',
            self.group.resolve(context),
            mark_safe(self.nodelist.render(context)),  # noqa: S308 - the template's own output
        )


@register.tag
def consent_gated(parser, token) -> ConsentGatedNode:
    """``{% consent_gated "analytics" %}…{% endconsent_gated %}``: inert until consent.

    The content goes into a ``<template>``, which the browser does not run or load; the
    consent script puts it into the page once the visitor accepts the group, without a reload.
    """
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            f'{bits[0]} takes one argument, the cookie group, e.g. {{% {bits[0]} "analytics" %}}'
        )
    nodelist = parser.parse(("endconsent_gated",))
    parser.delete_first_token()
    return ConsentGatedNode(parser.compile_filter(bits[1]), nodelist)
