"""The demo's cookie consent: the banner on, Google Analytics and a YouTube video behind it.

:func:`seed_consent` switches the banner on for the default site, gives it a demo Google
Analytics measurement id (which loads only after a visitor accepts analytics cookies) and
publishes a page with a YouTube video in a consent-gated embed block (loaded after "load this
video once" or once marketing cookies are accepted). Safe to run again.
"""

from __future__ import annotations

from wagtail.models import Locale, Page, Site

from home.models import ContentPage
from weticket_wagtail.privacy.models import ConsentSettings

#: A made-up measurement id: Google receives hits for no real property.
DEMO_MEASUREMENT_ID = "G-WETICKET01"
VIDEO_URL = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"  # Big Buck Bunny, Blender Foundation
VIDEO_SLUG = "aftermovie"


def seed_consent(home: Page, site: Site) -> ContentPage:
    """Switch the banner on for ``site`` and publish the video page under ``home``."""
    ConsentSettings.objects.update_or_create(
        site=site,
        defaults={"show_banner": True, "google_analytics_id": DEMO_MEASUREMENT_ID},
    )
    page = _publish(home, "nl")
    for locale in Locale.objects.exclude(pk=page.locale_id):
        if locale.language_code in INTRO and home.get_translation_or_none(locale) is not None:
            translation = page.get_translation_or_none(locale)
            if translation is None:
                translation = page.copy_for_translation(locale)
            _publish(home, locale.language_code, translation.specific)
    return page


INTRO = {
    "nl": "<p>Een korte film over de zomeravonden. De video komt van YouTube en laadt pas als u "
    "dat wilt: eenmalig met de knop, of altijd als u marketingcookies accepteert.</p>",
    "en": "<p>A short film about the summer evenings. The video comes from YouTube and loads "
    "only when you want it to: once with the button, or always if you accept marketing "
    "cookies.</p>",
}


def _publish(home: Page, language: str, page: ContentPage | None = None) -> ContentPage:
    body = [
        ("paragraph", INTRO[language]),
        (
            "consent_embed",
            {
                "kind": "video",
                "group": "marketing",
                "url": VIDEO_URL,
                "html": "",
                "title": "Aftermovie (Big Buck Bunny)",
            },
        ),
    ]
    if page is None:
        page = ContentPage.objects.child_of(home).filter(slug=VIDEO_SLUG).first()
    if page is None:
        page = home.add_child(instance=ContentPage(title="Aftermovie", slug=VIDEO_SLUG, body=body))
    else:
        page.body = body
    page.save_revision().publish()
    return page
