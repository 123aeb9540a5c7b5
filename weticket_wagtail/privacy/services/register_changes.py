"""A change to a register the statement shows becomes a new version of every statement it changes.

The statement's live blocks list the processor register, the retention schedule and the cookie
list as they are now. So that the public statement never changes without a version (and, for a
material change, an email), every save or delete of a row of those registers is noted
(:func:`note_change`, from the ``post_save``/``post_delete`` handlers of the models in
:data:`REGISTER_MODELS`) and, once per transaction, :func:`record_register_change` records a
new version of each live statement whose rendered text changed: statements per site and
language, each compared with its own latest version, so an edit of the Dutch register versions
only what shows it, and a save that changes nothing visible records nothing.

Two ways in:

* **the admin's edit forms** (:class:`StatementChangeForm` and the cookie forms) ask the editor
  what changed and whether it is material, and record the versions in the same transaction as
  the edit (:func:`record_register_change`): the edit and its versions commit together.
* **anything else** (a delete, a bulk action, code, a shell): the changes of one transaction are
  batched and recorded after it commits, as minor versions with a summary that names them.

The versions keep the statement as it was rendered (:func:`.versions.record_statement`), so the
archive shows each version with the register as it was then.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from wagtail.log_actions import get_active_log_context
from wagtail.models import Page

from ..models import AbstractPrivacyStatementPage, PolicyVersion
from .versions import record_statement

logger = logging.getLogger(__name__)

#: The models whose rows the statement's live blocks show: model label → the field that names
#: a row in a summary ("": texts, named by the group or cookie saved with them).
REGISTER_MODELS: dict[str, str] = {
    "weticket_privacy.processor": "name",
    "weticket_privacy.retentionrule": "record",
    "cookie_consent.cookiegroup": "name",
    "cookie_consent.cookie": "name",
    "weticket_privacy.cookiegrouptext": "",
    "weticket_privacy.cookietext": "",
}


def watch_register_model(label: str, name_field: str = "") -> None:
    """Add a model whose rows a live block of the statement shows (call it before the privacy
    app's ``ready()`` connects the handlers, e.g. from an app listed before it)."""
    REGISTER_MODELS[label.lower()] = name_field


@dataclass(frozen=True)
class RegisterChange:
    """One row of a register saved or deleted: which model, which row (by name), how."""

    label: str
    name: str
    deleted: bool = False


@dataclass
class _Batch:
    changes: list[RegisterChange] = field(default_factory=list)
    done: bool = False

    def flush(self) -> None:
        if self.done:
            return
        self.done = True
        if self.changes:
            record_register_change(changes=self.changes)


class _Pending(threading.local):
    batch: _Batch | None = None


_pending = _Pending()


def _batch_waiting(batch: _Batch) -> bool:
    """Whether ``batch``'s flush is still registered to run when the transaction commits (a
    rollback discards it: then its changes never happened)."""
    connection = transaction.get_connection()
    return any(entry[1] == batch.flush for entry in connection.run_on_commit)


def note_change(instance: Model, *, deleted: bool = False) -> None:
    """Note that ``instance``, a row of a register the statement shows, was saved or deleted.

    The changes of one transaction are recorded together once it commits (outside a
    transaction: at once), unless an edit form records them first.
    """
    label = instance._meta.label_lower
    attribute = REGISTER_MODELS.get(label)
    if attribute is None:
        return
    name = str(getattr(instance, attribute, "") or "") if attribute else ""
    change = RegisterChange(label=label, name=name, deleted=deleted)
    batch = _pending.batch
    if batch is not None and not batch.done and _batch_waiting(batch):
        batch.changes.append(change)
        return
    batch = _Batch(changes=[change])
    _pending.batch = batch
    transaction.on_commit(batch.flush)


def take_pending_changes() -> list[RegisterChange]:
    """The changes noted in this transaction and not yet recorded; they will not be again."""
    batch = _pending.batch
    if batch is None or batch.done:
        return []
    batch.done = True
    return list(batch.changes)


def statements() -> list[AbstractPrivacyStatementPage]:
    """Every live privacy statement (each site, each language), in tree order."""
    pages = Page.objects.live().type(AbstractPrivacyStatementPage).order_by("path")
    return [page.specific for page in pages]


def record_register_change(
    *,
    summary: str = "",
    material: bool = False,
    user=None,
    changes: list[RegisterChange] | None = None,
) -> list[PolicyVersion]:
    """Record a new version of every live statement whose text a register change altered.

    ``summary`` is what the editor wrote (else one is made from ``changes``, in each
    statement's language); ``material`` makes every recorded version material, which starts
    its email campaign after the commit. Statements are locked one by one in tree order, so
    concurrent register edits and publishes serialise without deadlocks; a statement whose
    rendering equals its latest version gets none. Returns the versions recorded.
    """
    if changes is None:
        changes = take_pending_changes()
    else:
        take_pending_changes()
    if user is None:
        user = getattr(get_active_log_context(), "user", None)
    recorded = []
    with transaction.atomic():
        for page in statements():
            with translation.override(page.locale.language_code):
                text = (summary or "").strip() or describe(changes)
            version = record_statement(page, summary=text, material=material, user=user)
            if version is not None:
                recorded.append(version)
    for version in recorded:
        logger.info(
            "Register change recorded as version %s of %s (material: %s).",
            version.number,
            version.page_id,
            version.is_material,
        )
    return recorded


def _register_name(label: str) -> str:
    if label.endswith("processor"):
        return _("Processor register")
    if label.endswith("retentionrule"):
        return _("Retention schedule")
    return _("Cookie list")


def describe(changes: list[RegisterChange]) -> str:
    """A summary of ``changes`` in the active language, e.g. "Processor register: Mailjet
    changed." One line per register, names in the order they changed."""
    by_register: dict[str, dict[str, list[str]]] = {}
    for change in changes:
        register = _register_name(change.label)
        kind = "removed" if change.deleted else "changed"
        names = by_register.setdefault(register, {}).setdefault(kind, [])
        if change.name and change.name not in names:
            names.append(change.name)
    lines = []
    for register, kinds in by_register.items():
        parts = []
        if kinds.get("changed"):
            parts.append(_("%(names)s changed") % {"names": ", ".join(kinds["changed"])})
        if kinds.get("removed"):
            parts.append(_("%(names)s removed") % {"names": ", ".join(kinds["removed"])})
        detail = "; ".join(parts) or _("changed")
        lines.append(f"{capfirst(register)}: {detail}.")
    return "\n".join(lines) or _("The registers this statement shows changed.")
