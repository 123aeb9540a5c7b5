from django.contrib import messages
from wagtail import hooks

from .models import BrandedTicketPage
from .viewsets import (
    event_chooser_viewset,
    organisation_chooser_viewset,
    ticket_type_chooser_viewset,
)


@hooks.register("register_admin_viewset")
def register_choosers():
    return [event_chooser_viewset, organisation_chooser_viewset, ticket_type_chooser_viewset]


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_low_contrast(request, page):
    """Tell the editor when the page's colours are hard to read (WCAG AA needs 4.5:1)."""
    specific = page.specific
    if isinstance(specific, BrandedTicketPage):
        for warning in specific.contrast_warnings():
            messages.warning(request, warning)
