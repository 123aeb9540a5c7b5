"""Who may look at the privacy history in the admin: nobody may change it.

Versions are public anyway (the statement's archive), so everyone with access to the Wagtail
admin may view them. Campaigns reveal how many people were written to and when: superusers
only. Nobody may add, change or delete either, whatever their groups say.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy


class ViewOnlyPermissionPolicy(BasePermissionPolicy):
    """``view`` for admin users (or superusers only); every other action for nobody."""

    def __init__(self, model, *, superusers_only: bool = False):
        super().__init__(model)
        self.superusers_only = superusers_only

    def _may_view(self, user) -> bool:
        if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
            return False
        if user.is_superuser:
            return True
        return not self.superusers_only and user.has_perm("wagtailadmin.access_admin")

    def user_has_permission(self, user, action: str) -> bool:
        return action == "view" and self._may_view(user)

    def user_has_any_permission(self, user, actions) -> bool:
        return "view" in actions and self._may_view(user)

    def users_with_any_permission(self, actions) -> QuerySet:
        users = get_user_model()._default_manager
        if "view" not in actions:
            return users.none()
        query = Q(is_superuser=True)
        if not self.superusers_only:
            query |= Q(
                groups__permissions__codename="access_admin",
                groups__permissions__content_type__app_label="wagtailadmin",
            ) | Q(
                user_permissions__codename="access_admin",
                user_permissions__content_type__app_label="wagtailadmin",
            )
        return users.filter(query, is_active=True).distinct()
