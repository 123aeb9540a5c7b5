"""Cookie consent: the choice cookie, the consent log as proof, and when visitors are asked again.

Browser behaviour (the banner, blocking, Consent Mode) is in tests/browser/test_consent.py.
"""

from __future__ import annotations

import io
import json

import pytest
from cookie_consent.cache import all_cookie_groups
from cookie_consent.models import Cookie, CookieGroup
from cookie_consent.util import get_cookie_value_from_request
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from weticket_wagtail.checks import check_cookie_consent
from weticket_wagtail.privacy.consent.choices import CONSENT_ID_RE, read_choice, record_choice
from weticket_wagtail.privacy.consent.defaults import install_default_groups
from weticket_wagtail.privacy.consent.reconsent import (
    ask_again_for_group,
    policy_marker,
)
from weticket_wagtail.privacy.consent.visitor import browser_family, ip_network
from weticket_wagtail.privacy.models import (
    ConsentRecord,
    ConsentSettings,
    CookieGroupText,
    CookieText,
    PolicyVersion,
)
from weticket_wagtail.privacy.registry import personal_data

from .conftest import publish

pytestmark = pytest.mark.django_db

CHOICE = "/tickets/consent/choice/"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def choose(client, *, accept=(), decline=(), method="custom", ip="203.0.113.57", **extra):
    return client.post(
        CHOICE,
        json.dumps({"accept": list(accept), "decline": list(decline), "method": method}),
        content_type="application/json",
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=FIREFOX,
        **extra,
    )


def cookie_request(client):
    """A request carrying the client's cookies, as django-cookie-consent reads them."""
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    return request


# --- the groups out of the box -------------------------------------------------------------


def test_a_site_starts_with_functional_analytics_and_marketing(consent_groups):
    functional, analytics, marketing = (
        consent_groups["functional"],
        consent_groups["analytics"],
        consent_groups["marketing"],
    )
    assert functional.is_required and not functional.is_deletable
    assert not analytics.is_required and not marketing.is_required
    assert {c.name for c in analytics.cookie_set.all()} == {"_ga", "_ga_*"}
    assert CookieGroupText.objects.get(cookiegroup=analytics, language="nl").name == "Analytisch"
    assert CookieGroupText.objects.get(cookiegroup=analytics, language="en").name == "Analytics"
    assert CookieText.objects.filter(cookie__name="_ga", language="nl").exists()
    # django-cookie-consent's own cache sees the optional groups only.
    assert set(all_cookie_groups()) == {"analytics", "marketing"}


def test_installing_the_defaults_again_adds_nothing_and_keeps_edits(consent_groups):
    from django.apps import apps

    text = CookieGroupText.objects.get(cookiegroup__varname="marketing", language="en")
    text.name = "Advertising"
    text.save()
    Cookie.objects.filter(name="_fbp").delete()
    counts = (CookieGroup.objects.count(), CookieGroupText.objects.count())
    install_default_groups(apps.get_model, "en")
    assert (CookieGroup.objects.count(), CookieGroupText.objects.count()) == counts
    text.refresh_from_db()
    assert text.name == "Advertising"
    assert Cookie.objects.filter(name="_fbp").count() == 1  # what was missing comes back


# --- a choice and its record ---------------------------------------------------------------


def test_a_choice_sets_the_cookie_and_stores_one_record_as_proof(client, consent_groups, statement):
    response = choose(client, accept=["analytics"], decline=["marketing"])
    assert response.status_code == 200
    body = response.json()
    assert CONSENT_ID_RE.match(body["consentId"])
    assert body["accepted"] == ["analytics"] and body["declined"] == ["marketing"]

    record = ConsentRecord.objects.get()
    analytics, marketing = consent_groups["analytics"], consent_groups["marketing"]
    assert record.consent_id == body["consentId"]
    assert record.accepted == {"analytics": analytics.get_version()}
    assert record.declined == {"marketing": marketing.get_version()}
    assert record.policy_version == PolicyVersion.objects.get(page=statement)
    assert record.ip_prefix == "203.0.113.0/24"
    assert record.user_agent_family == "Firefox on Windows"
    assert record.method == "custom"

    # The cookie is django-cookie-consent's, in its format: its own helpers read the choice...
    request = cookie_request(client)
    assert get_cookie_value_from_request(request, "analytics") is True
    assert get_cookie_value_from_request(request, "marketing") is False
    # ... and the banner's script can read it too (not HttpOnly).
    assert not response.cookies["cookie_consent"]["httponly"]


def test_later_choices_keep_the_consent_id_and_each_is_recorded(client, consent_groups):
    first = choose(client, method="accept_all", accept=["analytics", "marketing"]).json()
    second = choose(client, method="custom", decline=["analytics"]).json()
    assert first["consentId"] == second["consentId"]
    assert second["accepted"] == ["marketing"] and second["declined"] == ["analytics"]
    records = ConsentRecord.objects.filter(consent_id=first["consentId"]).order_by("pk")
    assert [r.method for r in records] == ["accept_all", "custom"]
    # Another browser gets its own id.
    other = choose(Client(), method="reject_all", decline=["analytics", "marketing"]).json()
    assert other["consentId"] != first["consentId"]


def test_withdrawing_deletes_the_groups_cookies(client, consent_groups):
    choose(client, accept=["analytics"])
    client.cookies["_ga"] = "GA1.1.123.456"
    client.cookies["_ga_ABC123"] = "GS1.1.789"
    client.cookies["_fbp"] = "fb.1.123"  # marketing: not withdrawn
    response = choose(client, decline=["analytics"])
    assert response.cookies["_ga"]["max-age"] == 0
    assert response.cookies["_ga_ABC123"]["max-age"] == 0
    assert "_fbp" not in response.cookies


def test_an_ipv6_address_is_kept_as_its_48_network_only(client, consent_groups):
    choose(client, accept=["analytics"], ip="2001:db8:85a3:1234:5678:8a2e:370:7334")
    assert ConsentRecord.objects.get().ip_prefix == "2001:db8:85a3::/48"


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("198.51.100.7", "198.51.100.0/24"),
        ("::ffff:198.51.100.7", "198.51.100.0/24"),
        ("2a02:a46b:1:2:3:4:5:6", "2a02:a46b:1::/48"),
        ("unknown", ""),
        ("", ""),
    ],
)
def test_ip_network(address, network):
    assert ip_network(address) == network


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        (FIREFOX, "Firefox on Windows"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        ("curl/8.5.0", "Other"),
    ],
)
def test_browser_family_keeps_no_version(agent, family):
    assert browser_family(agent) == family


def test_no_full_ip_address_is_stored_anywhere(client, consent_groups, require_postgres):
    """Every text and JSON column of every table, searched for the visitors' full addresses."""
    addresses = ["203.0.113.57", "2001:db8:85a3:1234:5678:8a2e:370:7334"]
    choose(client, accept=["analytics"], ip=addresses[0])
    choose(Client(), method="reject_all", decline=["analytics", "marketing"], ip=addresses[1])
    assert ConsentRecord.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'json', 'jsonb', 'inet')"
        )
        columns = cursor.fetchall()
        assert len(columns) > 50
        found = []
        for table, column in columns:
            for address in addresses:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',  # noqa: S608
                    [f"%{address}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, address))
    assert found == []


def test_the_endpoint_refuses_a_post_without_csrf_token(consent_groups):
    client = Client(enforce_csrf_checks=True)
    assert choose(client, accept=["analytics"]).status_code == 403
    token = client.get(CHOICE).json()["csrfToken"]
    assert choose(client, accept=["analytics"], HTTP_X_CSRFTOKEN=token).status_code == 200
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize(
    "payload",
    ["not json", '{"accept": "analytics"}', '{"method": "sneaky"}', "[1, 2]", '{"accept": [1]}'],
)
def test_unreadable_choices_are_refused_and_not_recorded(client, consent_groups, payload):
    response = client.post(CHOICE, payload, content_type="application/json")
    assert response.status_code == 400
    assert ConsentRecord.objects.count() == 0


def test_choices_are_rate_limited_per_address(client, consent_groups, settings):
    settings.WETICKET = {**settings.WETICKET, "RATE_LIMITS": {"consent": 2}}
    assert choose(client, accept=["analytics"]).status_code == 200
    assert choose(client, accept=["analytics"]).status_code == 200
    refused = choose(client, accept=["analytics"])
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert ConsentRecord.objects.count() == 2


def test_unknown_groups_are_ignored_and_a_group_in_both_lists_is_declined(client, consent_groups):
    body = choose(client, accept=["analytics", "nosuchgroup"], decline=["analytics"]).json()
    assert body["accepted"] == [] and body["declined"] == ["analytics"]


# --- page views ------------------------------------------------------------------------------


def _banner_on(site):
    ConsentSettings.objects.update_or_create(site=site, defaults={"show_banner": True})


def test_page_views_write_nothing_and_read_nothing_for_consent(client, consent_groups, statement):
    from wagtail.models import Site

    _banner_on(Site.objects.get(is_default_site=True))
    url = statement.url
    first = client.get(url)
    assert "data-weticket-consent-root" in first.content.decode()
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert client.get(url).status_code == 200
    consent_tables = ["cookie_consent", "consentsettings", "cookiegrouptext", "consentrecord"]
    assert [
        q for q in captured.captured_queries if any(t in q["sql"] for t in consent_tables)
    ] == []
    assert ConsentRecord.objects.count() == 0


def test_the_banner_html_is_the_same_for_every_visitor(client, consent_groups, statement):
    """No visitor's state in the HTML: pages with the banner may be cached and shared."""
    from wagtail.models import Site

    _banner_on(Site.objects.get(is_default_site=True))
    before = client.get(statement.url).content.decode()
    choose(client, accept=["analytics"])
    after = client.get(statement.url).content.decode()
    assert before == after
    assert '<section class="weticket-consent-banner" id="weticket-consent-banner"' in after
    assert "hidden>" in after.split('id="weticket-consent-banner"', 1)[1].split("<h2", 1)[0]


# --- asked again ------------------------------------------------------------------------------


def test_a_new_version_of_a_group_makes_an_earlier_choice_count_for_nothing(client, consent_groups):
    choose(client, accept=["analytics", "marketing"])
    request = cookie_request(client)
    assert get_cookie_value_from_request(request, "analytics") is True
    assert ask_again_for_group(CookieGroup.objects.get(varname="analytics"))
    assert get_cookie_value_from_request(cookie_request(client), "analytics") is None
    assert get_cookie_value_from_request(cookie_request(client), "marketing") is True


def test_a_material_statement_version_makes_every_earlier_choice_count_for_nothing(
    client, consent_groups, statement
):
    choose(client, accept=["analytics"], decline=["marketing"])
    entries = {"analytics": consent_groups["analytics"].get_version(), ".policy": "0"}
    groups = list(all_cookie_groups().values())
    assert read_choice(entries, groups, policy_marker(None)).accepted
    body = list(statement.body.raw_data)
    body[0]["value"]["content"][0]["value"] = "<p>We now also sell gift cards.</p>"
    publish(statement, body=body, change_summary="Gift cards.", change_is_material=True)
    marker = policy_marker(None)
    assert marker == PolicyVersion.objects.get(page=statement, number=2).pk
    stale = read_choice(entries, groups, marker)
    assert stale.stale_policy and not stale.accepted and not stale.declined
    # A minor version does not ask again.
    body[0]["value"]["content"][0]["value"] = "<p>We now also sell gift vouchers.</p>"
    publish(statement, body=body, change_summary="Wording.", change_is_material=False)
    assert policy_marker(None) == marker
    # The next choice drops what was chosen before, and records the new version in force.
    body = choose(client, accept=["marketing"], method="always_allow").json()
    assert body["accepted"] == ["marketing"] and body["declined"] == []
    assert ConsentRecord.objects.latest("pk").policy_version.number == 3


# --- the registry and the checks ---------------------------------------------------------------


def test_the_consent_log_is_declared_personal_data_but_nobody_to_write_to(client, consent_groups):
    registration = next(r for r in personal_data.registrations() if r.model is ConsentRecord)
    assert registration.email == "" and registration.reference == "consent_id"
    assert registration.retention == "consent_records"
    assert set(registration.categories) == {"ip_address", "device"}
    choose(client, accept=["analytics"])
    assert all(
        s.source != "weticket_privacy.consentrecord"
        for batch in personal_data.subjects()
        for s in batch
    )


def test_record_choice_works_without_the_endpoint(consent_groups):
    from django.http import HttpResponse

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10")
    request.COOKIES = {}
    response = HttpResponse()
    record = record_choice(request, response, accept=["marketing"], method="always_allow")
    assert record.accepted == {"marketing": consent_groups["marketing"].get_version()}
    assert record.ip_prefix == "192.0.2.0/24"
    assert "cookie_consent" in response.cookies


def test_system_checks_explain_a_missing_settings_app_and_missing_urls(monkeypatch):
    import django.urls
    from django.apps import apps

    assert check_cookie_consent() == []
    installed = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name != "wagtail.contrib.settings" and installed(name)
    )

    def no_consent_urls(name, *args, **kwargs):
        raise django.urls.NoReverseMatch(name)

    monkeypatch.setattr(django.urls, "reverse", no_consent_urls)
    assert [message.id for message in check_cookie_consent()] == ["weticket.W006", "weticket.W007"]


def test_the_example_site_switches_the_banner_on(consent_groups):
    call_command("weticket_demo", stdout=io.StringIO())
    from wagtail.models import Site

    settings_row = ConsentSettings.objects.get(site=Site.objects.get(is_default_site=True))
    assert settings_row.show_banner and settings_row.google_analytics_id.startswith("G-")
