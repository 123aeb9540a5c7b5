"""When a visitor's earlier choice stops counting, so the banner asks again.

Two things make a choice stale:

* a newer version of its cookie group. That is django-cookie-consent's versioning: a group's
  version is the time its newest cookie was declared (``CookieGroup.get_version()``), and the
  choice cookie keeps the version that was accepted. Declaring a cookie makes a new version by
  itself; :func:`ask_again_for_group` and :func:`ask_again_for_cookie` make one when an editor
  changed what a group or cookie is for;
* a newer *material* version of the privacy statement than the one the choice was made under
  (:func:`policy_marker`, kept in the choice cookie beside the groups).
"""

from __future__ import annotations

from cookie_consent.models import Cookie, CookieGroup
from django.utils import timezone
from wagtail.models import Site

from ..services.versions import latest_material_version
from .cache import invalidate


def ask_again_for_group(group: CookieGroup) -> bool:
    """Give ``group`` a new version, so every visitor who chose is asked about it again.

    The version is its newest cookie's declaration time, which is set to now. A group without
    cookies has no version to raise (nothing is stored for it): returns False then.
    """
    newest = group.cookie_set.order_by("-created", "-pk").first()
    if newest is None:
        return False
    return ask_again_for_cookie(newest)


def ask_again_for_cookie(cookie: Cookie) -> bool:
    """Mark ``cookie`` as declared now: its group's version becomes now. Always True."""
    now = timezone.now()
    # Through the queryset: django-cookie-consent's update() clears its own cache, and the
    # post_save of our signal handlers is not needed for a field nobody edits.
    Cookie.objects.filter(pk=cookie.pk).update(created=now)
    cookie.created = now
    invalidate()
    return True


def policy_marker(site: Site | int | None) -> int:
    """A number that grows with every material version of ``site``'s statements (0: none yet).

    A choice recorded with a smaller marker than the current one is asked for again.
    """
    version = latest_material_version(site)
    return version.pk if version is not None else 0
