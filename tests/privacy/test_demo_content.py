"""The example site's privacy statement: complete, in Dutch and English, seeded idempotently."""

from __future__ import annotations

import pytest
from home.demo_privacy import seed_privacy_statement

from weticket_wagtail.privacy.models import PolicyVersion, PrivacyStatementPage, Processor

pytestmark = pytest.mark.django_db


def test_the_demo_statement_has_fourteen_sections_in_both_languages_and_version_one(home, client):
    seed_privacy_statement(home)
    seed_privacy_statement(home)  # again: nothing visible changed, so no new version

    pages = {page.locale.language_code: page for page in PrivacyStatementPage.objects.live()}
    assert set(pages) == {"nl", "en"}
    assert pages["nl"].translation_key == pages["en"].translation_key
    for page in pages.values():
        assert len(page.sections()) == 14
        assert list(
            PolicyVersion.objects.filter(page_id=page.pk).values_list("number", flat=True)
        ) == [1]
    assert set(Processor.objects.values_list("role", flat=True)) == {
        "bookkeeper",
        "software_supplier",
        "website_manager",
        "payment_provider",
    }
    assert Processor.objects.filter(name="Mollie B.V.").count() == 2  # one per language

    dutch = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    english = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Privacyverklaring" in dutch and "Mollie B.V." in dutch and "Uw rechten" in dutch
    assert "Privacy statement" in english and "Your rights" in english
    assert "Autoriteit Persoonsgegevens" in english
