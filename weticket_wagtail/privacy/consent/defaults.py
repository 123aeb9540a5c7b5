"""The cookie groups a site starts with: functional (always on), analytics and marketing.

Installed by the privacy app's migration ``0002_consent`` and by :func:`install_default_groups`
(the test suite calls it after flushing the tables). Idempotent: a group, cookie or text that
exists already is left as the operator edited it; only what is missing is added.

The texts are our own, in Dutch and English. The English one is the fallback for languages
without a text of their own.
"""

from __future__ import annotations

from typing import Any

FALLBACK_LANGUAGE = "en"

#: varname, required, ordering, texts per language, cookies (name, domain, texts per language)
DEFAULT_GROUPS: list[dict[str, Any]] = [
    {
        "varname": "functional",
        "is_required": True,
        "is_deletable": False,
        "ordering": 0,
        "texts": {
            "en": (
                "Functional",
                "Needed for the site to work: your ticket selection and checkout, signing in, "
                "protection against forged forms, and remembering your cookie choice. These "
                "need no consent and cannot be switched off.",
            ),
            "nl": (
                "Functioneel",
                "Nodig om de site te laten werken: uw kaartjeskeuze en het afrekenen, inloggen, "
                "bescherming tegen vervalste formulieren en het onthouden van uw cookiekeuze. "
                "Hiervoor is geen toestemming nodig en u kunt ze niet uitzetten.",
            ),
        },
        "cookies": [
            (
                "cookie_consent",
                "",
                {
                    "en": "Remembers which cookie groups you accepted or declined, and your "
                    "consent ID. Kept for a year.",
                    "nl": "Onthoudt welke cookiegroepen u hebt geaccepteerd of geweigerd, en uw "
                    "toestemmings-ID. Blijft een jaar bewaard.",
                },
            ),
            (
                "csrftoken",
                "",
                {
                    "en": "Protects the forms you send (ordering tickets) against forgery.",
                    "nl": "Beschermt de formulieren die u verstuurt (kaartjes bestellen) tegen "
                    "vervalsing.",
                },
            ),
            (
                "sessionid",
                "",
                {
                    "en": "Keeps you signed in and carries messages from one page to the next.",
                    "nl": "Houdt u ingelogd en geeft meldingen door van de ene pagina naar de "
                    "volgende.",
                },
            ),
        ],
    },
    {
        "varname": "analytics",
        "is_required": False,
        "is_deletable": True,
        "ordering": 10,
        "texts": {
            "en": (
                "Analytics",
                "Google Analytics counts visits and shows us which pages are used, so that we "
                "can improve the site. Google receives your browser details and a shortened IP "
                "address; we do not track what you do elsewhere online.",
            ),
            "nl": (
                "Analytisch",
                "Google Analytics telt bezoeken en laat ons zien welke pagina's worden "
                "gebruikt, zodat wij de site kunnen verbeteren. Google ontvangt uw "
                "browsergegevens en een ingekort IP-adres; wij volgen niet wat u elders op "
                "internet doet.",
            ),
        },
        "cookies": [
            (
                "_ga",
                "",
                {
                    "en": "Google Analytics: tells one visitor from another. Kept for 2 years.",
                    "nl": "Google Analytics: onderscheidt bezoekers van elkaar. Blijft 2 jaar "
                    "bewaard.",
                },
            ),
            (
                "_ga_*",
                "",
                {
                    "en": "Google Analytics: remembers the state of your visit (* is the "
                    "site's measurement ID). Kept for 2 years.",
                    "nl": "Google Analytics: onthoudt de stand van uw bezoek (* is de "
                    "meet-ID van de site). Blijft 2 jaar bewaard.",
                },
            ),
        ],
    },
    {
        "varname": "marketing",
        "is_required": False,
        "is_deletable": True,
        "ordering": 20,
        "texts": {
            "en": (
                "Marketing",
                "Organisations selling tickets here may add their own advertising pixels and "
                "embedded videos (such as Meta or YouTube) to measure their campaigns. Those "
                "parties may follow you across websites.",
            ),
            "nl": (
                "Marketing",
                "Organisaties die hier kaartjes verkopen kunnen eigen advertentiepixels en "
                "ingesloten video's (zoals van Meta of YouTube) toevoegen om hun campagnes te "
                "meten. Die partijen kunnen u over websites heen volgen.",
            ),
        },
        "cookies": [
            (
                "_fbp",
                "",
                {
                    "en": "Meta Pixel: measures which visits come from adverts. Kept for 3 months.",
                    "nl": "Meta-pixel: meet welke bezoeken uit advertenties komen. Blijft 3 "
                    "maanden bewaard.",
                },
            ),
            (
                "_gcl_au",
                "",
                {
                    "en": "Google Ads: links a ticket purchase to the advert that led to it. "
                    "Kept for 3 months.",
                    "nl": "Google Ads: koppelt een kaartjesaankoop aan de advertentie die "
                    "ertoe leidde. Blijft 3 maanden bewaard.",
                },
            ),
        ],
    },
]


def _base_language(default_language: str) -> str:
    return default_language if default_language in ("en", "nl") else FALLBACK_LANGUAGE


def install_default_groups(get_model, default_language: str) -> None:
    """Create the default groups, cookies and texts that do not exist yet; change nothing else.

    ``get_model(app_label, model_name)`` is ``apps.get_model`` of a migration or of the app
    registry. The groups' own name and description (django-cookie-consent's fields) are in
    ``default_language`` when we have a text in it, else in English.
    """
    group_model = get_model("cookie_consent", "CookieGroup")
    cookie_model = get_model("cookie_consent", "Cookie")
    group_text_model = get_model("weticket_privacy", "CookieGroupText")
    cookie_text_model = get_model("weticket_privacy", "CookieText")
    base = _base_language(default_language)
    for spec in DEFAULT_GROUPS:
        name, description = spec["texts"][base]
        group, _created = group_model.objects.get_or_create(
            varname=spec["varname"],
            defaults={
                "name": name,
                "description": description,
                "is_required": spec["is_required"],
                "is_deletable": spec["is_deletable"],
                "ordering": spec["ordering"],
            },
        )
        for language, (text_name, text_description) in spec["texts"].items():
            group_text_model.objects.get_or_create(
                cookiegroup=group,
                language=language,
                defaults={"name": text_name, "description": text_description},
            )
        for cookie_name, domain, texts in spec["cookies"]:
            cookie, _created = cookie_model.objects.get_or_create(
                cookiegroup=group,
                name=cookie_name,
                domain=domain,
                defaults={"description": texts[base], "path": "/"},
            )
            for language, text in texts.items():
                cookie_text_model.objects.get_or_create(
                    cookie=cookie, language=language, defaults={"description": text}
                )
