"""The blocks app holds no personal data: its page's fields are declared so (rule 7), so that a
new field forces a decision (the registry-completeness test)."""

from __future__ import annotations

from weticket_wagtail.privacy.registry import personal_data

from .models import BrandedTicketPage


def register() -> None:
    personal_data.not_personal(
        BrandedTicketPage,
        "organisation",
        "primary_colour",
        "accent_colour",
        "font",
        "header_text",
        "intro",
        "body",
        "footer",
        "marketing_pixels",
        reason="a page's content and branding",
    )
