"""Forget cached door devices when what a scan relies on changes: the device (revoked, a new
link), its list (ticket types), its event or its organisation (the key tickets are verified
with). Only this process's cache can be dropped; the others expire theirs within
``CHECKIN_DEVICE_CACHE_SECONDS``."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from weticket_wagtail.ticketing.models import Event, Organisation

from .models import CheckinDevice, CheckinList


def changed(sender, **kwargs) -> None:
    from .services import forget_devices

    forget_devices()


def connect() -> None:
    for model in (CheckinDevice, CheckinList, Event, Organisation):
        uid = f"wt-checkin-forget-{model._meta.model_name}"
        post_save.connect(changed, sender=model, dispatch_uid=uid)
        post_delete.connect(changed, sender=model, dispatch_uid=uid + "-deleted")
    m2m_changed.connect(
        changed, sender=CheckinList.ticket_types.through, dispatch_uid="wt-checkin-forget-types"
    )
