"""Access and portability: everything the registry holds about one person, as a ZIP.

The ZIP (:func:`build_export`) holds:

* ``data.json``: the machine-readable export, format ``weticket-subject-export`` version
  :data:`SCHEMA_VERSION`, described by ``schema.json`` (:data:`EXPORT_SCHEMA`, JSON Schema
  2020-12) and in ``docs/privacy.md``. One entry per registration with rows for the person:
  the model, the role the person has in it, every personal and kept field (name, label,
  category, kind) and each row's values.
* ``csv/<category>.csv``: the same values, one file per category of personal data, one line per
  value (record, record id, field, value), for spreadsheets.
* ``index.html``: a readable summary in the requester's language.

The person receives it through an expiring link (:func:`download_url`) that names their request
only; the ZIP is made anew on each download from what the registry holds then, so no copy of
it is ever stored.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import zipfile
from collections import defaultdict
from contextlib import nullcontext
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from weticket_wagtail.conf import weticket_settings

from ..categories import DataCategory
from ..models import DataSubjectRequest
from ..registry import Registration, SubjectRecords, personal_data
from .requests import (
    Action,
    Kind,
    RequestError,
    audit,
    complete,
    public_url,
    read_link,
    sign_link,
)

SCHEMA_NAME = "weticket-subject-export"
SCHEMA_VERSION = 1
DOWNLOAD_SALT = "weticket.privacy.export.download"
#: The HTML summary shows at most this many characters of one value (data.json has them all).
SUMMARY_VALUE_CHARS = 2000

EXPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{SCHEMA_NAME}/{SCHEMA_VERSION}",
    "title": "Personal data held about one person (weticket-wagtail)",
    "type": "object",
    "required": ["schema", "schema_version", "generated_at", "subject", "records"],
    "properties": {
        "schema": {"const": SCHEMA_NAME},
        "schema_version": {"const": SCHEMA_VERSION},
        "generated_at": {"type": "string", "format": "date-time"},
        "subject": {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string"}},
        },
        "records": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["model", "role", "title", "fields", "rows"],
                "properties": {
                    "model": {"type": "string", "description": "app_label.model_name"},
                    "role": {"type": "string", "description": "the person's role in it"},
                    "title": {"type": "string"},
                    "fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "label", "category", "kind"],
                            "properties": {
                                "name": {"type": "string"},
                                "label": {"type": "string"},
                                "category": {"enum": list(DataCategory.values)},
                                "kind": {"enum": ["personal", "kept"]},
                                "kept_because": {"type": "string"},
                            },
                        },
                    },
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "values"],
                            "properties": {
                                "id": {},
                                "values": {
                                    "type": "object",
                                    "description": "field name to value: strings, numbers "
                                    "as strings (amounts), ISO 8601 dates, JSON as is, "
                                    "related records by id, null when empty",
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _field_entries(registration: Registration) -> list[dict[str, str]]:
    meta = registration.model._meta
    entries = []
    for personal_field in registration.fields:
        entries.append(
            {
                "name": personal_field.name,
                "label": str(meta.get_field(personal_field.name).verbose_name),
                "category": personal_field.category,
                "kind": "personal",
            }
        )
    for kept_field in registration.kept:
        entries.append(
            {
                "name": kept_field.name,
                "label": str(meta.get_field(kept_field.name).verbose_name),
                "category": kept_field.category,
                "kind": "kept",
                "kept_because": kept_field.reason,
            }
        )
    return entries


def export_document(records: SubjectRecords, *, now: datetime.datetime | None = None) -> dict:
    """The ``data.json`` document of :data:`EXPORT_SCHEMA` for ``records``."""
    now = now or timezone.now()
    entries = []
    for registration in records.registrations():
        fields = _field_entries(registration)
        names = [entry["name"] for entry in fields]
        rows = (
            records.rows(registration)
            .order_by("pk")
            .values_list("pk", *names)
            .iterator(chunk_size=2000)
        )
        entries.append(
            {
                "model": registration.label,
                "role": registration.role,
                "title": str(registration.model._meta.verbose_name_plural),
                "fields": fields,
                "rows": [
                    {
                        "id": _json_value(row[0]),
                        "values": {
                            name: _json_value(value)
                            for name, value in zip(names, row[1:], strict=True)
                        },
                    }
                    for row in rows
                ],
            }
        )
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "generated_at": now.isoformat(),
        "subject": {"email": records.email},
        "records": entries,
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _csv_files(document: dict) -> dict[str, str]:
    by_category: dict[str, list[list[str]]] = defaultdict(list)
    for entry in document["records"]:
        categories = {field["name"]: field["category"] for field in entry["fields"]}
        labels = {field["name"]: field["label"] for field in entry["fields"]}
        for row in entry["rows"]:
            for name, value in row["values"].items():
                by_category[categories[name]].append(
                    [entry["title"], _text(row["id"]), labels[name], _text(value)]
                )
    files = {}
    header = [_("record"), _("record id"), _("field"), _("value")]
    for category, lines in by_category.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(lines)
        files[f"csv/{category}.csv"] = buffer.getvalue()
    return files


def _summary_html(document: dict, language: str) -> str:
    """The readable summary; tables are built in Python because templates are too slow for
    thousands of rows (the frame around them is a template, so it can be overridden)."""
    escape = html.escape
    category_labels = dict(DataCategory.choices)
    kept_label = " · " + escape(str(_("kept by law")))
    sections = []
    for entry in document["records"]:
        fields = entry["fields"]
        head = "".join(
            f"<th scope='col'>{escape(field['label'])}"
            f"<br><small>{escape(str(category_labels.get(field['category'], '')))}"
            f"{kept_label if field['kind'] == 'kept' else ''}"
            "</small></th>"
            for field in fields
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{escape(_text(row['values'].get(field['name']))[:SUMMARY_VALUE_CHARS])}</td>"
                for field in fields
            )
            + "</tr>"
            for row in entry["rows"]
        )
        sections.append(
            f"<section><h2>{escape(entry['title'])} ({len(entry['rows'])})</h2>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
        )
    with translation.override(language):
        return render_to_string(
            "weticket_wagtail/privacy/export/summary.html",
            {"document": document, "sections": "".join(sections), "empty": not sections},
        )


def build_export(email: str, *, records: SubjectRecords | None = None, language: str = "") -> bytes:
    """The ZIP of everything the registry holds about ``email`` (see the module docstring)."""
    with translation.override(language) if language else nullcontext():
        return _build_zip(email, records, language)


def _build_zip(email: str, records: SubjectRecords | None, language: str) -> bytes:
    records = records if records is not None else personal_data.find(email)
    document = export_document(records)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        # No indent: the C encoder is several times faster, and the file is for machines.
        zf.writestr("data.json", json.dumps(document, ensure_ascii=False, separators=(",", ":")))
        zf.writestr("schema.json", json.dumps(EXPORT_SCHEMA, indent=2))
        for name, content in _csv_files(document).items():
            zf.writestr(name, content)
        zf.writestr(
            "index.html", _summary_html(document, language or translation.get_language() or "en")
        )
    return buffer.getvalue()


def export_filename(req: DataSubjectRequest) -> str:
    return f"personal-data-{req.reference}.zip"


# --- the download link -------------------------------------------------------------------------


def download_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=float(weticket_settings.PRIVACY_EXPORT_DOWNLOAD_DAYS))


def download_url(req: DataSubjectRequest) -> str:
    """The emailed download link of an access request's export, in the requester's language."""
    return public_url("download", sign_link(req, DOWNLOAD_SALT, "export"), language=req.language)


def export_for_download(token: str) -> tuple[DataSubjectRequest, bytes]:
    """The ZIP a download link asks for, made now; the download is audited.

    Raises :class:`~.requests.LinkInvalid` / :class:`~.requests.LinkExpired` for a bad link and
    :class:`~.requests.RequestError` when the request's data was erased meanwhile.
    """
    req, extra = read_link(token, DOWNLOAD_SALT, download_max_age())
    if extra != "export" or req.kind not in (Kind.ACCESS, Kind.PORTABILITY):
        raise RequestError(_("This link is not valid any more."))
    if req.erased_at is not None or not req.email:
        raise RequestError(_("This data was erased; there is nothing to download any more."))
    data = build_export(req.email, language=req.language)
    audit(Action.DOWNLOADED, request=req, by="requester")
    return req, data


def fulfil_access(req: DataSubjectRequest, *, by, message: str = "") -> str:
    """Answer an access or portability request: close it and email the download link.

    Returns the link. The link works for ``PRIVACY_EXPORT_DOWNLOAD_DAYS`` days.
    """
    if req.kind not in (Kind.ACCESS, Kind.PORTABILITY):
        raise RequestError(_("Only access and portability requests are answered with an export."))
    records = personal_data.find(req.email)
    url = download_url(req)
    audit(
        Action.EXPORTED,
        request=req,
        actor=by,
        message=_("%(count)s records in the export") % {"count": records.total},
    )
    complete(
        req,
        by=by,
        message=message,
        update="export",
        download_url=url,
        download_days=weticket_settings.PRIVACY_EXPORT_DOWNLOAD_DAYS,
        valid_until=timezone.localdate() + download_max_age(),
    )
    return url


def export_for_staff(req: DataSubjectRequest, *, by) -> bytes:
    """The ZIP for a staff member (the step before erasure); recorded on the request."""
    data = build_export(req.email, language=req.language)
    DataSubjectRequest.objects.filter(pk=req.pk).update(exported_at=timezone.now())
    req.refresh_from_db()
    audit(Action.EXPORTED, request=req, actor=by, message=_("downloaded by staff"))
    return data
