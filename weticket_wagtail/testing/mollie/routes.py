"""The ``/v2/`` resources: payments, refunds and methods, as Mollie answers them.

``Routes.route`` runs with ``store.lock`` held (``api.Api`` takes it) and raises
``ApiError`` for every answer Mollie gives as an error. It never delivers a webhook: it
appends ``(payment id, url)`` to ``webhooks`` for the caller to deliver after the lock.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlencode

from .replies import HAL, ApiError, Reply, json_reply
from .resources import list_json, method_json, payment_json, refund_json
from .state import (
    ENABLED_METHODS,
    KNOWN_METHODS,
    LOCALES,
    Payment,
    Refund,
    Store,
    apply_status,
    is_http_url,
    now,
)

_VALUE_RE = re.compile(r"^\d+\.\d{2}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_METADATA_MAX = 1024
_DESCRIPTION_MAX = 255

#: Webhooks a route wants delivered once the lock is released: ``(payment id, url)``.
Webhooks = list[tuple[str, str]]


class HasBaseUrl(Protocol):
    """Where the double is reached; links in the JSON are built from it."""

    @property
    def base_url(self) -> str: ...


def parse_amount(raw: Any, prefix: str = "amount") -> tuple[Decimal, str]:
    """``{"currency": "EUR", "value": "10.00"}`` as ``(Decimal("10.00"), "EUR")``.

    Raises ``ApiError(422)`` naming the field (``amount.value``...) unless the currency is
    three capitals and the value a positive string with exactly two decimals.
    """
    if not isinstance(raw, dict):
        raise ApiError(422, f"The {prefix} is required and must be an object.", prefix)
    currency = raw.get("currency")
    value = raw.get("value")
    if not isinstance(currency, str) or not _CURRENCY_RE.match(currency):
        raise ApiError(
            422, "The currency must be an ISO 4217 code, e.g. EUR.", f"{prefix}.currency"
        )
    if not isinstance(value, str) or not _VALUE_RE.match(value):
        raise ApiError(
            422,
            "The amount value must be a string with exactly two decimals, e.g. '10.00'.",
            f"{prefix}.value",
        )
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the regex already excludes it
        raise ApiError(422, "The amount value is invalid.", f"{prefix}.value") from exc
    if amount <= 0:
        raise ApiError(422, "The amount is lower than the minimum.", f"{prefix}.value")
    return amount, currency


def _check_metadata(metadata: Any) -> None:
    if metadata is not None and len(json.dumps(metadata)) > _METADATA_MAX:
        raise ApiError(422, f"The metadata is larger than {_METADATA_MAX} characters.", "metadata")


def _check_url(value: Any, field_name: str, label: str) -> None:
    if value is not None and not is_http_url(value):
        raise ApiError(422, f"The {label} is invalid.", field_name)


class Routes:
    """Payments, refunds and methods of ``store``, scoped to the caller's API key."""

    def __init__(self, store: Store, urls: HasBaseUrl) -> None:
        self._store = store
        self._urls = urls

    def route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        data: dict[str, Any],
        api_key: str,
        webhooks: Webhooks,
    ) -> Reply:
        """Answer ``method path`` (``/v2/...``) for ``api_key``; raises ``ApiError``."""
        segments = [s for s in path.split("/") if s][1:]  # drop "v2"
        if segments[:1] == ["payments"]:
            return self._route_payments(method, segments[1:], query, data, api_key, webhooks)
        if segments == ["refunds"] and method == "GET":
            refunds = [r for r in self._store.refunds.values() if r.api_key == api_key]
            return self._refund_list(reversed(refunds), "refunds")
        if segments[:1] == ["methods"] and method == "GET":
            return self._route_methods(segments[1:])
        raise ApiError(404, "The requested resource does not exist.")

    def _route_payments(
        self,
        method: str,
        rest: list[str],
        query: dict[str, str],
        data: dict[str, Any],
        api_key: str,
        webhooks: Webhooks,
    ) -> Reply:
        if not rest:
            if method == "POST":
                return self._create_payment(data, api_key)
            if method == "GET":
                return self._list_payments(query, api_key)
        elif len(rest) == 1:
            if method == "GET":
                payment = self._get_payment(rest[0], api_key)
                embed = "refunds" in query.get("embed", "").split(",")
                return json_reply(200, self._payment_json(payment, embed_refunds=embed))
            if method == "DELETE":
                return self._cancel_payment(rest[0], api_key, webhooks)
        elif rest[1] == "refunds":
            payment = self._get_payment(rest[0], api_key)
            return self._route_refunds(method, payment, rest[2:], data, api_key, webhooks)
        else:
            raise ApiError(404, "The requested resource does not exist.")
        raise ApiError(405, f"The method {method} is not allowed on this resource.")

    def _route_refunds(
        self,
        method: str,
        payment: Payment,
        rest: list[str],
        data: dict[str, Any],
        api_key: str,
        webhooks: Webhooks,
    ) -> Reply:
        if not rest and method == "POST":
            return self._create_refund(payment, data, api_key, webhooks)
        if not rest and method == "GET":
            refunds = [self._store.refunds[r] for r in reversed(payment.refund_ids)]
            return self._refund_list(refunds, f"payments/{payment.id}/refunds")
        if len(rest) == 1:
            refund = self._store.refunds.get(rest[0])
            if refund is None or refund.payment_id != payment.id:
                raise ApiError(404, f"No refund exists with token {rest[0]}.")
            if method == "GET":
                return json_reply(200, refund_json(refund, self._urls.base_url))
            if method == "DELETE":
                return self._cancel_refund(refund)
        raise ApiError(405, f"The method {method} is not allowed on this resource.")

    def _route_methods(self, rest: list[str]) -> Reply:
        base_url = self._urls.base_url
        methods = [method_json(*m, base_url) for m in ENABLED_METHODS]
        if not rest:
            url = f"{base_url}/v2/methods"
            return json_reply(200, list_json("methods", methods, url, None))
        if len(rest) == 1:
            for item in methods:
                if item["id"] == rest[0]:
                    return json_reply(200, item)
            raise ApiError(404, f"The payment method '{rest[0]}' does not exist.")
        raise ApiError(404, "The requested resource does not exist.")

    def _payment_json(self, payment: Payment, embed_refunds: bool = False) -> dict[str, Any]:
        return payment_json(self._store, payment, self._urls.base_url, embed_refunds)

    def _refund_list(self, refunds: Any, url_path: str) -> Reply:
        base_url = self._urls.base_url
        items = [refund_json(r, base_url) for r in refunds]
        url = f"{base_url}/v2/{url_path}"
        return json_reply(200, list_json("refunds", items, url, None))

    # ---------------------------------------------------------------- payments

    def _create_payment(self, data: dict[str, Any], api_key: str) -> Reply:
        amount, currency = parse_amount(data.get("amount"))
        description = data.get("description")
        if not isinstance(description, str) or not description.strip():
            raise ApiError(422, "The description is required.", "description")
        if len(description) > _DESCRIPTION_MAX:
            raise ApiError(
                422, f"The description is longer than {_DESCRIPTION_MAX} characters.", "description"
            )
        redirect_url = data.get("redirectUrl")
        if redirect_url is None or redirect_url == "":
            raise ApiError(422, "The redirect URL is required.", "redirectUrl")
        _check_url(redirect_url, "redirectUrl", "redirect URL")
        webhook_url = data.get("webhookUrl") or None
        _check_url(webhook_url, "webhookUrl", "webhook URL")
        cancel_url = data.get("cancelUrl") or None
        _check_url(cancel_url, "cancelUrl", "cancel URL")
        locale = data.get("locale") or None
        if locale is not None and locale not in LOCALES:
            raise ApiError(422, "The locale is invalid.", "locale")
        method = data.get("method") or None
        methods = method if isinstance(method, list) else [method] if method else []
        for item in methods:
            if item not in KNOWN_METHODS:
                raise ApiError(422, f"The payment method '{item}' is invalid.", "method")
        metadata = data.get("metadata")
        _check_metadata(metadata)

        created = now()
        payment = Payment(
            id=self._store.new_id("tr_"),
            api_key=api_key,
            mode="live" if api_key.startswith("live_") else "test",
            amount=amount,
            currency=currency,
            description=description,
            redirect_url=redirect_url,
            webhook_url=webhook_url,
            cancel_url=cancel_url,
            metadata=metadata,
            locale=locale,
            method=method if isinstance(method, str) else None,
            created_at=created,
            expires_at=created + timedelta(minutes=15),
        )
        self._store.payments[payment.id] = payment
        return json_reply(201, self._payment_json(payment))

    def _get_payment(self, payment_id: str, api_key: str) -> Payment:
        payment = self._store.payments.get(payment_id)
        if payment is None or payment.api_key != api_key:
            raise ApiError(404, f"No payment exists with token {payment_id}.")
        return payment

    def _list_payments(self, query: dict[str, str], api_key: str) -> Reply:
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 250:
            raise ApiError(400, "The limit must be between 1 and 250.", "limit")
        mine = [p for p in reversed(self._store.payments.values()) if p.api_key == api_key]
        start = 0
        if query.get("from"):
            ids = [p.id for p in mine]
            if query["from"] not in ids:
                raise ApiError(404, f"No payment exists with token {query['from']}.")
            start = ids.index(query["from"])
        page = mine[start : start + limit]
        rest = mine[start + limit :]
        base = f"{self._urls.base_url}/v2/payments"
        self_url = f"{base}?{urlencode(query)}" if query else base
        next_url = f"{base}?{urlencode({'from': rest[0].id, 'limit': limit})}" if rest else None
        items = [self._payment_json(p) for p in page]
        return json_reply(200, list_json("payments", items, self_url, next_url))

    def _cancel_payment(self, payment_id: str, api_key: str, webhooks: Webhooks) -> Reply:
        payment = self._get_payment(payment_id, api_key)
        if payment.status != "open":
            raise ApiError(422, f"The payment cannot be canceled (status: {payment.status}).")
        apply_status(payment, "canceled", None)
        if payment.webhook_url:
            webhooks.append((payment.id, payment.webhook_url))
        return json_reply(200, self._payment_json(payment))

    # ---------------------------------------------------------------- refunds

    def _create_refund(
        self, payment: Payment, data: dict[str, Any], api_key: str, webhooks: Webhooks
    ) -> Reply:
        if payment.status != "paid":
            raise ApiError(
                422,
                f"The payment {payment.id} cannot be refunded (status: {payment.status}).",
            )
        amount, currency = parse_amount(data.get("amount"))
        if currency != payment.currency:
            raise ApiError(
                422, "The refund currency must match the payment currency.", "amount.currency"
            )
        remaining = payment.amount - self._store.refunded(payment)
        if amount > remaining:
            raise ApiError(
                422,
                f"The amount is higher than the amount that can be refunded "
                f"({remaining:.2f} {currency}).",
                "amount",
            )
        description = data.get("description") or ""
        if not isinstance(description, str) or len(description) > _DESCRIPTION_MAX:
            raise ApiError(422, "The description is invalid.", "description")
        metadata = data.get("metadata")
        _check_metadata(metadata)
        refund = Refund(
            id=self._store.new_id("re_"),
            api_key=api_key,
            mode=payment.mode,
            payment_id=payment.id,
            amount=amount,
            currency=currency,
            description=description,
            metadata=metadata,
            created_at=now(),
        )
        self._store.refunds[refund.id] = refund
        payment.refund_ids.append(refund.id)
        if payment.webhook_url:
            webhooks.append((payment.id, payment.webhook_url))
        return json_reply(201, refund_json(refund, self._urls.base_url))

    def _cancel_refund(self, refund: Refund) -> Reply:
        if refund.status not in ("queued", "pending"):
            raise ApiError(422, f"The refund cannot be canceled (status: {refund.status}).")
        refund.status = "canceled"
        return Reply(204, b"", HAL)
