"""Connects publishing a privacy statement to recording its version, register edits to new
versions, and edits to the banner."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published


def record_published_statement(sender, instance, revision=None, **kwargs) -> None:
    """``page_published`` handler: record a version when a privacy statement is published."""
    from .models import AbstractPrivacyStatementPage
    from .services.versions import record_version

    if isinstance(instance, AbstractPrivacyStatementPage):
        record_version(instance, revision=revision, user=getattr(revision, "user", None))


def register_row_saved(sender, instance, raw=False, **kwargs) -> None:
    """A row of a register the statement shows was saved: the statement may have changed."""
    from .services.register_changes import note_change

    if not raw:
        note_change(instance)


def register_row_deleted(sender, instance, **kwargs) -> None:
    from .services.register_changes import note_change

    note_change(instance, deleted=True)


def connect() -> None:
    from .services.register_changes import REGISTER_MODELS

    page_published.connect(
        record_published_statement, dispatch_uid="weticket_privacy_record_version"
    )
    for label in REGISTER_MODELS:
        model = apps.get_model(label)
        post_save.connect(register_row_saved, sender=model, dispatch_uid=f"weticket_reg_{label}")
        post_delete.connect(
            register_row_deleted, sender=model, dispatch_uid=f"weticket_reg_del_{label}"
        )
    from .consent.signal_handlers import connect as connect_consent

    connect_consent()
