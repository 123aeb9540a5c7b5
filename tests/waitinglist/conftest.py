"""What the waiting list's end-to-end tests share: a clock that can be moved forward, the
periodic tasks run as celery beat runs them, and the steps a person takes over HTTP."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINK = re.compile(r"https?://\S+")

#: The beat entries (example_site/demo/settings.py, the README) that move the waiting list on.
SWEEPS = (
    "weticket_wagtail.ticketing.tasks.release_expired_reservations_task",
    "weticket_wagtail.waitinglist.tasks.move_expired_offers_task",
    "weticket_wagtail.mail.tasks.sweep_outbox_task",
)


class MovableClock:
    """``django.utils.timezone.now`` that runs with the real clock, shifted by what the test
    moved it forward. Patched at the module, so the live server's thread reads it too."""

    def __init__(self, real):
        self._real = real
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._real() + self.offset

    def advance(self, **delta: float) -> datetime:
        self.offset += timedelta(**delta)
        return self()

    def move_to(self, moment: datetime) -> datetime:
        """Move forward to ``moment`` (never backwards)."""
        ahead = moment - self()
        if ahead > timedelta(0):
            self.offset += ahead
        return self()


@pytest.fixture
def clock(monkeypatch) -> MovableClock:
    moved = MovableClock(timezone.now)
    monkeypatch.setattr(timezone, "now", moved)
    return moved


def run_beat() -> None:
    """Run the periodic tasks the way production does: each by the name beat schedules it
    under, from its module as the worker's autodiscovery imports it (eager in tests, as with
    no broker)."""
    from celery import current_app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in SWEEPS:
        assert name in scheduled, f"{name} is not in the beat schedule"
        importlib.import_module(name.rpartition(".")[0])
        current_app.tasks[name].delay()


def form_token(html: str) -> str:
    return CSRF.search(html).group(1)


def mails_to(sink, address: str, subject_part: str = "") -> list:
    return [
        message
        for message in sink.messages
        if message["To"] == address and subject_part in str(message["Subject"])
    ]


def link_in(message, path_part: str) -> str:
    """The one link in ``message``'s text whose path contains ``path_part``."""
    body = message.get_body(("plain",)).get_content()
    links = [link for link in LINK.findall(body) if path_part in link]
    assert len(links) == 1, (path_part, body)
    return links[0]


@dataclass
class Person:
    """Someone with a browser (a cookie jar) who reads their email in the SMTP sink."""

    email: str
    base_url: str
    sink: object

    def __post_init__(self):
        self.browser = requests.Session()

    def post_form(self, url: str, page: str, data: dict, **kwargs) -> requests.Response:
        return self.browser.post(
            url,
            {"csrfmiddlewaretoken": form_token(page), **data},
            headers={"Referer": url},
            **kwargs,
        )

    def join(self, shop_url: str, ticket_type) -> requests.Response:
        shop = self.browser.get(shop_url)
        assert shop.status_code == 200 and "Join the waiting list" in shop.text, shop.text
        join_url = f"{self.base_url}/tickets/waiting-list/join/test-org/jazz-night/"
        return self.post_form(
            join_url,
            shop.text,
            {"ticket_type": ticket_type.pk, "email": self.email, "quantity": 1, "consent": "on"},
        )

    def confirm_from_email(self) -> requests.Response:
        [mail] = mails_to(self.sink, self.email, "waiting list")
        url = link_in(mail, "/confirm/")
        page = self.browser.get(url)
        assert page.status_code == 200
        return self.post_form(url, page.text, {})

    def offers(self) -> list:
        return mails_to(self.sink, self.email, "held for you")

    def checkout_from_offer(self, name: str) -> tuple[requests.Response, str]:
        """Follow the offer link, give name and address, and be sent to Mollie (its URL)."""
        [offer] = self.offers()
        page = self.browser.get(link_in(offer, "/offer/"))
        assert page.status_code == 200 and "/tickets/checkout/" in page.url, page.text
        to_mollie = self.post_form(
            page.url,
            page.text,
            {"buyer_name": name, "buyer_email": self.email},
            allow_redirects=False,
        )
        assert to_mollie.status_code == 303, to_mollie.text
        return page, to_mollie.headers["Location"]

    def pay_at_mollie(self, checkout_url: str, status: str = "paid") -> requests.Response:
        assert self.browser.get(checkout_url).status_code == 200
        return self.browser.post(checkout_url, {"status": status, "method": "ideal"})
