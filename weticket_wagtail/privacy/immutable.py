"""Records that are only ever inserted: policy versions and the requests' audit trail.

:class:`InsertOnlyQuerySet` refuses bulk updates and deletes with the model's own
``PermissionDenied`` subclass (``refusal``); the models refuse ``save`` of an existing row and
``delete`` themselves.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models


class InsertOnlyQuerySet(models.QuerySet):
    """Refuses ``update``, ``delete``, ``bulk_update`` and ``update_or_create``."""

    refusal: type[PermissionDenied] = PermissionDenied

    def update(self, **kwargs):
        raise self.refusal()

    update.alters_data = True

    def delete(self):
        raise self.refusal()

    delete.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise self.refusal()

    def update_or_create(self, *args, **kwargs):
        raise self.refusal()
