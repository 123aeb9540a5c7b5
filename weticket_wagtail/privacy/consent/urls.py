"""The consent endpoint, included by :mod:`weticket_wagtail.urls` at ``consent/``."""

from django.urls import path

from . import views

app_name = "weticket_consent"

urlpatterns = [
    path("choice/", views.choice, name="choice"),
]
