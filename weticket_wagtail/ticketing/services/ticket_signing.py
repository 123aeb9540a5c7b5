"""Offline-verifiable ticket codes signed with Ed25519.

Every ticket's QR code encodes a small *signed token* instead of a bare
ticket code, so a door scanner can tell a genuine ticket from a forged one
without a network connection.

Why Ed25519 (an asymmetric signature) rather than an HMAC:

* The organisation keeps the **private key** on the server; it alone can
  issue (sign) tickets.
* Scanner apps are given only the **public key**.  It can verify a token
  but cannot create one, so a lost or compromised scanner phone -- or a
  public key pasted into a chat -- does not let anyone forge tickets.  With
  an HMAC every scanner would hold the signing secret.
* Keys are 32 bytes and signatures 64 bytes, which keeps the QR code
  small and easy to scan, and verification is fast on any phone.

Token format (``WT1``)::

    WT1.<base64url(payload JSON)>.<base64url(signature)>

* base64url is unpadded (RFC 4648 section 5, ``=`` stripped).
* The payload JSON has sorted keys and compact separators, and is a flat
  object of string keys to string values, e.g.
  ``{"c": code, "e": event slug, "o": organisation slug,
  "t": ticket type, "s": event start ISO}``.
* The signature covers the ASCII bytes ``WT1.<payload segment>``, so the
  version prefix is authenticated too (a token cannot be re-labelled as a
  different format version).

A signed token proves only that the organisation issued the ticket; whether
it has already been used or was refunded is still a question for the
server's (or the scanner's synced) list of scanned codes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "TOKEN_VERSION",
    "InvalidSigningKey",
    "InvalidTicketToken",
    "generate_signing_keypair",
    "public_key_for",
    "sign_ticket_payload",
    "verify_ticket_token",
]

#: Prefix (and format version) of every token produced by this module.
TOKEN_VERSION = "WT1"  # noqa: S105 - a format tag, not a secret

#: Upper bound on accepted token length; real tokens are ~250 characters.
#: Guards the scanner against absurd input before doing any work.
MAX_TOKEN_LENGTH = 2048

_KEY_BYTES = 32
_SIGNATURE_BYTES = 64
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")


class InvalidTicketToken(ValueError):
    """The token is malformed, of an unknown version, or not genuinely signed."""


class InvalidSigningKey(ValueError):
    """A private or public key string could not be parsed."""


# --------------------------------------------------------------------------
# base64url helpers


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strictly decode unpadded base64url; raise ``ValueError`` otherwise.

    Only the canonical encoding is accepted (non-zero trailing bits are
    rejected), so one signature has exactly one textual form.
    """
    if not _B64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    if _b64encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data


# --------------------------------------------------------------------------
# Keys


def _load_private_key(private_key: str) -> Ed25519PrivateKey:
    """Accept base64url raw 32-byte seed (what we generate) or a PKCS#8 PEM."""
    if not isinstance(private_key, str):
        raise InvalidSigningKey("private key must be a string")
    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise InvalidSigningKey("PEM key is not an Ed25519 private key")
            return key
        raw = _b64decode(text)
        if len(raw) != _KEY_BYTES:
            raise InvalidSigningKey("Ed25519 private key must be 32 bytes")
        return Ed25519PrivateKey.from_private_bytes(raw)
    except InvalidSigningKey:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidSigningKey("invalid Ed25519 private key") from exc


def _load_public_key(public_key: str) -> Ed25519PublicKey:
    if not isinstance(public_key, str):
        raise InvalidSigningKey("public key must be a string")
    try:
        raw = _b64decode(public_key.strip())
        if len(raw) != _KEY_BYTES:
            raise InvalidSigningKey("Ed25519 public key must be 32 bytes")
        return Ed25519PublicKey.from_public_bytes(raw)
    except InvalidSigningKey:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidSigningKey("invalid Ed25519 public key") from exc


def _public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return _b64encode(raw)


def generate_signing_keypair() -> tuple[str, str]:
    """Create a new organisation key pair.

    Returns ``(private_key, public_key)``, both unpadded base64url of the raw
    32-byte Ed25519 keys (43 characters each).  Store the private key
    server-side only; the public key is what a scanner app is configured
    with.
    """
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        encoding=serialization.Encoding.Raw,
        format=serialization.PrivateFormat.Raw,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return _b64encode(raw), _public_key_text(key)


def public_key_for(private_key: str) -> str:
    """Return the base64url public key belonging to ``private_key``.

    ``private_key`` may be the base64url raw form or an unencrypted PKCS#8
    PEM.  Raises :class:`InvalidSigningKey` if it cannot be parsed.
    """
    return _public_key_text(_load_private_key(private_key))


# --------------------------------------------------------------------------
# Tokens


def _encode_payload(payload: dict[str, str]) -> bytes:
    if not isinstance(payload, dict) or not payload:
        raise TypeError("payload must be a non-empty dict of str to str")
    for key, value in payload.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("payload keys and values must all be str")
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign_ticket_payload(private_key: str, payload: dict[str, str]) -> str:
    """Sign ``payload`` and return a compact ``WT1.<payload>.<signature>`` token.

    Keep the payload small (short keys, slugs rather than titles): every
    byte makes the QR code denser.  A typical payload gives a token of
    roughly 250 characters: a version 12 QR code (65x65 modules) at level M.

    Raises :class:`InvalidSigningKey` for an unusable key and ``TypeError``
    if the payload is not a non-empty ``dict[str, str]``.
    """
    key = _load_private_key(private_key)
    signed_part = f"{TOKEN_VERSION}.{_b64encode(_encode_payload(payload))}"
    signature = key.sign(signed_part.encode("ascii"))
    return f"{signed_part}.{_b64encode(signature)}"


def verify_ticket_token(public_key: str, token: str) -> dict[str, str]:
    """Verify ``token`` with the organisation's public key and return its payload.

    Raises :class:`InvalidTicketToken` -- and nothing else -- if the token is
    malformed, has an unknown version, is not valid base64url/JSON, or its
    signature does not match ``public_key`` (a forged, altered or foreign
    ticket).  An unusable ``public_key`` is reported as
    :class:`InvalidTicketToken` as well, so callers need one ``except``.
    Surrounding whitespace (a scanner's trailing newline) is ignored.
    """
    try:
        key = _load_public_key(public_key)
    except InvalidSigningKey as exc:
        raise InvalidTicketToken(str(exc)) from exc

    if isinstance(token, bytes | bytearray):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError as exc:
            raise InvalidTicketToken("token is not ASCII") from exc
    if not isinstance(token, str):
        raise InvalidTicketToken("token must be a string")
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTicketToken("token is too long")

    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidTicketToken("token must have three dot-separated parts")
    version, payload_part, signature_part = parts
    if version != TOKEN_VERSION:
        raise InvalidTicketToken(f"unsupported token version {version[:10]!r}")

    try:
        payload_bytes = _b64decode(payload_part)
        signature = _b64decode(signature_part)
    except (ValueError, binascii.Error) as exc:
        raise InvalidTicketToken("token is not valid base64url") from exc
    if not payload_bytes or len(signature) != _SIGNATURE_BYTES:
        raise InvalidTicketToken("token has an empty payload or a malformed signature")

    # Check the signature before parsing anything the signer did not vouch for.
    try:
        key.verify(signature, f"{version}.{payload_part}".encode("ascii"))
    except InvalidSignature as exc:
        raise InvalidTicketToken("bad signature") from exc

    try:
        payload = json.loads(payload_bytes.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise InvalidTicketToken("payload is not valid JSON") from exc
    if not isinstance(payload, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in payload.items()
    ):
        raise InvalidTicketToken("payload must be an object of strings")
    return payload
