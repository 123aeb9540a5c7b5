"""Model instances from hand-written SQL, for the few hot paths that skip the ORM's compiler.

``Model.from_db`` takes its values in the order of the model's concrete fields; a dict by
attribute name keeps the SQL and the instance from drifting apart. Fields not given are
deferred (they load when read, as with ``.only()``), and the instance counts as loaded from the
database, so saving it updates rather than inserts.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connection
from django.db.models import DEFERRED, Model

M = TypeVar("M", bound=Model)


def from_row(model: type[M], values: dict[str, Any]) -> M:
    """An instance of ``model`` holding ``values`` (by attribute name: ``event_id``)."""
    fields = model._meta.concrete_fields
    unknown = set(values) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column {sorted(unknown)}")
    names = [f.attname for f in fields if f.attname in values]
    ordered = [values.get(f.attname, DEFERRED) for f in fields]
    instance = model.from_db(connection.alias, names, ordered)
    return instance
