from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketingConfig(AppConfig):
    name = "weticket_wagtail.ticketing"
    label = "weticket_ticketing"
    verbose_name = _("Ticketing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from weticket_wagtail.mail.attachments import register_attachment

        from . import tasks  # noqa: F401 - registers the Celery tasks beat schedules by name
        from .services.notifications import PDF_ATTACHMENT
        from .services.tickets import order_pdf_attachment

        register_attachment(PDF_ATTACHMENT, order_pdf_attachment)

        from .personal_data import register as register_personal_data

        register_personal_data()

        from . import checks, signal_handlers  # noqa: F401 - checks register on import

        signal_handlers.connect()
