"""The demo's privacy statement: a complete statement for a ticket service, in Dutch and English.

:func:`seed_privacy_statement` creates (or updates) a privacy statement page under the home
page, with the processor register and retention schedule it shows, and publishes it, so the
demo starts with version 1. With Wagtail's i18n on (the demo turns it on) it also makes the
English translation. Safe to run again: unchanged content publishes no new version.

The text follows the fourteen topics of a real Dutch ticket service's statement, written anew.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from wagtail.coreutils import get_content_languages
from wagtail.models import Locale, Page
from wagtail.rich_text import RichText

from weticket_wagtail.privacy.categories import Audience, DataCategory
from weticket_wagtail.privacy.models import PrivacyStatementPage, Processor, RetentionRule

SLUG = "privacy"
C = DataCategory

# --- the register and the schedule ------------------------------------------------------------

PROCESSORS = [
    {
        "name": "Cijferwerk Administratie",
        "role": Processor.Role.BOOKKEEPER,
        "data_categories": [C.CONTACT, C.FINANCIAL],
        "agreement_date": datetime.date(2024, 3, 1),
        "website": "",
        "purpose": {
            "nl": "Voert onze boekhouding en doet onze belastingaangiften.",
            "en": "Keeps our books and files our tax returns.",
        },
    },
    {
        "name": "Kassa & Code Software",
        "role": Processor.Role.SOFTWARE_SUPPLIER,
        "data_categories": [C.LOCATION, C.EMAIL, C.CONTACT],
        "agreement_date": datetime.date(2024, 3, 15),
        "website": "",
        "purpose": {
            "nl": "Bouwt en onderhoudt de software waarmee wij kaartjes verkopen.",
            "en": "Builds and maintains the software we sell tickets with.",
        },
    },
    {
        "name": "Webbeheer Noord",
        "role": Processor.Role.WEBSITE_MANAGER,
        "data_categories": [C.LOCATION, C.EMAIL, C.CONTACT],
        "agreement_date": datetime.date(2024, 4, 2),
        "website": "",
        "purpose": {
            "nl": "Host onze website en houdt die veilig en bereikbaar.",
            "en": "Hosts our website and keeps it secure and available.",
        },
    },
    {
        "name": "Mollie B.V.",
        "role": Processor.Role.PAYMENT_PROVIDER,
        "data_categories": [C.CONTACT, C.FINANCIAL],
        "agreement_date": datetime.date(2024, 2, 20),
        "website": "https://www.mollie.com/",
        "purpose": {
            "nl": "Verwerkt uw betaling. Wij bewaren zelf alleen een verwijzing naar die betaling.",
            "en": "Handles your payment. We only keep a reference to that payment ourselves.",
        },
    },
]
COUNTRY = {"nl": "Nederland", "en": "The Netherlands"}

RETENTION_RULES = [
    {
        "category": "orders",
        "data_categories": [C.CONTACT, C.FINANCIAL],
        "period": (7, "years", "financial_year_end"),
        "record": {
            "nl": "Bestellingen, kaartjes en facturen",
            "en": "Orders, tickets and invoices",
        },
        "reason": {
            "nl": "De fiscale bewaarplicht: de Belastingdienst mag onze administratie 7 jaar "
            "terug inzien. Daarna wissen wij de persoonsgegevens en houden wij alleen de "
            "bedragen.",
            "en": "The Dutch tax authorities may inspect our records for 7 years. After that "
            "we erase the personal data and keep only the amounts.",
        },
    },
    {
        "category": "organisation_contacts",
        "data_categories": [C.CONTACT, C.EMAIL],
        "period": (None, "years", "record"),
        "record": {
            "nl": "Gegevens van aangesloten organisaties",
            "en": "Details of the organisations we work for",
        },
        "reason": {
            "nl": "Zonder deze gegevens kunnen wij de dienst niet leveren.",
            "en": "We cannot provide the service without them.",
        },
    },
    {
        "category": "outbox",
        "data_categories": [C.EMAIL],
        "period": (1, "years", "record"),
        "record": {"nl": "Verstuurde e-mails", "en": "Emails we sent"},
        "reason": {
            "nl": "Zodat wij kunnen nagaan wat wij u hebben laten weten.",
            "en": "So that we can check what we told you.",
        },
    },
    {
        "category": "consent",
        "data_categories": [C.IP_ADDRESS, C.DEVICE],
        "period": (2, "years", "record"),
        "record": {"nl": "Vastgelegde cookiekeuzes", "en": "Recorded cookie choices"},
        "reason": {
            "nl": "Een keuze geldt een jaar; daarna kunnen wij nog een jaar aantonen wat u koos.",
            "en": "A choice holds for a year; for a year after that we can still show what you "
            "chose.",
        },
    },
    {
        "category": "",
        "data_categories": [C.IP_ADDRESS, C.DEVICE],
        "period": (30, "days", "record"),
        "record": {"nl": "Logbestanden van de webserver", "en": "Web server logs"},
        "reason": {
            "nl": "Om storingen en misbruik op te sporen.",
            "en": "To track down faults and abuse.",
        },
    },
]

# --- the statement ----------------------------------------------------------------------------

TITLE = {"nl": "Privacyverklaring", "en": "Privacy statement"}
INTRO = {
    "nl": "<p>Als kaartjesdienst krijgen wij veel gegevens in handen: van de organisaties die "
    "via ons verkopen en van hun bezoekers. Hier leest u welke gegevens dat zijn, wat wij ermee "
    "doen en wat u ervan mag verwachten.</p>",
    "en": "<p>As a ticket service we handle a lot of data: of the organisations that sell "
    "through us and of their visitors. This statement tells you which data that is, what we do "
    "with it and what you may expect of us.</p>",
}


def _text(html: str) -> tuple[str, RichText]:
    return ("text", RichText(html))


def _sections(language: str) -> list[tuple[str, dict]]:
    nl = language == "nl"
    visitor = {"audience": Audience.VISITOR, "also": [C.IP_ADDRESS, C.DEVICE, C.SELF_PROVIDED]}
    organiser = {
        "audience": Audience.ORGANISER,
        "also": [C.IP_ADDRESS, C.DEVICE, C.FINANCIAL, C.SELF_PROVIDED],
    }
    sections = [
        (
            "Wie zijn wij?" if nl else "Who we are",
            "wie-zijn-wij" if nl else "who-we-are",
            [
                _text(
                    "<p>Wij helpen organisaties om hun kaartjes online te verkopen en meer "
                    "bezoekers te trekken. Een van onze hulpmiddelen is de eigen kaartjespagina: "
                    "een pagina in de huisstijl van de organisatie, die op elke website kan "
                    "worden ingebouwd en waarop bezoekers kaartjes bestellen.</p>"
                    "<p>U komt met ons in aanraking als organisatie die de dienst gebruikt, of "
                    "als bezoeker die bij een van die organisaties een kaartje koopt.</p>"
                    if nl
                    else "<p>We help organisations sell their tickets online and draw more "
                    "visitors. One of our tools is the branded ticket page: a page in the "
                    "organisation's own style, which can be built into any website and where "
                    "visitors order their tickets.</p>"
                    "<p>You deal with us as an organisation that uses the service, or as a "
                    "visitor buying a ticket from one of those organisations.</p>"
                )
            ],
        ),
        (
            "Hoe bereikt u ons?" if nl else "How to reach us",
            "contact",
            [
                _text(
                    "<p>Met vragen over uw gegevens kunt u ons altijd schrijven:</p>"
                    if nl
                    else "<p>You can always write to us about your data:</p>"
                ),
                ("contact", {"email": ""}),
            ],
        ),
        (
            "Welke gegevens verwerken wij?" if nl else "Which personal data we process",
            "welke-gegevens" if nl else "which-data",
            [
                _text(
                    "<p>Wij krijgen gegevens doordat u onze diensten gebruikt, of doordat u ze "
                    "ons zelf geeft.</p><h3>Als u een kaartje koopt</h3>"
                    if nl
                    else "<p>We receive data because you use our services, or because you give "
                    "it to us yourself.</p><h3>When you buy a ticket</h3>"
                ),
                ("data_categories", visitor),
                _text(
                    "<h3>Als uw organisatie via ons verkoopt</h3>"
                    if nl
                    else "<h3>When your organisation sells through us</h3>"
                ),
                ("data_categories", organiser),
            ],
        ),
        (
            "Waarvoor gebruiken wij uw gegevens?" if nl else "Why we use your data",
            "doelen" if nl else "purposes",
            [
                _text(
                    "<p>Wij verwerken alleen gegevens die nodig zijn om onze diensten goed uit "
                    "te voeren; zonder die gegevens lukt dat niet. Wij gebruiken ze om:</p><ul>"
                    "<li>uw bestelling en de betaling af te handelen;</li>"
                    "<li>contact met u op te nemen over de dienst, de invoering ervan, "
                    "wijzigingen en (systeem)updates;</li>"
                    "<li>aan onze wettelijke plichten te voldoen;</li>"
                    "<li>organisaties cijfers te geven die niet tot personen herleidbaar "
                    "zijn;</li>"
                    "<li>onze dienst te verbeteren, ook door te bekijken hoe bezoekers de "
                    "website gebruiken;</li>"
                    "<li>u op de hoogte te houden van nieuws over onze dienst;</li>"
                    "<li>gegevens uit te wisselen met partijen die wij voor de dienst nodig "
                    "hebben (zie hieronder).</li></ul>"
                    if nl
                    else "<p>We only process data we need to deliver our services properly; "
                    "without it we cannot. We use it to:</p><ul>"
                    "<li>handle your order and its payment;</li>"
                    "<li>contact you about the service, setting it up, changes and (system) "
                    "updates;</li>"
                    "<li>meet our legal obligations;</li>"
                    "<li>give organisations figures that cannot be traced back to anyone;</li>"
                    "<li>improve our service, also by looking at how visitors use the "
                    "website;</li>"
                    "<li>keep you informed about news of our service;</li>"
                    "<li>exchange data with the parties we need to provide the service (see "
                    "below).</li></ul>"
                )
            ],
        ),
        (
            "Op welke grond?" if nl else "On what grounds",
            "grondslag" if nl else "legal-basis",
            [
                _text(
                    "<p>De wet staat verwerking alleen toe op een van deze gronden: een "
                    "wettelijke plicht, de uitvoering van een overeenkomst, uw uitdrukkelijke "
                    "toestemming, of een gerechtvaardigd belang. Gegevens over uw bezoek aan "
                    "onze website verwerken wij alleen als u daarvoor toestemming hebt "
                    "gegeven.</p>"
                    if nl
                    else "<p>The law allows processing only on one of these grounds: a legal "
                    "obligation, performing a contract, your explicit consent, or a legitimate "
                    "interest. Data about your visit to our website is only processed if you "
                    "consented to it.</p>"
                )
            ],
        ),
        (
            "Geautomatiseerde besluiten" if nl else "Automated decisions",
            "geautomatiseerde-besluiten" if nl else "automated-decisions",
            [
                _text(
                    "<p>Waar dat nodig is om de overeenkomst uit te voeren, kan een computer "
                    "zonder tussenkomst van een mens een besluit nemen. U hebt altijd het recht "
                    "om een mens naar zo'n besluit te laten kijken, en om er bezwaar tegen te "
                    "maken.</p>"
                    if nl
                    else "<p>Where the contract requires it, a computer may take a decision "
                    "without a person being involved. You always have the right to have a "
                    "person look at such a decision, and to object to it.</p>"
                )
            ],
        ),
        (
            "Hoe lang bewaren wij uw gegevens?" if nl else "How long we keep your data",
            "bewaartermijnen" if nl else "retention",
            [
                _text(
                    "<p>Wij bewaren gegevens niet langer dan nodig. Schrijft de wet een langere "
                    "termijn voor, dan houden wij ons daaraan.</p>"
                    if nl
                    else "<p>We keep data no longer than needed. Where the law requires a "
                    "longer period, we keep to it.</p>"
                ),
                ("retention", None),
            ],
        ),
        (
            "Met wie delen wij uw gegevens?" if nl else "Who we share your data with",
            "verwerkers" if nl else "processors",
            [
                _text(
                    "<p>Wij verkopen geen gegevens. Wij delen ze alleen als dat nodig is voor "
                    "de overeenkomst of als de wet het eist, en met elke partij die gegevens "
                    "voor ons verwerkt sluiten wij een verwerkersovereenkomst.</p>"
                    if nl
                    else "<p>We never sell data. We only share it when the contract needs it "
                    "or the law demands it, and we sign a processing agreement with every party "
                    "that processes data for us.</p>"
                ),
                ("processors", None),
            ],
        ),
        (
            "Hoe beveiligen wij uw gegevens?" if nl else "How we protect your data",
            "beveiliging" if nl else "security",
            [
                _text(
                    "<p>Wij nemen technische en organisatorische maatregelen, waaronder:</p><ul>"
                    "<li>versleutelde verbindingen;</li><li>firewalls;</li>"
                    "<li>sterke authenticatie van gebruikers;</li>"
                    "<li>versleutelde opslag van de sleutels waarmee wij andere diensten "
                    "aanspreken;</li><li>bewaking met meldingen bij onraad.</li></ul>"
                    "<p>Betaalgegevens, zoals uw rekeningnummer, slaan wij niet op: alleen een "
                    "verwijzing naar de betaling bij Mollie.</p>"
                    if nl
                    else "<p>We take technical and organisational measures, among them:</p><ul>"
                    "<li>encrypted connections;</li><li>firewalls;</li>"
                    "<li>strong authentication of users;</li>"
                    "<li>encrypted storage of the keys we use to reach other services;</li>"
                    "<li>monitoring, with alerts when something is wrong.</li></ul>"
                    "<p>We do not store payment details such as your account number: only a "
                    "reference to the payment at Mollie.</p>"
                )
            ],
        ),
        (
            "Cookies" if nl else "Cookies",
            "cookies",
            [
                _text(
                    "<p>Functionele cookies zijn nodig om de site te laten werken, zoals het "
                    "onthouden van uw kaartjeskeuze en van uw cookiekeuze. Die plaatsen wij "
                    "altijd.</p>"
                    "<p>Analytische cookies van Google Analytics, die ons laten zien hoe de site "
                    "wordt gebruikt, plaatsen wij alleen als u daarvoor toestemming geeft. Wij "
                    "houden niet bij wat u verder op internet doet, maar Google kan wettelijk "
                    "verplicht zijn die gegevens te tonen.</p>"
                    "<p>Organisaties kunnen op hun eigen pagina's marketingcookies gebruiken, "
                    "bijvoorbeeld voor advertentiepixels of video's. Ook die laden pas na uw "
                    "toestemming; de organisaties zijn zelf verantwoordelijk voor wat zij "
                    "ermee doen.</p>"
                    "<p>Uw keuze legen wij vast met een willekeurige toestemmings-ID, het "
                    "tijdstip, de versie van deze verklaring en een ingekort IP-adres, zodat wij "
                    "kunnen aantonen wat u koos. U wijzigt of trekt uw toestemming in via "
                    "'Cookie-instellingen' onderaan elke pagina. Dit zijn de cookies die wij "
                    "gebruiken:</p>"
                    if nl
                    else "<p>Functional cookies are needed for the site to work, such as "
                    "remembering your ticket selection and your cookie choice. We always "
                    "set those.</p>"
                    "<p>Analytics cookies from Google Analytics, which show us how the site is "
                    "used, are only set when you consent to them. We do not track what else you "
                    "do online, but Google may be obliged by law to disclose that data.</p>"
                    "<p>Organisations may use marketing cookies on their own pages, for "
                    "instance for advertising pixels or videos. Those too load only after your "
                    "consent; the organisations are responsible for what they do with them.</p>"
                    "<p>We record your choice with a random consent ID, the time, the version "
                    "of this statement and a shortened IP address, so that we can show what you "
                    "chose. You change or withdraw your consent under 'Cookie settings' at the "
                    "bottom of every page. These are the cookies we use:</p>"
                ),
                ("cookies", None),
            ],
        ),
        (
            "Uw rechten" if nl else "Your rights",
            "uw-rechten" if nl else "your-rights",
            [
                _text(
                    "<p>U hebt in ieder geval het recht om:</p><ul>"
                    "<li><b>in te zien</b> of en welke gegevens wij van u verwerken;</li>"
                    "<li><b>te laten verbeteren</b> of aanvullen wat niet klopt;</li>"
                    "<li><b>te laten wissen</b>, zonder onnodige vertraging;</li>"
                    "<li><b>de verwerking te laten beperken</b>;</li>"
                    "<li><b>uw gegevens mee te nemen</b> in een gangbaar, machineleesbaar "
                    "formaat, om ze aan een ander te geven;</li>"
                    "<li><b>bezwaar te maken</b> tegen verwerking vanwege uw persoonlijke "
                    "situatie, ook tegen profilering. Wij stoppen dan, tenzij zwaarwegende "
                    "gronden voorgaan, zoals een rechtszaak.</li></ul>"
                    if nl
                    else "<p>You have at least the right to:</p><ul>"
                    "<li><b>see</b> whether and which data we process about you;</li>"
                    "<li><b>have corrected</b> or completed what is wrong;</li>"
                    "<li><b>have it erased</b>, without undue delay;</li>"
                    "<li><b>have its processing restricted</b>;</li>"
                    "<li><b>take your data with you</b> in a common, machine-readable format, "
                    "to give it to someone else;</li>"
                    "<li><b>object</b> to processing because of your particular situation, "
                    "profiling included. We then stop, unless compelling grounds come first, "
                    "such as legal proceedings.</li></ul>"
                )
            ],
        ),
        (
            "Een klacht?" if nl else "Complaints",
            "klachten" if nl else "complaints",
            [
                _text(
                    "<p>Bent u het niet eens met hoe wij met uw gegevens omgaan, of wilt u een "
                    "van uw rechten gebruiken? Schrijf ons. U kunt ook een klacht indienen bij "
                    "de toezichthouder.</p>"
                    if nl
                    else "<p>Unhappy with how we handle your data, or want to use one of your "
                    "rights? Write to us. You may also complain to the supervisory "
                    "authority.</p>"
                ),
                ("contact", {"email": ""}),
            ],
        ),
        (
            "Wijzigingen van deze verklaring" if nl else "Changes to this statement",
            "wijzigingen" if nl else "changes",
            [
                _text(
                    "<p>Wij kunnen deze verklaring aanpassen. De nieuwste versie staat altijd "
                    "op deze pagina, eerdere versies blijven te lezen via de link 'Alle "
                    "versies'. Raakt een wijziging gegevens die wij al van u hebben, dan laten "
                    "wij u dat per e-mail weten.</p>"
                    if nl
                    else "<p>We may change this statement. The latest version is always on "
                    "this page; earlier versions stay readable through the 'All versions' "
                    "link. If a change affects data we already hold about you, we tell you by "
                    "email.</p>"
                )
            ],
        ),
        (
            "Voorbehoud" if nl else "Disclaimer",
            "voorbehoud" if nl else "disclaimer",
            [
                _text(
                    "<p>Wij stellen onze website zorgvuldig samen, maar er kunnen fouten in "
                    "staan of dingen ontbreken. Wij mogen de inhoud op elk moment wijzigen "
                    "zonder dat vooraf te melden, en zijn niet aansprakelijk voor schade door "
                    "het gebruik ervan. Deze verklaring geldt niet voor websites van anderen "
                    "waarnaar wij linken.</p>"
                    if nl
                    else "<p>We compile our website with care, but it may contain mistakes or "
                    "miss things. We may change its content at any time without notice, and "
                    "are not liable for damage from its use. This statement does not apply to "
                    "other people's websites we link to.</p>"
                )
            ],
        ),
    ]
    return [
        ("section", {"heading": heading, "anchor": anchor, "content": content})
        for heading, anchor, content in sections
    ]


# --- seeding ----------------------------------------------------------------------------------


def _languages(home: Page) -> list[str]:
    """The home page's language first, then English if Wagtail's i18n offers it."""
    languages = [home.locale.language_code]
    if getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        for code in ("nl", "en"):
            if code in get_content_languages() and code not in languages:
                languages.append(code)
    return [code for code in languages if code in ("nl", "en")] or ["nl"]


def _text_language(code: str) -> str:
    return code if code in ("nl", "en") else "nl"


def _seed_registers(locale: Locale, source_locale: Locale) -> None:
    language = _text_language(locale.language_code)
    for order, row in enumerate(PROCESSORS):
        source = Processor.objects.filter(locale=source_locale, name=row["name"]).first()
        fields = {
            "role": row["role"],
            "purpose": row["purpose"][language],
            "data_categories": [str(c) for c in row["data_categories"]],
            "agreement_date": row["agreement_date"],
            "country": COUNTRY[language],
            "website": row["website"],
            "sort_order": order,
        }
        if source is not None and locale != source_locale:
            fields["translation_key"] = source.translation_key
        Processor.objects.update_or_create(locale=locale, name=row["name"], defaults=fields)
    for order, row in enumerate(RETENTION_RULES):
        key = row["record"]["nl"]
        source = RetentionRule.objects.filter(locale=source_locale, record=key).first()
        fields = {
            "data_categories": [str(c) for c in row["data_categories"]],
            "period_amount": row["period"][0],
            "period_unit": row["period"][1],
            "counted_from": row["period"][2],
            "reason": row["reason"][language],
            "category": row["category"],
            "sort_order": order,
        }
        if source is not None and locale != source_locale:
            fields["translation_key"] = source.translation_key
        RetentionRule.objects.update_or_create(
            locale=locale, record=row["record"][language], defaults=fields
        )


def _publish(page: PrivacyStatementPage, language: str) -> None:
    page.title = TITLE[language]
    page.intro = INTRO[language]
    page.body = _sections(language)
    page.change_summary = ""
    page.change_is_material = False
    page.save_revision().publish()


@transaction.atomic
def seed_privacy_statement(home_page: Page) -> None:
    """Create or update the privacy statement under ``home_page`` (and its English translation).

    Publishes each statement, so version 1 exists after the first run; later runs publish the
    same text again, which records no new version.
    """
    languages = _languages(home_page)
    source_locale = home_page.locale
    locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in languages}
    for code in languages:
        _seed_registers(locales[code], source_locale)

    first = languages[0]
    statement = PrivacyStatementPage.objects.child_of(home_page).filter(slug=SLUG).first()
    if statement is None:
        statement = home_page.add_child(
            instance=PrivacyStatementPage(
                title=TITLE[_text_language(first)],
                slug=SLUG,
                intro=INTRO[_text_language(first)],
                body=_sections(_text_language(first)),
                live=False,
            )
        )
    _publish(statement, _text_language(first))

    for code in languages[1:]:
        translation = statement.get_translation_or_none(locales[code])
        if translation is None:
            translation = statement.copy_for_translation(locales[code], copy_parents=True)
            _publish_parents(translation)
        _publish(translation.specific, code)


def _publish_parents(page: Page) -> None:
    """Publish translated ancestors that ``copy_for_translation`` left as drafts."""
    for ancestor in page.get_ancestors().filter(depth__gt=1).specific():
        if not ancestor.live:
            ancestor.save_revision().publish()
