"""Validators for organisation settings, with messages an editor understands."""

from __future__ import annotations

import ipaddress
import re

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
    """The entries of an origins field as typed: one per line (or separated by spaces/commas)."""
    return [o.strip() for o in re.split(r"[\s,]+", value or "") if o.strip()]


_ORIGIN = re.compile(
    r"^(?P<scheme>[a-z]+)://(?P<wildcard>\*\.)?"
    r"(?P<host>\[[0-9a-f:.]+\]|[^\s/?#@:\[\]\\]+)(?::(?P<port>[0-9]{1,5}))?/?$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host(host: str) -> str | None:
    """``host`` as browsers write it in an origin (lower case, IDNA, IPv6 in brackets), or
    None when it is no host name or IP address."""
    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return None
    if re.fullmatch(r"[0-9.]+", host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            return None
    try:
        ascii_host = host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None
    return ascii_host


def normalise_origin(value: str, *, wildcard: bool = True) -> str | None:
    """``value`` as an origin ``scheme://host[:port]`` the way browsers compare them, or None.

    Accepted: http or https, a host name (international names in their IDNA form), an IPv4
    address or a bracketed IPv6 address, a port from 1 to 65535 (left out when it is the
    scheme's default), an optional trailing slash. Nothing else: no path, query, fragment,
    credentials, quotes or semicolons, so an origin can never change the meaning of the CSP
    header it is written into. With ``wildcard``, ``https://*.example.org`` is accepted too
    (every subdomain of example.org, at the default port; not example.org itself, and only
    under a domain of at least two labels).
    """
    match = _ORIGIN.match((value or "").strip())
    if match is None:
        return None
    scheme = match["scheme"].lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = _host(match["host"])
    if host is None:
        return None
    port = match["port"]
    if port is not None:
        if port.startswith("0") or not 1 <= int(port) <= 65535:
            return None
        if int(port) == _DEFAULT_PORTS[scheme]:
            port = None
    if match["wildcard"]:
        if not wildcard or scheme != "https" or port is not None:
            return None
        if host.startswith("[") or host.count(".") < 1 or re.fullmatch(r"[0-9.]+", host):
            return None
        host = f"*.{host}"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def origin_allowed(origin: str, allowed: list[str]) -> bool:
    """Whether the page at ``origin`` (a browser's ``location.origin``) is one of ``allowed``
    (normalised origins, wildcards matching every subdomain as CSP does)."""
    origin = normalise_origin(origin, wildcard=False)
    if origin is None:
        return False
    if origin in allowed:
        return True
    scheme, _, host = origin.partition("://")
    for entry in allowed:
        if entry.startswith("https://*.") and scheme == "https" and ":" not in host:
            if host.endswith(entry.removeprefix("https://*")):
                return True
    return False


def validate_origins(value: str) -> None:
    """Every entry must be an http(s) origin (see :func:`normalise_origin`)."""
    bad = [origin for origin in parse_origins(value) if normalise_origin(origin) is None]
    if bad:
        raise ValidationError(
            _(
                "These are not origins: %(origins)s. Write one per line as scheme and host, "
                "with a port from 1 to 65535 if needed, for example https://www.example.org "
                "or https://*.example.org for all its subdomains."
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
