"""Every public URL of the package, for your project's ``urls.py``, before Wagtail's catch-all::

    path("tickets/", include("weticket_wagtail.urls")),

Each app keeps its own namespace: ``weticket_payments`` (Mollie's webhook at
``webhooks/mollie/``), ``weticket_consent`` (recording a visitor's cookie choice at
``consent/choice/``), ``weticket_privacy`` (data-subject requests at ``privacy/``: the form,
the emailed confirmation and download links) and ``weticket_checkout`` (the shop, embed,
checkout and order pages) and ``weticket_checkin`` (the door scanner behind each device's
secret link at ``checkin/<token>/``). The privacy statement's archive is a route of the
statement page.
"""

from django.urls import include, path

urlpatterns = [
    path("webhooks/", include("weticket_wagtail.payments.urls")),
    path("consent/", include("weticket_wagtail.privacy.consent.urls")),
    path("privacy/", include("weticket_wagtail.privacy.urls")),
    path("checkin/", include("weticket_wagtail.checkin.urls")),
    path("", include("weticket_wagtail.checkout.urls")),
]
