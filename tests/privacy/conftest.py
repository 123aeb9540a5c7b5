"""Fixtures for the privacy statement: a published statement, buyers, a quick campaign pace."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText

from weticket_wagtail.privacy.models import PrivacyStatementPage, Processor
from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory
from weticket_wagtail.testing.smtp import smtp_sink  # noqa: F401
from weticket_wagtail.ticketing.models import Order


def section(heading: str, *blocks, anchor: str = "") -> tuple[str, dict]:
    content = [("text", RichText(b)) if isinstance(b, str) else b for b in blocks]
    return ("section", {"heading": heading, "anchor": anchor, "content": content})


def raw_section(heading: str, html: str) -> dict:
    """A section as StreamField JSON, to append to ``page.body.raw_data``."""
    return {
        "type": "section",
        "value": {"heading": heading, "anchor": "", "content": [{"type": "text", "value": html}]},
    }


def publish(page: PrivacyStatementPage, user=None, **changes):
    """Change ``page`` like an editor would, save a revision and publish it."""
    for name, value in changes.items():
        setattr(page, name, value)
    revision = page.save_revision(user=user)
    revision.publish(user=user, skip_permission_checks=True)
    page.refresh_from_db()
    return page


@pytest.fixture
def campaign_pace(settings):
    """No pacing and short leases: campaigns in tests run as fast as the sink takes them."""
    settings.WETICKET = {
        **settings.WETICKET,
        "CAMPAIGN_RATE_PER_SECOND": 0,
        "CAMPAIGN_BATCH_SIZE": 50,
        "PRIVACY_CONTACT_EMAIL": "privacy@example.org",
    }


@pytest.fixture
def home(db):
    """The default site's root page; made again when a transactional test flushed the tables."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    locale, _ = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = root.add_child(instance=Page(title="Welcome", slug="home", locale=locale))
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    return home


@pytest.fixture
def processor(db, home):
    return Processor.objects.create(
        locale=home.locale,
        name="Cijferwerk",
        role=Processor.Role.BOOKKEEPER,
        purpose="Keeps our books.",
        data_categories=["contact", "financial"],
        agreement_date=datetime.date(2024, 3, 1),
        country="Nederland",
    )


@pytest.fixture
def statement(db, home, processor):
    """A privacy statement with three sections, published once (version 1)."""
    page = home.add_child(
        instance=PrivacyStatementPage(
            title="Privacy statement",
            slug="privacy",
            intro="<p>How we handle your data.</p>",
            body=[
                section("Who we are", "<p>We sell tickets for organisations.</p>"),
                section(
                    "Who we share data with",
                    "<p>We never sell data.</p>",
                    ("processors", None),
                    anchor="processors",
                ),
                section("Your rights", "<p>You may see your data.</p>", ("contact", {"email": ""})),
            ],
            live=False,
        )
    )
    return publish(page)


def make_orders(
    emails, *, language="en", organisation=None, status=Order.Status.PAID
) -> list[Order]:
    """Orders (no lines: the registry reads only the buyer) for ``emails``, paid by default
    (a policy change is told only to buyers who confirmed their address by paying)."""
    organisation = organisation or OrganisationFactory()
    event = EventFactory(organisation=organisation)
    return Order.objects.bulk_create(
        Order(
            organisation=organisation,
            event=event,
            buyer_name=f"Buyer {index}",
            buyer_email=email,
            language=language,
            total=Decimal("10.00"),
            status=status,
        )
        for index, email in enumerate(emails)
    )
