"""The visitor's choice: kept in django-cookie-consent's choice cookie, proven by a record.

The choice cookie is django-cookie-consent's own (``COOKIE_CONSENT_NAME``, default
``cookie_consent``), in its own format ``<group>=<version>|<group>=-1``: its template filters
(``request|cookie_group_accepted:"analytics"``) and middleware read it as usual. Two entries
are ours, with keys no group can have (a group's varname has no dot):

* ``.id``: the consent id, random, kept for every later choice in this browser;
* ``.policy``: the :func:`~.reconsent.policy_marker` the choice was made under.

Unlike django-cookie-consent's, the cookie is readable by the page's script (not HttpOnly):
the banner decides in the browser whether to ask, so that cached pages carry no visitor's
state. It holds nothing secret.
"""

from __future__ import annotations

import fnmatch
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from cookie_consent.cache import all_cookie_groups
from cookie_consent.conf import settings as cookie_consent_settings
from cookie_consent.models import CookieGroup
from cookie_consent.util import get_cookie_dict_from_request, set_cookie_dict_to_response
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from wagtail.models import Site

from weticket_wagtail.ratelimit import client_address

from ..services.versions import version_in_force
from .models import ConsentRecord
from .reconsent import policy_marker
from .visitor import browser_family, ip_network

CONSENT_ID_KEY = ".id"
POLICY_KEY = ".policy"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
CONSENT_ID_RE = re.compile(rf"^[{_ALPHABET}]{{4}}(-[{_ALPHABET}]{{4}}){{3}}$")


def new_consent_id() -> str:
    """A random consent id such as ``K7QF-2M9X-TB4R-8HZP`` (80 bits)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class StoredChoice:
    """What a choice cookie says, judged against the groups' current versions."""

    consent_id: str
    accepted: dict[str, str]  # varname -> the version accepted (current)
    declined: list[str]
    undecided: list[str]  # never chosen, or chosen for an older version
    stale_policy: bool  # made under an older material statement version: counts for nothing


def _is_policy_stale(entries: dict[str, str], marker: int) -> bool:
    try:
        return int(entries.get(POLICY_KEY) or 0) < marker
    except ValueError:
        return True


def read_choice(entries: dict[str, str], groups: Iterable[CookieGroup], marker: int):
    """Judge the cookie ``entries`` against ``groups`` (the optional ones) and ``marker``."""
    stale = _is_policy_stale(entries, marker)
    consent_id = entries.get(CONSENT_ID_KEY, "")
    accepted, declined, undecided = {}, [], []
    for group in groups:
        stored = None if stale else entries.get(group.varname)
        if stored == cookie_consent_settings.COOKIE_CONSENT_DECLINE:
            declined.append(group.varname)
        elif stored is not None and stored >= group.get_version():
            accepted[group.varname] = stored
        else:
            undecided.append(group.varname)
    return StoredChoice(
        consent_id=consent_id if CONSENT_ID_RE.match(consent_id) else "",
        accepted=accepted,
        declined=declined,
        undecided=undecided,
        stale_policy=stale,
    )


def _delete_group_cookies(request: HttpRequest, response: HttpResponse, group: CookieGroup):
    """Ask the browser to drop a declined group's cookies; ``*`` in a name is a wildcard."""
    if not group.is_deletable:
        return
    for cookie in group.cookie_set.all():
        names = (
            fnmatch.filter(request.COOKIES, cookie.name) if "*" in cookie.name else [cookie.name]
        )
        for name in names:
            if name in request.COOKIES:
                response.delete_cookie(name, cookie.path or "/", cookie.domain or None)


def record_choice(
    request: HttpRequest,
    response: HttpResponse,
    *,
    accept: Iterable[str] = (),
    decline: Iterable[str] = (),
    method: str = ConsentRecord.Method.CUSTOM,
) -> ConsentRecord:
    """Apply a visitor's choice to the choice cookie on ``response`` and record it, once.

    ``accept`` and ``decline`` name optional cookie groups (unknown names are ignored; a group
    in both is declined). Groups named in neither keep what the visitor chose before, unless
    that choice was made under an older material statement version: then it is dropped.
    Guarantees: exactly one :class:`ConsentRecord` is inserted, holding the groups accepted and
    declined after this choice with their versions, the statement version in force, the
    consent id (the visitor's earlier one, or a new one), the IP network and browser family,
    never the full IP address; the cookies of declined groups are deleted.
    """
    groups = dict(all_cookie_groups())
    declined_now = {name for name in decline if name in groups}
    accepted_now = {name for name in accept if name in groups} - declined_now
    site = Site.find_for_request(request)
    marker = policy_marker(site)
    entries = get_cookie_dict_from_request(request)
    before = read_choice(entries, groups.values(), marker)
    if before.stale_policy:
        entries = {k: v for k, v in entries.items() if k == CONSENT_ID_KEY}
    for name in accepted_now:
        entries[name] = groups[name].get_version()
    for name in declined_now:
        entries[name] = cookie_consent_settings.COOKIE_CONSENT_DECLINE
        _delete_group_cookies(request, response, groups[name])
    consent_id = before.consent_id or new_consent_id()
    entries[CONSENT_ID_KEY] = consent_id
    entries[POLICY_KEY] = str(marker)
    after = read_choice(entries, groups.values(), marker)

    set_cookie_dict_to_response(response, entries)
    response.cookies[cookie_consent_settings.COOKIE_CONSENT_NAME]["httponly"] = False

    language = (translation.get_language() or "").split("-")[0]
    return ConsentRecord.objects.create(
        consent_id=consent_id,
        method=method,
        accepted=after.accepted,
        declined={name: groups[name].get_version() for name in after.declined},
        policy_version=version_in_force(site, language),
        site=site,
        language=language,
        ip_prefix=ip_network(client_address(request)),
        user_agent_family=browser_family(request.headers.get("User-Agent", "")),
    )
