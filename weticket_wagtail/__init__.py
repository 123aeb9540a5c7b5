"""weticket-wagtail: sell event tickets from your own Wagtail site."""

__version__ = "0.1.0"

#: The apps to add to ``INSTALLED_APPS``, in this order (see the README).
INSTALLED_APPS = [
    "weticket_wagtail",
    "weticket_wagtail.mail",
    "cookie_consent",  # django-cookie-consent: cookie groups, cookies, the choice cookie
    "weticket_wagtail.privacy",
    "weticket_wagtail.ticketing",
    "weticket_wagtail.waitinglist",
    "weticket_wagtail.payments",
    "weticket_wagtail.checkin",
    "weticket_wagtail.insights",
    "weticket_wagtail.checkout",
    "weticket_wagtail.blocks",
]
