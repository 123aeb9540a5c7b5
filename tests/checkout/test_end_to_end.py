"""A buyer reserves, checks out, pays at the Mollie double, and gets one email with tickets."""

from __future__ import annotations

import io
import re

import pytest
import requests
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from weticket_wagtail.payments.models import Payment
from weticket_wagtail.ticketing.models import Order, Ticket
from weticket_wagtail.ticketing.services.ticket_signing import verify_ticket_token

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_token(html: str) -> str:
    return CSRF.search(html).group(1)


@pytest.mark.django_db(transaction=True)
def test_two_tickets_bought_and_paid_end_to_end(live_server, settings, mollie, smtp_sink, on_sale):
    settings.WETICKET = {**settings.WETICKET, "PUBLIC_BASE_URL": live_server.url}
    browser = requests.Session()
    shop_url = f"{live_server.url}/tickets/test-org/jazz-night/"

    shop = browser.get(shop_url)
    assert shop.status_code == 200 and "Regular" in shop.text
    regular = on_sale["regular"]
    reserved = browser.post(
        shop_url,
        {"csrfmiddlewaretoken": form_token(shop.text), f"quantity_{regular.pk}": "2"},
        headers={"Referer": shop_url},
    )
    assert reserved.status_code == 200 and "/tickets/checkout/" in reserved.url
    assert "held until" in reserved.text

    to_mollie = browser.post(
        reserved.url,
        {
            "csrfmiddlewaretoken": form_token(reserved.text),
            "buyer_name": "Zoë de Vries",
            "buyer_email": "zoe@example.org",
        },
        headers={"Referer": reserved.url},
        allow_redirects=False,
    )
    assert to_mollie.status_code == 303
    checkout_url = to_mollie.headers["Location"]
    assert checkout_url.startswith(mollie.base_url)

    order = Order.objects.get()
    assert order.status == Order.Status.PENDING and order.language == "en"
    payment = Payment.objects.get()
    sent = mollie.payments[payment.mollie_id]
    assert sent["amount"] == {"currency": "EUR", "value": "49.00"}
    assert sent["webhookUrl"] == f"{live_server.url}/tickets/webhooks/mollie/"
    assert sent["metadata"] == {"order": order.token}
    assert [r["idempotency_key"] for r in mollie.api_requests if r["method"] == "POST"] == [
        payment.idempotency_key
    ]

    # The buyer chooses "paid" on Mollie's page: the webhook reaches us, then the redirect.
    page = browser.get(checkout_url)
    assert page.status_code == 200
    back = browser.post(checkout_url, {"status": "paid", "method": "ideal"})
    assert back.status_code == 200
    assert back.url.startswith(f"{live_server.url}/tickets/order/{order.token}/")
    assert "Paid" in back.text

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert any(call["ok"] for call in mollie.webhook_calls)
    regular.refresh_from_db()
    assert regular.sold_count == 2
    codes = set(Ticket.objects.filter(order=order).values_list("code", flat=True))
    assert len(codes) == 2

    messages = smtp_sink.wait_for(1, timeout=15)
    assert len(messages) == 1
    email = messages[0]
    assert email["To"] == "zoe@example.org"
    assert order.reference in email["Subject"]
    assert email.get_body(("html",)) is not None and email.get_body(("plain",)) is not None
    assert order.token in email.get_body(("plain",)).get_content()
    pdfs = [
        part for part in email.iter_attachments() if part.get_content_type() == "application/pdf"
    ]
    assert len(pdfs) == 1

    reader = PdfReader(io.BytesIO(pdfs[0].get_content()))
    scanned = set()
    organisation = on_sale["organisation"]
    organisation.refresh_from_db()
    for pdf_page in reader.pages:
        for image in pdf_page.images:
            for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data))):
                payload = verify_ticket_token(organisation.ticket_verify_key, barcode.text)
                scanned.add(payload["c"])
                assert payload["e"] == "jazz-night" and payload["o"] == "test-org"
    assert scanned == codes

    # Replays of the webhook change nothing and send nothing more.
    for _ in range(3):
        assert browser.post(sent["webhookUrl"], {"id": payment.mollie_id}).status_code == 200
    assert len(smtp_sink.wait_for(1, timeout=1)) == 1
    pdf = browser.get(f"{live_server.url}/tickets/order/{order.token}/tickets.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
