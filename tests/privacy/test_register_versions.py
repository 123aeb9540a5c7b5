"""A change to the processor register, the retention schedule or the cookie list is a new
version of every statement it changes; a material one emails everyone affected once (#12.3)."""

from __future__ import annotations

import threading

import pytest
from cookie_consent.models import CookieGroup
from django.db import connection, transaction
from django.urls import reverse
from wagtail.models import Locale, Page, Site
from wagtail.users.models import UserProfile

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.privacy.models import (
    CampaignRecipient,
    NotificationCampaign,
    PolicyVersion,
    PrivacyStatementPage,
    Processor,
)
from weticket_wagtail.privacy.services import campaigns, register_changes, versions
from weticket_wagtail.testing.factories import MembershipFactory, OrganisationFactory, UserFactory

from .conftest import make_orders, publish, section

PROCESSOR_EDIT = "wagtailsnippets_weticket_privacy_processor:edit"


@pytest.fixture
def committed(statement, processor, django_capture_on_commit_callbacks):
    """The fixtures' own register rows count as committed before the test: in a test that runs
    in one transaction their pending change would otherwise join the test's."""
    register_changes._pending.batch = None
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


def processor_form(processor: Processor, **changes) -> dict:
    data = {
        "name": processor.name,
        "role": processor.role,
        "purpose": processor.purpose,
        "data_categories": list(processor.data_categories),
        "agreement_date": processor.agreement_date.isoformat() if processor.agreement_date else "",
        "country": processor.country,
        "website": processor.website,
        "sort_order": processor.sort_order,
        "statement_change_summary": "",
    }
    data.update(changes)
    if not data.pop("material", False):
        data.pop("statement_change_is_material", None)
    else:
        data["statement_change_is_material"] = "on"
    return data


def edit_processor(client, processor, **changes):
    response = client.post(
        reverse(PROCESSOR_EDIT, args=[processor.pk]), processor_form(processor, **changes)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def recipients_of(sink) -> list[str]:
    return [rcpt for _sender, rcpts in sink.envelopes for rcpt in rcpts]


def test_editing_a_processor_records_a_version_whose_diff_shows_the_change(
    client, admin_user, statement, processor
):
    client.force_login(admin_user)

    edit_processor(
        client, processor, name="Boekhouders BV", statement_change_summary="New bookkeeper."
    )

    latest = statement.current_version()
    assert latest.number == 2
    assert latest.change_summary == "New bookkeeper."
    assert not latest.is_material
    assert latest.published_by == "admin"
    diff = client.get("/privacy/versions/1/diff/2/").content.decode()
    assert "<del>Cijferwerk</del>" in diff and "<ins>Boekhouders BV</ins>" in diff


def test_the_archive_shows_the_register_as_it_was_at_each_version(
    client, admin_user, statement, processor
):
    client.force_login(admin_user)
    edit_processor(client, processor, name="Boekhouders BV")
    client.logout()

    old = client.get("/privacy/versions/1/").content.decode()
    new = client.get("/privacy/versions/2/").content.decode()
    live = client.get("/privacy/").content.decode()
    assert "Cijferwerk" in old and "Boekhouders BV" not in old
    assert "Boekhouders BV" in new and "Cijferwerk" not in new
    assert "Boekhouders BV" in live
    archive = client.get("/privacy/versions/").content.decode()
    assert "Boekhouders BV changed." in archive  # the summary made for it


def test_a_save_that_changes_nothing_visible_records_no_version(
    client, admin_user, statement, processor
):
    client.force_login(admin_user)

    edit_processor(client, processor, material=True, statement_change_summary="Nothing, really.")
    processor.save()
    Processor.objects.create(
        locale=Locale.objects.create(language_code="nl"),
        name="Elders",
        role="other",
        purpose="Not shown.",
        data_categories=["email"],
    )

    assert statement.versions().count() == 1
    assert not NotificationCampaign.objects.exists()


def test_a_change_in_code_is_a_minor_version_and_one_transaction_is_one_version(
    statement, processor, home, committed
):
    with committed(), transaction.atomic():
        processor.purpose = "Keeps our books and files our taxes."
        processor.save()
        Processor.objects.create(
            locale=home.locale,
            name="Mailjet",
            role="email_provider",
            purpose="Sends email.",
            data_categories=["email"],
            sort_order=5,
        )

    latest = statement.current_version()
    assert latest.number == 2
    assert not latest.is_material
    assert latest.change_summary == "Processor register: Cijferwerk, Mailjet changed."
    assert "Mailjet" in latest.rendered_text

    with committed():
        Processor.objects.filter(name="Mailjet").get().delete()
    assert statement.current_version().number == 3
    assert statement.current_version().change_summary == "Processor register: Mailjet removed."


def test_a_rolled_back_change_records_nothing(statement, processor, committed):
    with committed():
        with pytest.raises(RuntimeError), transaction.atomic():
            processor.name = "Never"
            processor.save()
            raise RuntimeError
        assert statement.versions().count() == 1

    with committed():
        processor.refresh_from_db()
        processor.name = "Afterwards"
        processor.save()

    assert [v.change_summary for v in statement.versions()][0] == (
        "Processor register: Afterwards changed."
    )
    assert statement.versions().count() == 2


def test_only_the_statements_whose_text_changed_get_a_version(
    statement, processor, home, committed
):
    root_two = Page.get_first_root_node().add_child(
        instance=Page(title="Site two", slug="site-two", locale=home.locale)
    )
    Site.objects.create(hostname="two.example", port=80, root_page=root_two)
    no_register = publish(
        root_two.add_child(
            instance=PrivacyStatementPage(
                title="Privacy two",
                slug="privacy",
                body=[section("Who", "<p>Two.</p>")],
                live=False,
            )
        )
    )
    with committed():
        processor.name = "Boekhouders BV"
        processor.save()

    assert statement.current_version().number == 2
    assert no_register.current_version().number == 1


def test_editing_the_cookie_list_records_a_version_of_the_statements_that_show_it(
    client, admin_user, statement, committed
):
    body = list(statement.body.raw_data)
    body[0]["value"]["content"].append({"type": "cookies", "value": None})
    publish(statement, body=body)
    assert statement.current_version().number == 2
    with committed():
        group = CookieGroup.objects.create(varname="stats", name="Visit counter", ordering=9)
    assert statement.current_version().number == 3
    client.force_login(admin_user)

    response = client.post(
        reverse("weticket_cookie_groups:edit", args=[group.pk]),
        {
            "varname": "stats",
            "ordering": 9,
            "is_deletable": "on",
            "name_en": "Statistics",
            "description_en": "Counts visits.",
            "statement_change_summary": "The visit counter is now called statistics.",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    latest = statement.current_version()
    assert latest.number == 4
    assert latest.change_summary == "The visit counter is now called statistics."
    assert "Statistics" in latest.rendered_text and "Visit counter" not in latest.rendered_text


# --- the campaign of a material register change -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_material_change_emails_buyers_and_staff_once_each_in_their_language(
    client, smtp_sink, campaign_pace, statement, processor, home
):
    club = OrganisationFactory(name="Club", contact_email="board@club.example")
    make_orders(["ann@example.org", "both@example.org"], organisation=club)
    MembershipFactory(organisation=club, user=UserFactory(email="staff@example.org"))
    MembershipFactory(organisation=club, user=UserFactory(email="Both@Example.org"))
    dutch_staff = UserFactory(email="medewerker@example.nl")
    profile = UserProfile.get_for_user(dutch_staff)
    profile.preferred_language = "nl"
    profile.save()
    MembershipFactory(organisation=club, user=dutch_staff)
    dutch = Locale.objects.create(language_code="nl")
    home.copy_for_translation(dutch).save_revision().publish()
    publish(
        statement.copy_for_translation(dutch, copy_parents=True).specific,
        title="Privacyverklaring",
    )
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)

    edit_processor(
        client,
        processor,
        name="Boekhouders BV",
        material=True,
        statement_change_summary="A new bookkeeper receives your details.",
    )

    received = recipients_of(smtp_sink)
    assert sorted(received) == [
        "ann@example.org",
        "board@club.example",
        "both@example.org",  # a buyer who is staff too: one email
        "medewerker@example.nl",
        "staff@example.org",
    ]
    languages = {m["To"]: m["Content-Language"] for m in smtp_sink.messages}
    assert languages["medewerker@example.nl"] == "nl"
    assert languages["staff@example.org"] == "en"
    english = next(m for m in smtp_sink.messages if m["To"] == "staff@example.org")
    assert "A new bookkeeper receives your details." in english.get_body(("plain",)).get_content()
    # Both translations showed the register (the Dutch one falls back to it): both are versioned.
    assert PolicyVersion.objects.filter(number=2, is_material=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_campaign_of_a_register_change_run_twice_at_once_writes_to_nobody_twice(
    require_postgres, client, smtp_sink, campaign_pace, statement, processor, monkeypatch
):
    club = OrganisationFactory(name="Club", contact_email="board@club.example")
    make_orders([f"buyer{i}@example.org" for i in range(60)], organisation=club)
    for index in range(5):
        MembershipFactory(organisation=club, user=UserFactory(email=f"staff{index}@example.org"))
    MembershipFactory(organisation=club, user=UserFactory(email="buyer0@example.org"))
    started = []
    monkeypatch.setattr(versions, "run_task", lambda task, *args: started.append(args))
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    edit_processor(client, processor, name="Boekhouders BV", material=True)
    [(campaign_pk,)] = started
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            campaigns.run_campaign(campaign_pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    campaigns.run_campaign(campaign_pk)

    assert errors == []
    received = recipients_of(smtp_sink)
    assert len(received) == len(set(received)) == 66  # 60 buyers, 5 staff, 1 contact
    assert CampaignRecipient.objects.filter(campaign_id=campaign_pk).count() == 66
    assert OutboxMessage.objects.filter(topic="policy_change").count() == 66


@pytest.mark.django_db(transaction=True)
def test_a_minor_register_change_emails_nobody(
    client, smtp_sink, campaign_pace, statement, processor
):
    make_orders(["ann@example.org"])
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)

    edit_processor(client, processor, country="België")

    assert statement.current_version().number == 2
    assert not NotificationCampaign.objects.exists()
    assert smtp_sink.messages == []
