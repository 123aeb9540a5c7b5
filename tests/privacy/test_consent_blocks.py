"""Content behind consent (the gated embed, marketing pixels, the template tag) and the
statement's live cookie list."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from wagtail.blocks import StructBlockValidationError
from wagtail.models import Locale

from weticket_wagtail.blocks.models import BrandedTicketPage
from weticket_wagtail.privacy.consent.blocks import (
    ConsentGatedEmbedBlock,
    video_embed_url,
)
from weticket_wagtail.privacy.models import PolicyVersion, PrivacyStatementPage
from weticket_wagtail.testing.factories import OrganisationFactory

from .conftest import publish, section

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://youtu.be/aqz-KE-bpKQ?t=3", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://m.youtube.com/shorts/aqz-KE-bpKQ", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://video.example.org/embed/1", "https://video.example.org/embed/1"),
        ("http://video.example.org/embed/1", ""),
        ("https://www.youtube.com/watch?v=<script>", ""),
    ],
)  # fmt: skip
def test_video_embed_url(url, embed):
    assert video_embed_url(url) == embed


def render_block(block, value: dict) -> str:
    request = RequestFactory().get("/")
    return block.render(block.to_python(value), context={"request": request})


def test_a_gated_video_is_inert_with_a_placeholder_until_consent(consent_groups):
    html = render_block(
        ConsentGatedEmbedBlock(),
        {
            "kind": "video",
            "group": "marketing",
            "url": "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
            "html": "",
            "title": "Aftermovie",
        },
    )
    inert = html.split('<template data-weticket-consent="marketing">', 1)[1].split("</template>")[0]
    assert 'src="https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"' in inert
    assert 'title="Aftermovie"' in inert
    outside = html.replace(inert, "")
    assert "<iframe" not in outside and "youtube-nocookie.com/embed" not in outside
    assert "data-weticket-load-once" in outside and 'data-weticket-allow="marketing"' in outside
    assert "Load this video once" in outside and "www.youtube-nocookie.com" in outside


def test_a_gated_script_is_only_a_template(consent_groups):
    html = render_block(
        ConsentGatedEmbedBlock(),
        {
            "kind": "script",
            "group": "analytics",
            "url": "https://tags.example.org/t.js",
            "html": "",
            "title": "",
        },
    )
    assert html.strip() == (
        '<template data-weticket-consent="analytics">'
        '<script async src="https://tags.example.org/t.js"></script></template>'
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"kind": "video", "url": "https://example.org/not-a-video", "group": "marketing"}, None),
        ({"kind": "video", "url": "", "group": "marketing"}, "url"),
        ({"kind": "map", "url": "http://maps.example.org/embed", "group": "marketing"}, "url"),
        ({"kind": "script", "url": "", "html": "", "group": "marketing"}, "html"),
    ],
)
def test_a_gated_embed_says_what_is_missing(consent_groups, value, field):
    block = ConsentGatedEmbedBlock()
    value = {"html": "", "title": "", **value}
    if field is None:  # an https page of another site may be embedded as it is
        block.clean(block.to_python(value))
        return
    with pytest.raises(StructBlockValidationError) as raised:
        block.clean(block.to_python(value))
    assert field in raised.value.block_errors


def test_an_organisations_pixel_on_its_branded_page_waits_for_marketing(client, home):
    from weticket_wagtail.privacy.models import ConsentSettings

    page = home.add_child(
        instance=BrandedTicketPage(
            title="Tickets",
            slug="tickets",
            organisation=OrganisationFactory(),
            marketing_pixels=[
                ("pixel", {"kind": "pixel", "url": "https://px.example.org/p.gif", "html": ""}),
                ("pixel", {"kind": "script", "url": "", "html": "<script src='https://px.example.org/p.js'></script>"}),
            ],
        )
    )  # fmt: skip
    ConsentSettings.objects.create(site=home.get_site(), show_banner=True)
    html = client.get(page.url).content.decode()
    gated = html.split('<template data-weticket-consent="marketing">')
    assert len(gated) == 3
    assert '<img src="https://px.example.org/p.gif"' in gated[1]
    assert "https://px.example.org/p.js" in gated[2]
    before = gated[0]
    assert "px.example.org" not in before
    assert before.index("weticket-consent-config") < before.index("<title>")  # defaults first
    assert "data-weticket-consent-open" in html  # the cookie settings in the footer


def test_the_consent_gated_tag_makes_its_content_inert():
    template = Template(
        "{% load weticket_consent %}{% consent_gated group %}"
        '<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>'
        "{% endconsent_gated %}{% cookie_settings_link %}"
    )
    html = template.render(Context({"group": "analytics"}))
    assert html.startswith(
        '<template data-weticket-consent="analytics"><script src="https://www.googletagmanager.com'
    )
    assert html.endswith(
        '<button type="button" class="weticket-cookie-settings" data-weticket-consent-open '
        'aria-haspopup="dialog">Cookie settings</button>'
    )
    with pytest.raises(TemplateSyntaxError):
        Template("{% load weticket_consent %}{% consent_gated %}x{% endconsent_gated %}")


def test_the_statement_lists_the_live_cookies_in_its_language(consent_groups, home):
    statement = home.add_child(
        instance=PrivacyStatementPage(
            title="Privacy statement",
            slug="privacy",
            body=[section("Cookies", "<p>These are our cookies.</p>", ("cookies", None))],
            live=False,
        )
    )
    publish(statement)
    version = PolicyVersion.objects.get(page=statement)
    assert "Analytics" in version.rendered_text and "_ga" in version.rendered_text
    assert "Tells one visitor from another" in version.rendered_html or "tells one visitor" in (
        version.rendered_html
    )
    assert "cookie_consent" in version.rendered_text  # functional cookies are listed too

    nl = Locale.objects.get_or_create(language_code="nl")[0]
    dutch = statement.copy_for_translation(nl, copy_parents=True)
    publish(dutch.specific)
    dutch_text = PolicyVersion.objects.get(page=dutch).rendered_text
    assert "Analytisch" in dutch_text and "onderscheidt bezoekers" in dutch_text
