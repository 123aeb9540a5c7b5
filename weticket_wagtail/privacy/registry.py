"""The personal-data registry: every model that holds personal data declares it here, once.

ARCHITECTURE rule 7. The privacy app never imports the apps that hold personal data (ticketing,
payments, an agency's own apps); it reaches their rows only through what they register. An app
registers in its ``AppConfig.ready()``::

    from weticket_wagtail.privacy.registry import personal_data

    personal_data.register(
        Order,
        email="buyer_email",
        name="buyer_name",
        language="language",
        audience=Audience.VISITOR,
        categories=[DataCategory.CONTACT, DataCategory.FINANCIAL],
        still_held=None,  # later: lambda rows: rows.filter(erased_at__isnull=True)
    )

This first part answers one question: *who are the people whose data we hold?* —
:meth:`PersonalDataRegistry.subjects` streams every distinct person, in batches, with the name
and language to address them by. Later work adds export, rectification, anonymisation and the
retention purge to the same registrations.

``still_held`` narrows a model's rows to those whose personal data we still hold: a row that was
erased, or anonymised at the end of its retention period, is no longer a person to write to.
It is a function from the model's queryset to a narrower one, so it can be any filter.

Some records hold personal data but no email address: the consent log keeps a truncated IP
address and a browser family under a random consent id. Such a model registers with
``email=""`` and ``reference="consent_id"`` (the field a person quotes to find their rows): it
is never a person to write to, but its categories and ``retention`` category count like any.
``retention`` names the retention category that applies (e.g. ``"consent_records"``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, Exists, F, Model, OuterRef, QuerySet, Value
from django.db.models.functions import Lower, Trim

from .categories import Audience, DataCategory

HeldFilter = Callable[[QuerySet], QuerySet]
_EMPTY = Value("", output_field=CharField())


@dataclass(frozen=True)
class Subject:
    """A person the registry knows: who to write to, how to greet them, in which language.

    ``email`` is normalised (trimmed, lower-cased); ``language`` is what the holding model
    recorded (e.g. ``"nl"``), or ``""`` when it records none.
    """

    email: str
    name: str
    language: str
    source: (
        str  # the model label of the registration that yielded it, e.g. weticket_ticketing.order
    )


@dataclass(frozen=True)
class Registration:
    """What one model declares about the personal data it holds."""

    model: type[Model]
    email: str
    name: str = ""
    language: str = ""
    audience: str = Audience.VISITOR
    categories: tuple[str, ...] = ()
    still_held: HeldFilter | None = field(default=None, compare=False)
    reference: str = ""
    retention: str = ""

    @property
    def key(self) -> str:
        """``<app_label>.<model_name>:<email or reference field>``: a model may hold several
        people."""
        return f"{self.model._meta.label_lower}:{self.email or self.reference}"

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def held_rows(self) -> QuerySet:
        """The model's rows whose personal data is still held."""
        rows = self.model._default_manager.all()
        return self.still_held(rows) if self.still_held is not None else rows

    def _emails(self) -> QuerySet:
        return self.held_rows().annotate(_subject_email=Lower(Trim(F(self.email))))


class PersonalDataRegistry:
    """The registrations of this process, in the order they were made. Thread-safe."""

    def __init__(self) -> None:
        self._registrations: dict[str, Registration] = {}
        self._lock = threading.Lock()

    def register(
        self,
        model: type[Model],
        *,
        email: str,
        name: str = "",
        language: str = "",
        audience: str = Audience.VISITOR,
        categories: Iterable[str] = (),
        still_held: HeldFilter | None = None,
        reference: str = "",
        retention: str = "",
    ) -> Registration:
        """Declare that ``model`` holds a person's personal data, reachable at field ``email``.

        ``name`` and ``language`` name the fields holding that person's name and language, if
        any. ``categories`` are :class:`~.categories.DataCategory` values (shown in the privacy
        statement). A model without an email address gives ``email=""`` and the ``reference``
        field a person quotes instead (one of the two is required). ``retention`` is its
        retention category. Registering the same model and field again replaces the
        registration (so ``ready()`` may run twice); an unknown field or category raises
        ``ValueError``.
        """
        if not (email or reference):
            raise ValueError(f"{model.__name__}: give the email field or a reference field.")
        for field_name in (email, name, language, reference):
            if field_name:
                try:
                    model._meta.get_field(field_name)
                except FieldDoesNotExist as exc:
                    raise ValueError(f"{model.__name__} has no field {field_name!r}.") from exc
        categories = tuple(categories)
        unknown = set(categories) - set(DataCategory.values)
        if unknown:
            raise ValueError(f"Unknown data categories for {model.__name__}: {sorted(unknown)}")
        if audience not in Audience.values:
            raise ValueError(f"Unknown audience {audience!r} for {model.__name__}.")
        registration = Registration(
            model=model,
            email=email,
            name=name,
            language=language,
            audience=audience,
            categories=categories,
            still_held=still_held,
            reference=reference,
            retention=retention,
        )
        with self._lock:
            self._registrations[registration.key] = registration
        return registration

    def unregister(self, model: type[Model], email: str | None = None) -> None:
        """Forget ``model``'s registrations (only the one for field ``email`` if given)."""
        with self._lock:
            for key, registration in list(self._registrations.items()):
                if registration.model is model and email in (None, registration.email):
                    del self._registrations[key]

    def registrations(self) -> list[Registration]:
        """Every registration, in the order they were made."""
        with self._lock:
            return list(self._registrations.values())

    def categories(self, audience: str | None = None) -> list[str]:
        """The data categories registered (for ``audience`` only, if given), in enum order."""
        found = {
            category
            for registration in self.registrations()
            if audience in (None, registration.audience)
            for category in registration.categories
        }
        return [value for value in DataCategory.values if value in found]

    def subjects(self, batch_size: int = 1000) -> Iterator[list[Subject]]:
        """Every distinct person whose data is still held, in lists of up to ``batch_size``.

        Guarantees: each email address (compared trimmed and case-insensitively) is yielded
        once, from the first registration that holds it; within a registration, the name and
        language come from its most recent row (highest primary key) for that address. Empty
        addresses are skipped. Rows are read from the database as the caller iterates (a
        server-side cursor on PostgreSQL), so memory use stays at one batch whatever the
        number of people.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1.")
        batch: list[Subject] = []
        earlier: list[Registration] = []
        for registration in self.registrations():
            if not registration.email:
                continue  # nobody to write to (e.g. the consent log)
            for subject in self._subjects_of(registration, earlier, batch_size):
                batch.append(subject)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            earlier.append(registration)
        if batch:
            yield batch

    def _subjects_of(
        self, registration: Registration, earlier: list[Registration], chunk_size: int
    ) -> Iterator[Subject]:
        rows = registration._emails().exclude(_subject_email="").exclude(_subject_email=None)
        for other in earlier:
            rows = rows.exclude(
                Exists(other._emails().filter(_subject_email=OuterRef("_subject_email")))
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


#: The registry of this process.
personal_data = PersonalDataRegistry()
