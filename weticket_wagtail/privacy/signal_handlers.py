"""Connects publishing a privacy statement to recording its version, and edits to the banner."""

from __future__ import annotations

from wagtail.signals import page_published


def record_published_statement(sender, instance, revision=None, **kwargs) -> None:
    """``page_published`` handler: record a version when a privacy statement is published."""
    from .models import AbstractPrivacyStatementPage
    from .services.versions import record_version

    if isinstance(instance, AbstractPrivacyStatementPage):
        record_version(instance, revision=revision, user=getattr(revision, "user", None))


def connect() -> None:
    page_published.connect(
        record_published_statement, dispatch_uid="weticket_privacy_record_version"
    )
    from .consent.signal_handlers import connect as connect_consent

    connect_consent()
