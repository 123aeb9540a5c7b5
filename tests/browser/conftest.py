"""Fixtures for the browser tests: Chromium through Playwright, our site on ``live_server``,
the Mollie test double, and foreign websites served from other ports of ``localhost``.

Our site runs on ``http://localhost:<port>`` (pytest-django's ``live_server``, which also
serves static files through ``django.contrib.staticfiles``). The "other websites" that embed
the shop run on other ports of ``localhost``: a different origin, but the same site, so the
shop's CSRF cookie (``SameSite=Lax``) is sent inside their iframe. A real embedding website
is another site: there the shop must be served over https with ``CSRF_COOKIE_SAMESITE =
"None"`` and ``CSRF_COOKIE_SECURE = True`` (see the README, "Embedding on a website that is
not Wagtail").
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, TicketTypeFactory

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
#: Where the screenshots for the README go (overwritten on every run).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Where a failing test leaves a screenshot and the HTML of every open page.
DEBUG_DIR = Path(
    os.environ.get("WETICKET_BROWSER_DEBUG_DIR") or Path(tempfile.gettempdir()) / "weticket-browser"
)
SCREENSHOT_WIDTH = 1200
ORG_KEY = "test_" + "OrgKey" * 6
TIMEOUT_MS = 15_000
EXPECT_TIMEOUT_MS = 10_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item, so fixtures can tell that a test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def browser(chromium_path, request, monkeypatch):
    """A headless Chromium; on failure, every page it had open is saved to ``DEBUG_DIR``."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    # Playwright's sync API marks an asyncio loop as running on this thread, which Django's
    # async-safety check mistakes for async code calling the ORM. The ORM also gets its own
    # database connection while Playwright runs; it is closed below, or the test database
    # could not be dropped at the end of the session.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            failed = getattr(request.node, "rep_call", None)
            if failed is not None and failed.failed:
                _save_debug(chromium, request.node.name)
            chromium.close()
            connections.close_all()


def _save_debug(chromium, name: str) -> None:
    DEBUG_DIR.mkdir(parents=True, exist_ok=True)
    for c, context in enumerate(chromium.contexts):
        for p, page in enumerate(context.pages):
            stem = DEBUG_DIR / f"{name}-{c}-{p}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                stem.with_suffix(".html").write_text(page.content())
                for f, frame in enumerate(page.frames[1:]):
                    Path(f"{stem}-frame{f}.html").write_text(
                        f"<!-- {frame.url} -->\n{frame.content()}"
                    )
            except Exception as exc:  # best effort: never hide the real failure
                stem.with_suffix(".txt").write_text(f"could not save: {exc!r}")


@pytest.fixture
def new_page(browser) -> Callable:
    """A page in a fresh context (a new visitor: no cookies), 1200px wide, English."""

    def make(width: int = SCREENSHOT_WIDTH, height: int = 800):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="en-GB", device_scale_factor=1
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        return context.new_page()

    return make


@pytest.fixture
def shop_settings(settings, live_server, mollie_double):
    """Our site on ``live_server``, paying at the Mollie double, which calls back our webhook."""
    settings.WETICKET = {
        **settings.WETICKET,
        "PUBLIC_BASE_URL": live_server.url,
        "MOLLIE_API_ENDPOINT": mollie_double.api_endpoint,
        "MOLLIE_TIMEOUT": 5,
    }
    return settings


@pytest.fixture
def on_sale(transactional_db):
    """An organisation (with a Mollie key for the double) selling two ticket types."""
    starts_at = datetime(date.today().year + 1, 7, 10, 20, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    organisation = OrganisationFactory(
        name="Stichting Jazz aan Zee",
        slug="jazz-aan-zee",
        mollie_api_key=ORG_KEY,
        primary_colour="#7c2d12",
        accent_colour="#b45309",
    )
    event = EventFactory(
        organisation=organisation,
        title="Jazz Night",
        slug="jazz-night",
        venue="Het Paviljoen",
        description="Three bands on the beach, from sunset until late.",
        # A fixed date (next July) keeps the screenshots the same from run to run.
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=4),
    )
    regular = TicketTypeFactory(
        event=event, name="Regular", price=Decimal("24.50"), capacity=50, max_per_order=6
    )
    student = TicketTypeFactory(
        event=event,
        name="Student",
        price=Decimal("15.00"),
        capacity=8,
        max_per_order=4,
        description="Show your student card at the door.",
    )
    return {"organisation": organisation, "event": event, "regular": regular, "student": student}


@pytest.fixture
def home_page(transactional_db):
    """The site's home page and a default Site pointing at it.

    Wagtail's migrations create a root page and a site, but transactional tests flush every
    table afterwards, so whichever test runs second starts without them: build what is missing.
    """
    from home.models import HomePage
    from wagtail.models import Locale, Page, Site

    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(title="Root", slug="root")
    home = HomePage.objects.first()
    if home is None:
        home = root.add_child(instance=HomePage(title="Home", slug="start"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Demo"},
    )
    return home


class _StaticSite(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self):  # http.server's naming
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture
def foreign_site() -> Iterator[Callable[[str], str]]:
    """Serve an HTML page from a new port of localhost: another origin. Returns the origin."""
    servers = []

    def serve(html: str) -> str:
        handler = type("Site", (_StaticSite,), {"pages": {"/": html}})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://localhost:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def save_screenshot(page, name: str) -> Path:
    """A full-page screenshot for the README, in ``docs/screenshots/``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
