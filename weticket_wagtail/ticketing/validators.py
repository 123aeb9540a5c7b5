"""Validators for organisation settings, with messages an editor understands."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def validate_hex_colour(value: str) -> None:
    """Accept ``#rgb`` or ``#rrggbb``."""
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(
            _("“%(value)s” is not a colour. Use a hex colour such as #1d4ed8."),
            code="invalid_colour",
            params={"value": value},
        )


def parse_origins(value: str) -> list[str]:
    """One origin per line (or separated by spaces/commas), normalised to scheme://host[:port]."""
    return [o.strip().rstrip("/") for o in re.split(r"[\s,]+", value or "") if o.strip()]


def validate_origins(value: str) -> None:
    """Every entry must be an http(s) origin: scheme and host, no path."""
    bad = []
    for origin in parse_origins(value):
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            bad.append(origin)
        elif parts.query or parts.fragment or parts.username:
            bad.append(origin)
    if bad:
        raise ValidationError(
            _(
                "These are not origins: %(origins)s. Write one per line as scheme and host, "
                "for example https://www.example.org"
            ),
            code="invalid_origin",
            params={"origins": ", ".join(bad)},
        )


RESERVED_SLUGS = frozenset({"checkout", "order", "embed", "webhooks", "static", "admin"})


def validate_not_reserved_slug(value: str) -> None:
    """Organisation slugs share a URL space with the checkout's own paths."""
    if value in RESERVED_SLUGS:
        raise ValidationError(
            _("“%(value)s” is reserved; choose another slug."),
            code="reserved_slug",
            params={"value": value},
        )
