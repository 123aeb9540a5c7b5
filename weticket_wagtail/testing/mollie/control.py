"""The ``/_control/`` endpoints: the double's Python control methods over HTTP.

For a double running in another process (``python -m weticket_wagtail.testing.mollie``,
the demo, a docker-compose service). No authentication: bind it to loopback. Bodies and
answers are plain JSON; an unknown id answers 404, a bad value 400.

=======  ==============================  =================================================
GET      ``payments``, ``refunds``,      the ``payments``, ``refunds``, ``webhook_calls``
         ``webhooks``, ``requests``      and ``api_requests`` snapshots
POST     ``payments/{id}/status``        ``set_status``: ``{"status", "method", "notify"}``
POST     ``refunds/{id}/status``         ``set_refund_status``: ``{"status", "notify"}``
POST     ``fail``                        ``fail_next``: ``{"count", "mode",
                                         "paths_prefix", "method"}``
POST     ``reset``                       ``reset``
POST     ``expire-due``                  ``expire_due``: answers ``{"expired": [ids]}``
POST     ``allow-keys``                  ``allow_keys``: ``{"keys": [...]}``;
                                         without ``keys``: ``allow_any_key``
=======  ==============================  =================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from .replies import ApiError, Reply, parse_json_body, plain_json_reply


class Controllable(Protocol):
    """The control methods of ``MollieDouble`` that these endpoints mirror."""

    @property
    def payments(self) -> dict[str, dict[str, Any]]: ...
    @property
    def refunds(self) -> dict[str, dict[str, Any]]: ...
    @property
    def webhook_calls(self) -> list[dict[str, Any]]: ...
    @property
    def api_requests(self) -> list[dict[str, Any]]: ...
    def set_status(
        self, payment_id: str, status: str, method: str | None = ..., notify: bool = ...
    ) -> dict[str, Any]: ...
    def set_refund_status(self, refund_id: str, status: str, notify: bool = ...) -> dict: ...
    def fail_next(
        self, n: int = ..., mode: str = ..., paths_prefix: str = ..., method: str | None = ...
    ) -> None: ...
    def reset(self) -> None: ...
    def expire_due(self) -> list[str]: ...
    def allow_keys(self, keys: Iterable[str]) -> None: ...
    def allow_any_key(self) -> None: ...


_OK = {"ok": True}


def answer_control(double: Controllable, method: str, path: str, body: bytes) -> Reply:
    """Answer one ``/_control/...`` request by calling the matching method of ``double``."""
    try:
        data = parse_json_body(body) if method == "POST" else {}
    except ApiError as exc:
        return plain_json_reply(400, {"error": exc.detail})
    try:
        return _route(double, method, path, data)
    except KeyError as exc:
        return plain_json_reply(404, {"error": f"unknown id {exc.args[0]}"})
    except (ValueError, TypeError) as exc:
        return plain_json_reply(400, {"error": str(exc)})


def _route(double: Controllable, method: str, path: str, data: dict[str, Any]) -> Reply:
    segments = [s for s in path.split("/") if s][1:]  # drop "_control"
    if method == "GET":
        snapshots = {
            "payments": lambda: double.payments,
            "refunds": lambda: double.refunds,
            "webhooks": lambda: double.webhook_calls,
            "requests": lambda: double.api_requests,
        }
        if len(segments) == 1 and segments[0] in snapshots:
            return plain_json_reply(200, snapshots[segments[0]]())
    if method != "POST":
        return _unknown()
    if len(segments) == 3 and segments[0] == "payments" and segments[2] == "status":
        payment = double.set_status(
            segments[1],
            str(data.get("status", "")),
            method=data.get("method") or None,
            notify=bool(data.get("notify", True)),
        )
        return plain_json_reply(200, payment)
    if len(segments) == 3 and segments[0] == "refunds" and segments[2] == "status":
        refund = double.set_refund_status(
            segments[1], str(data.get("status", "")), notify=bool(data.get("notify", False))
        )
        return plain_json_reply(200, refund)
    if segments == ["fail"]:
        double.fail_next(
            int(data.get("count", 1)),
            str(data.get("mode", "500")),
            str(data.get("paths_prefix", "/v2/")),
            method=str(data["method"]) if data.get("method") else None,
        )
        return plain_json_reply(200, _OK)
    if segments == ["reset"]:
        double.reset()
        return plain_json_reply(200, _OK)
    if segments == ["expire-due"]:
        return plain_json_reply(200, {"expired": double.expire_due()})
    if segments == ["allow-keys"]:
        keys = data.get("keys")
        if keys is None:
            double.allow_any_key()
        else:
            double.allow_keys([str(k) for k in keys])
        return plain_json_reply(200, _OK)
    return _unknown()


def _unknown() -> Reply:
    return plain_json_reply(404, {"error": "unknown control endpoint"})
