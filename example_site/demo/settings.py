"""Example site settings: a Wagtail project that installs weticket-wagtail as an agency would.

SQLite by default; PostgreSQL when DATABASE_URL is set. Redis-backed Celery when
CELERY_BROKER_URL is set; tasks run eagerly otherwise.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-secret-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "home",
    # weticket-wagtail: the core app first, then its parts.
    "weticket_wagtail",
    "weticket_wagtail.mail",
    "cookie_consent",
    "weticket_wagtail.privacy",
    "weticket_wagtail.ticketing",
    "weticket_wagtail.waitinglist",
    "weticket_wagtail.payments",
    "weticket_wagtail.checkin",
    "weticket_wagtail.insights",
    "weticket_wagtail.checkout",
    "weticket_wagtail.blocks",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "demo.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "demo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ]
        },
    }
]

WSGI_APPLICATION = "demo.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
# Wagtail's i18n: pages, such as the privacy statement, exist once per language and are linked
# as translations ("Translate" in the page's menu, wagtail.contrib.simple_translation). The
# demo's privacy statement is in both. Without i18n_patterns in urls.py, a page's translations
# share its URL and the visitor's language (LocaleMiddleware) picks one.
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "demo" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

WAGTAIL_SITE_NAME = "WeTicket demo"
WAGTAILADMIN_BASE_URL = os.environ.get("WETICKET_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# The console, with a summary of each message instead of its base64 attachments.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "demo.mail.SummaryEmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "1025"))
DEFAULT_FROM_EMAIL = "WeTicket demo <tickets@example.org>"

# Celery: Redis when a broker URL is given, eager (in-process, after commit) otherwise.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", os.environ.get("REDIS_URL", ""))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "weticket-sweep-outbox": {
        "task": "weticket_wagtail.mail.tasks.sweep_outbox_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "weticket-resume-policy-campaigns": {
        "task": "weticket_wagtail.privacy.tasks.resume_campaigns_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "weticket-release-expired-reservations": {
        "task": "weticket_wagtail.ticketing.tasks.release_expired_reservations_task",
        "schedule": 60.0,
    },
    "weticket-move-expired-waiting-list-offers": {
        "task": "weticket_wagtail.waitinglist.tasks.move_expired_offers_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "weticket-send-owed-refunds": {
        "task": "weticket_wagtail.payments.tasks.send_owed_refunds_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "weticket-reconcile-payments": {
        "task": "weticket_wagtail.payments.tasks.reconcile_payments_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "weticket-sweep-privacy-requests": {
        "task": "weticket_wagtail.privacy.tasks.sweep_requests_task",
        "schedule": 600.0,
        "options": {"expires": 550},
    },
    "weticket-privacy-request-reminders": {
        "task": "weticket_wagtail.privacy.tasks.send_request_reminders_task",
        "schedule": crontab(hour=8, minute=0),
    },
    "weticket-retention-purge": {
        "task": "weticket_wagtail.privacy.tasks.purge_task",
        "schedule": crontab(hour=3, minute=30),
    },
}

WETICKET = {
    "ENCRYPTION_KEYS": [
        k for k in os.environ.get("WETICKET_ENCRYPTION_KEYS", "").split(",") if k.strip()
    ],
    "PUBLIC_BASE_URL": os.environ.get("WETICKET_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
    "MOLLIE_API_ENDPOINT": os.environ.get("WETICKET_MOLLIE_API_ENDPOINT", ""),
    "MOLLIE_FALLBACK_API_KEY": os.environ.get("WETICKET_MOLLIE_FALLBACK_API_KEY", ""),
}
if os.environ.get("WETICKET_RATE_LIMITS") == "off":
    # Load tests send every buyer from 127.0.0.1; real buyers come from their own addresses.
    WETICKET["RATE_LIMITS"] = {}
if os.environ.get("WETICKET_ADDRESS_HOLD_LIMITS") == "off":
    # The same for the tickets one address may hold (each load-test buyer is its own browser,
    # so the per-browser limits still apply).
    WETICKET["HOLD_LIMITS"] = {"address_tickets": 0, "address_minutes": 0}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"weticket_wagtail": {"handlers": ["console"], "level": "INFO"}},
}
