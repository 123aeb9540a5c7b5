"""The "Email outbox" in Wagtail's Settings menu: a read-only log for superusers.

The outbox holds personal data (addresses, message bodies) of every buyer, so only superusers
may look at it, and nobody edits it from the admin: rows change only through the services.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column

from ..permissions import ViewOnlyPermissionPolicy
from ..viewsets import ReadOnlyModelViewSet
from .models import OutboxMessage

#: Active superusers may view; nobody may add, change or delete, whatever their groups.
outbox_policy = ViewOnlyPermissionPolicy(OutboxMessage, superusers_only=True)


def _topic_choices() -> list[tuple[str, str]]:
    topics = (
        OutboxMessage.objects.exclude(topic="")
        .order_by("topic")
        .values_list("topic", flat=True)
        .distinct()
    )
    return [(topic, topic) for topic in topics]


class OutboxMessageFilterSet(WagtailFilterSet):
    topic = django_filters.ChoiceFilter(label=_("Topic"), choices=_topic_choices)

    class Meta:
        model = OutboxMessage
        fields = ["status", "topic"]


class OutboxMessageViewSet(ReadOnlyModelViewSet):
    """List and inspect outbox rows; there are no add, edit, copy or delete views."""

    model = OutboxMessage
    policy = outbox_policy
    icon = "mail"
    menu_label = _("Email outbox")
    add_to_settings_menu = True
    list_display = [
        "to",
        "subject",
        "topic",
        "status",
        "attempts",
        Column("created_at", label=_("Created")),
        Column("sent_at", label=_("Sent")),
    ]
    filterset_class = OutboxMessageFilterSet
    search_fields = ["to", "subject", "dedupe_key"]
    search_backend_name = None
    ordering = ["-pk"]
    list_per_page = 50
    inspect_view_fields = [
        "to",
        "reply_to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "topic",
        "object_ref",
        "language",
        "dedupe_key",
        "created_at",
        "next_attempt_at",
        "locked_until",
        "sent_at",
        "attachments",
        "body_text",
        "body_html",
    ]
