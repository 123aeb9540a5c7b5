from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from weticket_wagtail.blocks import ticket_blocks
from weticket_wagtail.blocks.models import BrandedTicketPage
from weticket_wagtail.privacy.consent.blocks import consent_blocks
from weticket_wagtail.ticketing.models import Event


class HomePage(Page):
    """The demo's home page: an introduction, the ticket pages of its language, the upcoming
    events."""

    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["events"] = (
            Event.objects.filter(is_published=True, ends_at__gte=timezone.now())
            .select_related("organisation")
            .prefetch_related("ticket_types")[:20]
        )
        context["ticket_pages"] = BrandedTicketPage.objects.live().descendant_of(self)
        return context


class ContentPage(Page):
    """An ordinary page of the site: text, plus the ticket blocks wherever an editor wants them."""

    body = StreamField(
        [("paragraph", blocks.RichTextBlock()), *ticket_blocks(), *consent_blocks()], blank=True
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]


class FormField(AbstractFormField):
    page = ParentalKey("FormPage", on_delete=models.CASCADE, related_name="form_fields")


class FormPage(AbstractEmailForm):
    """A contact form: what an agency's own models look like to the personal-data registry.

    Its submissions (``wagtailforms.FormSubmission``) hold what visitors typed; they are
    registered in ``home/personal_data.py``, so access requests export them and erasure deletes
    them. A form field called "email" is how a visitor's submissions are found.
    """

    intro = RichTextField(blank=True)
    thank_you_text = RichTextField(blank=True)

    content_panels = [
        *AbstractEmailForm.content_panels,
        FieldPanel("intro"),
        InlinePanel("form_fields", label="Form fields"),
        FieldPanel("thank_you_text"),
        FieldPanel("to_address"),
        FieldPanel("from_address"),
        FieldPanel("subject"),
    ]
