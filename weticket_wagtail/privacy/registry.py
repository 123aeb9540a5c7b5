"""The personal-data registry: every model that holds personal data declares it here, once.

ARCHITECTURE rule 7. The privacy app never imports the apps that hold personal data (ticketing,
payments, an agency's own apps); it reaches their rows only through what they register. Each
app registers from its own ``personal_data.py``, called in its ``AppConfig.ready()``::

    from weticket_wagtail.privacy.registry import Anonymise, kept, personal, personal_data

    personal_data.register(
        Order,
        email="buyer_email",                 # how to find a person's rows: normalised email
        name="buyer_name",                   # how to greet them
        language="language",
        audience=Audience.VISITOR,
        fields=[                             # every field that holds their personal data
            personal("buyer_name", DataCategory.CONTACT, rectifiable=True),
            personal("buyer_email", DataCategory.EMAIL, rectifiable=True),
        ],
        kept=[kept("total"), kept("created_at")],   # what the law makes us keep (7 years)
        tenant="organisation_id",            # whose data it is, for the admin's scoping
        retention=Retention.ORDERS,          # a stable code the retention schedule maps
        retention_from="created_at",
        notice=buyers_covered_by,            # who hears of a policy change (or False)
    )
    personal_data.register(Ticket, role="holder", via=[("order", "weticket_ticketing.order")],
                           fields=[personal("holder_name", DataCategory.CONTACT)], ...)
    personal_data.not_personal(OrderLine, "order", "ticket_type", "name", ...)

What a registration declares, and who uses it:

* **finding a subject** (:meth:`PersonalDataRegistry.find`): rows whose ``email`` field (or any
  of ``emails``) equals the address, compared trimmed and case-insensitively; rows related
  through ``via`` (a foreign key to a model registered itself, e.g. tickets through their
  order); and rows a ``related`` function adds once the rest is found (the outbox finds the
  emails about any record found). Used by export, rectification, erasure and the admin inbox.
* **fields**: each personal field with its :class:`~.categories.DataCategory`, how it is
  anonymised (:class:`Anonymise`), and whether staff may correct it (``rectifiable``). ``kept``
  fields are not about the person once the personal fields are gone, and a law makes us keep
  them (:data:`FISCAL`: the Dutch 7-year duty for financial records). Every other field of the
  model is declared with :meth:`PersonalDataRegistry.not_personal`; a test walks every model
  of ours and fails on a field nobody declared (:meth:`~PersonalDataRegistry.undeclared_fields`).
* **erasure**: ``on_erase`` anonymises (default) or deletes the rows; ``erase`` replaces both
  with a function of your own; ``anonymised_marker`` names a datetime field set on erasure.
* **retention**: ``retention`` is a stable code (:class:`Retention`), ``retention_from`` the
  field the period runs from; the retention schedule maps codes to periods.
* **who hears of a policy change**: ``notice`` narrows rows to people a site's privacy
  statement covers (``notice(rows, site)``, ``site`` a Wagtail ``Site`` or ``None`` for all);
  ``True`` is every held row, ``False`` (the default) nobody: an address that never confirmed
  anything (an abandoned order, a contact form) is not written to.
* ``still_held`` narrows a model's rows to those whose personal data we still hold.

:meth:`PersonalDataRegistry.subjects` streams every distinct person to notify, in batches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import AppConfig
from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    CharField,
    Exists,
    Expression,
    F,
    Lookup,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import MD5, Cast, Concat, Lower, Random, Trim

from .categories import Audience, DataCategory, RetentionCategory

HeldFilter = Callable[[QuerySet], QuerySet]
NoticeScope = Callable[[QuerySet, Any], QuerySet]
EmailPath = str | Expression
_EMPTY = Value("", output_field=CharField())


def _field_or_none(model: type[Model], name: str):
    for candidate in (name, name.removesuffix("_id")):
        try:
            return model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
    return None


def normalise_email(email: str) -> str:
    """How the registry compares addresses: trimmed and lower-cased."""
    return (email or "").strip().lower()


def email_expression(path: EmailPath) -> Expression:
    """The normalised form of an email field (``LOWER(TRIM(field))``) for lookups and indexes.

    A string is a field path (``"buyer_email"``, ``"user__email"``); an expression (a JSON
    key, say) is used as it is. Index the same expression to make finding a subject fast::

        models.Index(Lower(Trim("buyer_email")), name="...")
    """
    if isinstance(path, str):
        return Lower(Trim(F(path)))
    return Lower(Trim(path))


# --- how a field is anonymised -----------------------------------------------------------------


class Anonymise:
    """What an anonymised field holds. A strategy is one of these names, or a function
    ``(model) -> value or expression`` used in an ``UPDATE`` of the subject's rows."""

    BLANK = "blank"  # ""
    NULL = "null"  # NULL (nullable fields, foreign keys)
    REDACTED = "redacted"  # "[erased]": shows that something was there
    UNIQUE = "unique"  # "erased:<pk>": for fields that must stay unique
    EMPTY_LIST = "empty_list"  # [] (JSON)
    EMPTY_OBJECT = "empty_object"  # {} (JSON)
    NEW_TOKEN = "new_token"  # noqa: S105 - a fresh random value: old links stop working

    CHOICES = (BLANK, NULL, REDACTED, UNIQUE, EMPTY_LIST, EMPTY_OBJECT, NEW_TOKEN)

    @classmethod
    def value(cls, strategy: str | Callable, model: type[Model]) -> Any:
        """The value (or expression) to ``UPDATE`` a field anonymised by ``strategy`` with."""
        if callable(strategy):
            return strategy(model)
        pk_text = Cast("pk", output_field=CharField())
        return {
            cls.BLANK: "",
            cls.NULL: None,
            cls.REDACTED: REDACTED_TEXT,
            cls.UNIQUE: Concat(Value("erased:"), pk_text, output_field=CharField()),
            cls.EMPTY_LIST: [],
            cls.EMPTY_OBJECT: {},
            cls.NEW_TOKEN: Concat(
                Value("x"),
                MD5(Concat(Cast(Random(), output_field=CharField()), pk_text)),
                output_field=CharField(),
            ),
        }[strategy]


REDACTED_TEXT = "[erased]"

#: Why a kept field is kept: the Dutch fiscal duty to keep financial records for 7 years
#: (art. 52 AWR), from the end of the financial year.
FISCAL = "fiscal"
#: Kept to account for what we did (e.g. who published a statement version).
ACCOUNTABILITY = "accountability"


class Retention:
    """Stable codes of retention categories (:class:`~.categories.RetentionCategory`, where
    their labels are); the retention schedule maps each to a period."""

    ORDERS = RetentionCategory.ORDERS.value  # buyers' contact details on orders
    TICKETS = RetentionCategory.TICKETS.value  # ticket holders' names
    PAYMENTS = RetentionCategory.PAYMENTS.value  # payments and refunds (their free text)
    FISCAL_RECORDS = RetentionCategory.FISCAL_RECORDS.value  # amounts, VAT, dates: kept fields
    OUTBOX = RetentionCategory.OUTBOX.value  # sent emails
    CAMPAIGN_RECIPIENTS = RetentionCategory.CAMPAIGN_RECIPIENTS.value
    CONSENT = RetentionCategory.CONSENT.value  # cookie-consent records
    REQUESTS = RetentionCategory.REQUESTS.value  # data-subject requests, their audit trail
    ORGANISATION_CONTACTS = RetentionCategory.ORGANISATION_CONTACTS.value
    STAFF_ACCOUNTS = RetentionCategory.STAFF_ACCOUNTS.value  # organisers' admin accounts
    FORM_SUBMISSIONS = RetentionCategory.FORM_SUBMISSIONS.value  # an agency's own forms
    STATEMENT_HISTORY = RetentionCategory.STATEMENT_HISTORY.value
    WAITING_LIST = RetentionCategory.WAITING_LIST.value  # people waiting for sold-out tickets

    CODES = tuple(RetentionCategory.values)


@dataclass(frozen=True)
class PersonalField:
    """A field that holds a person's data: its category, how it is anonymised, if correctable."""

    name: str
    category: str
    anonymise: str | Callable = Anonymise.BLANK
    rectifiable: bool = False


@dataclass(frozen=True)
class KeptField:
    """A field the law makes us keep: exported with the subject's data, never anonymised."""

    name: str
    reason: str = FISCAL
    retention: str = Retention.FISCAL_RECORDS
    category: str = DataCategory.FINANCIAL


def personal(
    name: str, category: str, anonymise: str | Callable = Anonymise.BLANK, rectifiable=False
) -> PersonalField:
    """Declare ``name`` a personal field of ``category`` (a :class:`DataCategory` value)."""
    return PersonalField(name, category, anonymise, rectifiable)


def kept(
    name: str,
    reason: str = FISCAL,
    retention: str = Retention.FISCAL_RECORDS,
    category: str = DataCategory.FINANCIAL,
) -> KeptField:
    """Declare ``name`` a field the law makes us keep (``reason``: :data:`FISCAL`, …); the
    export lists it under ``category``."""
    return KeptField(name, reason, retention, category)


# --- a registration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """What one model declares about the personal data of one kind of person (its role)."""

    model: type[Model]
    role: str
    email: str = ""
    emails: tuple[EmailPath, ...] = ()
    name: str = ""
    language: str = ""
    audiences: tuple[str, ...] = (Audience.VISITOR,)
    categories: tuple[str, ...] = ()
    fields: tuple[PersonalField, ...] = ()
    kept: tuple[KeptField, ...] = ()
    via: tuple[tuple[str, str], ...] = ()
    related: Callable[[SubjectRecords], Q | None] | None = field(default=None, compare=False)
    tenant: str = ""
    retention: str = ""
    retention_from: str = ""
    on_erase: str = "anonymise"
    erase: Callable[[QuerySet], int] | None = field(default=None, compare=False)
    anonymised_marker: str = ""
    rotate: tuple[str, ...] = ()
    still_held: HeldFilter | None = field(default=None, compare=False)
    notice: NoticeScope | bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        """``<app_label>.<model_name>:<role>``: a model may hold several kinds of people."""
        return f"{self.model._meta.label_lower}:{self.role}"

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def audience(self) -> str:
        return self.audiences[0]

    @property
    def email_paths(self) -> tuple[EmailPath, ...]:
        return ((self.email,) if self.email else ()) + self.emails

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def kept_names(self) -> list[str]:
        return [k.name for k in self.kept]

    def held_rows(self) -> QuerySet:
        """The model's rows whose personal data is still held."""
        rows = self.model._default_manager.all()
        return self.still_held(rows) if self.still_held is not None else rows

    def noticed_rows(self, site=None) -> QuerySet:
        """Held rows of people a policy change is told to (see ``notice``)."""
        rows = self.held_rows()
        if self.notice is True:
            return rows
        if not self.notice:
            return rows.none()
        return self.notice(rows, site)

    def rows_with_email(self, email: str) -> Q:
        """A filter for the rows whose email field(s) hold ``email`` (normalised)."""
        query = Q()
        for index, _path in enumerate(self.email_paths):
            query |= Q(**{f"_subject_email_{index}": normalise_email(email)})
        return query

    def _with_emails(self, rows: QuerySet) -> QuerySet:
        return rows.alias(
            **{
                f"_subject_email_{index}": email_expression(path)
                for index, path in enumerate(self.email_paths)
            }
        )

    def _emails(self, site=None) -> QuerySet:
        return self.noticed_rows(site).annotate(_subject_email=email_expression(self.email))


# --- what is found about one person ---------------------------------------------------------------


@dataclass
class SubjectRecords:
    """The rows the registry found for one email address: primary keys per registration.

    Only primary keys are held, so finding a subject with thousands of orders stays cheap;
    :meth:`rows` gives the querysets to read or change them.
    """

    email: str
    found: dict[str, list[Any]]
    registry: PersonalDataRegistry

    def registrations(self) -> list[Registration]:
        """Registrations with rows for this subject, in registration order."""
        return [r for r in self.registry.registrations() if self.found.get(r.key)]

    def pks(self, label: str) -> set[Any]:
        """Primary keys found of model ``label`` (any role)."""
        label = label.lower()
        return {
            pk for key, pks in self.found.items() if key.rpartition(":")[0] == label for pk in pks
        }

    def pks_any(self, via: Iterable[tuple[str, str]]) -> bool:
        """Whether any model that ``via`` points at has rows for this subject."""
        return any(self.pks(target) for _fk, target in via)

    def rows(self, registration: Registration) -> QuerySet:
        return registration.model._default_manager.filter(
            any_of("pk", self.found.get(registration.key, []))
        )

    def refs(self) -> list[str]:
        """``<label>:<pk>`` of every row found, the way the outbox refers to records."""
        return sorted(
            {f"{key.rpartition(':')[0]}:{pk}" for key, pks in self.found.items() for pk in pks}
        )

    def counts(self) -> dict[str, int]:
        """How many rows per registration key (only keys with rows)."""
        return {key: len(pks) for key, pks in self.found.items() if pks}

    @property
    def total(self) -> int:
        return sum(len(pks) for pks in self.found.values())

    def tenant_ids(self) -> set[int]:
        """The tenants (organisations) whose data this subject's rows are."""
        tenants: set[int] = set()
        for registration in self.registrations():
            if registration.tenant:
                tenants.update(
                    value
                    for value in self.rows(registration).values_list(registration.tenant, flat=True)
                    if value is not None
                )
        return tenants

    def restricted_to(self, tenant_ids: Iterable[int]) -> SubjectRecords:
        """Only the rows of ``tenant_ids``' data (rows of registrations without a tenant go)."""
        tenant_ids = set(tenant_ids)
        found: dict[str, list[Any]] = {}
        for registration in self.registrations():
            if not registration.tenant:
                continue
            found[registration.key] = list(
                self.rows(registration)
                .filter(any_of(registration.tenant, tenant_ids))
                .values_list("pk", flat=True)
            )
        return SubjectRecords(self.email, found, self.registry)


# --- the registry --------------------------------------------------------------------------------


class PersonalDataRegistry:
    """The registrations of this process, in the order they were made. Thread-safe."""

    def __init__(self) -> None:
        self._registrations: dict[str, Registration] = {}
        self._not_personal: dict[str, dict[str, str]] = {}
        self._erasure_steps: dict[str, Callable] = {}
        self._lock = threading.Lock()

    # --- declaring ----------------------------------------------------------------------------

    def register(
        self,
        model: type[Model],
        *,
        role: str = "",
        email: str = "",
        emails: Iterable[EmailPath] = (),
        name: str = "",
        language: str = "",
        audience: str | Sequence[str] = Audience.VISITOR,
        categories: Iterable[str] = (),
        fields: Iterable[PersonalField] = (),
        kept: Iterable[KeptField] = (),
        via: Iterable[tuple[str, str]] = (),
        related: Callable[[SubjectRecords], Q | None] | None = None,
        tenant: str = "",
        retention: str = "",
        retention_from: str = "",
        on_erase: str = "anonymise",
        erase: Callable[[QuerySet], int] | None = None,
        anonymised_marker: str = "",
        rotate: Iterable[str] = (),
        still_held: HeldFilter | None = None,
        notice: NoticeScope | bool = False,
    ) -> Registration:
        """Declare that ``model`` holds the personal data of one kind of person (``role``).

        A person's rows are found by ``email`` (and ``emails``: more field paths or
        expressions), through ``via`` (``(foreign key, registered model label)`` pairs) or by
        ``related``; at least one is needed. ``name`` and ``language`` name the fields to
        greet them by. ``categories`` add to those of ``fields``. Registering the same model
        and role again replaces the registration (so ``ready()`` may run twice); an unknown
        field, category, anonymisation strategy or retention code raises ``ValueError``.
        ``rotate`` names fields that are not personal but are credentials (a token in the
        buyer's links): erasure gives them a new random value so old links stop working.
        """
        role = role or email or "subject"
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        fields, kept, rotate = tuple(fields), tuple(kept), tuple(rotate)
        via = tuple((str(fk), str(target).lower()) for fk, target in via)
        emails = tuple(emails)
        self._check_fields(
            model,
            [email, name, language, tenant, retention_from, anonymised_marker]
            + [f.name for f in fields]
            + [k.name for k in kept]
            + [path for path in emails if isinstance(path, str)]
            + [fk for fk, _target in via]
            + list(rotate),
        )
        if not (email or emails or via or related):
            raise ValueError(f"{model.__name__}: say how to find a person's rows.")
        categories = tuple(
            dict.fromkeys([*categories, *(f.category for f in fields), *(k.category for k in kept)])
        )
        unknown = set(categories) - set(DataCategory.values)
        if unknown:
            raise ValueError(f"Unknown data categories for {model.__name__}: {sorted(unknown)}")
        for audience_value in audiences:
            if audience_value not in Audience.values:
                raise ValueError(f"Unknown audience {audience_value!r} for {model.__name__}.")
        for personal_field in fields:
            strategy = personal_field.anonymise
            if not callable(strategy) and strategy not in Anonymise.CHOICES:
                raise ValueError(f"{model.__name__}.{personal_field.name}: unknown {strategy!r}.")
        for code in [retention, *(k.retention for k in kept)]:
            if code and code not in Retention.CODES:
                raise ValueError(f"{model.__name__}: unknown retention category {code!r}.")
        if on_erase not in ("anonymise", "delete"):
            raise ValueError(f"{model.__name__}: on_erase is 'anonymise' or 'delete'.")
        registration = Registration(
            model=model,
            role=role,
            email=email,
            emails=emails,
            name=name,
            language=language,
            audiences=audiences,
            categories=categories,
            fields=fields,
            kept=kept,
            via=via,
            related=related,
            tenant=tenant,
            retention=retention,
            retention_from=retention_from,
            on_erase=on_erase,
            erase=erase,
            anonymised_marker=anonymised_marker,
            rotate=rotate,
            still_held=still_held,
            notice=notice,
        )
        with self._lock:
            self._registrations[registration.key] = registration
        return registration

    def not_personal(self, model: type[Model], *field_names: str, reason: str = "") -> None:
        """Declare fields of ``model`` that hold no personal data (so nobody has to guess)."""
        self._check_fields(model, list(field_names))
        with self._lock:
            declared = self._not_personal.setdefault(model._meta.label_lower, {})
            declared.update(dict.fromkeys(field_names, reason))

    def unregister(self, model: type[Model], role: str | None = None) -> None:
        """Forget ``model``'s registrations (only the one for ``role`` if given)."""
        with self._lock:
            for key, registration in list(self._registrations.items()):
                if registration.model is model and role in (None, registration.role):
                    del self._registrations[key]

    def register_erasure_step(self, name: str, step: Callable) -> None:
        """Run ``step(records, *, cancel_future: bool, user)`` before a subject is anonymised.

        Steps do what privacy cannot (it imports no ticketing or payments): payments cancels
        and refunds the subject's tickets for future events. A step returns a list of lines
        for the audit trail; it must not raise for one failing refund (save it for retry).
        """
        with self._lock:
            self._erasure_steps[name] = step

    def erasure_steps(self) -> list[Callable]:
        with self._lock:
            return list(self._erasure_steps.values())

    @staticmethod
    def _check_fields(model: type[Model], names: list[str]) -> None:
        for path in names:
            if not path:
                continue
            current = model
            for part in path.split("__"):
                found = current._meta.pk if part == "pk" else _field_or_none(current, part)
                if found is None:
                    raise ValueError(f"{model.__name__} has no field {path!r}.")
                if found.is_relation and found.related_model is not None:
                    current = found.related_model

    # --- reading ------------------------------------------------------------------------------

    def registrations(self) -> list[Registration]:
        """Every registration, in the order they were made."""
        with self._lock:
            return list(self._registrations.values())

    def registration(self, key: str) -> Registration | None:
        with self._lock:
            return self._registrations.get(key)

    def registrations_of(self, label: str) -> list[Registration]:
        label = label.lower()
        return [r for r in self.registrations() if r.label == label]

    def categories(self, audience: str | None = None) -> list[str]:
        """The data categories registered (for ``audience`` only, if given), in enum order."""
        found = {
            category
            for registration in self.registrations()
            if audience is None or audience in registration.audiences
            for category in registration.categories
        }
        return [value for value in DataCategory.values if value in found]

    def declared_fields(self, model: type[Model]) -> dict[str, str]:
        """Every declared field of ``model``: ``{name: "personal" | "kept" | "rotated" |
        "not personal"}``."""
        label = model._meta.label_lower
        declared = dict.fromkeys(self._not_personal.get(label, {}), "not personal")
        for registration in self.registrations_of(label):
            declared.update(dict.fromkeys(registration.rotate, "rotated"))
            declared.update(dict.fromkeys(registration.kept_names, "kept"))
            declared.update(dict.fromkeys(registration.field_names, "personal"))
        return declared

    def undeclared_fields(self, app_configs: Iterable[AppConfig]) -> list[str]:
        """``"<label>.<field>"`` of every field of the apps' concrete models that is neither
        registered as personal or kept, nor declared not personal. Empty when all is declared.

        Looks at each model's own columns and many-to-many fields (not those inherited from
        another concrete model, such as Wagtail's ``Page``); an automatic primary key and the
        link to a parent model need no declaration.
        """
        missing = []
        for app_config in app_configs:
            for model in app_config.get_models():
                if model._meta.proxy or model._meta.abstract:
                    continue
                declared = self.declared_fields(model)
                for model_field in [
                    *model._meta.local_concrete_fields,
                    *model._meta.local_many_to_many,
                ]:
                    if model_field.auto_created or getattr(
                        getattr(model_field, "remote_field", None), "parent_link", False
                    ):
                        continue
                    if model_field.name not in declared:
                        missing.append(f"{model._meta.label_lower}.{model_field.name}")
        return missing

    # --- finding one person -------------------------------------------------------------------

    def find(self, email: str) -> SubjectRecords:
        """Every row of every registration that holds data of the person at ``email``.

        Rows with the address come first, then rows related to those through ``via``
        (followed until nothing new turns up, in whatever order the apps registered), then
        rows that ``related`` functions add. Only rows still held count. An empty address
        finds nothing.
        """
        email = normalise_email(email)
        found: dict[str, list[Any]] = {}
        records = SubjectRecords(email, found, self)
        if not email:
            return records
        registrations = self.registrations()
        pending = []
        for registration in registrations:
            query = Q()
            if registration.email_paths:
                query = registration.rows_with_email(email)
            if registration.email_paths and not registration.via:
                rows = registration._with_emails(registration.held_rows()).filter(query)
                found[registration.key] = list(rows.values_list("pk", flat=True))
            else:
                pending.append(registration)
        # Relations: resolve a registration once every model it points at is resolved.
        while pending:
            progressed = False
            for registration in list(pending):
                targets = {target for _fk, target in registration.via}
                unresolved = {r.label for r in pending if r is not registration}
                if targets & unresolved:
                    continue
                query = Q()
                if registration.email_paths:
                    query |= registration.rows_with_email(email)
                for fk, target in registration.via:
                    pks = records.pks(target)
                    if pks:
                        query |= Q(any_of(fk, pks))
                if query and (registration.email_paths or records.pks_any(registration.via)):
                    rows = registration._with_emails(registration.held_rows()).filter(query)
                    found[registration.key] = list(rows.values_list("pk", flat=True))
                else:
                    found[registration.key] = []
                pending.remove(registration)
                progressed = True
            if not progressed:  # a circle of via: resolve what the rest can give
                for registration in pending:
                    found.setdefault(registration.key, [])
                break
        for registration in registrations:
            if registration.related is None:
                continue
            extra = registration.related(records)
            if extra is None:
                continue
            already = set(found.get(registration.key, []))
            more = registration.held_rows().filter(extra).values_list("pk", flat=True)
            found[registration.key] = sorted(already | set(more))
        return records

    # --- everyone to notify -------------------------------------------------------------------

    def subjects(self, batch_size: int = 1000, *, site=None) -> Iterator[list[Subject]]:
        """Every distinct person a policy change is told to, in lists of up to ``batch_size``.

        Only registrations with a ``notice`` scope take part, each narrowed to the people the
        statement of ``site`` covers (``None``: any site). Guarantees: each email address
        (compared trimmed and case-insensitively) is yielded once, from the first registration
        that holds it; within a registration, the name and language come from its most recent
        row (highest primary key) for that address. Empty addresses are skipped. Rows are read
        as the caller iterates (a server-side cursor on PostgreSQL), so memory use stays at
        one batch whatever the number of people.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1.")
        batch: list[Subject] = []
        earlier: list[Registration] = []
        for registration in self.registrations():
            if not registration.notice or not registration.email:
                continue
            for subject in self._subjects_of(registration, earlier, batch_size, site):
                batch.append(subject)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            earlier.append(registration)
        if batch:
            yield batch

    def _subjects_of(
        self, registration: Registration, earlier: list[Registration], chunk_size: int, site
    ) -> Iterator[Subject]:
        rows = registration._emails(site).exclude(_subject_email="").exclude(_subject_email=None)
        for other in earlier:
            rows = rows.exclude(
                Exists(other._emails(site).filter(_subject_email=OuterRef("_subject_email")))
            )
        rows = rows.annotate(
            _subject_name=F(registration.name) if registration.name else _EMPTY,
            _subject_language=F(registration.language) if registration.language else _EMPTY,
        ).order_by("_subject_email", "-pk")
        previous = None
        for email, name, language in rows.values_list(
            "_subject_email", "_subject_name", "_subject_language"
        ).iterator(chunk_size=chunk_size):
            if email == previous:
                continue  # an older row of the same person
            previous = email
            yield Subject(email, name or "", language or "", registration.label)


@dataclass(frozen=True)
class Subject:
    """A person to write to: who, how to greet them, in which language.

    ``email`` is normalised (trimmed, lower-cased); ``language`` is what the holding model
    recorded (e.g. ``"nl"``), or ``""`` when it records none; ``source`` is the model label of
    the registration that yielded it, e.g. ``weticket_ticketing.order``.
    """

    email: str
    name: str
    language: str
    source: str


#: The registry of this process.
personal_data = PersonalDataRegistry()


class AnyOf(Lookup):
    """``field IN (values)`` for long lists of values: one array parameter on PostgreSQL
    (``field = ANY(%s)``), without preparing each value on its own.

    Finding one person's rows passes thousands of primary keys between queries; Django's ``__in``
    prepares and binds each value separately, which costs more than the queries themselves.
    Use it as a filter expression: ``rows.filter(AnyOf(F("pk"), pks))``.
    """

    lookup_name = "weticket_any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def any_of(path: str, values) -> AnyOf:
    """A filter: the field at ``path`` is one of ``values`` (see :class:`AnyOf`)."""
    return AnyOf(F(path), list(values))
