"""The double's HTML pages: the hosted checkout, a payment's dashboard page and the index.

The checkout page (``/checkout/{id}``) is where a person or a browser test picks the
outcome of an open payment; posting it changes the status, makes the first webhook
attempt and then redirects to the payment's ``redirectUrl``, as Mollie does.
"""

from __future__ import annotations

import copy
import html
import json
from urllib.parse import parse_qs

from .replies import Reply
from .resources import payment_json
from .state import CHECKOUT_CHOICES, ENABLED_METHODS, KNOWN_METHODS, Payment, Store, apply_status
from .webhooks import WebhookSender


def html_page(status: int, title: str, body_html: str) -> Reply:
    """A complete, accessible page around ``body_html``, marked as a test stand-in."""
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - Mollie test double</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto;
       padding: 0 1rem; color: #111; }}
.banner {{ background: #fff3cd; border: 1px solid #8a6d00; padding: .5rem .75rem; }}
fieldset {{ border: 1px solid #555; margin: 1rem 0; padding: .75rem; }}
button {{ font-size: 1rem; padding: .5rem 1rem; margin: .25rem .25rem .25rem 0; }}
select {{ font-size: 1rem; padding: .25rem; }}
dt {{ font-weight: bold; }}
</style>
</head>
<body>
<main>
<p class="banner" role="note">Test mode: this is a local stand-in for Mollie.
No money is moved.</p>
<h1>{html.escape(title)}</h1>
{body_html}
</main>
</body>
</html>
"""
    return Reply(status, page.encode(), "text/html; charset=utf-8")


def _no_such_payment() -> Reply:
    return html_page(404, "Payment not found", "<p>There is no such payment.</p>")


def answer_checkout(
    store: Store, webhooks: WebhookSender, method: str, path: str, body: bytes
) -> Reply:
    """``GET`` shows the checkout page of the payment in ``path``; ``POST`` applies the
    chosen outcome to an open payment (409 otherwise), calls the webhook once before
    answering, and redirects (303) to the payment's ``redirectUrl``."""
    payment_id = path[len("/checkout/") :].strip("/")
    with store.lock:
        payment = store.payments.get(payment_id)
        snapshot = copy.copy(payment) if payment else None
    if snapshot is None:
        return _no_such_payment()
    if method == "GET":
        return _checkout_page(snapshot)
    if method != "POST":
        return html_page(405, "Method not allowed", "<p>Use GET or POST.</p>")

    form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    choice = form.get("status", "")
    chosen_method = form.get("method") or None
    if choice not in CHECKOUT_CHOICES:
        return html_page(
            400,
            "Unknown choice",
            f"<p>Choose one of: {html.escape(', '.join(CHECKOUT_CHOICES))}.</p>",
        )
    if chosen_method is not None and chosen_method not in KNOWN_METHODS:
        return html_page(400, "Unknown payment method", "<p>Pick a listed method.</p>")
    with store.lock:
        payment = store.payments[payment_id]
        if payment.status != "open":
            return _not_open_page(payment, status=409)
        apply_status(payment, choice, chosen_method)
        webhook, redirect = payment.webhook_url, payment.redirect_url
    if webhook:
        webhooks.deliver(payment_id, webhook, sync_first=True)
    return Reply(303, b"", "text/plain", {"Location": redirect})


def _checkout_page(p: Payment) -> Reply:
    if p.status != "open":
        return _not_open_page(p, status=200)
    options = []
    preselected = p.method or "ideal"
    for method_id, label, _low, _high in ENABLED_METHODS:
        selected = " selected" if method_id == preselected else ""
        options.append(f'<option value="{method_id}"{selected}>{html.escape(label)}</option>')
    buttons = "\n".join(
        f'<button type="submit" name="status" value="{s}">{s.capitalize()}</button>'
        for s in CHECKOUT_CHOICES
    )
    body = f"""<dl>
<dt>Description</dt><dd>{html.escape(p.description)}</dd>
<dt>Amount</dt><dd>{p.currency} {p.amount:.2f}</dd>
<dt>Payment</dt><dd><code>{p.id}</code></dd>
</dl>
<form method="post" action="/checkout/{p.id}">
<p><label for="method">Payment method</label>
<select id="method" name="method">
{"".join(options)}
</select></p>
<fieldset>
<legend>Choose the outcome of this test payment</legend>
{buttons}
</fieldset>
</form>
"""
    return html_page(200, "Test payment", body)


def _not_open_page(p: Payment, status: int) -> Reply:
    body = (
        f"<p>Payment <code>{p.id}</code> is <strong>{html.escape(p.status)}</strong>; "
        "it can no longer be paid or changed here.</p>"
        f'<p><a href="{html.escape(p.redirect_url)}">Return to the website</a></p>'
    )
    return html_page(status, f"Payment {p.status}", body)


def dashboard_page(store: Store, base_url: str, payment_id: str) -> Reply:
    """``/dashboard/payments/{id}``: the payment's JSON, for a person to read."""
    with store.lock:
        payment = store.payments.get(payment_id)
        data = payment_json(store, payment, base_url) if payment else None
    if data is None:
        return _no_such_payment()
    pretty = html.escape(json.dumps(data, indent=2))
    return html_page(200, f"Payment {payment_id}", f"<pre>{pretty}</pre>")


def index_page(store: Store) -> Reply:
    """``/``: every payment, newest first, linked to its dashboard page."""
    with store.lock:
        rows = [
            f'<li><a href="/dashboard/payments/{p.id}"><code>{p.id}</code></a> '
            f"{html.escape(p.description)} - {p.currency} {p.amount:.2f} - {p.status}</li>"
            for p in reversed(store.payments.values())
        ]
    listing = f"<ul>{''.join(rows)}</ul>" if rows else "<p>No payments yet.</p>"
    return html_page(200, "Mollie test double", listing)
