"""A new privacy statement page starts as a complete starter statement in its language, with
placeholders for the organisation's details that must be filled in before it is published."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Locale, Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from weticket_wagtail.privacy.models import PrivacyStatementPage
from weticket_wagtail.privacy.starter import (
    placeholders_left,
    starter_language,
    starter_statement,
    statement_texts,
)
from weticket_wagtail.testing.factories import UserFactory

pytestmark = pytest.mark.django_db
FIRST_HEADING = {"nl": "Wie wij zijn", "en": "Who we are"}
LAST_HEADING = {"nl": "Over deze website", "en": "About this website"}


@pytest.fixture
def admin_user():
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


def home_in(language: str) -> Page:
    """A home page of its own in ``language``, as a translated site has."""
    locale, _ = Locale.objects.get_or_create(language_code=language)
    root = Page.get_first_root_node()
    return root.add_child(
        instance=Page(title=f"Home {language}", slug=f"home-{language}", locale=locale)
    )


def add_url(parent: Page) -> str:
    return reverse(
        "wagtailadmin_pages:add", args=("weticket_privacy", "privacystatementpage", parent.pk)
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_new_statement_page_starts_as_the_starter_in_the_pages_language(
    client, admin_user, language
):
    client.force_login(admin_user)
    response = client.get(add_url(home_in(language)))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["title"] == {"nl": "Privacyverklaring", "en": "Privacy statement"}[language]
    sections = [block.value["heading"] for block in initial["body"]]
    assert len(sections) == 14
    assert (sections[0], sections[-1]) == (FIRST_HEADING[language], LAST_HEADING[language])
    assert FIRST_HEADING[language] in response.content.decode()  # in the editor's data


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_starter_is_a_valid_statement_that_shows_every_live_block(rf, processor, language):
    home = home_in(language)
    text = starter_statement(language)
    page = home.add_child(instance=PrivacyStatementPage(**text, live=False))
    page.full_clean()
    page.save_revision().publish()
    response = page.serve(rf.get("/privacy/"))
    html = response.render().content.decode()
    assert html.count('class="weticket-statement__section"') == 14
    assert "Cijferwerk" in html  # the processor register
    assert "Autoriteit Persoonsgegevens" in html  # the contact block's authority
    name = {"nl": "[Naam organisatie]", "en": "[Organisation name]"}[language]
    assert name in html  # the placeholders show until they are filled in


def test_both_languages_have_the_same_fourteen_sections_and_blocks():
    shapes = {}
    for language in ("nl", "en"):
        body = starter_statement(language)["body"]
        shapes[language] = [
            (section["anchor"] != "", [kind for kind, _value in section["content"]])
            for _kind, section in body
        ]
        anchors = [section["anchor"] for _kind, section in body]
        assert len(set(anchors)) == 14
    assert shapes["nl"] == shapes["en"]
    kinds = {kind for _has_anchor, blocks in shapes["en"] for kind in blocks}
    assert kinds == {"text", "contact", "data_categories", "retention", "processors"}


def test_the_language_falls_back_from_the_locale_to_the_editor_to_english():
    assert starter_language("nl-be", "en") == "nl"
    assert starter_language("de", "en-gb") == "en"
    assert starter_language("fr", None) == "en"


def statement_post(intro: str, text: str, *, publish: bool) -> dict:
    data = {
        "title": "Privacy statement",
        "slug": "privacy",
        "intro": rich_text(intro),
        "body": streamfield(
            [
                (
                    "section",
                    {
                        "heading": "Who we are",
                        "anchor": "",
                        "content": streamfield([("text", rich_text(text))]),
                    },
                )
            ]
        ),
        "comments": inline_formset([]),
        "change_summary": "",
    }
    if publish:
        data["action-publish"] = "publish"
    return nested_form_data(data)


def test_publishing_with_placeholders_left_is_refused_but_a_draft_is_saved(client, admin_user):
    client.force_login(admin_user)
    url = add_url(home_in("en"))
    unfinished = "<p>[Organisation name] sells tickets. Address: [Street and number].</p>"
    refused = client.post(url, statement_post("<p>Hello.</p>", unfinished, publish=True))
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Fill in the placeholders before publishing" in body
    assert "[Organisation name], [Street and number]" in body
    assert not PrivacyStatementPage.objects.exists()

    draft = client.post(url, statement_post("<p>Hello.</p>", unfinished, publish=False))
    assert draft.status_code == 302
    assert not PrivacyStatementPage.objects.get().live

    PrivacyStatementPage.objects.all().delete()
    done = "<p>Stichting Licht sells tickets. Address: Plein 1, Utrecht.</p>"
    published = client.post(url, statement_post("<p>Hello.</p>", done, publish=True))
    assert published.status_code == 302
    assert PrivacyStatementPage.objects.get().live


def test_placeholders_are_found_in_text_not_in_data():
    text = starter_statement("en")
    texts = statement_texts(text["intro"], PrivacyStatementPage(body=text["body"]).body)
    found = placeholders_left(texts)
    assert "[Organisation name]" in found and "[KvK number]" in found
    assert not any('"' in placeholder for placeholder in found)
    assert placeholders_left(["<p>A link [<a href='x'>here</a>] is fine.</p>"]) == []
