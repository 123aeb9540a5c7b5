"""HTTP answers of the double: the reply record, Mollie's HAL/JSON shapes and its error body.

Every route (API, checkout pages, control endpoints) answers a ``Reply``; the request
handler in ``server.py`` writes it to the socket. Nothing here holds state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

HAL = "application/hal+json"
ERROR_DOCS_URL = "https://docs.mollie.com/reference/handling-errors"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error answer in Mollie's format; raised inside request handling."""

    def __init__(self, status: int, detail: str, field_name: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field_name = field_name


@dataclass
class Reply:
    """One HTTP answer: status, body, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = HAL
    headers: dict[str, str] = field(default_factory=dict)


def link(href: str, kind: str = HAL) -> dict[str, str]:
    """A HAL link as Mollie writes them in ``_links``."""
    return {"href": href, "type": kind}


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    """``payload`` as ``application/hal+json``, the content type of every Mollie answer."""
    body = json.dumps(payload, indent=2).encode()
    return Reply(status, body, HAL, dict(headers or {}))


def plain_json_reply(status: int, payload: Any) -> Reply:
    """``payload`` as ``application/json``: the control endpoints are not Mollie's API."""
    reply = json_reply(status, payload)
    reply.content_type = "application/json"
    return reply


def error_reply(status: int, detail: str, field_name: str | None = None) -> Reply:
    """Mollie's error body: status, title, detail, the offending ``field``, a docs link."""
    payload: dict[str, Any] = {
        "status": status,
        "title": _TITLES.get(status, HTTPStatus(status).phrase),
        "detail": detail,
    }
    if field_name:
        payload["field"] = field_name
    payload["_links"] = {"documentation": link(ERROR_DOCS_URL, "text/html")}
    return json_reply(status, payload)


def parse_json_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object (``{}`` when empty); ``ApiError(400)`` otherwise."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return data
