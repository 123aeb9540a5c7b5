"""Versions of the privacy statement: recording them, and finding the one in force.

A version is recorded when a statement page is published and what the public sees changed
(:func:`record_version`, called from the ``page_published`` signal, so publishing from the
admin, a scheduled publish and ``revision.publish()`` in code all count). It keeps the text
exactly as it was rendered, live blocks included, so the archive can show it unchanged for ever.
"""

from __future__ import annotations

import hashlib

from bs4 import BeautifulSoup
from django.conf import settings
from django.db import transaction
from django.db.models import Case, IntegerField, When
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Page

from weticket_wagtail.tasks_runtime import run_task

from ..models import AbstractPrivacyStatementPage, NotificationCampaign, PolicyVersion
from ..sites import absolute_page_url, in_site_filter

BODY_TEMPLATE = "weticket_wagtail/privacy/statement_body.html"
_TEXT_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "tr", "caption"]


# --- recording -----------------------------------------------------------------------------------


def render_statement(page: AbstractPrivacyStatementPage) -> str:
    """The statement's text as the public sees it (introduction, contents, sections), as HTML.

    Rendered in the page's language, without a request, with the live blocks' current data.
    The live page includes the same template, so what is recorded is what was shown.
    """
    with translation.override(page.locale.language_code):
        return render_to_string(
            BODY_TEMPLATE, {"page": page, "self": page, "sections": page.sections()}
        )


def statement_text(html: str) -> str:
    """Readable plain text of rendered ``html``: one line per heading, paragraph, item or row.

    Headings start with ``#`` (one per level), list items with ``- ``; the table of contents
    (``<nav>``) is left out, as it only repeats the headings. This is what diffs compare.
    """
    soup = BeautifulSoup(html, "html.parser")
    for nav in soup.find_all("nav"):
        nav.decompose()
    lines = []
    for element in soup.find_all(_TEXT_BLOCKS):
        if element.find(_TEXT_BLOCKS):
            continue  # a container: the blocks inside it are lines of their own
        if element.name == "tr":
            cells = element.find_all(["th", "td"])
            text = " | ".join(" ".join(cell.get_text(" ").split()) for cell in cells)
        else:
            text = " ".join(element.get_text(" ").split())
        if not text:
            continue
        if element.name[0] == "h" and element.name[1:].isdigit():
            text = "#" * int(element.name[1:]) + " " + text
        elif element.name == "li":
            text = "- " + text
        lines.append(text)
    return "\n".join(lines)


def content_hash(title: str, html: str) -> str:
    """SHA-256 of what the public sees: the title and the rendered text, whitespace folded."""
    folded = " ".join(html.split())
    return hashlib.sha256(f"{title}\n{folded}".encode()).hexdigest()


def record_version(
    page: AbstractPrivacyStatementPage, *, revision=None, user=None
) -> PolicyVersion | None:
    """Record the just-published ``page`` as its next version, unless nothing visible changed.

    Guarantees: versions of a page are numbered 1, 2, 3 … without gaps, also when two
    publishes race (they are serialised on the page row); a publish whose rendered text and
    title equal the latest version's records nothing and returns ``None``. The summary and the
    material flag come from the published content; the first version is never material. A
    material version starts its notification campaign after the commit.
    """
    return record_statement(
        page,
        summary=page.change_summary or "",
        material=bool(page.change_is_material),
        revision_id=getattr(revision, "pk", None),
        user=user or getattr(revision, "user", None),
    )


def record_statement(
    page: AbstractPrivacyStatementPage,
    *,
    summary: str = "",
    material: bool = False,
    revision_id: int | None = None,
    user=None,
) -> PolicyVersion | None:
    """Record ``page`` as it renders now as its next version, unless nothing visible changed.

    The engine of :func:`record_version` and of register changes
    (:mod:`.register_changes`): the page row is locked, the statement rendered with the live
    blocks' data as this transaction sees it, and compared with the latest version's hash.
    """
    with transaction.atomic():
        Page.objects.select_for_update().filter(pk=page.pk).values_list("pk").first()
        html = render_statement(page)
        digest = content_hash(page.title, html)
        latest = PolicyVersion.objects.filter(page_id=page.pk).order_by("-number").first()
        if latest is not None and latest.content_hash == digest:
            return None
        number = latest.number + 1 if latest is not None else 1
        version = PolicyVersion.objects.create(
            page_id=page.pk,
            number=number,
            locale_id=page.locale_id,
            title=page.title,
            rendered_html=html,
            rendered_text=statement_text(html),
            body_json=page.body.get_prep_value(),
            content_hash=digest,
            revision_id=revision_id,
            published_by=_person(user),
            change_summary=(summary or "").strip(),
            is_material=bool(material) and number > 1,
        )
        if version.is_material:
            start_campaign(version)
    return version


def start_campaign(version: PolicyVersion) -> NotificationCampaign | None:
    """Create the campaign of a material ``version`` and start it after the commit.

    Call it in the transaction that recorded the version. Idempotent: a version has at most one
    campaign, and only its creation starts a task. Non-material versions get none.
    """
    if not version.is_material:
        return None
    campaign, created = NotificationCampaign.objects.get_or_create(version=version)
    if created:
        run_task("weticket_wagtail.privacy.tasks.run_campaign_task", campaign.pk)
    return campaign


def _person(user) -> str:
    if user is None:
        return ""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    username = user.get_username()
    return f"{full_name} ({username})" if full_name and full_name != username else username


# --- what is in force ------------------------------------------------------------------------


def _content_language(language: str) -> str:
    try:
        return get_supported_content_language_variant(language or settings.LANGUAGE_CODE)
    except LookupError:
        return ""


def _language_preference(field: str, language: str) -> Case:
    """0 for the wanted language, 1 for the site's default language, 2 for any other."""
    return Case(
        When(**{field: _content_language(language)}, then=0),
        When(**{field: _content_language(settings.LANGUAGE_CODE)}, then=1),
        default=2,
        output_field=IntegerField(),
    )


def version_in_force(site=None, language: str = "") -> PolicyVersion | None:
    """The version of the privacy statement in force for ``site`` in ``language``, or ``None``.

    ``site`` is a ``Site``, its primary key, a request, or ``None`` for the default site. The
    statement in ``language`` if the site has one, else the one in the site's default language,
    else any; its latest version. Costs one query (Wagtail caches the site root paths), so the
    order service can call it for every order.
    """
    in_site = in_site_filter(site, "page__")
    if in_site is None:
        return None
    return (
        PolicyVersion.objects.filter(in_site, page__live=True)
        .annotate(_preference=_language_preference("locale__language_code", language))
        .order_by("_preference", "-number", "-pk")
        .first()
    )


def latest_material_version(site=None) -> PolicyVersion | None:
    """The newest *material* version of any live statement of ``site`` (any language), or ``None``.

    Cookie consent asks every visitor again once a newer material version exists than the one
    their choice was made under. Costs one query.
    """
    in_site = in_site_filter(site, "page__")
    if in_site is None:
        return None
    return (
        PolicyVersion.objects.filter(in_site, page__live=True, is_material=True)
        .order_by("-pk")
        .first()
    )


def statement_page(site=None, language: str = "") -> Page | None:
    """The live privacy statement page for ``site`` in ``language`` (same fallbacks as above)."""
    in_site = in_site_filter(site, "")
    if in_site is None:
        return None
    return (
        Page.objects.live()
        .type(AbstractPrivacyStatementPage)
        .filter(in_site)
        .annotate(_preference=_language_preference("locale__language_code", language))
        .order_by("_preference", "path")
        .first()
    )


def statement_url(request_or_site=None, language: str = "") -> str:
    """Where to link to the privacy statement (checkout, footers); ``""`` when there is none.

    Given a request, the URL is relative when the statement is on the request's site; given a
    site or nothing, it is absolute (:func:`absolute_page_url`). ``language`` defaults to the
    active language.
    """
    page = statement_page(request_or_site, language or translation.get_language() or "")
    if page is None:
        return ""
    if isinstance(request_or_site, HttpRequest):
        return page.get_url(request=request_or_site) or ""
    return absolute_page_url(page)
