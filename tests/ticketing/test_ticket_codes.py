"""Signed ticket tokens and the order PDF -- plain pytest, no Django needed."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import random
import re

import pypdf
import pytest
import zxingcpp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from weticket_wagtail.ticketing.services import ticket_pdf
from weticket_wagtail.ticketing.services.ticket_pdf import (
    DEFAULT_LABELS,
    TicketPrint,
    render_order_pdf,
    render_qr_png,
)
from weticket_wagtail.ticketing.services.ticket_signing import (
    InvalidSigningKey,
    InvalidTicketToken,
    generate_signing_keypair,
    public_key_for,
    sign_ticket_payload,
    verify_ticket_token,
)

PAYLOAD = {
    "c": "K7QX-3M9P-ZT4A",
    "e": "zomerfestival-2025",
    "o": "stichting-muziek",
    "t": "Regular",
    "s": "2025-07-12T19:30:00+02:00",
}
POINTS_PER_CM = 72 / 2.54


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_signing_keypair()


@pytest.fixture(scope="module")
def token(keys: tuple[str, str]) -> str:
    return sign_ticket_payload(keys[0], PAYLOAD)


# --------------------------------------------------------------------------
# Signing


def test_keypair_is_compact_text(keys: tuple[str, str]) -> None:
    private, public = keys
    assert len(private) == 43
    assert len(public) == 43
    assert public_key_for(private) == public
    assert generate_signing_keypair() != keys


def test_round_trip(keys: tuple[str, str], token: str) -> None:
    private, public = keys
    version, payload_part, signature_part = token.split(".")
    assert version == "WT1"
    assert json.loads(unb64(payload_part)) == PAYLOAD
    assert (
        unb64(payload_part) == json.dumps(PAYLOAD, sort_keys=True, separators=(",", ":")).encode()
    )
    assert len(unb64(signature_part)) == 64
    assert len(token) < 300  # keeps the QR code at a low version
    assert verify_ticket_token(public, token) == PAYLOAD
    assert verify_ticket_token(public, f"  {token}\r\n") == PAYLOAD  # scanner newline
    assert verify_ticket_token(public, token.encode()) == PAYLOAD
    assert sign_ticket_payload(private, PAYLOAD) == token  # Ed25519 is deterministic


def test_unicode_payload_round_trip(keys: tuple[str, str]) -> None:
    payload = {"c": "AB-12", "t": "Zoë’s € ticket"}
    assert verify_ticket_token(keys[1], sign_ticket_payload(keys[0], payload)) == payload


def test_pem_private_key_is_accepted(keys: tuple[str, str]) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = public_key_for(pem)
    assert verify_ticket_token(public, sign_ticket_payload(pem, PAYLOAD)) == PAYLOAD


def test_tampered_payload_is_rejected(keys: tuple[str, str], token: str) -> None:
    _, payload_part, signature_part = token.split(".")
    forged = {**PAYLOAD, "t": "VIP"}
    forged_part = b64(json.dumps(forged, sort_keys=True, separators=(",", ":")).encode())
    with pytest.raises(InvalidTicketToken):
        verify_ticket_token(keys[1], f"WT1.{forged_part}.{signature_part}")


def test_tampered_signature_is_rejected(keys: tuple[str, str], token: str) -> None:
    version, payload_part, signature_part = token.split(".")
    signature = bytearray(unb64(signature_part))
    signature[10] ^= 0x01
    with pytest.raises(InvalidTicketToken):
        verify_ticket_token(keys[1], f"{version}.{payload_part}.{b64(bytes(signature))}")


def test_every_single_character_change_is_rejected(keys: tuple[str, str], token: str) -> None:
    rng = random.Random(1234)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
    for position in range(len(token)):
        replacement = rng.choice(alphabet.replace(token[position], ""))
        mutated = token[:position] + replacement + token[position + 1 :]
        with pytest.raises(InvalidTicketToken):
            verify_ticket_token(keys[1], mutated)


def test_another_organisations_key_is_rejected(token: str) -> None:
    _, other_public = generate_signing_keypair()
    with pytest.raises(InvalidTicketToken):
        verify_ticket_token(other_public, token)


def test_other_version_is_rejected(keys: tuple[str, str], token: str) -> None:
    with pytest.raises(InvalidTicketToken, match="version"):
        verify_ticket_token(keys[1], "WT2" + token[3:])


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "WT1.",
        "WT1..",
        "WT2.x.y",
        "WT1.x.y",
        "WT1.x.y.z",
        "WT1.!!!.???",
        "WT1.eyJjIjoiYSJ9.",
        "WT1.eyJjIjoiYSJ9.AAAA",
        "WT1.eyJjIjoiYSJ9=.AAAA",
        "WT1.é.é",
        "https://example.com/ticket/K7QX",
        "K7QX-3M9P-ZT4A",
        "WT1." + "A" * 5000 + ".AAAA",
        bytes(range(256)).decode("latin-1"),
        random.Random(7).randbytes(300).decode("latin-1"),
        b"\xff\xfe\x00garbage",
        None,
        12345,
        ["WT1", "x", "y"],
    ],
)
def test_garbage_is_rejected(keys: tuple[str, str], garbage: object) -> None:
    with pytest.raises(InvalidTicketToken):
        verify_ticket_token(keys[1], garbage)  # type: ignore[arg-type]


def _sign_raw(private: str, payload_bytes: bytes) -> str:
    """Sign arbitrary bytes in the WT1 layout, bypassing the payload checks."""
    key = Ed25519PrivateKey.from_private_bytes(unb64(private))
    signed = f"WT1.{b64(payload_bytes)}"
    return f"{signed}.{b64(key.sign(signed.encode()))}"


@pytest.mark.parametrize(
    "payload_bytes",
    [
        b"not json",
        b"\xff\xfe",
        b'["a"]',
        b'{"c": 1}',
        b'{"c": {"x": "y"}}',
        b"[" * 1200 + b"]" * 1200,
    ],
)
def test_validly_signed_bad_payload_is_rejected(
    keys: tuple[str, str], payload_bytes: bytes
) -> None:
    with pytest.raises(InvalidTicketToken):
        verify_ticket_token(keys[1], _sign_raw(keys[0], payload_bytes))


@pytest.mark.parametrize("public", ["", "abc", "A" * 43 + "=", b64(b"x" * 31), None])
def test_bad_public_key_raises_invalid_token(token: str, public: object) -> None:
    with pytest.raises(InvalidTicketToken):
        verify_ticket_token(public, token)  # type: ignore[arg-type]


def test_bad_private_key_and_payload_on_signing(keys: tuple[str, str]) -> None:
    for private in ["", "nope", b64(b"x" * 31), keys[1] + "A"]:
        with pytest.raises(InvalidSigningKey):
            sign_ticket_payload(private, PAYLOAD)
    for payload in [{}, {"c": 1}, {1: "x"}, ["c"]]:
        with pytest.raises(TypeError):
            sign_ticket_payload(keys[0], payload)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# PDF

HOLDERS = ["Zoë Müller", "Łukasz Żółć", ""]


@pytest.fixture(scope="module")
def tickets(keys: tuple[str, str]) -> list[TicketPrint]:
    result = []
    for index, holder in enumerate(HOLDERS):
        code = f"K7QX-3M9P-ZT4{index}"
        payload = {**PAYLOAD, "c": code}
        result.append(
            TicketPrint(
                code=code,
                token=sign_ticket_payload(keys[0], payload),
                ticket_type="Regular" if index else "VIP — backstage",
                event_title="Zomerfestival 2025 – Café-concert",
                event_start="Sat 12 July 2025, 19:30",
                venue="TivoliVredenburg, Utrecht",
                holder_name=holder,
                order_reference="ORD-2025-000123",
                price="€ 12,50",
            )
        )
    return result


@pytest.fixture(scope="module")
def order_pdf(tickets: list[TicketPrint]) -> pypdf.PdfReader:
    data = render_order_pdf(tickets, organisation_name="Stichting Muziek", primary_colour="#b91c1c")
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def test_pdf_has_one_page_per_ticket(order_pdf: pypdf.PdfReader) -> None:
    assert len(order_pdf.pages) == 3
    assert order_pdf.metadata is not None
    assert order_pdf.metadata.author == "Stichting Muziek"
    assert "Zomerfestival 2025" in (order_pdf.metadata.title or "")


def test_pdf_text(order_pdf: pypdf.PdfReader, tickets: list[TicketPrint]) -> None:
    texts = [page.extract_text() for page in order_pdf.pages]
    for ticket, text in zip(tickets, texts, strict=True):
        assert ticket.code in text
        assert "€ 12,50" in text
        assert "Stichting Muziek" in text
        assert "Café-concert" in text
        assert "ORD-2025-000123" in text
        for label in DEFAULT_LABELS.values():
            if label != "Name":  # no holder on the third ticket
                assert label in text
    assert "Zoë Müller" in texts[0]
    assert "Name" not in texts[2]


def test_pdf_qr_codes_decode_to_valid_tokens(
    order_pdf: pypdf.PdfReader, tickets: list[TicketPrint], keys: tuple[str, str]
) -> None:
    for page, ticket in zip(order_pdf.pages, tickets, strict=True):
        (image,) = page.images
        results = zxingcpp.read_barcodes(image.image)
        assert len(results) == 1
        assert results[0].format == zxingcpp.BarcodeFormat.QRCode
        assert results[0].text == ticket.token
        assert verify_ticket_token(keys[1], results[0].text)["c"] == ticket.code


def test_pdf_qr_code_is_at_least_4cm_wide(order_pdf: pypdf.PdfReader) -> None:
    placement = re.compile(r"([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm\s+/(\S+) Do")
    for page in order_pdf.pages:
        content = page.get_contents().get_data().decode("latin-1")
        (match,) = placement.findall(content)
        width, height, _name = match
        assert float(width) == float(height) >= 4 * POINTS_PER_CM


def test_pdf_labels_translated_and_builtin_font_fallback(
    monkeypatch: pytest.MonkeyPatch, tickets: list[TicketPrint]
) -> None:
    monkeypatch.setattr(ticket_pdf, "FONT_SEARCH_DIRS", [])  # force Helvetica
    odd = dataclasses.replace(tickets[1], event_title="Концерт 東京 Łódź €")
    data = render_order_pdf(
        [tickets[0], odd],
        organisation_name="Œuvre Zoë",
        primary_colour="definitely not a colour",
        labels={"date": "Datum", "instructions": "Toon deze code bij de ingang"},
    )
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    text = reader.pages[1].extract_text()
    assert "Datum" in text
    assert "Toon deze code bij de ingang" in text
    assert "Lódz €" in text  # transliterated where cp1252 cannot encode
    assert "Zoë Müller" in reader.pages[0].extract_text()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#1f2937", "#1f2937"),
        ("1F2937", "#1f2937"),
        (" #fff ", "#ffffff"),
        ("#12345g", "#1f2937"),
        ("red", "#1f2937"),
        ("", "#1f2937"),
        (None, "#1f2937"),
    ],
)
def test_colour_parsing_falls_back(value: object, expected: str) -> None:
    assert ticket_pdf._parse_colour(value).hexval() == "0x" + expected[1:]


def test_pdf_argument_errors(tickets: list[TicketPrint]) -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_order_pdf([], organisation_name="X")
    with pytest.raises(ValueError, match="unknown label"):
        render_order_pdf(tickets[:1], organisation_name="X", labels={"Date": "Datum"})


def test_render_qr_png() -> None:
    png = render_qr_png("WT1.hello", scale=4)
    assert png.startswith(b"\x89PNG")
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert result.text == "WT1.hello"
