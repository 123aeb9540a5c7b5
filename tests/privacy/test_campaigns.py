"""A material version emails every affected person once, in their language; others send nothing."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from wagtail.models import Locale

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.privacy import tasks as privacy_tasks
from weticket_wagtail.privacy.models import (
    CampaignRecipient,
    NotificationCampaign,
    PolicyVersion,
)
from weticket_wagtail.privacy.services import campaigns, versions
from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, TicketTypeFactory
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

from .conftest import make_orders, publish

Status = NotificationCampaign.Status


def change_rights(statement, summary: str, *, material: bool = True, wording="and correct"):
    body = list(statement.body.raw_data)
    body[2]["value"]["content"][0]["value"] = f"<p>You may see {wording} your data.</p>"
    return publish(statement, body=body, change_summary=summary, change_is_material=material)


def recipients_of(sink) -> list[str]:
    return [rcpt for _sender, rcpts in sink.envelopes for rcpt in rcpts]


@pytest.mark.django_db(transaction=True)
def test_a_material_version_emails_every_person_once_with_the_summary_and_the_diff(
    smtp_sink, campaign_pace, statement
):
    club = OrganisationFactory(name="Club", contact_email="board@club.example")
    make_orders(["ann@example.org", "bob@example.org", "Ann@Example.org"], organisation=club)
    make_orders(["cas@example.org"], organisation=club)

    change_rights(statement, "You may now also correct your data.")

    version = PolicyVersion.objects.get(number=2)
    campaign = NotificationCampaign.objects.get(version=version)
    expected = {"ann@example.org", "bob@example.org", "cas@example.org", "board@club.example"}
    received = recipients_of(smtp_sink)
    assert sorted(received) == sorted(expected)  # each once: no duplicates, nobody missing
    assert campaign.status == Status.FINISHED
    assert campaign.recipients_total == 4
    assert campaigns.progress(campaign) == campaigns.Progress(4, 4, 4, 0)

    message = next(m for m in smtp_sink.messages if m["To"] == "bob@example.org")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Subject"] == "WeTicket demo: our privacy statement has changed"
    assert message["Content-Language"] == "en"
    assert message["Reply-To"] == "privacy@example.org"
    assert message["X-Weticket-Dedupe"] == f"policy:{version.pk}:bob@example.org"
    assert body.startswith("Dear Buyer 1,")
    assert "You may now also correct your data." in body
    assert "http://testserver/privacy/versions/1/diff/2/" in body
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Dear Buyer 1," in html and 'href="http://testserver/privacy/versions/1/diff/2/"' in html
    organiser = next(m for m in smtp_sink.messages if m["To"] == "board@club.example")
    assert "Dear Club," in organiser.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.django_db(transaction=True)
def test_a_version_that_is_not_material_sends_nothing(smtp_sink, campaign_pace, statement):
    make_orders(["ann@example.org"])

    change_rights(statement, "Clearer wording.", material=False)

    assert PolicyVersion.objects.filter(number=2, is_material=False).exists()
    assert not NotificationCampaign.objects.exists()
    assert smtp_sink.messages == []


@pytest.mark.django_db(transaction=True)
def test_running_a_campaign_again_or_twice_at_once_writes_to_nobody_twice(
    require_postgres, smtp_sink, campaign_pace, statement, monkeypatch
):
    make_orders([f"buyer{i}@example.org" for i in range(120)])
    started = []
    monkeypatch.setattr(versions, "run_task", lambda task, *args: started.append(args))
    change_rights(statement, "You may correct your data.")
    [(campaign_pk,)] = started
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def worker():
        try:
            barrier.wait()
            outcomes.append(campaigns.run_campaign(campaign_pk)[0])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    again = campaigns.run_campaign(campaign_pk)
    NotificationCampaign.objects.filter(pk=campaign_pk).update(
        status=Status.SENDING, collected_at=None
    )
    once_more = campaigns.run_campaign(campaign_pk)

    assert errors == []
    # The twin that runs out of work while the other still sends leaves the rest to it.
    assert campaigns.Outcome.FINISHED in outcomes
    assert set(outcomes) <= {campaigns.Outcome.FINISHED, campaigns.Outcome.WAITING}
    assert again[0] is once_more[0] is campaigns.Outcome.FINISHED
    received = recipients_of(smtp_sink)
    assert len(received) == 121 and len(set(received)) == 121  # 120 buyers, 1 organisation
    assert CampaignRecipient.objects.filter(campaign_id=campaign_pk).count() == 121
    assert OutboxMessage.objects.filter(topic="policy_change").count() == 121


@pytest.mark.django_db(transaction=True)
def test_each_translation_writes_to_the_people_of_its_language_once(
    smtp_sink, campaign_pace, statement, home
):
    dutch = Locale.objects.create(language_code="nl")
    home.copy_for_translation(dutch).save_revision().publish()
    vertaling = publish(
        statement.copy_for_translation(dutch, copy_parents=True).specific,
        title="Privacyverklaring",
    )
    make_orders(["an@example.nl", "bram@example.nl"], language="nl")
    make_orders(["ann@example.org"], language="en")
    make_orders(["jan@example.de"], language="de")  # no German statement: the default (English)

    change_rights(statement, "You may correct your data.")
    body = list(vertaling.body.raw_data)
    body[2]["value"]["content"][0]["value"] = "<p>U mag uw gegevens inzien en verbeteren.</p>"
    publish(
        vertaling,
        body=body,
        change_summary="U mag uw gegevens verbeteren.",
        change_is_material=True,
    )

    by_language = {}
    for message in smtp_sink.messages:
        by_language.setdefault(message["Content-Language"], set()).add(message["To"])
    organisers = set(
        NotificationCampaign.objects.get(version__locale__language_code="en")
        .recipients.filter(language="")
        .values_list("email", flat=True)
    )
    assert by_language["nl"] == {"an@example.nl", "bram@example.nl"}
    assert by_language["en"] == {"ann@example.org", "jan@example.de", *organisers}
    assert len(smtp_sink.messages) == len(set(recipients_of(smtp_sink)))
    dutch_body = next(m for m in smtp_sink.messages if m["To"] == "an@example.nl")
    assert "U mag uw gegevens verbeteren." in dutch_body.get_body(("plain",)).get_content()
    campaign_nl = NotificationCampaign.objects.get(version__locale=dutch)
    assert campaign_nl.languages == ["nl"]


@pytest.mark.django_db
def test_the_pace_is_stored_with_the_rows_so_every_worker_keeps_it(
    campaign_pace, statement, settings, django_capture_on_commit_callbacks
):
    make_orders([f"buyer{i}@example.org" for i in range(5)])
    with django_capture_on_commit_callbacks():
        change_rights(statement, "You may correct your data.")
    campaign = NotificationCampaign.objects.get()
    campaigns.collect_recipients(campaign, batch_size=2)

    before = timezone.now()
    assert campaigns.queue_next_batch(campaign.pk, batch_size=3, rate=10) == 3
    assert campaigns.queue_next_batch(campaign.pk, batch_size=3, rate=10) == 3
    assert campaigns.queue_next_batch(campaign.pk, batch_size=3, rate=10) == 0

    due = list(
        OutboxMessage.objects.filter(topic="policy_change")
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
    )
    steps = [
        (later - earlier).total_seconds() for earlier, later in zip(due, due[1:], strict=False)
    ]
    assert len(due) == 6  # five buyers and their organisation's contact
    assert due[0] >= before
    assert steps == pytest.approx([0.1] * 5, abs=0.01)
    assert not CampaignRecipient.objects.filter(queued_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_stalled_campaign_is_restarted_once(campaign_pace, statement, monkeypatch):
    started = []
    monkeypatch.setattr(versions, "run_task", lambda task, *args: None)
    monkeypatch.setattr(privacy_tasks, "run_task", lambda task, *args: started.append(args))
    change_rights(statement, "You may correct your data.")
    campaign = NotificationCampaign.objects.get()
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    NotificationCampaign.objects.filter(pk=campaign.pk).update(heartbeat_at=long_ago)

    assert privacy_tasks.resume_campaigns_task() == [campaign.pk]
    assert privacy_tasks.resume_campaigns_task() == []  # its heartbeat was just renewed
    assert started == [(campaign.pk,)]


@pytest.mark.django_db
def test_an_order_keeps_the_version_in_force_when_it_was_placed(statement):
    event = EventFactory()
    ticket_type = TicketTypeFactory(event=event)
    first = place_order(
        reserve_tickets(event, {ticket_type.pk: 1}),
        buyer_name="Ann",
        buyer_email="ann@example.org",
        language="en",
    )
    change_rights(statement, "Clearer wording.", material=False)
    second = place_order(
        reserve_tickets(event, {ticket_type.pk: 1}),
        buyer_name="Bob",
        buyer_email="bob@example.org",
        language="nl",  # no Dutch statement: the English one is in force
    )

    assert first.policy_version.number == 1
    assert second.policy_version.number == 2
