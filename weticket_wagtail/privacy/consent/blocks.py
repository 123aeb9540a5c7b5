"""StreamField blocks for consent: embeds that wait for it, and the statement's cookie list.

* :class:`ConsentGatedEmbedBlock`: a video, a map, a marketing pixel or a script that stays
  inert until the visitor accepts the block's cookie group. Videos and maps show a
  placeholder with "load this once" and "always allow" meanwhile.
* :class:`MarketingPixelBlock`: an organisation's own pixel or tag, always behind the
  marketing group (the branded ticket page offers it).
* :class:`CookieListBlock`: the live list of cookie groups and cookies, for the statement.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from .catalogue import cookie_groups, group_names

# The statement's blocks are loaded with the privacy models; they read the cookie groups
# through .catalogue, which knows nothing of statements, so no import runs back to the models.

MARKETING = "marketing"
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def optional_group_choices() -> list[tuple[str, str]]:
    """The cookie groups a visitor may refuse, for the editor to choose from."""
    from cookie_consent.models import CookieGroup

    return [
        (group.varname, group.name or group.varname)
        for group in CookieGroup.objects.filter(is_required=False).order_by("ordering", "pk")
    ]


def video_embed_url(url: str) -> str:
    """The embed address of a video page: YouTube without cookies until play, Vimeo with
    "do not track"; another https address as it is; ``""`` if it cannot be embedded."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host == "youtu.be":
        video_id = parts.path.strip("/").split("/")[0]
    elif host in ("youtube.com", "youtube-nocookie.com"):
        if parts.path == "/watch":
            video_id = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            segments = parts.path.strip("/").split("/")
            if len(segments) >= 2 and segments[0] in ("embed", "shorts", "live"):
                video_id = segments[1]
    if video_id:
        return (
            f"https://www.youtube-nocookie.com/embed/{video_id}"
            if _YOUTUBE_ID.match(video_id)
            else ""
        )
    if host in ("vimeo.com", "player.vimeo.com"):
        digits = [s for s in parts.path.split("/") if s.isdigit()]
        return f"https://player.vimeo.com/video/{digits[0]}?dnt=1" if digits else ""
    return url if parts.scheme == "https" and host else ""


def _address_block() -> blocks.URLBlock:
    return blocks.URLBlock(
        required=False,
        label=_("Address"),
        help_text=_("The page of the video, the embed address of the map, or the pixel's URL."),
    )


def _html_block() -> blocks.RawHTMLBlock:
    return blocks.RawHTMLBlock(
        required=False,
        label=_("HTML"),
        help_text=_(
            "For a script: the tags the provider gives you. Runs only after consent. Inline "
            "scripts need a Content-Security-Policy that allows them; prefer a script address."
        ),
    )


class GatedContentBlock(blocks.StructBlock):
    """What every gated block does: render its address or HTML inert until consent.

    Subclasses declare ``kind`` (what it is), ``url`` and ``html``."""

    def group_of(self, value) -> str:
        return MARKETING

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        kind, url = value.get("kind"), value.get("url") or ""
        if kind in ("video", "map", "pixel") and not url:
            errors["url"] = ValidationError(_("Give the address."))
        elif kind == "video" and not video_embed_url(url):
            errors["url"] = ValidationError(_("Give a YouTube or Vimeo link, or an https address."))
        elif kind in ("map", "pixel") and urlsplit(url).scheme != "https":
            errors["url"] = ValidationError(_("Give an https address."))
        elif kind == "script" and not (url or value.get("html")):
            errors["html"] = ValidationError(_("Give the script's address or its HTML."))
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    def markup(self, value) -> str:
        """The content as it will be put into the page after consent."""
        kind, url, title = value.get("kind"), value.get("url") or "", value.get("title") or ""
        if kind == "video":
            return format_html(
                '<iframe src="{}" title="{}" loading="lazy" allowfullscreen '
                'allow="autoplay; encrypted-media; picture-in-picture; fullscreen" '
                'referrerpolicy="strict-origin-when-cross-origin"></iframe>',
                video_embed_url(url),
                title or _("Video"),
            )
        if kind == "map":
            return format_html(
                '<iframe src="{}" title="{}" loading="lazy" '
                'referrerpolicy="strict-origin-when-cross-origin"></iframe>',
                url,
                title or _("Map"),
            )
        if kind == "pixel":
            return format_html('<img src="{}" alt="" width="1" height="1">', url)
        script = format_html('<script async src="{}"></script>', url) if url else ""
        return mark_safe(script + (value.get("html") or ""))  # noqa: S308 - the editor's HTML

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        group = self.group_of(value)
        names = group_names(translation.get_language() or "")
        url = value.get("url") or ""
        context.update(
            group=group,
            group_name=names.get(group, group),
            kind=value.get("kind"),
            markup=self.markup(value),
            provider=(urlsplit(video_embed_url(url) or url).hostname or "")
            if value.get("kind") in ("video", "map")
            else "",
        )
        return context

    class Meta:
        template = "weticket_wagtail/privacy/consent/gated_embed.html"


class ConsentGatedEmbedBlock(GatedContentBlock):
    """A video, map, pixel or script that loads only after the visitor accepts its group."""

    kind = blocks.ChoiceBlock(
        choices=[
            ("video", _("Video (YouTube, Vimeo)")),
            ("map", _("Map")),
            ("pixel", _("Marketing pixel (image)")),
            ("script", _("Script")),
        ],
        default="video",
        label=_("What"),
    )
    group = blocks.ChoiceBlock(
        choices=optional_group_choices,
        default=MARKETING,
        label=_("Cookie group"),
        help_text=_("Loaded only for visitors who accept this group."),
    )
    url = _address_block()
    html = _html_block()
    title = blocks.CharBlock(
        required=False,
        max_length=120,
        label=_("Title"),
        help_text=_("What the video or map shows, for screen readers and below it."),
    )

    def group_of(self, value) -> str:
        return value.get("group") or MARKETING

    class Meta:
        icon = "media"
        label = _("Consent-gated embed")
        description = _(
            "A video, map, pixel or script that loads only after the visitor's consent."
        )
        template = "weticket_wagtail/privacy/consent/gated_embed.html"


class MarketingPixelBlock(GatedContentBlock):
    """An organisation's own advertising pixel or tag: only for visitors who accept marketing."""

    kind = blocks.ChoiceBlock(
        choices=[("pixel", _("Pixel (image address)")), ("script", _("Script"))],
        default="script",
        label=_("What"),
    )
    url = _address_block()
    html = _html_block()

    class Meta:
        icon = "code"
        label = _("Marketing pixel")
        description = _("Loaded only for visitors who accept marketing cookies.")
        template = "weticket_wagtail/privacy/consent/gated_embed.html"


def consent_blocks() -> list[tuple[str, blocks.Block]]:
    """The gated embed, ready to add to any StreamField::

    body = StreamField([("paragraph", RichTextBlock()), *consent_blocks()])
    """
    return [("consent_embed", ConsentGatedEmbedBlock())]


class CookieListBlock(blocks.StaticBlock):
    """The cookie groups and their cookies as they are now, in the page's language."""

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        page = (parent_context or {}).get("page")
        locale = getattr(page, "locale", None)
        context["groups"] = cookie_groups(getattr(locale, "language_code", "") or "")
        return context

    class Meta:
        icon = "list-ul"
        label = _("Cookie list")
        group = _("Live data")
        admin_text = _("Shows the cookie groups and cookies from Privacy → Cookie groups.")
        description = _("The cookies this site uses, by group, and what each is for.")
        template = "weticket_wagtail/privacy/consent/cookie_list.html"
