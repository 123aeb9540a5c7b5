"""Test settings: the example site's, with the database chosen by what answers.

PostgreSQL when DATABASE_URL is set or a server answers on 127.0.0.1:5432, SQLite otherwise.
With WETICKET_REQUIRE_SERVICES=1 a missing PostgreSQL is an error, not a fallback.
"""

import os
import socket
import tempfile

import dj_database_url
from demo.settings import *  # noqa: F403
from demo.settings import INSTALLED_APPS, WETICKET


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


REQUIRE_SERVICES = os.environ.get("WETICKET_REQUIRE_SERVICES") == "1"

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config()}
elif _port_open("127.0.0.1", 5432):
    DATABASES = {"default": dj_database_url.parse("postgres://postgres@127.0.0.1:5432/weticket")}
elif REQUIRE_SERVICES:
    raise RuntimeError(
        "WETICKET_REQUIRE_SERVICES=1 but PostgreSQL does not answer on 127.0.0.1:5432 "
        "and DATABASE_URL is not set."
    )
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

DATABASES["default"]["CONN_MAX_AGE"] = 0
# A test database per run, so parallel runs on one machine (developers, helpers) never collide.
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["TEST"].setdefault("NAME", f"test_weticket_{os.getpid()}")

DEBUG = False
SECRET_KEY = "tests-only-secret-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
INSTALLED_APPS = list(INSTALLED_APPS)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WETICKET = {
    **WETICKET,
    # Two fixed test keys so that rotation can be exercised.
    "ENCRYPTION_KEYS": ["3kK2cJ6m1E0mYc7nq8K6bX1J4Yq9pQ0r1o2c3d4e5f8="],
    "PUBLIC_BASE_URL": "http://testserver",
}
LANGUAGE_CODE = "en"
MEDIA_ROOT = tempfile.mkdtemp(prefix="weticket-test-media-")
ROOT_URLCONF = "tests.urls"
