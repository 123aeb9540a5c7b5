"""The README's install section, performed: the wheel goes into a brand-new `wagtail start`
project, exactly the README's snippets are applied, and a visitor buys a ticket there.

The snippets are read from README.md (each follows an ``<!-- install-test: name -->`` marker),
so the documentation cannot drift from what works. The new project runs in a virtualenv of its
own, with only the wheel and its dependencies installed; it pays at the Mollie test double,
started with the management command the README describes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
import venv
from pathlib import Path

import pytest
import requests

from .browser.conftest import CHROMIUM_ARGS
from .conftest import CHROMIUM, REQUIRE_SERVICES, _port_open, require_service

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "screenshots" / "client-site-block.png"
SNIPPET = re.compile(
    r"<!-- install-test: (?P<name>[\w-]+) -->\n```[\w-]*\n(?P<code>.*?)\n```", re.DOTALL
)
SNIPPETS = {
    "settings",
    "cache-settings",
    "urls",
    "models",
    "template",
    "dev-settings",
    "celery-app",
    "celery-init",
    "celery-settings",
}
#: setuptools' and distutils' warnings ("warning: ...", "WARNING ...", "...Warning: ..."), not
#: file names that happen to hold the word.
BUILD_WARNING = re.compile(r"^\s*warning\b|warning:", re.IGNORECASE)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSS = '<link href="/static/weticket_wagtail/weticket.css" media="all" rel="stylesheet">'
JS = '<script src="/static/weticket_wagtail/checkout.js" defer></script>'

SEED = """
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from wagtail.models import Site
from wagtail.rich_text import RichText

from home.models import ArticlePage
from weticket_wagtail.ticketing.models import Event, Organisation, TicketType

organisation = Organisation.objects.create(
    name="Stichting Nieuw", slug="nieuw", contact_email="info@nieuw.example",
    primary_colour="#14532d",
)
# A fixed date (next July) keeps the README's screenshot the same from run to run.
starts_at = datetime(timezone.now().year + 1, 7, 10, 20, 0, tzinfo=UTC)
event = Event.objects.create(
    organisation=organisation, title="Opening night", venue="De Nieuwe Zaal",
    address="Plein 1, Utrecht", starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
    is_published=True, description="The first evening in the new hall.",
)
regular = TicketType.objects.create(
    event=event, name="Regular", price=Decimal("12.50"), capacity=100, max_per_order=6
)
TicketType.objects.create(event=event, name="Friend", price=Decimal("0"), capacity=20)
home = Site.objects.get(is_default_site=True).root_page
page = home.add_child(instance=ArticlePage(title="Opening night", slug="opening", body=[
    ("paragraph", RichText("<p>Our new hall opens. Come along!</p>")),
    ("ticket_shop", {"event": event, "ticket_types": [], "heading": "", "button_text": ""}),
    ("event_details", {"event": event, "show_description": True}),
]))
page.save_revision().publish()
print(json.dumps({"url": page.url, "event_slug": event.slug, "regular": regular.pk}))
"""

CELERY_CHECK = """
import json
from mysite import celery_app
from django.conf import settings
celery_app.loader.import_default_modules()
scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
print(json.dumps({"missing": [t for t in scheduled if t not in celery_app.tasks]}))
"""


def readme_snippets() -> dict[str, str]:
    """The README's install snippets by name."""
    text = (ROOT / "README.md").read_text()
    return {m["name"]: m["code"] + "\n" for m in SNIPPET.finditer(text)}


def test_the_readme_marks_every_install_snippet():
    assert set(readme_snippets()) == SNIPPETS


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_wheel(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    built = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)])
    warnings = [
        line
        for line in (built.stdout + built.stderr).splitlines()
        if BUILD_WARNING.search(line) and "byte-compiling is disabled" not in line
    ]
    assert warnings == [], "the build is not quiet:\n" + "\n".join(warnings[:20])
    wheel = next(dist.glob("weticket_wagtail-*.whl"))
    names = run([sys.executable, "-m", "zipfile", "-l", str(wheel)]).stdout
    for shipped in (
        "weticket_wagtail/ticketing/migrations/0001_initial.py",
        "weticket_wagtail/blocks/migrations/0003_organisation_page_permissions.py",
        "weticket_wagtail/locale/nl/LC_MESSAGES/django.mo",
        "weticket_wagtail/checkout/templates/weticket_wagtail/checkout/base.html",
        "weticket_wagtail/blocks/templates/weticket_wagtail/blocks/ticket_shop.html",
        "weticket_wagtail/mail/templates/weticket_wagtail/email/_base.html",
        "weticket_wagtail/privacy/starter/nl.toml",
        "weticket_wagtail/static/weticket_wagtail/checkout.js",
        "weticket_wagtail/static/weticket_wagtail/weticket.css",
        "weticket_wagtail/templatetags/weticket.py",
    ):
        assert shipped in names, shipped
    assert "tests/" not in names and "example_site/" not in names
    assert "__pycache__" not in names
    # Templates live in their apps; a stale build/ folder would ship the old core copies too.
    assert "weticket_wagtail/templates/" not in names
    return wheel


def apply_snippets(project: Path, snippets: dict[str, str]) -> None:
    """What the README tells an agency to do, in the files it names."""
    settings = project / "mysite" / "settings"
    base = settings / "base.py"
    base.write_text(
        base.read_text()
        + "\n"
        + snippets["settings"]
        + "\n"
        + snippets["cache-settings"]
        + "\n"
        + snippets["celery-settings"]
    )
    dev = settings / "dev.py"
    local_import = "try:\n    from .local import *"
    text = dev.read_text()
    assert local_import in text
    dev.write_text(text.replace(local_import, snippets["dev-settings"] + "\n" + local_import))

    urls = project / "mysite" / "urls.py"
    catch_all = '    path("", include(wagtail_urls)),'
    text = urls.read_text()
    assert catch_all in text
    urls.write_text(text.replace(catch_all, "    " + snippets["urls"].strip() + "\n" + catch_all))

    models = project / "home" / "models.py"
    models.write_text(models.read_text() + "\n\n" + snippets["models"])
    (project / "home" / "templates" / "home" / "article_page.html").write_text(snippets["template"])
    (project / "mysite" / "celery.py").write_text(snippets["celery-app"])
    init = project / "mysite" / "__init__.py"
    init.write_text(init.read_text() + snippets["celery-init"])


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _port_open("127.0.0.1", port):
            return
        assert process.poll() is None, "the server stopped"
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port}")


def buy_a_ticket(base: str, page_html: str, page_url: str, regular: int) -> str:
    """Reserve, give details, pay at the double's checkout page; returns the order page."""
    browser = requests.Session()
    browser.get(page_url)  # the CSRF cookie
    action = re.search(r'<form class="weticket-shop"[^>]*action="([^"]+)"', page_html).group(1)
    reserved = browser.post(
        base + action,
        {"csrfmiddlewaretoken": browser.cookies["csrftoken"], f"quantity_{regular}": "2"},
        headers={"Referer": page_url},
    )
    assert reserved.status_code == 200 and "/tickets/checkout/" in reserved.url, reserved.text[
        :2000
    ]
    to_mollie = browser.post(
        reserved.url,
        {
            "csrfmiddlewaretoken": CSRF.search(reserved.text).group(1),
            "buyer_name": "Zoë de Vries",
            "buyer_email": "zoe@example.org",
        },
        headers={"Referer": reserved.url},
        allow_redirects=False,
    )
    assert to_mollie.status_code == 303, to_mollie.text[:2000]
    checkout_url = to_mollie.headers["Location"]
    assert browser.get(checkout_url).status_code == 200  # the double's "Test payment" page
    order = browser.post(checkout_url, {"status": "paid", "method": "ideal"})
    assert order.status_code == 200 and "/tickets/order/" in order.url
    return order.text


def screenshot(url: str) -> None:
    """The block on the fresh site, for the README (only where Chromium is installed)."""
    if not shutil.which(CHROMIUM):
        require_service(not REQUIRE_SERVICES, f"Chromium at {CHROMIUM} for the screenshot")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(
                viewport={"width": 1200, "height": 800}, locale="en-GB", device_scale_factor=1
            )
            page.goto(url)
            page.wait_for_load_state("networkidle")
            label = page.locator("label.weticket-visually-hidden").first
            assert label.bounding_box()["width"] <= 1  # our CSS hides the labels visually
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True, animations="disabled")
        finally:
            chromium.close()


@pytest.mark.slow
def test_the_readme_install_section_works_in_a_new_wagtail_project(tmp_path):
    require_service(_port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    snippets = readme_snippets()
    assert set(snippets) == SNIPPETS
    wheel = build_wheel(tmp_path)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    run([python, "-m", "pip", "install", "--quiet", str(wheel)])
    project = tmp_path / "site"
    project.mkdir()
    run([str(env_dir / "bin" / "wagtail"), "start", "mysite", str(project)])
    apply_snippets(project, snippets)

    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTHON", "WETICKET"))
    }
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings.dev"

    def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return run([python, "manage.py", *args], cwd=project, env=env, **kwargs)

    # No keys with DEBUG on: a development key and a warning; with DEBUG off: an error.
    check = manage("check")
    assert "weticket.W001" in check.stderr and "weticket.E" not in check.stderr
    production = subprocess.run(
        [python, "manage.py", "check"],
        cwd=project,
        env={**env, "DJANGO_SETTINGS_MODULE": "mysite.settings.production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert production.returncode != 0 and "weticket.E001" in production.stderr
    manage("makemigrations", "home")
    manage("migrate", "--noinput")
    manage("check", "--database", "default")

    celery = json.loads(manage("shell", "-c", CELERY_CHECK).stdout.strip().splitlines()[-1])
    assert celery == {"missing": []}  # the README's beat schedule names real tasks

    processes: list[subprocess.Popen] = []
    double = None
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        double = subprocess.Popen(
            [python, "manage.py", "weticket_mollie_double", "--port", "0"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=(logs / "double.err").open("w"),
            text=True,
        )
        processes.append(double)
        double_url = re.search(r"http://127\.0\.0\.1:\d+", double.stdout.readline()).group(0)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        (project / "mysite" / "settings" / "local.py").write_text(
            "# This machine: free ports, and a cache key prefix of this run's own.\n"
            "from .base import CACHES, WETICKET\n"
            f"WETICKET['MOLLIE_API_ENDPOINT'] = {double_url!r}\n"
            f"WETICKET['PUBLIC_BASE_URL'] = {base!r}\n"
            f"CACHES['default']['KEY_PREFIX'] = 'wt-install-{uuid.uuid4().hex}'\n"
        )
        seeded = json.loads(manage("shell", "-c", SEED).stdout.strip().splitlines()[-1])
        assert seeded["event_slug"] == "opening-night"  # made from the title

        server = subprocess.Popen(
            [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=project,
            env=env,
            stdout=(logs / "server.out").open("w"),
            stderr=subprocess.STDOUT,
        )
        processes.append(server)
        wait_for_port(port, server)

        page_url = base + seeded["url"]
        page = requests.get(page_url, timeout=30)
        assert page.status_code == 200
        html = page.text
        assert html.count('class="weticket-qty"') == 2 and "Opening night" in html
        assert html.count(CSS) == 1 and html.count(JS) == 1  # the block brought them, once
        assert (
            requests.get(base + "/static/weticket_wagtail/weticket.css", timeout=30).status_code
            == 200
        )
        screenshot(page_url)

        order = buy_a_ticket(base, html, page_url, seeded["regular"])
        assert "Paid." in order
        assert order.count('class="weticket-qr"') == 2
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if double is not None and double.stdout:
            double.stdout.close()
