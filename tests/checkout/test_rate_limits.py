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


def test_refusals_can_be_framed_by_the_organisations_origins(settings, on_sale):
    """A 429 and a failed CSRF check answer with a page an embedded shop can show."""
    from django.test import Client

    settings.WETICKET = {**settings.WETICKET, "RATE_LIMITS": {"reserve": 1}}
    organisation = on_sale["organisation"]
    organisation.embed_origins = "https://venue.example"
    organisation.save()
    url = "/tickets/test-org/jazz-night/?parent=https://venue.example"
    field = f"quantity_{on_sale['regular'].pk}"
    visitor = Client()
    visitor.post(url, {field: "1"})
    limited = visitor.post(url, {field: "1"})
    assert limited.status_code == 429
    csrf = Client(enforce_csrf_checks=True).post(url, {field: "1"})
    assert csrf.status_code == 403
    assert "did not send the security cookie" in csrf.content.decode()
    for response in (limited, csrf):
        assert response["Content-Security-Policy"] == "frame-ancestors 'self' https://venue.example"
        assert "X-Frame-Options" not in response
        assert 'data-weticket-parent="https://venue.example"' in response.content.decode()
        assert "embed-frame.js" in response.content.decode()
