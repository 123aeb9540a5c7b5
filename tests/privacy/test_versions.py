"""Publishing the statement records immutable versions; the archive shows them as they were."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Locale
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from weticket_wagtail.privacy.models import (
    PolicyVersion,
    PolicyVersionImmutable,
    PrivacyStatementPage,
    Processor,
)
from weticket_wagtail.privacy.services.versions import (
    statement_url,
    version_in_force,
)
from weticket_wagtail.testing.factories import UserFactory

from .conftest import publish, raw_section, section

pytestmark = pytest.mark.django_db


def test_publishing_records_version_one_with_the_text_as_the_public_read_it(home, processor):
    editor = UserFactory(username="editor", first_name="Eva", last_name="de Boer")
    page = home.add_child(
        instance=PrivacyStatementPage(
            title="Privacy statement",
            slug="privacy",
            body=[section("Who we share data with", ("processors", None))],
            live=False,
        )
    )
    publish(page, user=editor, change_summary="First version.", change_is_material=True)

    [version] = PolicyVersion.objects.all()
    assert (version.page_id, version.number, version.title) == (page.pk, 1, "Privacy statement")
    assert version.published_by == "Eva de Boer (editor)"
    assert version.change_summary == "First version."
    assert version.is_material is False  # nothing was collected under an earlier version
    assert version.revision_id == page.live_revision_id
    assert version.locale == page.locale
    assert "Cijferwerk" in version.rendered_html  # the live block, as rendered when published
    assert "Cijferwerk | Bookkeeper | Keeps our books." in version.rendered_text
    assert version.body_json[0]["type"] == "section"
    assert len(version.content_hash) == 64
    assert not hasattr(version, "campaign")


def test_a_publish_that_changes_nothing_visible_records_no_version(statement):
    publish(statement, change_summary="Only a note to myself.")
    publish(statement, seo_title="Not shown in the statement")

    assert list(PolicyVersion.objects.values_list("number", flat=True)) == [1]


def test_every_visible_change_is_a_new_version_numbered_without_gaps(statement, processor):
    publish(statement, title="Our privacy statement")
    Processor.objects.filter(pk=processor.pk).update(purpose="Keeps our books and files taxes.")
    publish(statement)  # only the live register changed
    body = list(statement.body.raw_data)
    publish(statement, body=[*body, raw_section("Cookies", "<p>We use no cookies.</p>")])

    numbers = list(
        PolicyVersion.objects.filter(page_id=statement.pk)
        .order_by("number")
        .values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3, 4]
    latest = PolicyVersion.objects.get(page_id=statement.pk, number=4)
    assert "Keeps our books and files taxes." in latest.rendered_text
    assert "We use no cookies." in latest.rendered_text


def test_versions_cannot_be_changed_or_deleted_through_the_model(statement):
    version = PolicyVersion.objects.get()
    version.change_summary = "Rewritten history"

    with pytest.raises(PolicyVersionImmutable):
        version.save()
    with pytest.raises(PolicyVersionImmutable):
        version.delete()
    with pytest.raises(PolicyVersionImmutable):
        PolicyVersion.objects.filter(pk=version.pk).update(change_summary="Rewritten history")
    with pytest.raises(PolicyVersionImmutable):
        PolicyVersion.objects.all().delete()
    with pytest.raises(PolicyVersionImmutable):
        PolicyVersion.objects.bulk_update([version], ["change_summary"])
    with pytest.raises(PolicyVersionImmutable):
        PolicyVersion.objects.update_or_create(pk=version.pk, defaults={"number": 9})

    version.refresh_from_db()
    assert version.change_summary == ""


def test_the_archive_shows_an_old_version_exactly_as_it_was_published(client, statement, processor):
    first = PolicyVersion.objects.get()
    Processor.objects.filter(pk=processor.pk).update(name="Nieuw Kantoor")
    body = list(statement.body.raw_data)
    body[0]["value"]["content"][0]["value"] = "<p>We sell tickets, and we tell you how.</p>"
    publish(statement, body=body, change_summary="Clearer wording.")

    old = client.get("/privacy/versions/1/")
    current = client.get("/privacy/")

    assert old.status_code == 200
    old_html = old.content.decode()
    assert first.rendered_html in old_html  # byte for byte what the public read then
    assert "Cijferwerk" in old_html and "Nieuw Kantoor" not in old_html
    assert "This is an earlier version of the statement." in old_html
    current_html = current.content.decode()
    assert "Nieuw Kantoor" in current_html and "we tell you how" in current_html
    assert "Version 2, established on" in current_html
    assert client.get("/privacy/versions/3/").status_code == 404


def test_the_diff_shows_what_was_taken_out_and_what_was_put_in(client, statement):
    body = list(statement.body.raw_data)
    body[2]["value"]["content"][0]["value"] = "<p>You may see and correct your data.</p>"
    publish(statement, body=body, change_summary="You may correct your data.")

    response = client.get("/privacy/versions/1/diff/2/")
    reversed_order = client.get("/privacy/versions/2/diff/1/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<ins>and correct</ins>" in html
    assert "Changes from version 1 to version 2" in html
    assert "You may correct your data." in html  # the summary
    assert "Who we are" not in html  # unchanged parts far from the change are folded
    assert "paragraphs without changes" in html
    assert (
        reversed_order.status_code == 200
        and "<ins>and correct</ins>" in reversed_order.content.decode()
    )
    assert client.get("/privacy/versions/1/diff/1/").status_code == 404
    assert client.get("/privacy/versions/1/diff/7/").status_code == 404


def test_the_archive_lists_every_version_with_a_link_to_its_changes(client, statement):
    publish(statement, title="Our privacy statement", change_summary="A new title.")

    html = client.get("/privacy/versions/").content.decode()

    assert "/privacy/versions/1/" in html and "/privacy/versions/2/" in html
    assert "/privacy/versions/1/diff/2/" in html
    assert "A new title." in html


def test_the_statement_shows_its_version_contents_and_anchors(client, statement):
    html = client.get("/privacy/").content.decode()

    assert "Version 1, established on" in html
    assert '<a href="#who-we-are">Who we are</a>' in html
    assert 'id="processors"' in html  # the anchor the editor chose
    assert "1. Who we are" in html and "3. Your rights" in html
    assert "Autoriteit Persoonsgegevens" in html  # the contact block, from the settings
    assert '<a href="/privacy/versions/">' in html


def test_one_statement_per_site_and_locale(home, statement):
    assert not PrivacyStatementPage.can_create_at(home)
    with pytest.raises(ValidationError):
        home.add_child(instance=PrivacyStatementPage(title="Second", slug="privacy-2", body=[]))
    english = Locale.objects.get(language_code="en")
    dutch = Locale.objects.create(language_code="nl")
    assert statement.locale == english
    translated_home = home.copy_for_translation(dutch)
    assert PrivacyStatementPage.can_create_at(translated_home)


def test_the_version_in_force_follows_the_language_and_falls_back_to_the_default(statement, home):
    dutch = Locale.objects.create(language_code="nl")
    home.copy_for_translation(dutch).save_revision().publish()
    translation = statement.copy_for_translation(dutch, copy_parents=True)
    publish(translation.specific, title="Privacyverklaring")

    english = version_in_force(language="en")
    dutch_version = version_in_force(language="nl")
    other = version_in_force(language="de")

    assert (english.page_id, english.number) == (statement.pk, 1)
    assert (dutch_version.page_id, dutch_version.title) == (translation.pk, "Privacyverklaring")
    assert other == english  # no German statement: the default language's
    assert statement_url(language="en") == "http://testserver/privacy/"


def test_the_editor_form_starts_each_change_empty_and_wants_a_summary_for_material_ones(
    statement,
):
    publish(statement, change_summary="Old summary", change_is_material=False)
    form_class = statement.get_edit_handler().get_form_class()
    page = statement.get_latest_revision_as_object()

    unbound = form_class(instance=page, for_user=UserFactory(is_superuser=True))
    assert unbound.initial["change_summary"] == ""
    assert unbound.initial["change_is_material"] is False

    data = nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "intro": rich_text("<p>Intro</p>"),
            "body": streamfield([]),
            "change_is_material": "on",
            "change_summary": "",
        }
    )
    bound = form_class(data, instance=page, for_user=UserFactory(is_superuser=True))
    bound.is_valid()
    assert "change_summary" in bound.errors
