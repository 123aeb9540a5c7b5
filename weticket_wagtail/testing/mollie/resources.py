"""The JSON the double returns, shaped like Mollie's v2 resources.

Payments, refunds, methods and list pages, with ``_links`` built from the double's
``base_url``. Callers hold ``store.lock`` while rendering a record.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from .replies import link
from .state import Payment, Refund, Store


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def money(value: Decimal, currency: str) -> dict[str, str]:
    """Mollie's amount object: ``{"value": "10.00", "currency": "EUR"}``."""
    return {"value": f"{value:.2f}", "currency": currency}


def _docs(page: str) -> dict[str, str]:
    return link(f"https://docs.mollie.com/reference/{page}", "text/html")


def checkout_url(base_url: str, payment_id: str) -> str:
    """URL of the hosted checkout page of ``payment_id``."""
    return f"{base_url}/checkout/{payment_id}"


def profile_id(api_key: str) -> str:
    """A stable, fake profile id per API key."""
    return "pfl_" + hashlib.sha256(api_key.encode()).hexdigest()[:10]


def payment_json(
    store: Store, p: Payment, base_url: str, embed_refunds: bool = False
) -> dict[str, Any]:
    """``p`` as ``GET /v2/payments/{id}`` returns it (with ``_embedded.refunds`` on request)."""
    api = f"{base_url}/v2"
    data: dict[str, Any] = {
        "resource": "payment",
        "id": p.id,
        "mode": p.mode,
        "createdAt": iso(p.created_at),
        "amount": money(p.amount, p.currency),
        "description": p.description,
        "method": p.method,
        "metadata": p.metadata,
        "status": p.status,
        "isCancelable": p.status == "open",
    }
    if p.status in ("open", "pending", "authorized"):
        data["expiresAt"] = iso(p.expires_at)
    for key, moment in (
        ("authorizedAt", p.authorized_at),
        ("paidAt", p.paid_at),
        ("canceledAt", p.canceled_at),
        ("expiredAt", p.expired_at),
        ("failedAt", p.failed_at),
    ):
        if moment is not None:
            data[key] = iso(moment)
    if p.status == "paid":
        refunded = store.refunded(p)
        data["amountRefunded"] = money(refunded, p.currency)
        data["amountRemaining"] = money(p.amount - refunded, p.currency)
    data["locale"] = p.locale
    data["profileId"] = profile_id(p.api_key)
    data["sequenceType"] = "oneoff"
    data["redirectUrl"] = p.redirect_url
    if p.cancel_url:
        data["cancelUrl"] = p.cancel_url
    if p.webhook_url:
        data["webhookUrl"] = p.webhook_url
    if p.details is not None:
        data["details"] = copy.deepcopy(p.details)
    links: dict[str, Any] = {"self": link(f"{api}/payments/{p.id}")}
    if p.status == "open":
        links["checkout"] = link(checkout_url(base_url, p.id), "text/html")
    links["dashboard"] = link(f"{base_url}/dashboard/payments/{p.id}", "text/html")
    if p.refund_ids:
        links["refunds"] = link(f"{api}/payments/{p.id}/refunds")
    links["documentation"] = _docs("get-payment")
    data["_links"] = links
    if embed_refunds:
        data["_embedded"] = {
            "refunds": [refund_json(store.refunds[r], base_url) for r in p.refund_ids]
        }
    return data


def refund_json(r: Refund, base_url: str) -> dict[str, Any]:
    """``r`` as ``GET /v2/payments/{id}/refunds/{re_id}`` returns it."""
    api = f"{base_url}/v2"
    return {
        "resource": "refund",
        "id": r.id,
        "mode": r.mode,
        "amount": money(r.amount, r.currency),
        "status": r.status,
        "createdAt": iso(r.created_at),
        "description": r.description,
        "metadata": r.metadata,
        "paymentId": r.payment_id,
        "settlementAmount": money(-r.amount, r.currency),
        "_links": {
            "self": link(f"{api}/payments/{r.payment_id}/refunds/{r.id}"),
            "payment": link(f"{api}/payments/{r.payment_id}"),
            "documentation": _docs("get-refund"),
        },
    }


def method_json(method_id: str, description: str, low: str, high: str, base_url: str) -> dict:
    """One entry of ``ENABLED_METHODS`` as ``GET /v2/methods/{id}`` returns it."""
    image = f"https://www.mollie.com/external/icons/payment-methods/{method_id}"
    return {
        "resource": "method",
        "id": method_id,
        "description": description,
        "minimumAmount": {"value": low, "currency": "EUR"},
        "maximumAmount": {"value": high, "currency": "EUR"},
        "image": {
            "size1x": f"{image}.png",
            "size2x": f"{image}%402x.png",
            "svg": f"{image}.svg",
        },
        "status": "activated",
        "_links": {"self": link(f"{base_url}/v2/methods/{method_id}")},
    }


def list_json(
    name: str, items: list[dict[str, Any]], self_url: str, next_url: str | None
) -> dict[str, Any]:
    """A page of a list endpoint: ``count``, ``_embedded.{name}`` and the paging links."""
    return {
        "count": len(items),
        "_embedded": {name: items},
        "_links": {
            "self": link(self_url),
            "previous": None,
            "next": link(next_url) if next_url else None,
            "documentation": _docs(f"list-{name}"),
        },
    }
