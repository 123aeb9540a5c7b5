"""Event slugs made from titles, unique within their organisation."""

from __future__ import annotations

from django.utils.text import slugify

from ..models import Event

MAX_LENGTH = Event._meta.get_field("slug").max_length


def unique_event_slug(organisation_id: int, title: str, *, exclude_pk: int | None = None) -> str:
    """A slug for ``title`` that no other event of the organisation uses.

    ASCII only (as the slug field accepts), at most the field's length; ``-2``, ``-3`` ... are
    added to tell events with the same title apart, and ``event`` stands in for a title with no
    letters or digits."""
    base = slugify(title)[:MAX_LENGTH].strip("-") or "event"
    taken = set(
        Event.objects.filter(organisation_id=organisation_id, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        suffix = f"-{number}"
        slug = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        number += 1
    return slug
