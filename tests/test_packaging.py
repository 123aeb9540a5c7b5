"""The wheel installs into a brand-new Wagtail project the way the README says."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SETTINGS_SNIPPET = """
# --- added as the weticket-wagtail README says ---
INSTALLED_APPS = [*INSTALLED_APPS, *__import__("weticket_wagtail").INSTALLED_APPS]
WETICKET = {
    "ENCRYPTION_KEYS": ["3kK2cJ6m1E0mYc7nq8K6bX1J4Yq9pQ0r1o2c3d4e5f8="],
    "PUBLIC_BASE_URL": "https://tickets.example.org",
}
CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
"""

URLS_SNIPPET = """
# --- added as the weticket-wagtail README says: before Wagtail's catch-all ---
urlpatterns.insert(0, path("tickets/", include("weticket_wagtail.urls")))
"""


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.slow
def test_wheel_installs_into_a_new_wagtail_project(tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)])
    wheel = next(dist.glob("weticket_wagtail-*.whl"))
    names = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True
    ).stdout
    for shipped in (
        "weticket_wagtail/ticketing/migrations/0001_initial.py",
        "weticket_wagtail/locale/nl/LC_MESSAGES/django.mo",
        "weticket_wagtail/checkout/templates/weticket_wagtail/checkout/base.html",
        "weticket_wagtail/mail/templates/weticket_wagtail/email/_base.html",
        "weticket_wagtail/static/weticket_wagtail/checkout.js",
    ):
        assert shipped in names, shipped
    assert "tests/" not in names and "example_site/" not in names

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    run([python, "-m", "pip", "install", "--quiet", str(wheel)])

    project = tmp_path / "site"
    project.mkdir()
    run([str(env_dir / "bin" / "wagtail"), "start", "mysite", str(project)])
    settings_file = project / "mysite" / "settings" / "base.py"
    settings_file.write_text(settings_file.read_text() + SETTINGS_SNIPPET)
    urls_file = project / "mysite" / "urls.py"
    urls_file.write_text(urls_file.read_text() + URLS_SNIPPET)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTHON"))}
    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings.dev"
    check = run([python, "manage.py", "check"], cwd=project, env=env)
    assert "weticket.E" not in check.stdout + check.stderr
    run([python, "manage.py", "migrate", "--noinput"], cwd=project, env=env)
    shown = run([python, "manage.py", "showmigrations", "weticket_ticketing"], cwd=project, env=env)
    assert "[X] 0001_initial" in shown.stdout
