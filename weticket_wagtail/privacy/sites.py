"""Pages in a site, and their absolute URLs: what the statement page needs about its site.

Kept apart from the services so the page model can use it without importing them.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q
from wagtail.models import Page, PageQuerySet, Site

from weticket_wagtail.conf import weticket_settings


def site_tree_paths(page: Page) -> list[str]:
    """Tree paths of the root page, and its translations, of the site ``page`` is in.

    A page in no site is judged within its own top-level tree.
    """
    for site in Site.objects.select_related("root_page"):
        roots = [site.root_page.path]
        roots += site.root_page.get_translations().values_list("path", flat=True)
        if any(page.path.startswith(path) for path in roots):
            return roots
    return [page.path[: Page.steplen * 2]] if page.depth >= 2 else [page.path]


def pages_in_site_of(
    page: Page, page_type: type[Page], locale_id: int | None = None
) -> PageQuerySet:
    """Pages of ``page_type`` (or its subclasses) in the site of ``page``, in ``locale_id`` if
    given: how the statement page keeps to one per site and language."""
    paths = site_tree_paths(page)
    pages = Page.objects.type(page_type).filter(
        reduce(or_, (Q(path__startswith=path) for path in paths))
    )
    if locale_id is not None:
        pages = pages.filter(locale_id=locale_id)
    return pages


def absolute_page_url(page: Page, subpath: str = "") -> str:
    """``page``'s absolute URL (plus a route such as ``versions/3/``), for emails.

    Built on ``WETICKET["PUBLIC_BASE_URL"]`` when set, as the other emails are, else on the
    page's site.
    """
    parts = page.get_url_parts()
    if parts is None:
        return ""
    _site, root_url, page_path = parts
    base = (weticket_settings.PUBLIC_BASE_URL or root_url or "").rstrip("/")
    return f"{base}{page_path}{subpath}"
