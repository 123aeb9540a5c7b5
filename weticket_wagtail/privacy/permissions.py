"""Who may look at the privacy history in the admin: nobody may change it.

Versions are public anyway (the statement's archive), so everyone with access to the Wagtail
admin may view them. Campaigns reveal how many people were written to and when: superusers
only. The consent log: superusers and holders of its view permission. Nobody may add, change or
delete any of them, whatever their groups say.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy


class ViewOnlyPermissionPolicy(BasePermissionPolicy):
    """``view`` for admin users (or superusers only); every other action for nobody."""

    def __init__(self, model, *, superusers_only: bool = False, view_permission: str = ""):
        super().__init__(model)
        self.superusers_only = superusers_only
        #: ``app_label.codename`` of a Django permission that also lets an admin user view.
        self.view_permission = view_permission

    def _may_view(self, user) -> bool:
        if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
            return False
        if user.is_superuser:
            return True
        if not user.has_perm("wagtailadmin.access_admin"):
            return False
        return not self.superusers_only or bool(
            self.view_permission and user.has_perm(self.view_permission)
        )

    def user_has_permission(self, user, action: str) -> bool:
        return action == "view" and self._may_view(user)

    def user_has_any_permission(self, user, actions) -> bool:
        return "view" in actions and self._may_view(user)

    def users_with_any_permission(self, actions) -> QuerySet:
        users = get_user_model()._default_manager
        if "view" not in actions:
            return users.none()
        query = Q(is_superuser=True)
        if self.view_permission:
            app_label, codename = self.view_permission.split(".", 1)
            query |= Q(
                groups__permissions__codename=codename,
                groups__permissions__content_type__app_label=app_label,
            ) | Q(
                user_permissions__codename=codename,
                user_permissions__content_type__app_label=app_label,
            )
        if not self.superusers_only:
            query |= Q(
                groups__permissions__codename="access_admin",
                groups__permissions__content_type__app_label="wagtailadmin",
            ) | Q(
                user_permissions__codename="access_admin",
                user_permissions__content_type__app_label="wagtailadmin",
            )
        return users.filter(query, is_active=True).distinct()
