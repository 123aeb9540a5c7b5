"""Public forms are rate limited per client address."""

from __future__ import annotations

import pytest

from weticket_wagtail.ticketing.models import Reservation

pytestmark = pytest.mark.django_db


def test_too_many_reservation_posts_get_429_and_a_message(client, settings, on_sale):
    settings.WETICKET = {**settings.WETICKET, "RATE_LIMITS": {"reserve": 3}}
    field = f"quantity_{on_sale['regular'].pk}"
    statuses = [
        client.post("/tickets/test-org/jazz-night/", {field: "1"}).status_code for _ in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    refused = client.post("/tickets/test-org/jazz-night/", {field: "1"})
    assert refused["Retry-After"] == "60"
    assert "Too many attempts" in refused.content.decode()
    assert Reservation.objects.count() == 3
    # Reading the shop is never limited.
    assert client.get("/tickets/test-org/jazz-night/").status_code == 200


def test_another_address_has_its_own_allowance(client, settings, on_sale):
    settings.WETICKET = {**settings.WETICKET, "RATE_LIMITS": {"reserve": 1}}
    field = f"quantity_{on_sale['regular'].pk}"
    url = "/tickets/test-org/jazz-night/"
    assert client.post(url, {field: "1"}, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post(url, {field: "1"}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.post(url, {field: "1"}, REMOTE_ADDR="10.0.0.2").status_code == 302
