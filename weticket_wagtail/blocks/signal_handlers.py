"""A page that belongs to an organisation is editable by that organisation's group."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_save

from .models import BrandedTicketPageMixin


def organisation_page_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    """Give the page to the organisation it belongs to in the database: a draft's organisation
    (not saved to the page's row yet) changes nothing until it is published."""
    update_fields = kwargs.get("update_fields")
    if raw or (update_fields is not None and "organisation" not in update_fields):
        return  # saving a draft or a revision pointer: the page's organisation is unchanged
    from weticket_wagtail.ticketing.services.page_access import give_page_to_organisation

    organisation_id = (
        sender.objects.filter(pk=instance.pk).values_list("organisation_id", flat=True).first()
    )
    give_page_to_organisation(instance, organisation_id)


def connect() -> None:
    """Every concrete page type with the branded mixin, an agency's own included."""
    for model in apps.get_models():
        if issubclass(model, BrandedTicketPageMixin) and not model._meta.abstract:
            post_save.connect(
                organisation_page_saved,
                sender=model,
                dispatch_uid=f"wt-organisation-page-{model._meta.label_lower}",
            )
