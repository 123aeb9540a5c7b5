"""The gate in front of the ``/v2/`` routes: queued failures, API keys, idempotency keys.

Order of a request: a queued failure (``fail_next``) answers first; then the API key is
checked; then, under ``store.lock``, an ``Idempotency-Key`` seen before replays its first
successful reply, and otherwise ``routes.Routes`` answers. Every request past the
failures is logged (``api_requests``); webhooks a route causes are delivered after the
lock is released.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from .replies import ApiError, Reply, error_reply, parse_json_body
from .routes import Routes, Webhooks
from .state import Store
from .webhooks import WebhookSender

_KEY_RE = re.compile(r"^(test|live)_\w+$")  # what mollie-api-python accepts locally
_STRICT_KEY_RE = re.compile(r"^(test|live)_[A-Za-z0-9]{30}$")  # what real keys look like


class ApiSettings(Protocol):
    """What the API reads from the double on every request (``MollieDouble`` has it)."""

    timeout_seconds: float
    strict_keys: bool
    idempotency_mismatch_status: int

    @property
    def base_url(self) -> str: ...


class Api:
    """Answers ``/v2/...`` requests from the records in ``store``."""

    def __init__(
        self,
        store: Store,
        webhooks: WebhookSender,
        settings: ApiSettings,
        stopping: threading.Event,
    ) -> None:
        self._store = store
        self._webhooks = webhooks
        self._settings = settings
        self._stopping = stopping
        self._routes = Routes(store, settings)

    def answer(self, method: str, raw_path: str, headers: Any, body: bytes) -> Reply | None:
        """Answer one request; None means "drop the connection" (the double is stopping)."""
        parts = urlsplit(raw_path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        auth = headers.get("Authorization", "") or ""
        idem_key = (headers.get("Idempotency-Key", "") or "").strip()
        failure = self._store.take_failure(method, path)
        if failure == "timeout":
            if self._sleep_like_a_timeout(auth, idem_key):
                return None
        elif failure:
            status = int(failure)
            detail = (
                "An internal server error occurred while processing your request."
                if status == 500
                else "The Mollie API is temporarily unavailable. Please try again later."
            )
            return error_reply(status, detail)

        if path != "/v2" and not path.startswith("/v2/"):
            return error_reply(404, "The requested resource does not exist.")

        api_key = self._authenticate(auth)
        user_agent = headers.get("User-Agent", "")
        if api_key is None:
            reply = error_reply(401, "Missing authentication, or failed to authenticate")
            self._log(method, raw_path, None, idem_key, user_agent, reply)
            return reply

        webhooks: Webhooks = []
        with self._store.lock:
            reply = self._answer_locked(
                method, path, query, body, api_key, auth, idem_key, webhooks
            )
            self._log(method, raw_path, api_key, idem_key, user_agent, reply)
        for payment_id, url in webhooks:
            self._webhooks.deliver(payment_id, url, sync_first=False)
        return reply

    def _sleep_like_a_timeout(self, auth: str, idem_key: str) -> bool:
        """Sleep ``timeout_seconds`` (then the request goes on, like Mollie finishing a
        request the client gave up on); True if the double stopped meanwhile."""
        marker = (auth, idem_key)
        with self._store.lock:
            if idem_key:
                self._store.idempotency_inflight.add(marker)
        try:
            return self._stopping.wait(self._settings.timeout_seconds)
        finally:
            with self._store.lock:
                self._store.idempotency_inflight.discard(marker)

    def _log(
        self,
        method: str,
        path: str,
        api_key: str | None,
        idem_key: str,
        user_agent: str,
        reply: Reply,
    ) -> None:
        with self._store.lock:
            self._store.api_requests.append(
                {
                    "method": method,
                    "path": path,
                    "api_key": api_key,
                    "idempotency_key": idem_key or None,
                    "user_agent": user_agent,
                    "status": reply.status,
                    "replayed": reply.headers.get("Idempotent-Replayed") == "true",
                }
            )

    def _authenticate(self, auth: str) -> str | None:
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        pattern = _STRICT_KEY_RE if self._settings.strict_keys else _KEY_RE
        if not pattern.match(token) or not self._store.key_allowed(token):
            return None
        return token

    def _answer_locked(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        api_key: str,
        auth: str,
        idem_key: str,
        webhooks: Webhooks,
    ) -> Reply:
        try:
            data = parse_json_body(body) if method in ("POST", "PATCH") else {}
        except ApiError as exc:
            return error_reply(exc.status, exc.detail, exc.field_name)

        store_key: tuple[str, str] | None = None
        fingerprint = ""
        if idem_key and method in ("POST", "PATCH", "DELETE"):
            if (auth, idem_key) in self._store.idempotency_inflight:
                return error_reply(
                    409,
                    "A request with this idempotency key is still being processed. "
                    "Please try again later.",
                )
            store_key = (api_key, idem_key)
            canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
            fingerprint = f"{method} {path} {canonical}"
            stored = self._store.idempotency.get(store_key)
            if stored is not None:
                stored_fingerprint, stored_reply = stored
                if stored_fingerprint != fingerprint:
                    return error_reply(
                        self._settings.idempotency_mismatch_status,
                        "The idempotency key was already used for a different request. "
                        "Use a new idempotency key for a new request.",
                    )
                replay = copy.copy(stored_reply)
                replay.headers = {**stored_reply.headers, "Idempotent-Replayed": "true"}
                return replay

        try:
            reply = self._routes.route(method, path, query, data, api_key, webhooks)
        except ApiError as exc:
            reply = error_reply(exc.status, exc.detail, exc.field_name)
        if store_key is not None and 200 <= reply.status < 300:
            self._store.idempotency[store_key] = (fingerprint, reply)
        return reply
