from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketingConfig(AppConfig):
    name = "weticket_wagtail.ticketing"
    label = "weticket_ticketing"
    verbose_name = _("Ticketing")
    default_auto_field = "django.db.models.BigAutoField"
