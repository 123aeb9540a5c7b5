"""Each organisation's members edit its own pages, through a Wagtail group made for it.

Wagtail grants page permissions to groups, so every organisation gets one group
(``Organisation.editors_group``), created with the organisation and holding exactly its
members. A page that belongs to an organisation (the branded ticket pages, whose
``organisation`` field says whose they are) gives that group permission to add, change and
publish it and the pages below it; no other organisation's group keeps any on it.

Who is a member, and so who may get into the admin at all, is decided elsewhere
(``OrganisationMembership`` and the "Can access Wagtail admin" permission).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import GroupPagePermission, Page

from ..models import Organisation

#: What an organisation's group may do on its own pages (Wagtail's page permission codenames).
PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")
GROUP_NAME_LENGTH = Group._meta.get_field("name").max_length


def group_name(organisation: Organisation) -> str:
    """Unique, because the organisation's slug is."""
    name = _("%(organisation)s: pages") % {"organisation": organisation.name}
    suffix = f" ({organisation.slug})"
    return name[: GROUP_NAME_LENGTH - len(suffix)] + suffix


@transaction.atomic
def ensure_organisation_group(organisation: Organisation) -> Group:
    """The organisation's group, made (or renamed after its organisation) when needed."""
    group = organisation.editors_group
    name = group_name(organisation)
    if group is None:
        group, _created = Group.objects.get_or_create(name=name)
        Organisation.objects.filter(pk=organisation.pk).update(editors_group=group)
        organisation.editors_group = group
        members = organisation.memberships.values_list("user_id", flat=True)
        group.user_set.add(*members)
    elif group.name != name:
        group.name = name
        group.save(update_fields=["name"])
    return group


def add_member(organisation_id: int, user_id: int) -> None:
    """Put a new member in the organisation's group."""
    organisation = Organisation.objects.select_related("editors_group").get(pk=organisation_id)
    ensure_organisation_group(organisation).user_set.add(user_id)


def remove_member(organisation_id: int, user_id: int) -> None:
    """Take a former member out of the organisation's group."""
    group_id = (
        Organisation.objects.filter(pk=organisation_id)
        .values_list("editors_group_id", flat=True)
        .first()
    )
    if group_id is not None:
        Group.objects.get(pk=group_id).user_set.remove(user_id)


@transaction.atomic
def give_page_to_organisation(page: Page, organisation_id: int | None) -> None:
    """Make ``page`` (and the pages below it) editable by the organisation's group only.

    Idempotent. Other organisations' groups lose their permissions on the page; groups that
    are not organisations' (an agency's own editors) keep theirs."""
    others = Organisation.objects.exclude(editors_group=None)
    if organisation_id is not None:
        others = others.exclude(pk=organisation_id)
    GroupPagePermission.objects.filter(page=page, group__in=others.values("editors_group")).delete()
    if organisation_id is None:
        return
    organisation = Organisation.objects.select_related("editors_group").get(pk=organisation_id)
    group = ensure_organisation_group(organisation)
    for permission in Permission.objects.filter(
        content_type__app_label="wagtailcore", codename__in=PAGE_PERMISSIONS
    ):
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)
