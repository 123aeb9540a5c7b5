"""What the consent log keeps about the visitor: a network, not an address; a browser family,
not a user-agent string."""

from __future__ import annotations

import ipaddress
import re

IPV4_PREFIX = 24
IPV6_PREFIX = 48

# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = [
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(HeadlessChrome|Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bSafari/")),
]
_SYSTEMS = [
    ("Android", re.compile(r"\bAndroid\b")),
    ("iOS", re.compile(r"\b(iPhone|iPad|iPod)\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]


def ip_network(address: str) -> str:
    """``address``'s network as text: IPv4 to its /24 (``203.0.113.0/24``), IPv6 to its /48.

    An IPv4 address mapped into IPv6 is treated as IPv4. Anything that is not an IP address
    gives ``""``: the full address is never returned.
    """
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def browser_family(user_agent: str) -> str:
    """The browser and system families of a user-agent string, e.g. ``"Firefox on Windows"``.

    No versions, no device names: only enough to tell how a choice was made.
    """
    user_agent = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if pattern.search(user_agent)), "Other")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(user_agent)), "")
    return f"{browser} on {system}" if system else browser
