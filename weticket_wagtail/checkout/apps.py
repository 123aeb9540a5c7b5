from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "weticket_wagtail.checkout"
    label = "weticket_checkout"
    verbose_name = _("Checkout")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from weticket_wagtail.logsafe import install_request_log_redaction

        # Buyer URLs carry tokens; Django logs the path of every error answer.
        install_request_log_redaction()

        from weticket_wagtail.ticketing.links import register_buyer_links

        from .links import CheckoutLinks

        register_buyer_links(CheckoutLinks())
