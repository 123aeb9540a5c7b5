"""An admin panel that shows the shop link and the copy-paste embed snippet of an event."""

from __future__ import annotations

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from weticket_wagtail.conf import weticket_settings

from .links import embed_url, shop_url


def embed_snippet(event) -> str:
    """The HTML an organisation pastes into a website that is not Wagtail; ``""`` while no
    resolver knows the embed page (checkout's URLs not installed)."""
    frame = embed_url(event)
    if not frame:
        return ""
    script = static("weticket_wagtail/embed.js")
    if not script.startswith("http"):
        script = weticket_settings.PUBLIC_BASE_URL.rstrip("/") + script
    return (
        f'<script src="{script}" data-weticket-event="{event.organisation.slug}/{event.slug}" '
        f'data-weticket-url="{frame}" async></script>'
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
