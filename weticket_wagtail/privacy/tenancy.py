"""Who may see which data-subject requests: the tenant seam.

Privacy does not know what an organisation is (it imports no ticketing). The app that owns the
tenants registers two functions here from its ``ready()``: which tenants a user belongs to,
and their names. Registrations in :mod:`.registry` say which field of a row names its tenant
(``tenant="organisation_id"``), so a request's tenants are those of the rows found for it.

Superusers and users with the ``weticket_privacy.handle_all_requests`` permission (the privacy
contact) see every request; other staff with ``view_datasubjectrequest`` see only requests
about their own tenants' data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_user_tenant_ids: Callable[[object], Iterable[int]] | None = None
_tenant_names: Callable[[Iterable[int]], dict[int, str]] | None = None

PRIVACY_CONTACT_PERMISSION = "weticket_privacy.handle_all_requests"


def register_tenancy(
    *,
    user_tenant_ids: Callable[[object], Iterable[int]],
    tenant_names: Callable[[Iterable[int]], dict[int, str]],
) -> None:
    """Tell privacy how to find a user's tenants and how to name tenants (called once)."""
    global _user_tenant_ids, _tenant_names
    _user_tenant_ids = user_tenant_ids
    _tenant_names = tenant_names


def user_tenant_ids(user) -> set[int]:
    """The tenants ``user`` belongs to (none when no app registered tenancy)."""
    if _user_tenant_ids is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(_user_tenant_ids(user))


def tenant_names(ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    if _tenant_names is None or not ids:
        return {pk: str(pk) for pk in ids}
    return _tenant_names(ids)


def is_privacy_contact(user) -> bool:
    """Superusers and holders of the privacy-contact permission: they see every request."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    return bool(user.is_superuser or user.has_perm(PRIVACY_CONTACT_PERMISSION))
