"""The buyer's order page shows each ticket's QR code, which a door scanner can read."""

from __future__ import annotations

import re
from html import unescape

import pytest
import zxingcpp
from PIL import Image

from weticket_wagtail.ticketing.services.orders import confirm_order, place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets
from weticket_wagtail.ticketing.services.ticket_signing import verify_ticket_token

pytestmark = pytest.mark.django_db
SVG = re.compile(r'<svg viewBox="0 0 (\d+) (\d+)" class="weticket-qr">(.*?)</svg>', re.S)


def rasterise(svg_body: str, size: int, scale: int = 8) -> Image.Image:
    """Draw segno's one-path SVG (``M x y`` then relative ``h`` and ``m``) as a bitmap."""
    path = re.search(r'<path[^>]*stroke="#000"[^>]*d="([^"]+)"', svg_body).group(1)
    image = Image.new("L", (size * scale, size * scale), 255)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a run of dark modules on the row whose middle is at y
            row, start, end = int(y - 0.5), int(x), int(x + float(a))
            for column in range(start, end):
                for dy in range(scale):
                    for dx in range(scale):
                        image.putpixel((column * scale + dx, row * scale + dy), 0)
            x += float(a)
    return image


def paid_order(on_sale, quantity: int = 2):
    reservation = reserve_tickets(on_sale["event"], {on_sale["regular"].pk: quantity})
    order = place_order(
        reservation, buyer_name="Zoë de Vries", buyer_email="zoe@example.org", language="en"
    )
    confirm_order(order)
    order.refresh_from_db()
    return order


def test_each_ticket_on_the_order_page_has_a_qr_code_that_scans(client, on_sale):
    order = paid_order(on_sale)
    html = client.get(f"/tickets/order/{order.token}/").content.decode()
    codes = set(order.tickets.values_list("code", flat=True))
    found = SVG.findall(html)
    assert len(found) == 2
    organisation = on_sale["organisation"]
    organisation.refresh_from_db()
    scanned = set()
    for width, _height, body in found:
        assert "<title>QR code of ticket " in body
        (barcode,) = zxingcpp.read_barcodes(rasterise(unescape(body), int(width)))
        payload = verify_ticket_token(organisation.ticket_verify_key, barcode.text)
        assert payload["e"] == "jazz-night" and payload["o"] == "test-org"
        scanned.add(payload["c"])
    assert scanned == codes


def test_an_unpaid_order_shows_no_qr_code(client, on_sale):
    reservation = reserve_tickets(on_sale["event"], {on_sale["regular"].pk: 1})
    order = place_order(reservation, buyer_name="A", buyer_email="a@example.org", language="en")
    assert "weticket-qr" not in client.get(f"/tickets/order/{order.token}/").content.decode()
