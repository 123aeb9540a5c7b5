"""The admin kit in core: who may view read-only records, and which views such a viewset has."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.permissions import ViewOnlyPermissionPolicy, is_active_superuser
from weticket_wagtail.testing.factories import UserFactory
from weticket_wagtail.viewsets import ReadOnlyModelViewSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    editor = UserFactory(username="editor")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return {
        "superuser": UserFactory(username="root", is_superuser=True),
        "retired": UserFactory(username="retired", is_superuser=True, is_active=False),
        "editor": editor,
        "visitor": UserFactory(username="visitor"),
        "anonymous": AnonymousUser(),
    }


def test_only_active_signed_in_superusers_count_as_superusers(people):
    assert [name for name, user in people.items() if is_active_superuser(user)] == ["superuser"]


@pytest.mark.parametrize(
    "superusers_only,viewers", [(False, {"superuser", "editor"}), (True, {"superuser"})]
)
def test_view_only_policy_lets_the_right_people_view_and_nobody_change(
    people, superusers_only, viewers
):
    policy = ViewOnlyPermissionPolicy(OutboxMessage, superusers_only=superusers_only)
    assert {n for n, u in people.items() if policy.user_has_permission(u, "view")} == viewers
    for action in ("add", "change", "delete"):
        assert not any(policy.user_has_permission(u, action) for u in people.values())
    assert {u.username for u in policy.users_with_any_permission(["view"])} == {
        people[name].username for name in viewers
    }
    assert not policy.users_with_any_permission(["change", "delete"]).exists()


def test_a_read_only_viewset_has_only_index_and_inspect_views():
    class OutboxViewSet(ReadOnlyModelViewSet):
        model = OutboxMessage
        policy = ViewOnlyPermissionPolicy(OutboxMessage, superusers_only=True)

    viewset = OutboxViewSet("kit_test_outbox")
    assert [pattern.name for pattern in viewset.get_urlpatterns()] == [
        "index",
        "index_results",
        "inspect",
    ]
    assert not viewset.get_permissions_to_register().exists()
    kwargs = viewset.get_common_view_kwargs()
    assert kwargs["edit_url_name"] is None and kwargs["delete_url_name"] is None
