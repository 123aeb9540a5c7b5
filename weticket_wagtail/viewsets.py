"""The admin kit: viewsets for records the admin shows but never edits, on Wagtail 7.0 and 8.

* :class:`PolicyViewSetMixin`: the viewset's ``policy`` is its permission policy on every
  supported Wagtail (8 also needs :func:`weticket_wagtail.permissions.register_policy`).
* :class:`ReadOnlyViewSetMixin`: only the index and inspect views (plus what a subclass adds
  to :meth:`~ReadOnlyViewSetMixin.get_urlpatterns`); no view links to an add, edit, delete,
  copy, history or usage page, and no group permissions are offered.
* :class:`ReadOnlyModelViewSet`: both, on Wagtail's ``ModelViewSet``.
* :class:`LocaleColumnMixin`: the *Locale* column for a translatable model's listing that
  names its own columns.

Used by privacy (versions, campaigns), payments (orders) and mail (the outbox).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import URLPattern, path
from django.utils.functional import cached_property
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.ui.tables import LocaleColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import TranslatableMixin
from wagtail.permission_policies.base import BasePermissionPolicy

#: The views of a ModelViewSet that a read-only one must not have (nor link to).
DISABLED_URL_NAMES = (
    "add_url_name",
    "edit_url_name",
    "delete_url_name",
    "copy_url_name",
    "history_url_name",
    "usage_url_name",
)


class PolicyViewSetMixin:
    """Wagtail 7.x asks the viewset for its permission policy: answer with ``policy``."""

    policy: BasePermissionPolicy

    if WAGTAIL_VERSION < (8, 0):

        @cached_property
        def permission_policy(self) -> BasePermissionPolicy:
            return self.policy


class ReadOnlyViewSetMixin(PolicyViewSetMixin):
    """A model viewset with only its index (with search, filters, export) and inspect views."""

    add_to_reference_index = False
    inspect_view_enabled = True
    copy_view_enabled = False

    @property
    def pk_converter(self) -> str:
        """The path converter for primary keys in this viewset's URLs (Wagtail 8 picks one per
        model; Wagtail 7.x uses ``str`` for all)."""
        return self.pk_path_converter if WAGTAIL_VERSION >= (8, 0) else "str"

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(dict.fromkeys(DISABLED_URL_NAMES))
        return view_kwargs

    def get_urlpatterns(self) -> list[URLPattern]:
        """Index, its results and inspect; extend ``super().get_urlpatterns()`` for more."""
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{self.pk_converter}:pk>/", self.inspect_view, name="inspect"),
        ]

    def get_permissions_to_register(self):
        # Access does not depend on group permissions, so offer none in the group editor.
        return Permission.objects.none()


class ReadOnlyModelViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """A ``ModelViewSet`` for records nobody edits in the admin; set ``model`` and ``policy``."""


class LocaleColumnMixin:
    """The *Locale* column, second, in the listing of a translatable model (with Wagtail's i18n on).

    Wagtail adds it only to its default listing; a viewset that sets ``list_display`` loses it,
    and then a register kept in two languages shows every row twice with nothing to tell them
    apart. The locale filter Wagtail adds by itself (with more than one content language).
    """

    def get_index_view_kwargs(self, **kwargs):
        view_kwargs = super().get_index_view_kwargs(**kwargs)
        columns = view_kwargs.get("list_display")
        if (
            columns
            and getattr(settings, "WAGTAIL_I18N_ENABLED", False)
            and issubclass(self.model, TranslatableMixin)
            and not any(isinstance(column, LocaleColumn) for column in columns)
        ):
            view_kwargs["list_display"] = [columns[0], LocaleColumn(), *columns[1:]]
        return view_kwargs
