"""The "Email outbox" in Wagtail's Settings menu: a read-only log for superusers.

The outbox holds personal data (addresses, message bodies) of every buyer, so only superusers
may look at it, and nobody edits it from the admin: rows change only through the services.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from .models import OutboxMessage


def _is_superuser(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_superuser", False)
    )


class SuperuserViewOnlyPermissionPolicy(BasePermissionPolicy):
    """Active superusers may view; nobody may add, change or delete, whatever their groups."""

    def user_has_permission(self, user, action: str) -> bool:
        return action == "view" and _is_superuser(user)

    def user_has_any_permission(self, user, actions) -> bool:
        return "view" in actions and _is_superuser(user)

    def users_with_any_permission(self, actions) -> QuerySet:
        users = get_user_model()._default_manager
        if "view" not in actions:
            return users.none()
        return users.filter(is_active=True, is_superuser=True)


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


class OutboxMessageViewSet(ModelViewSet):
    """List and inspect outbox rows; there are no add, edit, copy or delete views."""

    if WAGTAIL_VERSION < (8, 0):

        @cached_property
        def permission_policy(self):
            return SuperuserViewOnlyPermissionPolicy(OutboxMessage)

    model = OutboxMessage
    icon = "mail"
    menu_label = _("Email outbox")
    add_to_settings_menu = True
    # The outbox references nothing editable; indexing 100,000s of rows would only cost.
    add_to_reference_index = False
    inspect_view_enabled = True
    copy_view_enabled = False
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

    def get_urlpatterns(self):
        conv = getattr(self, "pk_path_converter", "str")  # Wagtail 7.0 has no converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]

    def get_permissions_to_register(self):
        # Access does not depend on group permissions, so do not offer them in the group editor.
        return Permission.objects.none()
