"""StreamField blocks of the privacy statement: sections, and blocks that show live data.

The live blocks read what the operator manages in the admin (processors, retention rules, cookie
groups and cookies), what the personal-data registry declares (categories of data) and the
settings (contact, supervisory authority) every time they are rendered. A published version
keeps the text as it was rendered when it was published, so the archive shows old versions
exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parseaddr

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.models import Locale
from wagtail.rich_text import RichText

from weticket_wagtail.conf import weticket_settings

from .categories import Audience, DataCategory, category_labels
from .consent.blocks import CookieListBlock
from .registry import personal_data
from .services.register import processors_for, retention_rules_for

RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link"]
LIVE_DATA = _("Live data")


def _locale_of(parent_context):
    """The locale to show live data in: the page's, else the active language's."""
    page = (parent_context or {}).get("page")
    locale = getattr(page, "locale", None)
    return locale if locale is not None else Locale.get_active()


class RegisterBlock(blocks.StaticBlock):
    """A register kept in the admin, listed in the page's language: set ``rows_name`` (the
    template's variable) and ``rows_for`` (a function of the locale) in a subclass."""

    rows_name: str
    rows_for: Callable[[Locale | None], list]

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context[self.rows_name] = self.rows_for(_locale_of(parent_context))
        return context


class ProcessorRegisterBlock(RegisterBlock):
    """The processor register (Privacy → Processors), in the page's language."""

    rows_name = "processors"
    rows_for = staticmethod(processors_for)

    class Meta:
        icon = "group"
        label = _("Processor register")
        group = LIVE_DATA
        admin_text = _("Shows the processors from Privacy → Processors, as they are now.")
        description = _("The third parties we share personal data with, and what they get.")
        template = "weticket_wagtail/privacy/blocks/processor_register.html"


class RetentionScheduleBlock(RegisterBlock):
    """How long each kind of record is kept (Privacy → Retention), in the page's language."""

    rows_name = "rules"
    rows_for = staticmethod(retention_rules_for)

    class Meta:
        icon = "time"
        label = _("Retention schedule")
        group = LIVE_DATA
        admin_text = _("Shows the retention rules from Privacy → Retention, as they are now.")
        description = _("How long each kind of record is kept, and why.")
        template = "weticket_wagtail/privacy/blocks/retention_schedule.html"


class DataCategoriesBlock(blocks.StructBlock):
    """The categories of personal data held about one audience, from the registry."""

    audience = blocks.ChoiceBlock(
        choices=Audience.choices, default=Audience.VISITOR, label=_("Whose data")
    )
    also = blocks.MultipleChoiceBlock(
        choices=DataCategory.choices,
        required=False,
        label=_("Also processed"),
        help_text=_(
            "Categories processed although no record stores them, e.g. IP addresses in the "
            "web server's logs. The others come from the records the software keeps."
        ),
    )

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        codes = set(personal_data.categories(value.get("audience"))) | set(value.get("also") or ())
        context["categories"] = category_labels(codes)
        return context

    class Meta:
        icon = "list-ul"
        label = _("Categories of personal data")
        group = LIVE_DATA
        description = _("The kinds of personal data held about visitors or organisations.")
        template = "weticket_wagtail/privacy/blocks/data_categories.html"


class ContactDetailsBlock(blocks.StructBlock):
    """Where to write, how soon we answer, and the authority to complain to."""

    email = blocks.EmailBlock(
        required=False,
        label=_("Email address"),
        help_text=_("Empty: the address in WETICKET['PRIVACY_CONTACT_EMAIL']."),
    )

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        configured = weticket_settings.PRIVACY_CONTACT_EMAIL or weticket_settings.FROM_EMAIL
        context["contact_email"] = value.get("email") or parseaddr(configured)[1]
        context["response_weeks"] = weticket_settings.PRIVACY_RESPONSE_WEEKS
        context["authority"] = weticket_settings.SUPERVISORY_AUTHORITY or {}
        return context

    class Meta:
        icon = "mail"
        label = _("Contact and complaints")
        group = LIVE_DATA
        description = _("The privacy contact address and the supervisory authority.")
        template = "weticket_wagtail/privacy/blocks/contact_details.html"


class SectionContentBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Text"))
    processors = ProcessorRegisterBlock()
    retention = RetentionScheduleBlock()
    data_categories = DataCategoriesBlock()
    contact = ContactDetailsBlock()
    cookies = CookieListBlock()


class SectionBlock(blocks.StructBlock):
    """A numbered section of the statement: a heading, an anchor to link to, and its content."""

    heading = blocks.CharBlock(max_length=200, label=_("Heading"))
    anchor = blocks.CharBlock(
        required=False,
        max_length=60,
        label=_("Anchor"),
        help_text=_(
            "The end of the link to this section, e.g. 'your-rights'. Empty: made from the heading."
        ),
    )
    content = SectionContentBlock(label=_("Content"))

    def clean(self, value):
        value = super().clean(value)
        if value.get("anchor"):
            value["anchor"] = slugify(value["anchor"])
        return value

    class Meta:
        icon = "doc-full"
        label = _("Section")
        description = _("A heading with its text; it appears in the table of contents.")
        template = "weticket_wagtail/privacy/blocks/section.html"
        preview_value = {
            "heading": "Your rights",
            "content": [
                ("text", RichText("<p>You may see, correct and remove your data.</p>")),
            ],
        }
