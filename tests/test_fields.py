"""Mollie keys are encrypted at rest; rotation re-encrypts every row."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from weticket_wagtail.testing.factories import OrganisationFactory
from weticket_wagtail.ticketing.models import Organisation

pytestmark = pytest.mark.django_db

KEY = "test_" + "k3yMaterial" * 3


def raw_keys() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, mollie_api_key FROM {Organisation._meta.db_table} ORDER BY id"  # noqa: S608
        )
        return dict(cursor.fetchall())


def test_raw_column_never_holds_the_plaintext_key():
    organisation = OrganisationFactory(mollie_api_key=KEY)
    stored = raw_keys()[organisation.pk]
    assert KEY not in stored
    assert stored.startswith("enc:")
    assert Organisation.objects.get(pk=organisation.pk).mollie_api_key == KEY
    # Lookups through the ORM never compare plaintext either.
    assert "k3yMaterial" not in str(Organisation.objects.filter(pk=organisation.pk).query)


def test_each_save_writes_a_fresh_token():
    organisation = OrganisationFactory(mollie_api_key=KEY)
    first = raw_keys()[organisation.pk]
    organisation.save()
    assert raw_keys()[organisation.pk] != first


def test_empty_key_stays_empty():
    organisation = OrganisationFactory(mollie_api_key="")
    assert raw_keys()[organisation.pk] == ""
    assert Organisation.objects.get(pk=organisation.pk).has_mollie_key is False


def test_rotation_reencrypts_every_row_with_the_new_key(settings):
    old_key = settings.WETICKET["ENCRYPTION_KEYS"][0]
    organisations = [OrganisationFactory(mollie_api_key=f"{KEY}{i}") for i in range(5)]
    OrganisationFactory(mollie_api_key="")
    before = raw_keys()

    new_key = Fernet.generate_key().decode()
    settings.WETICKET = {**settings.WETICKET, "ENCRYPTION_KEYS": [new_key, old_key]}
    call_command("weticket_rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = raw_keys()

    for organisation in organisations:
        assert after[organisation.pk] != before[organisation.pk]
        token = after[organisation.pk].removeprefix("enc:").encode()
        # Only the new key is needed from now on.
        assert Fernet(new_key).decrypt(token).decode() == organisation.mollie_api_key

    settings.WETICKET = {**settings.WETICKET, "ENCRYPTION_KEYS": [new_key]}
    assert sorted(
        o.mollie_api_key for o in Organisation.objects.exclude(mollie_api_key="")
    ) == sorted(o.mollie_api_key for o in organisations)


def test_a_missing_key_is_a_clear_error_not_garbage(settings):
    OrganisationFactory(mollie_api_key=KEY)
    settings.WETICKET = {**settings.WETICKET, "ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        list(Organisation.objects.all())
    with pytest.raises(CommandError):
        call_command("weticket_rotate_keys")


def test_no_keys_in_production_refuses_to_store_secrets(settings):
    settings.DEBUG = False
    settings.WETICKET = {**settings.WETICKET, "ENCRYPTION_KEYS": []}
    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYS"):
        OrganisationFactory(mollie_api_key=KEY)
