from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "weticket_wagtail.privacy"
    label = "weticket_privacy"
    verbose_name = _("Privacy")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            signal_handlers,
            tasks,  # noqa: F401 - registers the Celery tasks that services start by name
        )
        from .consent.personal_data import register as register_consent_log
        from .intake import handle_request_form
        from .personal_data import register as register_personal_data
        from .request_models import serve_request_form_with

        # The request page's form is a view; models never import views, so it is wired here.
        serve_request_form_with(handle_request_form)
        register_personal_data()
        register_consent_log()
        signal_handlers.connect()
