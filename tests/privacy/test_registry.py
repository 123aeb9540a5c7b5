"""The personal-data registry streams every distinct person whose data is still held."""

from __future__ import annotations

import pytest

from weticket_wagtail.privacy.categories import Audience, DataCategory
from weticket_wagtail.privacy.registry import PersonalDataRegistry, Subject, personal_data
from weticket_wagtail.testing.factories import OrganisationFactory
from weticket_wagtail.ticketing.models import Order, Organisation

from .conftest import make_orders

pytestmark = pytest.mark.django_db


def all_subjects(registry, batch_size=1000) -> list[Subject]:
    return [subject for batch in registry.subjects(batch_size=batch_size) for subject in batch]


def test_ticketing_registers_buyers_and_organisation_contacts():
    registered = {(r.label, r.email, r.audience) for r in personal_data.registrations()}
    assert ("weticket_ticketing.order", "buyer_email", Audience.VISITOR) in registered
    assert ("weticket_ticketing.organisation", "contact_email", Audience.ORGANISER) in registered
    assert DataCategory.FINANCIAL in personal_data.categories(Audience.VISITOR)
    assert DataCategory.FINANCIAL not in personal_data.categories(Audience.ORGANISER)


def test_each_person_is_yielded_once_with_their_latest_name_and_language():
    organisation = OrganisationFactory(contact_email="Info@Club.example", name="Club")
    make_orders(["ann@example.org"], language="nl", organisation=organisation)
    orders = make_orders(["ANN@example.org ", "bob@example.org", "info@club.example"])
    Order.objects.filter(pk=orders[0].pk).update(buyer_name="Ann Jansen")

    subjects = all_subjects(personal_data)

    by_email = {subject.email: subject for subject in subjects}
    assert len(subjects) == len(by_email)  # distinct, across orders and organisations
    assert by_email["ann@example.org"] == Subject(
        "ann@example.org", "Ann Jansen", "en", "weticket_ticketing.order"
    )
    # An organiser who also bought a ticket is found once, as a buyer (registered first).
    assert by_email["info@club.example"].source == "weticket_ticketing.order"
    others = {s.email for s in subjects if s.source == "weticket_ticketing.organisation"}
    assert "info@club.example" not in others
    assert Organisation.objects.count() == len(others) + 1


def test_subjects_come_in_batches_and_rows_no_longer_held_are_left_out():
    registry = PersonalDataRegistry()
    registry.register(
        Order,
        email="buyer_email",
        name="buyer_name",
        language="language",
        still_held=lambda rows: rows.exclude(buyer_name="Erased"),
        notice=True,
    )
    make_orders([f"buyer{i}@example.org" for i in range(7)] + ["", "gone@example.org"])
    Order.objects.filter(buyer_email="gone@example.org").update(buyer_name="Erased")

    batches = list(registry.subjects(batch_size=3))

    assert [len(batch) for batch in batches] == [3, 3, 1]
    emails = [subject.email for batch in batches for subject in batch]
    assert emails == sorted(f"buyer{i}@example.org" for i in range(7))


def test_a_registration_must_name_real_fields_and_known_categories():
    registry = PersonalDataRegistry()
    with pytest.raises(ValueError):
        registry.register(Order, email="no_such_field")
    with pytest.raises(ValueError):
        registry.register(Order, email="buyer_email", categories=["shoe_size"])
    registry.register(Order, email="buyer_email")
    registry.register(Order, email="buyer_email", name="buyer_name")  # replaces, not adds
    assert len(registry.registrations()) == 1
    registry.unregister(Order)
    assert registry.registrations() == []
