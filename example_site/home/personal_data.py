"""How an agency declares its own models' personal data: the example site's contact form.

Wagtail's form builder keeps each submission as JSON (``wagtailforms.FormSubmission``). A
visitor's submissions are found by the form field called "email" (compared trimmed and
lower-cased, like every address in the registry); an access request exports them, erasure
deletes them. Nothing here is told of policy changes (``notice`` stays ``False``): nobody
confirmed these addresses. The example site's own page types hold no personal data, and say so,
so the registry-completeness test (which walks this app too) passes.
"""

from __future__ import annotations

from django.db.models.fields.json import KT
from wagtail.contrib.forms.models import FormSubmission

from weticket_wagtail.privacy.categories import Audience, DataCategory
from weticket_wagtail.privacy.registry import Retention, personal, personal_data

from .models import ContentPage, FormField, FormPage, HomePage


def register() -> None:
    personal_data.register(
        FormSubmission,
        role="sender",
        emails=[KT("form_data__email")],
        audience=Audience.VISITOR,
        fields=[
            personal("form_data", DataCategory.SELF_PROVIDED),
            personal("submit_time", DataCategory.SELF_PROVIDED),
        ],
        retention=Retention.FORM_SUBMISSIONS,
        retention_from="submit_time",
        on_erase="delete",
    )
    personal_data.not_personal(HomePage, "intro")
    personal_data.not_personal(ContentPage, "body")
    personal_data.not_personal(
        FormPage,
        "to_address",
        "from_address",
        "subject",
        "intro",
        "thank_you_text",
        reason="the form's settings, written by editors",
    )
    personal_data.not_personal(
        FormField,
        "sort_order",
        "page",
        "clean_name",
        "label",
        "field_type",
        "required",
        "choices",
        "default_value",
        "help_text",
    )
