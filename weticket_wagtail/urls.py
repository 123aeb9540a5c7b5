"""Every public URL of the package, for your project's ``urls.py``, before Wagtail's catch-all::

    path("tickets/", include("weticket_wagtail.urls")),

Each app keeps its own namespace: ``weticket_payments`` (Mollie's webhook at
``webhooks/mollie/``), ``weticket_consent`` (recording a visitor's cookie choice at
``consent/choice/``) and ``weticket_checkout`` (the shop, embed, checkout and order pages). The
privacy statement's archive is a route of the statement page itself.
"""

from django.urls import include, path

urlpatterns = [
    path("webhooks/", include("weticket_wagtail.payments.urls")),
    path("consent/", include("weticket_wagtail.privacy.consent.urls")),
    path("", include("weticket_wagtail.checkout.urls")),
]
