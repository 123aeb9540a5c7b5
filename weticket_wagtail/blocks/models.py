"""The branded ticket page: an organisation's look, a header and footer, and ticket blocks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks as wagtail_blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page

from weticket_wagtail.privacy.consent.blocks import MarketingPixelBlock, consent_blocks
from weticket_wagtail.ticketing.models import FONT_STACKS, Organisation
from weticket_wagtail.ticketing.validators import validate_hex_colour

from .contrast import contrast_ratio
from .stream import ticket_blocks

AA_NORMAL_TEXT = 4.5


class BrandedTicketPageMixin(models.Model):
    """Branding for any page type: the organisation's colours and font, overridable per page."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        blank=True,
        validators=[validate_hex_colour],
        help_text=_("Empty: the organisation's colour."),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[validate_hex_colour],
        help_text=_("Empty: the organisation's colour."),
    )
    font = models.CharField(
        _("font"),
        max_length=20,
        blank=True,
        choices=Organisation.Font.choices,
        help_text=_("Empty: the organisation's font."),
    )

    branding_panels = [
        FieldPanel("organisation"),
        FieldRowPanel([FieldPanel("primary_colour"), FieldPanel("accent_colour")]),
        FieldPanel("font"),
    ]

    class Meta:
        abstract = True

    @property
    def brand(self) -> dict[str, str]:
        """The colours and font stack in force on this page."""
        organisation = self.organisation
        font = self.font or organisation.font
        return {
            "primary": self.primary_colour or organisation.primary_colour,
            "accent": self.accent_colour or organisation.accent_colour,
            "font": FONT_STACKS.get(font, FONT_STACKS["system"]),
        }

    def contrast_warnings(self) -> list[str]:
        """Readable explanations of every colour pair below WCAG AA (4.5:1)."""
        brand = self.brand
        checks = [
            (_("White text on the primary colour (buttons, header)"), "#ffffff", brand["primary"]),
            (
                _("The primary colour as text on white (links, headings)"),
                brand["primary"],
                "#ffffff",
            ),
        ]
        warnings = []
        for description, foreground, background in checks:
            ratio = contrast_ratio(foreground, background)
            if ratio < AA_NORMAL_TEXT:
                warnings.append(
                    _(
                        "%(what)s has a contrast of %(ratio).1f:1; at least 4.5:1 is needed for "
                        "everyone to read it. Choose a darker colour."
                    )
                    % {"what": description, "ratio": ratio}
                )
        return warnings


class BrandedTicketPage(BrandedTicketPageMixin, Page):
    """A page an organisation sells tickets from, in its own colours."""

    header_text = models.CharField(
        _("header text"), max_length=255, blank=True, help_text=_("Shown next to the logo.")
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(
        [
            ("paragraph", wagtail_blocks.RichTextBlock(label=_("Paragraph"))),
            ("image", ImageChooserBlock(label=_("Image"))),
            *ticket_blocks(),
            *consent_blocks(),
        ],
        verbose_name=_("body"),
        blank=True,
    )
    footer = RichTextField(
        _("footer"),
        blank=True,
        features=["bold", "italic", "link"],
        help_text=_("Contact, address."),
    )
    marketing_pixels = StreamField(
        [("pixel", MarketingPixelBlock())],
        verbose_name=_("marketing pixels"),
        blank=True,
        help_text=_(
            "The organisation's own advertising pixels or tags (Meta, Google Ads …). They load "
            "only for visitors who accept marketing cookies."
        ),
    )

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(BrandedTicketPageMixin.branding_panels, heading=_("Branding")),
        FieldPanel("header_text"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("footer"),
        FieldPanel("marketing_pixels"),
    ]
    template = "weticket_wagtail/pages/branded_ticket_page.html"

    class Meta:
        verbose_name = _("branded ticket page")
        verbose_name_plural = _("branded ticket pages")

    def __str__(self) -> str:
        return self.title
