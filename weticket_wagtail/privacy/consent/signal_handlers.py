"""Keep the cached banner current: any change to what it shows starts a new generation."""

from __future__ import annotations

from cookie_consent.models import Cookie, CookieGroup
from django.db.models.signals import post_delete, post_save
from wagtail.models import Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from .cache import invalidate


def changed(sender, **kwargs) -> None:
    """A cookie group, cookie, text, consent setting, statement version or site changed."""
    invalidate()


def statement_changed(sender, instance=None, **kwargs) -> None:
    """A privacy statement was published, unpublished or moved: its link may have changed."""
    from ..models import AbstractPrivacyStatementPage

    page = getattr(instance, "specific_deferred", instance)
    if isinstance(page, AbstractPrivacyStatementPage):
        invalidate()


def connect() -> None:
    from ..models import ConsentSettings, CookieGroupText, CookieText, PolicyVersion

    for model in (CookieGroup, Cookie, CookieGroupText, CookieText, ConsentSettings, Site):
        label = model._meta.label_lower
        post_save.connect(changed, sender=model, dispatch_uid=f"weticket_consent_save_{label}")
        post_delete.connect(changed, sender=model, dispatch_uid=f"weticket_consent_del_{label}")
    post_save.connect(changed, sender=PolicyVersion, dispatch_uid="weticket_consent_policy")
    for signal, name in (
        (page_published, "published"),
        (page_unpublished, "unpublished"),
        (post_page_move, "moved"),
    ):
        signal.connect(statement_changed, dispatch_uid=f"weticket_consent_statement_{name}")
