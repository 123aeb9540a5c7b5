"""Every setting of weticket-wagtail, with its default.

Settings live in one dict, ``settings.WETICKET``. Nothing else in the package reads
``django.conf.settings`` for our own options: import :data:`weticket_settings` and read its
attributes. Values are read on every access, so ``override_settings`` works in tests.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Fernet keys (urlsafe base64, 32 bytes) used to encrypt secrets at rest, newest first.
    # Rotation: put a new key first, keep the old ones, run ``manage.py weticket_rotate_keys``.
    "ENCRYPTION_KEYS": [],
    # The absolute URL at which Mollie can reach this site, e.g. "https://tickets.example.org".
    # Webhook URLs are built from it.
    "PUBLIC_BASE_URL": "",
    # The class that talks to the payment service (a weticket_wagtail.payments.providers
    # .PaymentProvider subclass, by dotted path). Mollie is the one shipped.
    "PAYMENT_PROVIDER": "weticket_wagtail.payments.providers.mollie.MollieProvider",
    # Mollie's API endpoint. Leave empty for the real Mollie; the demo points it at the test double.
    "MOLLIE_API_ENDPOINT": "",
    # A Mollie API key to use for organisations that have none (the demo's test double).
    "MOLLIE_FALLBACK_API_KEY": "",
    # Seconds the Mollie client waits for an answer before the buyer is told to retry.
    "MOLLIE_TIMEOUT": 10,
    # How long a buyer's reservation holds tickets, in minutes.
    "RESERVATION_MINUTES": 15,
    # How long tickets offered to someone on the waiting list are held for them, in hours.
    "WAITING_LIST_OFFER_HOURS": 24,
    # Seconds a web process trusts a door device it looked up (its list, event and the key
    # tickets are verified with): a scan then costs two queries, not three. Revoking a link or
    # editing its list takes effect at once in the process that saved it and within this time
    # in the others. 0 looks the device up on every scan.
    "CHECKIN_DEVICE_CACHE_SECONDS": 5,
    # Seconds a shop page may show an event, organisation or ticket type from the cache. Every
    # save drops the cache at once; with a per-process cache (Django's local-memory cache) other
    # processes see the edit at the latest this much later. 0 switches the cache off.
    "CATALOGUE_CACHE_SECONDS": 30,
    # Seconds a rendered shop page is served to further visitors (each gets their own CSRF
    # token; the page is rendered again whenever what it shows changes). Templates that show
    # something per visitor need 0 here.
    "SHOP_PAGE_CACHE_SECONDS": 10,
    # "Only a few left" is shown at or below this many tickets.
    "FEW_LEFT_THRESHOLD": 10,
    # Sender of transactional email; empty means settings.DEFAULT_FROM_EMAIL.
    "FROM_EMAIL": "",
    # Celery broker; empty falls back to settings.CELERY_BROKER_URL. With none, tasks run eagerly.
    "BROKER_URL": "",
    # Link to the privacy statement shown at checkout (the privacy app fills this in later).
    "PRIVACY_STATEMENT_URL": "",
    # POSTs per minute per client address on the public forms; 0 switches a limit off.
    "RATE_LIMITS": {
        "reserve": 30,
        "checkout": 10,
        "pay": 10,
        "consent": 60,
        "waitinglist": 10,
        "checkin": 30,
    },
    # The most tickets of one ticket type in one order, whatever the ticket type allows; 0: no cap.
    "MAX_TICKETS_PER_ORDER": 10,
    # How much one client may hold of one event (see ticketing/services/hold_limits.py); 0
    # switches a limit off. A browser is known by its CSRF cookie, an address by REMOTE_ADDR
    # (IPv6 by its /64). Raise the address limits where many buyers share one address.
    "HOLD_LIMITS": {
        "browser_tickets": 10,  # tickets one browser holds at once
        "address_tickets": 40,  # tickets all browsers at one address hold at once
        "browser_minutes": 45,  # minutes of holds without buying, within window_minutes
        "address_minutes": 180,
        "window_minutes": 120,
    },
    # The currency every price is in. Mollie wants ISO 4217.
    "CURRENCY": "EUR",
    # --- privacy statement and policy-change notices (weticket_wagtail.privacy) ---
    # Where people write about their personal data and complaints; empty means FROM_EMAIL.
    "PRIVACY_CONTACT_EMAIL": "",
    # Weeks within which a privacy request or complaint is answered (the statement says so).
    "PRIVACY_RESPONSE_WEEKS": 4,
    # --- data-subject requests (weticket_wagtail.privacy) ---
    # Hours within which a requester must confirm a request through the link in their email;
    # unconfirmed requests expire after this and their details are erased.
    "PRIVACY_REQUEST_CONFIRM_HOURS": 72,
    # Requests one client address may send per hour, and one email address per day (0: off).
    "PRIVACY_REQUEST_LIMITS": {"per_address_per_hour": 10, "per_email_per_day": 3},
    # Days during which the download link of an access or portability export works.
    "PRIVACY_EXPORT_DOWNLOAD_DAYS": 7,
    # What erasure does with paid tickets for events still to come: "cancel" (cancelled and
    # refunded) or "keep" (the tickets stay valid, without the holder's personal data).
    "PRIVACY_ERASURE_FUTURE_TICKETS": "cancel",
    # Username of the person new requests are assigned to; empty: the first active user with
    # the "privacy contact" permission, else nobody (PRIVACY_CONTACT_EMAIL is told).
    "PRIVACY_DEFAULT_ASSIGNEE": "",
    # Open requests due within this many days are in the daily reminder and on the dashboard.
    "PRIVACY_REMINDER_DAYS": 7,
    # The authority people may complain to, shown in the privacy statement's contact block.
    "SUPERVISORY_AUTHORITY": {
        "name": "Autoriteit Persoonsgegevens",
        "url": "https://autoriteitpersoonsgegevens.nl/",
    },
    # Policy-change emails per second, per campaign however many workers send it; 0 means as
    # fast as the mail server takes them. Mail providers throttle bulk senders: stay under
    # your provider's limit.
    "CAMPAIGN_RATE_PER_SECOND": 25,
    # Tasks that send one campaign side by side (each needs a worker process and holds one SMTP
    # connection). More than 1 only helps when the mail server, not the rate, is the limit.
    "CAMPAIGN_SENDERS": 1,
    # Recipients read, written and queued per database round trip when a campaign runs.
    "CAMPAIGN_BATCH_SIZE": 1000,
    # A campaign email claimed by a worker that died is sent by another after this many seconds.
    "CAMPAIGN_LEASE_SECONDS": 60,
    # How long one campaign task runs before it queues its successor (lets other work in).
    "CAMPAIGN_TASK_SECONDS": 50,
    # A campaign whose task showed no sign of life for this many seconds is restarted by the
    # periodic resume task (weticket_wagtail.privacy.tasks.resume_campaigns_task).
    "CAMPAIGN_STALLED_AFTER_SECONDS": 120,
    # --- retention (weticket_wagtail.privacy: the retention schedule and the purge) ---
    # The default period per retention category, used until Privacy -> Retention schedule has a
    # rule for that category (the admin's rule wins). None: never purged by age. A period is
    # one of "days", "months", "years", counted from the record's date or, with
    # "from": "financial_year_end", from the end of the financial year it falls in.
    "RETENTION_SCHEDULE": {
        "orders": {"years": 7, "from": "financial_year_end"},
        "tickets": {"years": 7, "from": "financial_year_end"},
        "payments": {"years": 7, "from": "financial_year_end"},
        "fiscal_records": {"years": 7, "from": "financial_year_end"},
        "outbox": {"years": 1},
        "campaign_recipients": {"years": 1},
        "consent": {"years": 2},
        "requests": {"years": 3},
        "organisation_contacts": None,
        "staff_accounts": {"years": 1},
        "form_submissions": {"years": 1},
        "statement_history": None,
        "waiting_list": {"years": 1},
    },
    # The month (1-12) the financial year starts in; fiscal periods count from its end.
    "FINANCIAL_YEAR_START_MONTH": 1,
    # Rows the purge anonymises per transaction (each batch holds its row locks this long).
    "PURGE_BATCH_SIZE": 5000,
    # --- cookie consent (weticket_wagtail.privacy.consent, on django-cookie-consent) ---
    # Google Consent Mode v2: the consent types each cookie group grants once accepted. Every
    # type starts "denied"; types no group names stay denied.
    "CONSENT_MODE_TYPES": {
        "analytics": ["analytics_storage"],
        "marketing": ["ad_storage", "ad_user_data", "ad_personalization"],
    },
    # Seconds the banner's rendered HTML and settings are kept in the cache. Every edit of a
    # cookie group, cookie, the consent settings or a statement version drops it at once; with
    # a per-process cache other processes see the edit at the latest this much later.
    "CONSENT_CACHE_SECONDS": 300,
    # --- anonymised insights for organisations (weticket_wagtail.insights) ---
    # The smallest group of orders the insights show: a cell counting fewer orders is hidden,
    # with as many others as it takes so that totals cannot give it away.
    "INSIGHTS_MIN_GROUP_SIZE": 5,
}


class WeticketSettings:
    """Attribute access to ``settings.WETICKET`` merged over :data:`DEFAULTS`."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown weticket-wagtail setting: {name}")
        user = getattr(settings, "WETICKET", {}) or {}
        if name == "BROKER_URL":
            return user.get(name) or getattr(settings, "CELERY_BROKER_URL", "") or ""
        if name == "FROM_EMAIL":
            return user.get(name) or settings.DEFAULT_FROM_EMAIL
        return user.get(name, DEFAULTS[name])

    def unknown_keys(self) -> list[str]:
        """Keys in ``settings.WETICKET`` that we do not know (usually a typo)."""
        user = getattr(settings, "WETICKET", {}) or {}
        return sorted(set(user) - set(DEFAULTS))


weticket_settings = WeticketSettings()
