from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlocksConfig(AppConfig):
    name = "weticket_wagtail.blocks"
    label = "weticket_blocks"
    verbose_name = _("Ticket blocks and pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signal_handlers
        from .personal_data import register as register_personal_data

        register_personal_data()
        signal_handlers.connect()
