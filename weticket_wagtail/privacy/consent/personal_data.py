"""What the consent log holds, declared to the personal-data registry (rule 7).

A consent record keeps a truncated IP address and the browser family of whoever made a choice,
under the random consent id that browser's choice cookie carries. There is no email address in
it, so the registry finds a person's consent records through the consent id of the browser
their data-subject request came from (see :func:`consent_records_of`). The choice itself
(groups, versions, time) is kept as proof of consent for the consent records' retention period.
"""

from __future__ import annotations

from django.db.models import Q

from ..categories import Audience, DataCategory
from ..registry import ACCOUNTABILITY, Retention, SubjectRecords, kept, personal, personal_data
from ..request_models import DataSubjectRequest
from .models import ConsentRecord, ConsentSettings, CookieGroupText, CookieText


def consent_records_of(records: SubjectRecords) -> Q | None:
    """The consent records of the browsers the subject's requests were sent from.

    A consent record holds no address; a request made from a browser that made a cookie
    choice carries that browser's consent id (see ``submit_request``), which links the two.
    """
    request_pks = records.pks(DataSubjectRequest._meta.label_lower)
    if not request_pks:
        return None
    consent_ids = set(
        DataSubjectRequest.objects.filter(pk__in=request_pks)
        .exclude(consent_id="")
        .values_list("consent_id", flat=True)
    )
    return Q(consent_id__in=consent_ids) if consent_ids else None


def register() -> None:
    """Declare the consent log to the registry."""
    personal_data.register(
        ConsentRecord,
        role="visitor",
        related=consent_records_of,
        audience=Audience.VISITOR,
        fields=[
            personal("ip_prefix", DataCategory.IP_ADDRESS),
            personal("user_agent_family", DataCategory.DEVICE),
        ],
        kept=[
            kept("consent_id", ACCOUNTABILITY, Retention.CONSENT, DataCategory.DEVICE),
            kept("accepted", ACCOUNTABILITY, Retention.CONSENT, DataCategory.DEVICE),
            kept("declined", ACCOUNTABILITY, Retention.CONSENT, DataCategory.DEVICE),
            kept("created_at", ACCOUNTABILITY, Retention.CONSENT, DataCategory.DEVICE),
            kept("method", ACCOUNTABILITY, Retention.CONSENT, DataCategory.DEVICE),
        ],
        retention=Retention.CONSENT,
        retention_from="created_at",
    )
    personal_data.not_personal(
        ConsentRecord, "id", "policy_version", "site", "language", reason="context of a choice"
    )
    personal_data.not_personal(
        CookieGroupText,
        "id",
        "cookiegroup",
        "language",
        "name",
        "description",
        reason="what a cookie group is for, in one language",
    )
    personal_data.not_personal(
        CookieText, "id", "cookie", "language", "description", reason="a cookie's purpose"
    )
    personal_data.not_personal(
        ConsentSettings, "id", "site", "show_banner", "google_analytics_id", reason="a setting"
    )
