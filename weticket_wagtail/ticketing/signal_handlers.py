"""Keep cached availability and shop catalogues honest when editors change what is sold, and
each organisation's page editors' group in step with its members."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from .models import Event, Organisation, OrganisationMembership, TicketType
from .services.availability import invalidate_event_availability
from .services.catalogue import invalidate_catalogues
from .services.slugs import unique_event_slug
from .signals import announce_tickets_freed


def ticket_type_changed(sender, instance: TicketType, **kwargs) -> None:
    if instance.event_id:
        invalidate_event_availability(instance.event_id)
    invalidate_catalogues()


def remember_capacity(sender, instance: TicketType, raw: bool = False, **kwargs) -> None:
    """Note the stored capacity before a save, so the save can tell whether it was raised."""
    if raw or instance.pk is None:
        instance._weticket_old_capacity = None
        return
    instance._weticket_old_capacity = (
        TicketType.objects.filter(pk=instance.pk).values_list("capacity", flat=True).first()
    )


def capacity_raised(sender, instance: TicketType, raw: bool = False, **kwargs) -> None:
    """An editor raised a capacity (or reactivated a ticket type): tickets may be free."""
    old = getattr(instance, "_weticket_old_capacity", None)
    if raw or old is None or not instance.event_id:
        return
    if instance.capacity > old:
        announce_tickets_freed(instance.event_id, [instance.pk], reason="capacity")


def event_changed(sender, instance: Event, **kwargs) -> None:
    invalidate_event_availability(instance.pk)
    invalidate_catalogues()


def organisation_changed(sender, instance: Organisation, **kwargs) -> None:
    invalidate_catalogues()


def event_slug_from_title(sender, instance: Event, raw: bool = False, **kwargs) -> None:
    """An event saved without a slug (in code, or a form that left it empty) gets one."""
    if not raw and not instance.slug and instance.organisation_id:
        instance.slug = unique_event_slug(
            instance.organisation_id, instance.title, exclude_pk=instance.pk
        )


def organisation_saved(sender, instance: Organisation, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    from .services.page_access import ensure_organisation_group

    ensure_organisation_group(instance)


def organisation_deleted(sender, instance: Organisation, **kwargs) -> None:
    if instance.editors_group_id is not None:
        from django.contrib.auth.models import Group

        Group.objects.filter(pk=instance.editors_group_id).delete()


def membership_saved(sender, instance: OrganisationMembership, raw: bool = False, **kwargs):
    if raw:
        return
    from .services.page_access import add_member

    add_member(instance.organisation_id, instance.user_id)


def membership_deleted(sender, instance: OrganisationMembership, **kwargs) -> None:
    from .services.page_access import remove_member

    remove_member(instance.organisation_id, instance.user_id)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(ticket_type_changed, sender=TicketType, dispatch_uid=f"wt-tt-{signal}")
        signal.connect(event_changed, sender=Event, dispatch_uid=f"wt-event-{signal}")
        signal.connect(
            organisation_changed, sender=Organisation, dispatch_uid=f"wt-organisation-{signal}"
        )
    pre_save.connect(remember_capacity, sender=TicketType, dispatch_uid="wt-tt-capacity")
    post_save.connect(capacity_raised, sender=TicketType, dispatch_uid="wt-tt-capacity")
    pre_save.connect(event_slug_from_title, sender=Event, dispatch_uid="wt-event-slug")
    post_save.connect(organisation_saved, sender=Organisation, dispatch_uid="wt-org-group")
    post_delete.connect(organisation_deleted, sender=Organisation, dispatch_uid="wt-org-group")
    post_save.connect(membership_saved, sender=OrganisationMembership, dispatch_uid="wt-member")
    post_delete.connect(membership_deleted, sender=OrganisationMembership, dispatch_uid="wt-member")
