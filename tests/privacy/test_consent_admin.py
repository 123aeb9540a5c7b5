"""Cookie consent in the Wagtail admin: groups and cookies per language, the consent log."""

from __future__ import annotations

import json

import pytest
from cookie_consent.models import Cookie, CookieGroup
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse

from weticket_wagtail.privacy.consent.viewsets import CONSENT_LOG_POLICY
from weticket_wagtail.privacy.models import ConsentRecord, CookieGroupText, CookieText
from weticket_wagtail.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    return client


def admin_user_with(*permissions: str):
    user = UserFactory()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    for label in permissions:
        app_label, codename = label.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def group_form(group: CookieGroup, **changes) -> dict:
    data = {
        "varname": group.varname,
        "ordering": group.ordering,
        "is_deletable": "on",
        "name_en": "Analytics",
        "description_en": "Counts visits.",
        "name_nl": "Analytisch",
        "description_nl": "Telt bezoeken.",
        "ask_again": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_privacy_menu_edits_a_group_in_every_language_and_asks_visitors_again(
    admin_client, consent_groups
):
    analytics = consent_groups["analytics"]
    before = analytics.get_version()
    url = reverse("weticket_cookie_groups:edit", args=[analytics.pk])
    page = admin_client.get(url).content.decode()
    assert "Name (English)" in page and "Name (Nederlands)" in page
    response = admin_client.post(
        url, group_form(analytics, name_nl="Statistiek", description_nl="Telt bezoeken.")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    analytics = CookieGroup.objects.get(pk=analytics.pk)
    assert CookieGroupText.objects.get(cookiegroup=analytics, language="nl").name == "Statistiek"
    # django-cookie-consent's own fields follow the site's default language (en in the tests).
    assert analytics.name == "Analytics" and analytics.description == "Counts visits."
    assert analytics.get_version() > before  # a new version: everyone is asked again


def test_a_correction_can_leave_the_version_alone(admin_client, consent_groups):
    analytics = consent_groups["analytics"]
    before = analytics.get_version()
    url = reverse("weticket_cookie_groups:edit", args=[analytics.pk])
    response = admin_client.post(url, group_form(analytics, name_en="Analytic", ask_again=None))
    assert response.status_code == 302
    assert CookieGroup.objects.get(pk=analytics.pk).get_version() == before


def test_declaring_a_cookie_makes_a_new_version_of_its_group(admin_client, consent_groups):
    marketing = consent_groups["marketing"]
    before = marketing.get_version()
    response = admin_client.post(
        reverse("weticket_cookies:add"),
        {
            "cookiegroup": marketing.pk,
            "name": "_ttp",
            "domain": "",
            "path": "/",
            "description_en": "TikTok pixel.",
            "description_nl": "TikTok-pixel.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    cookie = Cookie.objects.get(name="_ttp")
    assert CookieText.objects.get(cookie=cookie, language="nl").description == "TikTok-pixel."
    assert CookieGroup.objects.get(pk=marketing.pk).get_version() > before


def test_editors_without_the_permissions_cannot_edit_cookie_groups(client, consent_groups):
    client.force_login(admin_user_with())
    assert client.get(reverse("weticket_cookie_groups:index")).status_code in (302, 403)
    edit = reverse("weticket_cookie_groups:edit", args=[consent_groups["analytics"].pk])
    assert client.post(edit, group_form(consent_groups["analytics"])).status_code in (302, 403)
    assert CookieGroupText.objects.get(
        cookiegroup=consent_groups["analytics"], language="en"
    ).description.startswith("Google Analytics")


# --- the consent log ----------------------------------------------------------------------------


def _choose(ip: str) -> str:
    from django.test import Client

    response = Client().post(
        "/tickets/consent/choice/",
        json.dumps({"accept": ["analytics"], "method": "custom"}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )
    return response.json()["consentId"]


def test_the_consent_log_is_found_by_consent_id_and_exported(admin_client, consent_groups):
    wanted, other = _choose("198.51.100.23"), _choose("192.0.2.99")
    index = reverse("weticket_consent_log:index")
    found = admin_client.get(index, {"q": wanted}).content.decode()
    assert wanted in found and other not in found
    assert "198.51.100.0/24" in found
    record = ConsentRecord.objects.get(consent_id=wanted)
    inspect = admin_client.get(reverse("weticket_consent_log:inspect", args=[record.pk]))
    assert inspect.status_code == 200 and wanted in inspect.content.decode()

    export = admin_client.get(index, {"export": "csv"})
    assert export.status_code == 200
    csv = b"".join(export.streaming_content).decode() if export.streaming else export.content
    csv = csv if isinstance(csv, str) else csv.decode()
    assert wanted in csv and other in csv
    assert "analytics (" in csv and "198.51.100.0/24" in csv
    assert "198.51.100.23" not in csv


def test_nobody_can_change_the_consent_log(admin_client, consent_groups):
    _choose("198.51.100.23")
    for name in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"weticket_consent_log:{name}", args=[] if name == "add" else [1])
    record = ConsentRecord.objects.get()
    assert CONSENT_LOG_POLICY.user_has_permission(UserFactory(is_superuser=True), "view")
    for action in ("add", "change", "delete"):
        assert not CONSENT_LOG_POLICY.user_has_permission(UserFactory(is_superuser=True), action)
    page = admin_client.get(reverse("weticket_consent_log:inspect", args=[record.pk]))
    assert "/delete/" not in page.content.decode()


def test_the_consent_log_is_for_superusers_and_holders_of_its_permission(client, consent_groups):
    index = reverse("weticket_consent_log:index")
    client.force_login(admin_user_with())
    assert client.get(index).status_code in (302, 403)
    client.force_login(admin_user_with("weticket_privacy.view_consentrecord"))
    assert client.get(index).status_code == 200
