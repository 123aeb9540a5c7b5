from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WeticketConfig(AppConfig):
    name = "weticket_wagtail"
    label = "weticket"
    verbose_name = _("WeTicket")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
