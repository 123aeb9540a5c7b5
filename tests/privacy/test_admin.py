"""The privacy admin: a version history nobody can edit, campaign progress, the registers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, get_resolver, reverse
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    rich_text,
    streamfield,
)

from weticket_wagtail.privacy.models import NotificationCampaign, PolicyVersion, Processor
from weticket_wagtail.privacy.services import campaigns, versions
from weticket_wagtail.privacy.viewsets import CAMPAIGN_POLICY, VERSION_POLICY
from weticket_wagtail.testing.factories import UserFactory

from .conftest import make_orders, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def editor():
    user = UserFactory(username="editor")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    return user


@pytest.fixture
def two_versions(statement):
    body = list(statement.body.raw_data)
    body[2]["value"]["content"][0]["value"] = "<p>You may see and correct your data.</p>"
    publish(statement, body=body, change_summary="You may correct your data.")
    return list(PolicyVersion.objects.order_by("number"))


def version_urls(first, second) -> list[str]:
    """Every URL of the versions viewset, filled in."""
    resolver = get_resolver()
    urls = []
    for name, args in [
        ("index", []),
        ("index_results", []),
        ("inspect", [first.pk]),
        ("diff", [first.pk, second.pk]),
    ]:
        urls.append(reverse(f"weticket_policy_versions:{name}", args=args))
    namespace = resolver.namespace_dict["weticket_policy_versions"][1]
    assert sorted(namespace.reverse_dict.keys(), key=str)  # the namespace exists
    return urls


def test_every_admin_url_of_the_versions_refuses_to_change_anything(
    client, admin_user, two_versions
):
    first, second = two_versions
    before = list(PolicyVersion.objects.order_by("pk").values())
    client.force_login(admin_user)

    for url in version_urls(first, second):
        assert client.get(url).status_code == 200, url
        posted = client.post(url, {"change_summary": "Rewritten", "number": 9, "delete": "1"})
        assert posted.status_code in (403, 405), url
    for name in ("add", "edit", "delete", "copy", "history", "usage", "delete_multiple"):
        with pytest.raises(NoReverseMatch):
            reverse(f"weticket_policy_versions:{name}", args=[] if name == "add" else [first.pk])
    for path in ("edit", "delete", "copy", "history", "usage"):
        url = f"/admin/weticket_policy_versions/{path}/{first.pk}/"
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    for action in ("add", "change", "delete"):
        assert not VERSION_POLICY.user_has_permission(admin_user, action)
        assert not VERSION_POLICY.user_has_permission_for_instance(admin_user, action, first)
    assert list(PolicyVersion.objects.order_by("pk").values()) == before


def test_the_admin_lists_versions_and_shows_the_diff(client, editor, two_versions):
    first, second = two_versions
    client.force_login(editor)

    listing = client.get(reverse("weticket_policy_versions:index")).content.decode()
    inspect = client.get(reverse("weticket_policy_versions:inspect", args=[second.pk]))
    diff = client.get(reverse("weticket_policy_versions:diff", args=[second.pk, first.pk]))

    assert "You may correct your data." in listing
    assert inspect.status_code == 200
    assert second.rendered_html in inspect.content.decode()
    assert reverse("weticket_policy_versions:diff", args=[first.pk, second.pk]) in (
        inspect.content.decode()
    )
    assert diff.status_code == 200
    assert "<ins>and correct</ins>" in diff.content.decode()


def test_publishing_from_the_page_editor_records_the_summary_and_starts_the_campaign(
    client, admin_user, statement, campaign_pace, django_capture_on_commit_callbacks, monkeypatch
):
    started = []
    monkeypatch.setattr(versions, "run_task", lambda task, *args: started.append(args))
    make_orders(["ann@example.org"])
    client.force_login(admin_user)
    edit_url = reverse("wagtailadmin_pages:edit", args=[statement.pk])
    form = client.get(edit_url)
    assert form.status_code == 200
    data = nested_form_data(
        {
            "title": "Privacy statement",
            "slug": "privacy",
            "intro": rich_text("<p>How we handle your data, in short.</p>"),
            "body": streamfield(
                [
                    (
                        "section",
                        {
                            "heading": "Retention",
                            "anchor": "",
                            "content": streamfield(
                                [("text", rich_text("<p>We keep orders for seven years.</p>"))]
                            ),
                        },
                    )
                ]
            ),
            "comments": inline_formset([]),
            "change_summary": "We now keep orders for seven years.",
            "change_is_material": "on",
            "action-publish": "publish",
        }
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url, data)

    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "error" in line.lower()
    ][:20]
    version = PolicyVersion.objects.get(number=2)
    assert version.change_summary == "We now keep orders for seven years."
    assert version.is_material
    assert version.published_by == "admin"
    campaign = NotificationCampaign.objects.get(version=version)
    assert started == [(campaign.pk,)]
    again = client.get(edit_url).content.decode()
    assert "We now keep orders for seven years." not in again  # a new change starts empty


def test_campaign_progress_is_shown_to_superusers_only(
    client, admin_user, editor, statement, campaign_pace, monkeypatch
):
    monkeypatch.setattr(versions, "run_task", lambda task, *args: None)
    make_orders(["ann@example.org", "bob@example.org"])
    body = list(statement.body.raw_data)
    body[2]["value"]["content"][0]["value"] = "<p>Changed.</p>"
    publish(statement, body=body, change_summary="Changed.", change_is_material=True)
    campaign = NotificationCampaign.objects.get()
    campaigns.collect_recipients(campaign, batch_size=10)

    client.force_login(editor)
    assert client.get(reverse("weticket_policy_campaigns:index")).status_code in (302, 403)
    assert "Privacy statement changes being emailed" not in client.get("/admin/").content.decode()
    assert not CAMPAIGN_POLICY.user_has_permission(editor, "view")

    client.force_login(admin_user)
    listing = client.get(reverse("weticket_policy_campaigns:index")).content.decode()
    inspect = client.get(reverse("weticket_policy_campaigns:inspect", args=[campaign.pk]))
    dashboard = client.get("/admin/").content.decode()
    assert "0 of 3 sent, 0 failing" in listing  # two buyers and their organisation
    assert inspect.status_code == 200 and "Still to send" in inspect.content.decode()
    assert "Privacy statement changes being emailed" in dashboard
    for name in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"weticket_policy_campaigns:{name}", args=[] if name == "add" else [1])


def test_the_processor_register_is_edited_as_snippets(client, admin_user, processor, statement):
    client.force_login(admin_user)
    listing = client.get(reverse("wagtailsnippets_weticket_privacy_processor:list"))
    edit = client.get(
        reverse("wagtailsnippets_weticket_privacy_processor:edit", args=[processor.pk])
    )

    assert listing.status_code == 200 and "Cijferwerk" in listing.content.decode()
    assert edit.status_code == 200
    assert 'type="checkbox" name="data_categories" value="financial"' in edit.content.decode()


def test_processors_in_two_languages_show_a_locale_column_and_filter(client, admin_user, home):
    from wagtail.models import Locale

    nl, _ = Locale.objects.get_or_create(language_code="nl")
    en, _ = Locale.objects.get_or_create(language_code="en")
    dutch = Processor.objects.create(name="Mollie B.V.", role="payment_provider", locale=nl)
    Processor.objects.create(
        name="Mollie B.V.",
        role="payment_provider",
        locale=en,
        translation_key=dutch.translation_key,
    )
    client.force_login(admin_user)
    listing = client.get(reverse("wagtailsnippets_weticket_privacy_processor:list"))
    html = listing.content.decode()
    table = html.split('class="listing', 1)[1]
    header = table.split("<thead", 1)[1].split("</thead>", 1)[0]
    assert "Locale" in header  # the column
    assert 'name="locale" value="en"' in html and 'name="locale" value="nl"' in html
    english = client.get(
        reverse("wagtailsnippets_weticket_privacy_processor:list"), {"locale": "en"}
    ).content.decode()
    assert english.count("Mollie B.V.") < html.count("Mollie B.V.")
    rules = client.get(reverse("wagtailsnippets_weticket_privacy_retentionrule:list"))
    assert 'name="locale" value="en"' in rules.content.decode()
