"""The edit screens of organisations and events: their panels, the shop link and embed
snippet, and the members. Admin code: models never import it (the viewsets do)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.templatetags.static import static
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    Panel,
    TitleFieldPanel,
)
from wagtail.admin.widgets.slug import SlugInput

from weticket_wagtail.conf import weticket_settings

from .forms import MembershipAdminForm
from .links import embed_url, shop_url


def payment_origin() -> str:
    """Where buyers pay when it is not Mollie's own checkout (https://www.mollie.com, which
    embed.js knows): the origin of ``MOLLIE_API_ENDPOINT`` (the test double serves its checkout
    there); '' for the real Mollie."""
    endpoint = urlsplit(weticket_settings.MOLLIE_API_ENDPOINT or "")
    if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
        return ""
    return f"{endpoint.scheme}://{endpoint.netloc}"


def embed_snippet(event) -> str:
    """The HTML an organisation pastes into a website that is not Wagtail; ``""`` while no
    resolver knows the embed page (checkout's URLs not installed)."""
    frame = embed_url(event)
    if not frame:
        return ""
    script = static("weticket_wagtail/embed.js")
    if not script.startswith("http"):
        script = weticket_settings.PUBLIC_BASE_URL.rstrip("/") + script
    payment = payment_origin()
    payment_attribute = f' data-weticket-payment-origin="{escape(payment)}"' if payment else ""
    return (
        f'<script src="{script}" data-weticket-event="{event.organisation.slug}/{event.slug}" '
        f'data-weticket-url="{frame}"{payment_attribute} async></script>'
    )


class EmbedSnippetPanel(Panel):
    """Read-only: the embed snippet, or a hint to save the event first."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "weticket_wagtail/admin/embed_snippet_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            instance = self.instance
            ready = bool(instance and instance.pk and instance.organisation_id)
            context["snippet"] = embed_snippet(instance) if ready else ""
            context["shop_url"] = shop_url(instance) if ready else ""
            context["origins"] = instance.organisation.allowed_origins if ready else []
            context["help"] = _(
                "Paste this into any website to sell tickets there. Only the websites listed "
                "under the organisation's allowed embedding origins can show it."
            )
            return context


class MembersPanel(InlinePanel):
    """The organisation's members, for those who may manage its team (the form leaves the
    formset out for everyone else, and this panel is then not shown). Members are named by
    username or email address, never picked from a list of users."""

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["form"] = MembershipAdminForm
        return options

    class BoundPanel(InlinePanel.BoundPanel):
        def __init__(self, **kwargs):
            form = kwargs.get("form")
            relation = kwargs["panel"].relation_name
            if form is not None and relation not in form.formsets:
                kwargs["form"] = None  # not this user's to see: nothing to bind
            super().__init__(**kwargs)

        def is_shown(self):
            return self.form is not None and super().is_shown()


class EventTitlePanel(TitleFieldPanel):
    """The title fills in the slug as you type (Wagtail's sync controllers, as on pages), until
    the event is published: from then on its shop URL stays put."""

    class BoundPanel(TitleFieldPanel.BoundPanel):
        def get_should_apply(self) -> bool:
            instance = self.instance
            return not (instance is not None and instance.pk and instance.is_published)


#: The organisation's edit screen (the viewset puts the payments warning on top).
ORGANISATION_PANELS = [
    MultiFieldPanel(
        [FieldPanel("name"), FieldPanel("slug"), FieldPanel("contact_email")],
        heading=_("Organisation"),
    ),
    MultiFieldPanel(
        [
            FieldPanel("logo"),
            FieldRowPanel([FieldPanel("primary_colour"), FieldPanel("accent_colour")]),
            FieldPanel("font"),
        ],
        heading=_("Branding"),
    ),
    MultiFieldPanel(
        [FieldPanel("collect_phone"), FieldPanel("collect_address")],
        heading=_("Checkout"),
    ),
    MultiFieldPanel(
        [FieldPanel("site"), FieldPanel("embed_origins"), FieldPanel("mollie_api_key")],
        heading=_("Integration"),
    ),
    MembersPanel("memberships", heading=_("Members"), label=_("Member")),
]


#: The event's edit screen (the viewset puts the payments warning on top).
EVENT_PANELS = [
    FieldPanel("organisation"),
    EventTitlePanel("title", placeholder=False),
    # ASCII like the field; Wagtail's slugify would otherwise keep letters such as "é".
    FieldPanel("slug", widget=SlugInput(attrs={"data-w-slug-allow-unicode-value": False})),
    FieldPanel("description"),
    FieldRowPanel([FieldPanel("venue"), FieldPanel("address")]),
    FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
    FieldPanel("image"),
    FieldRowPanel([FieldPanel("is_published"), FieldPanel("is_archived")]),
    InlinePanel("ticket_types", heading=_("Ticket types"), label=_("Ticket type")),
    EmbedSnippetPanel(heading=_("Embed on another website")),
]
