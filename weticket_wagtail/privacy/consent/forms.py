"""Admin forms for django-cookie-consent's groups and cookies, with a text per language.

Each form gets a name and/or description field per content language (Wagtail's
``WAGTAIL_CONTENT_LANGUAGES``, else ``LANGUAGES``), stored as :class:`~.models.CookieGroupText`
and :class:`~.models.CookieText` rows; django-cookie-consent's own ``name`` and ``description``
follow the site's default language. Saving a change of an existing group or cookie asks every
visitor again (a new version), unless the editor says it is only a correction. The cookie list
is part of the privacy statement, so the forms also ask "About this change"
(:class:`~weticket_wagtail.privacy.register_forms.StatementChangeFormMixin`).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.coreutils import get_content_languages

from ..register_forms import StatementChangeFormMixin
from .models import CookieGroupText, CookieText
from .reconsent import ask_again_for_cookie, ask_again_for_group


def content_languages() -> list[tuple[str, str]]:
    """(code, name) of every content language, the site's default language first."""
    languages = list(get_content_languages().items())
    default = settings.LANGUAGE_CODE.split("-")[0]
    return sorted(languages, key=lambda item: item[0].split("-")[0] != default)


def _ask_again_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("Ask visitors for consent again"),
        required=False,
        initial=True,
        help_text=_(
            "Everyone who chose before sees the banner again. Untick only for a correction "
            "that does not change what visitors agree to, such as a typo."
        ),
    )


class TranslatedTextsForm(WagtailAdminModelForm):
    """Saves the per-language fields ``<field>_<language>`` to text rows of ``text_model``."""

    text_model: type = CookieGroupText
    text_parent: str = "cookiegroup"
    text_fields: tuple[str, ...] = ("name", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for text in self.text_model.objects.filter(**{self.text_parent: self.instance}):
                for name in self.text_fields:
                    key = f"{name}_{text.language}"
                    if key in self.fields:
                        self.initial.setdefault(key, getattr(text, name))
        else:
            self.fields.pop("ask_again", None)

    def _texts(self) -> dict[str, dict[str, str]]:
        return {
            code: {
                name: (self.cleaned_data.get(f"{name}_{code}") or "").strip()
                for name in self.text_fields
            }
            for code, _label in content_languages()
        }

    def save(self, commit: bool = True):
        texts = self._texts()
        default = next(iter(texts.values()), {})
        for name in self.text_fields:
            setattr(self.instance, name, default.get(name, ""))
        is_new = self.instance.pk is None
        instance = super().save(commit=commit)
        if commit:
            for code, values in texts.items():
                lookup = {self.text_parent: instance, "language": code}
                if any(values.values()):
                    self.text_model.objects.update_or_create(**lookup, defaults=values)
                else:
                    self.text_model.objects.filter(**lookup).delete()
            if not is_new and self.cleaned_data.get("ask_again") and self.has_changed():
                self.reconsent(instance)
        return instance

    def reconsent(self, instance) -> None:
        """Ask visitors again after a change of ``instance`` (each subclass says how: by its
        group or by its cookie's group); a form without it refuses to mark a change."""
        raise NotImplementedError(f"{type(self).__name__} must say how visitors are asked again")


class CookieGroupFormBase(StatementChangeFormMixin, TranslatedTextsForm):
    text_model = CookieGroupText
    text_parent = "cookiegroup"
    text_fields = ("name", "description")
    ask_again = _ask_again_field()

    def reconsent(self, instance) -> None:
        ask_again_for_group(instance)


class CookieFormBase(StatementChangeFormMixin, TranslatedTextsForm):
    text_model = CookieText
    text_parent = "cookie"
    text_fields = ("description",)
    ask_again = _ask_again_field()

    def reconsent(self, instance) -> None:
        ask_again_for_cookie(instance)


def _language_fields(text_fields: tuple[str, ...]) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for position, (code, label) in enumerate(content_languages()):
        if "name" in text_fields:
            fields[f"name_{code}"] = forms.CharField(
                label=_("Name (%(language)s)") % {"language": label},
                max_length=100,
                required=position == 0,
            )
        fields[f"description_{code}"] = forms.CharField(
            label=_("Description (%(language)s)") % {"language": label},
            widget=forms.Textarea(attrs={"rows": 3}),
            required=False,
        )
    return fields


def cookie_group_form_class() -> type[CookieGroupFormBase]:
    """The group form with a name and description field for each content language."""
    return type(
        "CookieGroupForm", (CookieGroupFormBase,), _language_fields(("name", "description"))
    )


def cookie_form_class() -> type[CookieFormBase]:
    """The cookie form with a description field for each content language."""
    return type("CookieForm", (CookieFormBase,), _language_fields(("description",)))
