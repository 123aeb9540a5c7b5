"""Model fields that keep secrets encrypted at rest.

The database column of an :class:`EncryptedTextField` only ever holds a Fernet token prefixed with
``enc:``; the plaintext exists in Python memory only. Keys come from
``WETICKET["ENCRYPTION_KEYS"]`` (newest first) through :class:`cryptography.fernet.MultiFernet`, so
old tokens stay readable after a new key is added, and ``manage.py weticket_rotate_keys``
re-encrypts every row with the newest key.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router, transaction
from django.utils.translation import gettext_lazy as _

from .conf import weticket_settings

PREFIX = "enc:"


def _development_key() -> bytes:
    """A key derived from SECRET_KEY, only ever used while DEBUG is on (a check warns)."""
    digest = hashlib.sha256(("weticket-encryption:" + settings.SECRET_KEY).encode()).digest()
    return base64.urlsafe_b64encode(digest)


def get_fernet() -> MultiFernet:
    """The MultiFernet for the configured keys; the first key encrypts, all keys decrypt."""
    keys = list(weticket_settings.ENCRYPTION_KEYS or [])
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured(
                "WETICKET['ENCRYPTION_KEYS'] is empty. Generate a key with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            )
        keys = [_development_key()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "WETICKET['ENCRYPTION_KEYS'] holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext`` with the newest key; empty stays empty."""
    if not plaintext:
        return ""
    return PREFIX + get_fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    """Decrypt a stored token. Raises ImproperlyConfigured when no configured key fits."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        # Written before the field was encrypted (or by hand): never returned as a secret.
        raise ImproperlyConfigured("An encrypted column holds a value that is not encrypted.")
    try:
        return get_fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A secret cannot be decrypted with WETICKET['ENCRYPTION_KEYS']: was a key removed "
            "before `manage.py weticket_rotate_keys` ran?"
        ) from exc


class EncryptedTextField(models.TextField):
    """A TextField whose column holds only ciphertext."""

    description = _("Text encrypted at rest")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt(value)


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) pair in the project that uses EncryptedTextField."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def rotate_all(batch_size: int = 500) -> int:
    """Re-encrypt every stored secret with the newest key. Returns the number of rows rewritten.

    Works on the raw column (never through the model), one model at a time in a transaction,
    so a failure leaves every row readable: MultiFernet.rotate decrypts with any known key.
    """
    fernet = get_fernet()
    rewritten = 0
    for model, field in encrypted_fields():
        db = router.db_for_write(model)
        connection = connections[db]
        qn = connection.ops.quote_name
        table, column, pk = qn(model._meta.db_table), qn(field.column), qn(model._meta.pk.column)
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
            rows = cursor.fetchall()
            for start in range(0, len(rows), batch_size):
                for row_pk, stored in rows[start : start + batch_size]:
                    if not stored.startswith(PREFIX):
                        token = fernet.encrypt(stored.encode()).decode()
                    else:
                        try:
                            token = fernet.rotate(stored[len(PREFIX) :].encode()).decode()
                        except InvalidToken as exc:
                            # Nothing is written: the transaction rolls back every row of the model.
                            raise ImproperlyConfigured(
                                f"{model._meta.label}.{field.name} of row {row_pk} cannot be "
                                "decrypted with any key in WETICKET['ENCRYPTION_KEYS']; add the "
                                "key it was written with and run the rotation again."
                            ) from exc
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [PREFIX + token, row_pk],
                    )
                    rewritten += 1
    return rewritten
