"""Settings of a Celery worker started by a test or benchmark: the test settings, pointed by
environment variables at a real database, a Redis broker and an SMTP sink on loopback.

``DATABASE_URL`` (read by ``tests.settings``), ``CELERY_BROKER_URL``, ``WETICKET_SMTP_PORT``
and optionally ``WETICKET_CAMPAIGN_*`` overrides, e.g. ``WETICKET_CAMPAIGN_LEASE_SECONDS=3``, and
``WETICKET_REDIS_KEYPREFIX``: a prefix for every Redis key the worker writes (kombu's
``global_keyprefix``), so a test shares a Redis database without touching other runs' keys.
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import WETICKET

CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
if keyprefix := os.environ.get("WETICKET_REDIS_KEYPREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": keyprefix}
DATABASES["default"]["CONN_MAX_AGE"] = None  # noqa: F405  (a worker keeps its connection)
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["WETICKET_SMTP_PORT"])
EMAIL_USE_TLS = EMAIL_USE_SSL = False
EMAIL_TIMEOUT = 10
WETICKET = {
    **WETICKET,
    "BROKER_URL": CELERY_BROKER_URL,
    **{
        key.removeprefix("WETICKET_"): float(value) if "RATE" in key else int(value)
        for key, value in os.environ.items()
        if key.startswith("WETICKET_CAMPAIGN_")
    },
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"weticket_wagtail": {"handlers": ["console"], "level": "WARNING"}},
}
