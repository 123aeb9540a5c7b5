"""Seed the example site with demo content. Safe to run again: it updates what it made."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from home.demo_consent import seed_consent
from home.demo_privacy import seed_privacy_statement
from home.models import HomePage
from weticket_wagtail.blocks.models import BrandedTicketPage
from weticket_wagtail.ticketing.models import Event, Organisation, OrganisationMembership

DEMO_ADMIN = ("demo", "demo-tickets-2026")
DEMO_ORGANISER = ("organiser", "organiser-tickets-2026")

# The demo in Dutch (the site's language) and English: each page exists in both trees.
HOME = {
    "nl": {
        "title": "WeTicket demo",
        "intro": "<p>Kaartjes voor de evenementen van Stichting Zomeravond.</p>",
    },
    "en": {
        "title": "WeTicket demo",
        "intro": "<p>Tickets for the events of Stichting Zomeravond.</p>",
    },
}
BRANDED_PAGE = {
    "nl": {
        "slug": "kaartjes",
        "title": "Kaartjes Zomeravond",
        "header": "Zomeravonden vol muziek en film",
        "list": "Binnenkort",
    },
    # Not "tickets": /en/tickets/ is where the package's own URLs start.
    "en": {
        "slug": "shop",
        "title": "Zomeravond tickets",
        "header": "Summer evenings full of music and film",
        "list": "Coming up",
    },
}
REQUEST_PAGE = {
    "nl": {
        "title": "Uw privacyrechten",
        "slug": "privacyverzoek",
        "intro": (
            "<p>Wilt u weten welke gegevens wij van u hebben, ze laten verbeteren of "
            "wissen, het gebruik ervan beperken of er bezwaar tegen maken, een "
            "automatisch besluit door een mens laten bekijken, of een klacht indienen? "
            "Dat kan hier, als bezoeker en als organisator.</p>"
        ),
    },
    "en": {
        "title": "Your privacy rights",
        "slug": "privacy-request",
        "intro": (
            "<p>Would you like to know which of your data we hold, have it corrected or "
            "erased, restrict or object to its use, have an automated decision looked at by "
            "a person, or make a complaint? You can do that here, as a visitor and as an "
            "organiser.</p>"
        ),
    },
}


class Command(BaseCommand):
    help = "Seed demo content: an organisation, two events with ticket types, a home page, users."

    @transaction.atomic
    def handle(self, *args, **options):
        homes = self._home_pages()
        home = homes["nl"]
        organisation, _ = Organisation.objects.update_or_create(
            slug="zomeravond",
            defaults={
                "name": "Stichting Zomeravond",
                "contact_email": "kaartjes@zomeravond.example",
                "primary_colour": "#7c2d12",
                "accent_colour": "#fbbf24",
                "font": Organisation.Font.HUMANIST,
                "embed_origins": "http://127.0.0.1:8001\nhttp://localhost:8001",
                "site": Site.objects.filter(is_default_site=True).first(),
            },
        )
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        jazz = self._event(
            organisation,
            slug="jazz-in-de-tuin",
            title="Jazz in de tuin",
            description="Een avond livemuziek tussen de rozen, met drie bands en een foodtruck.",
            venue="Kloostertuin",
            address="Tuinstraat 12, 3511 AB Utrecht",
            starts_at=now + timedelta(days=30, hours=19 - now.hour),
            hours=4,
            ticket_types=[
                ("Regulier", Decimal("24.50"), 300, 1, 10),
                ("Student", Decimal("15.00"), 100, 1, 4),
                ("Vriend van Zomeravond", Decimal("45.00"), 40, 1, 2),
            ],
        )
        film = self._event(
            organisation,
            slug="filmnacht-op-het-dak",
            title="Filmnacht op het dak",
            description="Drie klassiekers onder de sterren. Dekens liggen klaar.",
            venue="Dakterras De Werf",
            address="Werfkade 3, 3512 CD Utrecht",
            starts_at=now + timedelta(days=45, hours=21 - now.hour),
            hours=5,
            ticket_types=[
                ("Toegang", Decimal("12.50"), 150, 1, 8),
                ("Toegang met popcorn", Decimal("17.00"), 80, 1, 8),
                ("Kind tot 12 jaar", Decimal("0.00"), 30, 1, 4),
            ],
        )
        self._branded_pages(homes, organisation, jazz, film)
        seed_privacy_statement(home)
        seed_consent(home, Site.objects.get(is_default_site=True))
        self._request_pages(homes)
        admin = self._user(*DEMO_ADMIN, superuser=True)
        organiser = self._user(*DEMO_ORGANISER, superuser=False)
        # The organiser manages the organisation's team: adds colleagues by username or email.
        OrganisationMembership.objects.update_or_create(
            organisation=organisation, user=organiser, defaults={"can_manage_team": True}
        )
        self.stdout.write(self.style.SUCCESS("Demo content is ready."))
        self.stdout.write(
            "Site:   http://127.0.0.1:8000/nl/ and http://127.0.0.1:8000/en/ "
            "(/ picks your browser's language; tickets: /nl/kaartjes/, /en/shop/)"
        )
        self.stdout.write(
            "Consent: the cookie banner is on; Google Analytics (a demo id) loads after "
            "'analytics', the video at http://127.0.0.1:8000/nl/aftermovie/ after 'marketing'."
        )
        self.stdout.write(
            f"Admin:  http://127.0.0.1:8000/admin/  user {admin.username!r}, "
            f"password {DEMO_ADMIN[1]!r} (superuser)"
        )
        self.stdout.write(
            f"        organiser view: user {organiser.username!r}, password {DEMO_ORGANISER[1]!r}"
        )

    def _request_pages(self, homes: dict[str, HomePage]) -> None:
        """The form people use to exercise their rights (Privacy → Requests in the admin), in
        Dutch and English."""
        from weticket_wagtail.privacy.models import PrivacyRequestPage

        nl = PrivacyRequestPage.objects.child_of(homes["nl"]).first()
        if nl is None:
            nl = homes["nl"].add_child(instance=PrivacyRequestPage(**REQUEST_PAGE["nl"]))
            nl.save_revision().publish()
        en = nl.get_translation_or_none(homes["en"].locale)
        if en is None:
            en = nl.copy_for_translation(homes["en"].locale).specific
            for name, value in REQUEST_PAGE["en"].items():
                setattr(en, name, value)
            en.save_revision().publish()

    def _home_pages(self) -> dict[str, HomePage]:
        """The Dutch home page (the site's root) and its English translation, both live."""
        locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in HOME}
        home = HomePage.objects.filter(locale=locales["nl"]).first()
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        if home is None:
            home = root.add_child(
                instance=HomePage(slug="weticket-home", locale=locales["nl"], **HOME["nl"])
            )
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
        elif site.root_page_id != home.pk:
            old_root = site.root_page
            site.root_page = home
            site.save()
            if old_root.specific_class is Page and old_root.depth == 2:
                old_root.delete()  # Wagtail's placeholder "Welcome" page
        homes = {"nl": home}
        english = home.get_translation_or_none(locales["en"])
        if english is None:
            english = home.copy_for_translation(locales["en"])
        homes["en"] = english.specific
        for code, page in homes.items():
            for name, value in HOME[code].items():
                setattr(page, name, value)
            page.save_revision().publish()
        return homes

    def _branded_pages(self, homes: dict[str, HomePage], organisation, *events) -> None:
        """A branded ticket page per language, with a shop per event, the details and the list."""
        dutch = self._branded_page(homes["nl"], "nl", organisation, events)
        english = dutch.get_translation_or_none(homes["en"].locale)
        if english is None:
            english = dutch.copy_for_translation(homes["en"].locale)
        self._branded_page(homes["en"], "en", organisation, events, english.specific)

    def _branded_page(self, home, language, organisation, events, page=None) -> BrandedTicketPage:
        text = BRANDED_PAGE[language]
        if page is None:
            page = BrandedTicketPage.objects.child_of(home).filter(slug=text["slug"]).first()
        body = [("event_list", {"organisation": organisation, "heading": text["list"], "limit": 5})]
        for event in events:
            body.append(("event_details", {"event": event, "show_description": True}))
            body.append(
                (
                    "ticket_shop",
                    {"event": event, "heading": "", "button_text": "", "ticket_types": []},
                )
            )
        if page is None:
            page = BrandedTicketPage(slug=text["slug"], organisation=organisation)
            page.title = text["title"]
            page.body = body
            home.add_child(instance=page)
        else:
            page.slug, page.title, page.body = text["slug"], text["title"], body
        page.header_text = text["header"]
        page.footer = "<p>Stichting Zomeravond · kaartjes@zomeravond.example</p>"
        page.save_revision().publish()
        return page

    def _event(self, organisation, *, slug, hours, ticket_types, **fields) -> Event:
        event = Event.objects.filter(organisation=organisation, slug=slug).first()
        if event is None:
            event = Event(organisation=organisation, slug=slug)
        for name, value in fields.items():
            setattr(event, name, value)
        event.ends_at = event.starts_at + timedelta(hours=hours)
        event.is_published = True
        event.save()
        for order, (name, price, capacity, minimum, maximum) in enumerate(ticket_types):
            event.ticket_types.model.objects.update_or_create(
                event=event,
                name=name,
                defaults={
                    "price": price,
                    "capacity": capacity,
                    "min_per_order": minimum,
                    "max_per_order": maximum,
                    "sort_order": order,
                    "is_active": True,
                },
            )
        return event

    def _user(self, username, password, *, superuser):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        user.is_superuser = user.is_staff = superuser
        user.is_active = True
        if created or not user.check_password(password):
            user.set_password(password)
        user.save()
        if not superuser:
            group, _ = Group.objects.get_or_create(name="Organisers")
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label="wagtailadmin", codename="access_admin"
                )
            )
            user.groups.add(group)
        return user
