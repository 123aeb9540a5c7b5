"""Who may do what in the admin, for every app: the superuser check and a view-only policy.

Part of the admin kit (with :mod:`weticket_wagtail.viewsets`). Wagtail 8 looks a model's
permission policy up in a registry; Wagtail 7.x asks the viewset. :func:`register_policy` and
:class:`~weticket_wagtail.viewsets.PolicyViewSetMixin` together cover both.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.permission_policies.base import BasePermissionPolicy


def is_active_superuser(user) -> bool:
    """Whether ``user`` is signed in, active and a superuser: who sees every organisation."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_superuser", False)
    )


class ViewOnlyPermissionPolicy(BasePermissionPolicy):
    """``view`` for admin users (or active superusers only); every other action for nobody.

    For records nobody edits in the admin (published versions, notification campaigns, the
    outbox, the consent log): whatever a user's groups say, add, change and delete are refused.
    With ``superusers_only``, admin users holding ``view_permission`` (``app_label.codename``)
    may view as well.
    """

    def __init__(
        self, model: type[Model], *, superusers_only: bool = False, view_permission: str = ""
    ):
        super().__init__(model)
        self.superusers_only = superusers_only
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


def register_policy(model: type[Model], policy: BasePermissionPolicy) -> None:
    """Make ``policy`` the one Wagtail 8's admin uses for ``model`` (call it in wagtail_hooks).

    Wagtail 7.x has no registry: there the viewset answers (``PolicyViewSetMixin``).
    """
    if WAGTAIL_VERSION >= (8, 0):
        from wagtail.permissions import register_permission_policy

        register_permission_policy(model, policy)
