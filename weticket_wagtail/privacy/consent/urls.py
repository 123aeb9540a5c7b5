"""The consent endpoint. Include in your project::

path("consent/", include("weticket_wagtail.privacy.consent.urls"))
"""

from django.urls import path

from . import views

app_name = "weticket_consent"

urlpatterns = [
    path("choice/", views.choice, name="choice"),
]
