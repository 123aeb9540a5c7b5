"""Every field of every model of ours is declared, and everything declared is exported."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.apps import apps

from weticket_wagtail.privacy.registry import Anonymise, personal_data
from weticket_wagtail.privacy.services.export import EXPORT_SCHEMA, build_export

from .subjects import PLANTERS

pytestmark = pytest.mark.django_db

SUBJECT = "Plant.Subject@Example.net"
MARKER = "pl4nted"


def our_apps():
    return [
        config
        for config in apps.get_app_configs()
        if config.name.startswith("weticket_wagtail") or config.name == "home"
    ]


def test_every_field_of_every_model_of_ours_is_declared_personal_kept_or_not_personal():
    missing = personal_data.undeclared_fields(our_apps())
    assert missing == [], (
        "Declare these fields in the app's personal_data.py: personal(...), kept(...) or "
        f"personal_data.not_personal(...): {missing}"
    )


def test_a_new_field_nobody_declared_is_reported(monkeypatch):
    from weticket_wagtail.ticketing.models import Ticket

    original = personal_data._not_personal["weticket_ticketing.ticket"]
    monkeypatch.setitem(
        personal_data._not_personal,
        "weticket_ticketing.ticket",
        {k: v for k, v in original.items() if k != "code"},
    )
    assert "weticket_ticketing.ticket.code" in personal_data.undeclared_fields(
        [apps.get_app_config(Ticket._meta.app_label)]
    )


def test_every_registration_says_how_to_anonymise_and_how_long_it_is_kept():
    for registration in personal_data.registrations():
        assert registration.retention, f"{registration.key} has no retention category"
        for field in registration.fields:
            strategy = field.anonymise
            assert callable(strategy) or strategy in Anonymise.CHOICES


def test_the_fiscal_records_are_kept_not_anonymised():
    order = personal_data.registration("weticket_ticketing.order:buyer")
    assert {"total", "amount_refunded", "created_at", "reference", "paid_at"} <= set(
        order.kept_names
    )
    payment = personal_data.registration("weticket_payments.payment:buyer")
    assert {"mollie_id", "amount", "status"} <= set(payment.kept_names)
    line = personal_data.registration("weticket_ticketing.orderline:buyer")
    assert {"unit_price", "vat_rate", "quantity"} <= set(line.kept_names)


def test_planted_data_in_every_registered_field_is_in_the_export(home):
    registrations = personal_data.registrations()
    unplanted = [r.key for r in registrations if r.key not in PLANTERS]
    assert unplanted == [], f"tests/privacy/subjects.py needs a planter for {unplanted}"
    for registration in registrations:
        PLANTERS[registration.key](SUBJECT.lower(), f"{MARKER}-{registration.role}")

    archive = zipfile.ZipFile(io.BytesIO(build_export(SUBJECT)))
    document = json.loads(archive.read("data.json"))
    assert document["schema"] == "weticket-subject-export"
    assert document["schema_version"] == 1
    assert json.loads(archive.read("schema.json")) == EXPORT_SCHEMA
    entries = {(entry["model"], entry["role"]): entry for entry in document["records"]}
    for registration in registrations:
        entry = entries.get((registration.label, registration.role))
        assert entry is not None and entry["rows"], f"{registration.key}: nothing exported"
        for name in registration.kept_names:
            assert all(name in row["values"] for row in entry["rows"])
        for name in registration.field_names:
            values = [row["values"][name] for row in entry["rows"]]
            assert any(value not in (None, "", [], {}) for value in values), (
                f"{registration.key}.{name} is empty in the export"
            )
            model_field = registration.model._meta.get_field(name)
            if name != "subject_digest" and model_field.get_internal_type() in (
                "CharField",
                "TextField",
                "JSONField",
            ):
                text = json.dumps(values)
                assert MARKER in text or SUBJECT.lower() in text.lower(), (
                    f"{registration.key}.{name}: the planted value is not in the export"
                )

    csv_text = "".join(
        archive.read(name).decode() for name in archive.namelist() if name.startswith("csv/")
    )
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert any(f"{MARKER}-holder" in cell for row in rows for cell in row)
    assert any(
        f"{MARKER}-member" in cell or "-form-message" in cell for row in rows for cell in row
    )
    html = archive.read("index.html").decode()
    assert f"{MARKER}-buyer-phone" in html and "-form-message" in html
    assert {name.split("/")[1][:-4] for name in archive.namelist() if name.startswith("csv/")} <= {
        "contact",
        "email",
        "financial",
        "self_provided",
        "ip_address",
        "device",
        "location",
    }


def test_an_address_that_holds_nothing_exports_an_empty_document(home):
    archive = zipfile.ZipFile(io.BytesIO(build_export("nobody@example.net")))
    assert json.loads(archive.read("data.json"))["records"] == []
    assert "no personal data" in archive.read("index.html").decode()
