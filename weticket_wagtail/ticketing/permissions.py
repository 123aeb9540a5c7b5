"""Tenant scoping: a user sees and edits only the organisations they are a member of.

Superusers see everything. Everyone else gets access through :class:`OrganisationMembership`:
members may view and change their organisation, and add, change, view and delete its events.
Creating or deleting organisations is for superusers; who belongs to an organisation is decided
by superusers and by the members it lets manage its team (:func:`can_manage_team`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy

from weticket_wagtail.permissions import is_active_superuser

MEMBER_ACTIONS: dict[str, frozenset[str]] = {
    "organisation": frozenset({"change", "view"}),
    "event": frozenset({"add", "change", "delete", "view"}),
    "voucher": frozenset({"add", "change", "delete", "view"}),
}


def organisation_ids_for(user) -> list[int]:
    """Primary keys of the organisations ``user`` is a member of (cached on the user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_weticket_org_ids", None)
    if cached is None:
        from .models import OrganisationMembership

        cached = list(
            OrganisationMembership.objects.filter(user=user).values_list(
                "organisation_id", flat=True
            )
        )
        user._weticket_org_ids = cached
    return cached


def can_manage_team(user, organisation_id: int | None) -> bool:
    """Whether ``user`` may decide who belongs to the organisation: superusers, and members of
    it whose membership says they manage its team (for that organisation only)."""
    if is_active_superuser(user):
        return True
    if not organisation_id or organisation_id not in organisation_ids_for(user):
        return False
    from .models import OrganisationMembership

    return OrganisationMembership.objects.filter(
        organisation_id=organisation_id, user=user, can_manage_team=True
    ).exists()


def scope_queryset(queryset: QuerySet, user, organisation_path: str) -> QuerySet:
    """Restrict ``queryset`` to rows of the user's organisations.

    ``organisation_path`` is the lookup from the model to its organisation's pk, e.g.
    ``"pk"`` for Organisation, ``"organisation_id"`` for Event, ``"event__organisation_id"``.
    """
    if is_active_superuser(user):
        return queryset
    return queryset.filter(**{f"{organisation_path}__in": organisation_ids_for(user)})


class OrganisationScopedPolicy(BasePermissionPolicy):
    """A Wagtail permission policy that scopes a model to the user's organisations."""

    def __init__(self, model: type[Model], organisation_path: str, member_actions: Iterable[str]):
        super().__init__(model)
        self.organisation_path = organisation_path
        self.member_actions = frozenset(member_actions)

    def _organisation_id(self, instance: Model) -> int | None:
        value = instance
        for part in self.organisation_path.split("__"):
            value = getattr(value, "pk" if part == "pk" else part, None)
            if value is None:
                return None
        return value

    def user_has_permission(self, user, action: str) -> bool:
        if is_active_superuser(user):
            return True
        return action in self.member_actions and bool(organisation_ids_for(user))

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action: str, instance: Model) -> bool:
        if is_active_superuser(user):
            return True
        return action in self.member_actions and self._organisation_id(
            instance
        ) in organisation_ids_for(user)

    def user_has_any_permission_for_instance(self, user, actions, instance: Model) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return scope_queryset(self.model._default_manager.all(), user, self.organisation_path)

    def users_with_any_permission(self, actions) -> QuerySet:
        user_model = get_user_model()
        query = Q(is_superuser=True)
        if self.member_actions.intersection(actions):
            query |= Q(weticket_memberships__isnull=False)
        return user_model._default_manager.filter(query, is_active=True).distinct()

    def users_with_any_permission_for_instance(self, actions, instance: Model) -> QuerySet:
        user_model = get_user_model()
        query = Q(is_superuser=True)
        if self.member_actions.intersection(actions):
            query |= Q(weticket_memberships__organisation_id=self._organisation_id(instance))
        return user_model._default_manager.filter(query, is_active=True).distinct()


@functools.cache
def policy_for(model: type[Model]) -> OrganisationScopedPolicy:
    """The one scoped policy of ``model`` (Organisation, Event or Voucher)."""
    if model._meta.model_name == "organisation":
        return OrganisationScopedPolicy(model, "pk", MEMBER_ACTIONS["organisation"])
    return OrganisationScopedPolicy(
        model, "organisation_id", MEMBER_ACTIONS[model._meta.model_name]
    )
