"""What consent adds to django-cookie-consent's models: texts per language, a per-site switch,
and the consent log.

Imported by :mod:`weticket_wagtail.privacy.models`, so these are models of the privacy app
(label ``weticket_privacy``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting

# --- names and descriptions per language -----------------------------------------------------


class TextInLanguage(models.Model):
    """A description in one language (a language code such as ``nl``)."""

    language = models.CharField(_("language"), max_length=15)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        abstract = True


class CookieGroupText(TextInLanguage):
    """A cookie group's name and description in one language.

    django-cookie-consent's ``CookieGroup`` has one name and one description; those hold the
    site's default language (kept in step by the admin form), these rows every language.
    """

    cookiegroup = models.ForeignKey(
        "cookie_consent.CookieGroup",
        verbose_name=_("cookie group"),
        on_delete=models.CASCADE,
        related_name="texts",
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("cookie group text")
        verbose_name_plural = _("cookie group texts")
        constraints = [
            models.UniqueConstraint(
                fields=["cookiegroup", "language"], name="weticket_cookiegroup_text_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class CookieText(TextInLanguage):
    """What one cookie is for, in one language."""

    cookie = models.ForeignKey(
        "cookie_consent.Cookie",
        verbose_name=_("cookie"),
        on_delete=models.CASCADE,
        related_name="texts",
    )

    class Meta:
        verbose_name = _("cookie text")
        verbose_name_plural = _("cookie texts")
        constraints = [
            models.UniqueConstraint(
                fields=["cookie", "language"], name="weticket_cookie_text_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cookie_id} ({self.language})"


# --- the per-site switch ---------------------------------------------------------------------


class ConsentSettings(BaseSiteSetting):
    """Cookie consent for one site: whether the banner asks, and Google Analytics behind it.

    Edited under Settings → Cookie consent (with ``wagtail.contrib.settings`` installed).
    """

    show_banner = models.BooleanField(
        _("ask visitors for consent"),
        default=False,
        help_text=_(
            "Shows the cookie banner to every visitor who has not chosen yet. Scripts and embeds "
            "behind consent load only after the visitor accepts their group, banner or not."
        ),
    )
    google_analytics_id = models.CharField(
        _("Google Analytics measurement ID"),
        max_length=20,
        blank=True,
        help_text=_(
            "E.g. G-A1B2C3D4E5. Loaded only for visitors who accept analytics cookies, with "
            "Google Consent Mode. Empty: no Google Analytics."
        ),
    )

    class Meta:
        verbose_name = _("cookie consent")
        verbose_name_plural = _("cookie consent")


# --- the consent log -------------------------------------------------------------------------


class ConsentRecord(models.Model):
    """One choice a visitor made, as proof: written once, never changed.

    ``consent_id`` is random and stays in the visitor's choice cookie, so every later choice of
    the same browser carries the same id; the visitor sees it in the cookie settings and can
    quote it. No full IP address is kept: ``ip_prefix`` is the network (IPv4 /24, IPv6 /48).
    """

    class Method(models.TextChoices):
        ACCEPT_ALL = "accept_all", _("Accepted all")
        REJECT_ALL = "reject_all", _("Rejected all")
        CUSTOM = "custom", _("Chose per group")
        ALWAYS_ALLOW = "always_allow", _("Allowed one group from an embed")

    consent_id = models.CharField(_("consent ID"), max_length=32, db_index=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    method = models.CharField(_("how"), max_length=16, choices=Method.choices)
    accepted = models.JSONField(
        _("accepted"),
        default=dict,
        blank=True,
        help_text=_("The groups accepted, each with its version."),
    )
    declined = models.JSONField(
        _("declined"),
        default=dict,
        blank=True,
        help_text=_("The groups declined, each with its version."),
    )
    policy_version = models.ForeignKey(
        "weticket_privacy.PolicyVersion",
        verbose_name=_("privacy statement version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The version in force when the choice was made."),
    )
    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=15, blank=True)
    ip_prefix = models.CharField(
        _("IP network"),
        max_length=64,
        blank=True,
        help_text=_("The visitor's address with its last part removed (IPv4 /24, IPv6 /48)."),
    )
    user_agent_family = models.CharField(_("browser"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent log")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.consent_id} {self.created_at:%Y-%m-%d %H:%M}"

    def accepted_groups(self) -> str:
        return ", ".join(sorted(self.accepted)) or "–"

    def declined_groups(self) -> str:
        return ", ".join(sorted(self.declined)) or "–"

    def accepted_with_versions(self) -> str:
        """``analytics (2026-…), …``: what the export shows."""
        return _with_versions(self.accepted)

    def declined_with_versions(self) -> str:
        return _with_versions(self.declined)


def _with_versions(groups: dict) -> str:
    return ", ".join(f"{name} ({version or '-'})" for name, version in sorted(groups.items()))
