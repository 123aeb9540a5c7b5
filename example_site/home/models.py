from django.utils import timezone
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from weticket_wagtail.blocks import ticket_blocks
from weticket_wagtail.privacy.consent.blocks import consent_blocks
from weticket_wagtail.ticketing.models import Event


class HomePage(Page):
    """The demo's home page: an introduction and the upcoming events."""

    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["events"] = (
            Event.objects.filter(is_published=True, ends_at__gte=timezone.now())
            .select_related("organisation")
            .prefetch_related("ticket_types")[:20]
        )
        return context


class ContentPage(Page):
    """An ordinary page of the site: text, plus the ticket blocks wherever an editor wants them."""

    body = StreamField(
        [("paragraph", blocks.RichTextBlock()), *ticket_blocks(), *consent_blocks()], blank=True
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]
