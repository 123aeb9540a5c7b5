"""An organisation without a Mollie key: paid tickets are refused before they are held (free
ones still work), and the admin, the dashboard and a system check say so."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.checks import run_checks
from mollie.api.client import Client

from weticket_wagtail.testing.factories import (
    EventFactory,
    MembershipFactory,
    OrganisationFactory,
    TicketTypeFactory,
)
from weticket_wagtail.ticketing.models import Reservation, ReservationLine
from weticket_wagtail.ticketing.services.availability import event_availability
from weticket_wagtail.ticketing.services.payability import PaymentsNotReady
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

from .test_admin_scoping import admin_user

pytestmark = pytest.mark.django_db
NOT_READY = "cannot take payments yet"
MANAGE = Path(__file__).resolve().parents[2] / "example_site" / "manage.py"
SITE_ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "demo.settings",
    "PYTHONPATH": str(MANAGE.parent),
}


@pytest.fixture
def keyless(settings):
    """An organisation with no key of its own, on a site without a fallback key."""
    settings.WETICKET = {**settings.WETICKET, "MOLLIE_FALLBACK_API_KEY": ""}
    organisation = OrganisationFactory(name="Keyless", slug="keyless", mollie_api_key="")
    event = EventFactory(organisation=organisation, title="Open air", slug="open-air")
    paid = TicketTypeFactory(event=event, name="Regular", price=Decimal("12.50"), capacity=5)
    free = TicketTypeFactory(event=event, name="Child", price=Decimal("0"), capacity=5)
    return {"organisation": organisation, "event": event, "paid": paid, "free": free}


def test_paid_tickets_are_refused_and_nothing_is_held(keyless):
    event, paid, free = keyless["event"], keyless["paid"], keyless["free"]
    with pytest.raises(PaymentsNotReady) as refused:
        reserve_tickets(event, {paid.pk: 2, free.pk: 1})
    assert "Free tickets can" in refused.value.message
    assert not Reservation.objects.exists() and not ReservationLine.objects.exists()
    assert event_availability(event)[paid.pk] == 5


def test_free_tickets_are_still_given_out(keyless):
    reservation = reserve_tickets(keyless["event"], {keyless["free"].pk: 2})
    assert reservation.lines.get().quantity == 2


def test_a_fallback_key_lets_every_organisation_sell(keyless, settings):
    settings.WETICKET = {**settings.WETICKET, "MOLLIE_FALLBACK_API_KEY": "test_" + "f" * 30}
    assert reserve_tickets(keyless["event"], {keyless["paid"].pk: 1}).lines.count() == 1


def test_the_buyer_reads_why_on_the_shop_page(client, keyless):
    paid = keyless["paid"]
    response = client.post("/tickets/keyless/open-air/", {f"quantity_{paid.pk}": "1"})
    assert response.status_code == 200
    assert NOT_READY in response.content.decode()
    assert not Reservation.objects.exists()
    dutch = client.post(
        "/tickets/keyless/open-air/", {f"quantity_{paid.pk}": "1"}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert "kan nog geen betalingen ontvangen" in dutch.content.decode()


def screens_of_a_member(client, organisation, event, username: str) -> dict[str, str]:
    """The organisation's and the event's edit screens and the dashboard, as a member sees them."""
    user = admin_user(username)
    MembershipFactory(organisation=organisation, user=user)
    client.force_login(user)
    urls = (
        f"/admin/weticket_organisations/edit/{organisation.pk}/",
        f"/admin/weticket_events/edit/{event.pk}/",
        "/admin/",
    )
    return {url: client.get(url).content.decode() for url in urls}


def test_the_organisation_and_event_screens_warn(client, keyless):
    screens = screens_of_a_member(client, keyless["organisation"], keyless["event"], "member")
    for url, body in screens.items():
        assert "Keyless" in body and NOT_READY in body, url


def test_an_organisation_with_a_key_gets_no_warning(client, keyless):
    ready = OrganisationFactory(name="Ready")  # the factory gives it a test key
    screens = screens_of_a_member(client, ready, EventFactory(organisation=ready), "ready")
    for url, body in screens.items():
        assert NOT_READY not in body, url  # and Keyless, another tenant, is not named either
        assert "Keyless" not in body, url


def test_the_system_check_names_the_organisation(keyless, settings):
    messages = [m for m in run_checks(databases=["default"]) if m.id == "weticket.W010"]
    assert messages and "Keyless" in messages[0].msg
    assert "weticket_mollie_double" in messages[0].hint
    assert not [m for m in run_checks() if m.id == "weticket.W010"]  # only with a database
    settings.WETICKET = {**settings.WETICKET, "MOLLIE_FALLBACK_API_KEY": "test_" + "f" * 30}
    assert not [m for m in run_checks(databases=["default"]) if m.id == "weticket.W010"]


def test_the_mollie_double_command_does_not_import_the_double_until_it_runs():
    code = (
        "import sys, django; django.setup();"
        "import weticket_wagtail.management.commands.weticket_mollie_double;"
        "print('weticket_wagtail.testing.mollie' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=SITE_ENV, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_mollie_double_command_serves_payments_until_stopped():
    command = [sys.executable, str(MANAGE), "weticket_mollie_double", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=SITE_ENV)
    try:
        first = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)  # in any language
        client = Client(api_endpoint=url)
        client.set_api_key("test_" + "d" * 30)
        payment = client.payments.create(
            {
                "amount": {"currency": "EUR", "value": "10.00"},
                "description": "A try-out",
                "redirectUrl": "http://127.0.0.1/return/",
            }
        )
        assert payment.status == "open" and payment.checkout_url.startswith(url)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        process.stdout.close()


def test_another_payment_provider_owns_its_credentials(keyless, settings):
    settings.WETICKET = {**settings.WETICKET, "PAYMENT_PROVIDER": "shop.providers.Adyen"}
    assert reserve_tickets(keyless["event"], {keyless["paid"].pk: 1}).lines.count() == 1
