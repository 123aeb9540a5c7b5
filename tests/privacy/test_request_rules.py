"""The rules around requests: deadlines, links, limits, the honeypot, expiry, reminders."""

from __future__ import annotations

import datetime

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.privacy.models import AuditEntry, AuditTrailImmutable, DataSubjectRequest
from weticket_wagtail.privacy.services import erasure, export, reminders, requests
from weticket_wagtail.privacy.services.deadlines import add_months, due_date, extended_due_date
from weticket_wagtail.testing.factories import UserFactory

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status
D = datetime.date

pytestmark = pytest.mark.django_db


# --- deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
    ],
)
def test_a_month_later_is_the_same_day_or_the_months_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_due_is_the_earlier_of_one_month_and_the_promised_weeks():
    assert due_date(D(2026, 1, 31), weeks=4) == D(2026, 2, 28)  # both 28 days
    assert due_date(D(2026, 3, 1), weeks=4) == D(2026, 3, 29)  # 4 weeks before 1 April
    assert due_date(D(2026, 1, 31), weeks=5) == D(2026, 2, 28)  # the month is earlier
    assert due_date(D(2026, 7, 10), weeks=0) == D(2026, 8, 10)  # the month alone


def test_the_setting_sets_the_weeks(settings):
    settings.WETICKET = {**settings.WETICKET, "PRIVACY_RESPONSE_WEEKS": 2}
    assert due_date(D(2026, 5, 4)) == D(2026, 5, 18)


def test_an_extension_adds_at_most_two_months_to_the_first_due_date():
    assert extended_due_date(D(2026, 2, 28), 2) == D(2026, 4, 28)
    with pytest.raises(ValueError):
        extended_due_date(D(2026, 2, 28), 3)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def later_clock(monkeypatch, delta: datetime.timedelta) -> None:
    """Signed links read the clock through ``time.time``: move it on by ``delta``."""
    real = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() + delta.total_seconds())


def confirmed(kind=Kind.ACCESS, email="sam@example.net", when=None) -> DataSubjectRequest:
    req = requests.submit_request(kind=kind, email=email)
    req, _ = requests.verify_request(requests.sign_link(req, requests.CONFIRM_SALT), now=when)
    return req


def test_confirming_on_31_january_is_due_on_28_february(settings):
    req = confirmed(when=at(2026, 1, 31, 10))
    assert req.original_due_on == req.due_on == D(2026, 2, 28)


def test_extending_within_the_first_term_moves_the_due_date_and_tells_the_requester():
    admin = UserFactory(is_superuser=True)
    req = confirmed(when=at(2026, 1, 31, 10))
    today = D(2026, 2, 20)
    with pytest.raises(requests.RequestError):
        requests.extend(req, 1, "", by=admin, today=today)  # a reason is required
    req = requests.extend(req, 1, "Records at several organisations.", by=admin, today=today)
    assert req.due_on == D(2026, 3, 28) and req.status == Status.EXTENDED
    req = requests.extend(req, 1, "Still more.", by=admin, today=today)
    assert req.due_on == D(2026, 4, 28)
    with pytest.raises(requests.RequestError):
        requests.extend(req, 1, "A third month.", by=admin, today=today)
    notice = OutboxMessage.objects.filter(topic="privacy_request_update").first()
    assert notice is not None and "Records at several organisations." in notice.body_text


def test_no_extension_after_the_first_due_date():
    admin = UserFactory(is_superuser=True)
    req = confirmed(when=at(2026, 1, 31, 10))
    with pytest.raises(requests.RequestError, match="before the first due date"):
        requests.extend(req, 1, "Too late.", by=admin, today=D(2026, 3, 1))
    assert req.is_overdue(today=D(2026, 3, 1)) and not req.is_overdue(today=D(2026, 2, 28))


# --- links ---------------------------------------------------------------------------------------


def test_forged_altered_and_expired_confirmation_links_are_refused_with_a_message(
    client, monkeypatch
):
    req = requests.submit_request(kind=Kind.ACCESS, email="sam@example.net")
    token = requests.sign_link(req, requests.CONFIRM_SALT)
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    forged = signing.dumps([req.pk, req.nonce, ""], salt=requests.CONFIRM_SALT, key="wrong-key")
    other_purpose = export.download_url  # a download token cannot confirm
    download_token = requests.sign_link(req, export.DOWNLOAD_SALT, "export")
    for bad in (altered, forged, "not-a-token", download_token):
        for method in (client.get, client.post):
            response = method(reverse("weticket_privacy:confirm", args=[bad]))
            assert response.status_code == 400
            assert "This link is not valid" in response.content.decode()
    assert callable(other_purpose)
    later_clock(monkeypatch, datetime.timedelta(hours=73))
    response = client.post(reverse("weticket_privacy:confirm", args=[token]))
    assert response.status_code == 410 and "expired" in response.content.decode()
    req.refresh_from_db()
    assert req.status == Status.NEW


def test_forged_and_expired_download_links_are_refused(client, monkeypatch):
    admin = UserFactory(is_superuser=True)
    req = confirmed()
    export.fulfil_access(req, by=admin)
    good = requests.sign_link(req, export.DOWNLOAD_SALT, "export")
    assert client.get(reverse("weticket_privacy:download", args=[good])).status_code == 200
    other = confirmed(email="other@example.net")  # same signature scheme, another request
    swapped = signing.dumps([other.pk, req.nonce, "export"], salt=export.DOWNLOAD_SALT)
    for bad in (good[:-2] + "xx", swapped):
        response = client.get(reverse("weticket_privacy:download", args=[bad]))
        assert response.status_code == 400 and "not valid" in response.content.decode()
    later_clock(monkeypatch, datetime.timedelta(days=8))
    response = client.get(reverse("weticket_privacy:download", args=[good]))
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_a_confirmed_request_is_not_confirmed_twice(client):
    req = requests.submit_request(kind=Kind.COMPLAINT, email="sam@example.net", details="x")
    token = requests.sign_link(req, requests.CONFIRM_SALT)
    assert (
        "is confirmed"
        in client.post(reverse("weticket_privacy:confirm", args=[token])).content.decode()
    )
    again = client.post(reverse("weticket_privacy:confirm", args=[token])).content.decode()
    assert "already confirmed" in again
    assert AuditEntry.objects.filter(request=req, action="verified").count() == 1


# --- the form ------------------------------------------------------------------------------


def post_form(client, email="sam@example.net", address="198.51.100.7", **extra):
    return client.post(
        reverse("weticket_privacy:request"),
        {"kind": Kind.ACCESS, "email": email, **extra},
        REMOTE_ADDR=address,
    )


def test_the_honeypot_makes_nothing_but_looks_the_same(client):
    response = post_form(client, website="http://spam.example")
    assert response.status_code == 302 and "sent=" in response["Location"]
    assert not DataSubjectRequest.objects.exists()


def test_per_address_and_per_email_limits(client, settings):
    settings.WETICKET = {
        **settings.WETICKET,
        "PRIVACY_REQUEST_LIMITS": {"per_address_per_hour": 3, "per_email_per_day": 2},
    }
    for _ in range(3):
        assert post_form(client, email="one@example.net").status_code == 302
    assert DataSubjectRequest.objects.count() == 2  # the third for that email is silently dropped
    limited = post_form(client, email="two@example.net")
    assert limited.status_code == 429 and limited["Retry-After"] == "3600"
    assert "Too many requests" in limited.content.decode()
    assert post_form(client, email="two@example.net", address="203.0.113.9").status_code == 302
    assert DataSubjectRequest.objects.count() == 3


def test_form_errors_are_shown_and_lengths_are_those_of_the_model(client):
    response = post_form(client, email="x" * 250 + "@example.net")
    assert response.status_code == 400
    response = client.post(
        reverse("weticket_privacy:request"), {"kind": Kind.RECTIFICATION, "email": "a@b.nl"}
    )
    assert response.status_code == 400 and "what your request is about" in response.content.decode()
    response = post_form(client, name="n" * 201)
    assert response.status_code == 400


def test_the_page_says_what_happens_next_and_by_when(client):
    response = client.get(reverse("weticket_privacy:request") + "?sent=access")
    text = response.content.decode()
    assert "What happens next" in text and "72 hours" in text and "4 weeks" in text
    assert date_format(timezone.localdate() + datetime.timedelta(weeks=4)) in text


# --- expiry and reminders ------------------------------------------------------------------------


def test_unconfirmed_requests_expire_and_forget_what_was_typed():
    req = requests.submit_request(kind=Kind.ERASURE, email="sam@example.net", details="secret")
    later = timezone.now() + datetime.timedelta(hours=80)
    assert erasure.expire_unconfirmed(now=later) == 1
    req.refresh_from_db()
    assert req.status == Status.EXPIRED and req.email == "" and req.details == ""
    confirm = OutboxMessage.objects.get(object_ref=req.object_ref)
    assert confirm.to == "" and "sam@example.net" not in confirm.body_text
    assert erasure.expire_unconfirmed(now=later) == 0


def test_daily_reminders_go_once_to_each_handler(settings):
    settings.WETICKET = {**settings.WETICKET, "PRIVACY_CONTACT_EMAIL": "privacy@example.org"}
    handler = UserFactory(username="handler", email="handler@example.org", is_superuser=True)
    mine = confirmed(email="a@example.net", when=at(2026, 1, 5, 9))
    nobodys = confirmed(email="b@example.net", when=at(2026, 1, 5, 9))
    confirmed(email="c@example.net", when=at(2026, 1, 5, 9))
    DataSubjectRequest.objects.filter(pk=mine.pk).update(assignee=handler)
    DataSubjectRequest.objects.filter(pk=nobodys.pk).update(due_on=D(2026, 1, 20))
    today = D(2026, 1, 28)  # all three due 2 February or earlier: within 7 days

    assert reminders.send_reminders(today) == 2
    assert reminders.send_reminders(today) == 0  # once a day
    to_handler = OutboxMessage.objects.get(to="handler@example.org")
    assert mine.reference in to_handler.body_text and nobodys.reference not in to_handler.body_text
    to_contact = OutboxMessage.objects.get(
        to="privacy@example.org", topic="privacy_request_reminders"
    )
    assert "OVERDUE" in to_contact.body_text and "a@example.net" not in to_contact.body_text
    assert reminders.send_reminders(today + datetime.timedelta(days=1)) == 2


def test_the_audit_trail_cannot_be_changed():
    req = confirmed()
    entry = req.audit_entries.first()
    with pytest.raises(AuditTrailImmutable):
        entry.save()
    with pytest.raises(AuditTrailImmutable):
        entry.delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(message="rewritten")
    with pytest.raises(AuditTrailImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEntry.objects.all().redact(message="rewritten")


def test_the_form_speaks_dutch(client):
    response = client.get(reverse("weticket_privacy:request"), HTTP_ACCEPT_LANGUAGE="nl")
    text = response.content.decode()
    assert "Wat wilt u doen?" in text and "Mijn gegevens wissen (gegevenswissing)" in text


def test_the_request_page_an_editor_places_takes_requests_too(client, home):
    from weticket_wagtail.privacy.models import PrivacyRequestPage

    page = home.add_child(
        instance=PrivacyRequestPage(
            title="Your data", slug="your-data", intro="<p>Ask us anything about your data.</p>"
        )
    )
    page.save_revision().publish()
    shown = client.get(page.url).content.decode()
    assert "Ask us anything about your data." in shown and 'name="website"' in shown
    response = client.post(page.url, {"kind": Kind.PORTABILITY, "email": "Pat@Example.net"})
    assert response.status_code == 302 and response["Location"].startswith(page.url + "?sent=")
    assert "What happens next" in client.get(response["Location"]).content.decode()
    req = DataSubjectRequest.objects.get()
    assert req.email == "pat@example.net" and req.site is not None
    assert requests.request_form_url(kind="human_review", order_reference="ABC") == (
        f"http://testserver{page.url}?type=human_review&order=ABC"
    )
