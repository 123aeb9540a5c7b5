"""Settings for the processes ``policy_fanout.py`` starts: the example site's, plus overrides.

Read from the environment: ``DATABASE_URL`` and ``CELERY_BROKER_URL`` (as the example site
does), ``BENCH_SMTP_PORT`` (the sink), ``WETICKET_CAMPAIGN_*`` (campaign settings, e.g.
``WETICKET_CAMPAIGN_RATE_PER_SECOND=0``), ``BENCH_MARK=after-accept`` to measure the simpler
outbox protocol that records a message after the server's answer instead of with its final dot,
``BENCH_READY_FILE``, written when the worker is ready, and ``BENCH_REDIS_KEYPREFIX``, which
prefixes every Redis key that the worker and the producers write (kombu's ``global_keyprefix``),
so the benchmark shares a Redis database with others without touching their keys.
"""

import os

from celery.signals import worker_ready
from demo.settings import *  # noqa: F403
from demo.settings import WETICKET

DEBUG = False
ALLOWED_HOSTS = ["*"]
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL  # noqa: F405
if keyprefix := os.environ.get("BENCH_REDIS_KEYPREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": keyprefix}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_SMTP_PORT", "1025"))
EMAIL_USE_TLS = EMAIL_USE_SSL = False
EMAIL_TIMEOUT = 30
WETICKET = {
    **WETICKET,
    # A fixed key: the demo's key derived from SECRET_KEY only works with DEBUG on.
    "ENCRYPTION_KEYS": ["3kK2cJ6m1E0mYc7nq8K6bX1J4Yq9pQ0r1o2c3d4e5f8="],
    "PUBLIC_BASE_URL": "https://tickets.example.org",
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


@worker_ready.connect
def _prepare_worker(**kwargs):
    if os.environ.get("BENCH_MARK") == "after-accept":
        from weticket_wagtail.mail import transmit

        transmit.recorder_for = transmit.RecordAfterAccept
    if ready_file := os.environ.get("BENCH_READY_FILE"):
        with open(ready_file, "w") as ready:
            ready.write(str(os.getpid()))
