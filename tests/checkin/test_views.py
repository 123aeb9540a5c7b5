"""The scanner's page and JSON behind each device's link, and the admin's lists, devices and
live counter, scoped to the user's organisations."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from weticket_wagtail.checkin.models import Checkin, CheckinList

from .conftest import Door, admin_member

pytestmark = pytest.mark.django_db


def post_scans(client, device, scans):
    return client.post(
        reverse("weticket_checkin:scan", args=[device.token]),
        json.dumps({"scans": scans}),
        content_type="application/json",
    )


def test_the_scanner_page_carries_the_public_key_and_no_secret(client, door):
    response = client.get(reverse("weticket_checkin:scanner", args=[door.device_a.token]))

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    config = json.loads(page.split('id="wtc-config" type="application/json">')[1].split("<")[0])
    door.organisation.refresh_from_db()
    assert config["verifyKey"] == door.organisation.ticket_verify_key
    assert config["eventSlug"] == door.event.slug and config["entrance"] == "A"
    assert door.organisation.ticket_signing_key not in page
    assert "vendor/jsQR-1.4.0.js" in page and "vendor/tweetnacl-1.0.3.min.js" in page


def test_scanning_over_http_checks_in_once_and_needs_no_csrf_token(door):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    ticket = door.ticket()
    scan = {"token": door.token(ticket), "id": "s1"}

    first = post_scans(client, door.device_a, [scan])
    second = post_scans(client, door.device_b, [{**scan, "id": "s2"}])

    assert first.status_code == 200
    assert first.json()["results"][0]["status"] == "ok"
    assert second.json()["results"][0]["status"] == "already"
    assert "at entrance A" in second.json()["results"][0]["message"]
    assert Checkin.objects.count() == 1


def test_bad_requests_get_a_clear_error_and_record_nothing(client, door):
    url = reverse("weticket_checkin:scan", args=[door.device_a.token])

    not_json = client.post(url, "{nope", content_type="application/json")
    no_list = client.post(url, json.dumps({"scans": "x"}), content_type="application/json")
    too_many = post_scans(client, door.device_a, [{"token": "x"}] * 501)

    assert not_json.status_code == 400 and "scans" in not_json.json()["error"]
    assert no_list.status_code == 400
    assert too_many.status_code == 413 and "500" in too_many.json()["error"]
    assert not Checkin.objects.exists()


def test_revoked_and_unknown_links_are_refused_and_rate_limited(client, door, settings):
    settings.WETICKET = {**settings.WETICKET, "RATE_LIMITS": {"checkin": 3}}
    door.device_a.revoked = True
    door.device_a.save()
    ticket = door.ticket()

    page = client.get(reverse("weticket_checkin:scanner", args=[door.device_a.token]))
    revoked = post_scans(client, door.device_a, [{"token": door.token(ticket)}])
    unknown = client.get(reverse("weticket_checkin:state", args=["no-such-device"]))
    limited = client.get(reverse("weticket_checkin:state", args=["still-guessing"]))
    working = post_scans(client, door.device_b, [{"token": door.token(ticket)}])

    assert page.status_code == 410 and "revoked" in page.content.decode()
    assert revoked.status_code == 410
    assert unknown.status_code == 404
    assert limited.status_code == 429
    # a working device is never limited by other addresses' failures or its own scans
    assert working.status_code == 200 and working.json()["results"][0]["status"] == "ok"


def test_organisers_see_only_their_own_lists_devices_and_counts(client, door):
    other = Door("other")
    member = admin_member("door-manager", door.organisation)
    tickets = [door.ticket() for _ in range(3)]
    post_scans(client, door.device_a, [{"token": door.token(tickets[0])}])
    client.force_login(member)

    lists = client.get(reverse("weticket_checkin_lists:index"))
    devices = client.get(reverse("weticket_checkin_devices:index"))
    counter = client.get(reverse("weticket_checkin_lists:counter"))
    foreign_edit = client.get(reverse("weticket_checkin_lists:edit", args=[other.main.pk]))
    foreign_device = client.get(reverse("weticket_checkin_devices:edit", args=[other.device_a.pk]))

    assert lists.status_code == 200
    text = lists.content.decode()
    assert "Door Night" in text and "Other Night" not in text
    assert f'data-weticket-counter="{door.main.pk}">1 / 3<' in text
    assert door.device_a.token in devices.content.decode()
    assert other.device_a.token not in devices.content.decode()
    assert counter.json() == {str(door.main.pk): {"checked_in": 1, "expected": 3, "percentage": 33}}
    assert foreign_edit.status_code == 404 and foreign_device.status_code == 404


def test_a_list_cannot_admit_another_events_ticket_types(client, door):
    from weticket_wagtail.testing.factories import EventFactory, TicketTypeFactory

    matinee = EventFactory(organisation=door.organisation, slug="matinee")
    matinee_type = TicketTypeFactory(event=matinee, name="Matinee", price=0)
    client.force_login(admin_member("door-manager", door.organisation))

    response = client.post(
        reverse("weticket_checkin_lists:add"),
        {"event": door.event.pk, "name": "Mixed", "ticket_types": [matinee_type.pk]},
    )

    assert response.status_code == 200
    assert "Choose ticket types of this list&#x27;s event." in response.content.decode()
    assert not CheckinList.objects.filter(name="Mixed").exists()


def test_an_organiser_cannot_put_a_device_on_another_organisations_list(client, door):
    other = Door("other")
    client.force_login(admin_member("door-manager", door.organisation))

    response = client.post(
        reverse("weticket_checkin_devices:add"),
        {"checkin_list": other.main.pk, "name": "Sneaky", "entrance": "Z"},
    )

    assert response.status_code == 200
    assert not other.main.devices.filter(name="Sneaky").exists()
