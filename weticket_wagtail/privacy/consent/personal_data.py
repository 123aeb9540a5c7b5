"""What the consent log holds, declared to the personal-data registry (rule 7).

A consent record keeps a truncated IP address and the browser family of whoever made a choice,
found by the consent id the visitor is shown (there is no email address in it).
"""

from __future__ import annotations

from ..categories import Audience, DataCategory
from ..registry import personal_data
from .models import ConsentRecord

RETENTION_CATEGORY = "consent_records"


def register() -> None:
    """Declare the consent log to the registry."""
    personal_data.register(
        ConsentRecord,
        email="",
        reference="consent_id",
        audience=Audience.VISITOR,
        categories=[DataCategory.IP_ADDRESS, DataCategory.DEVICE],
        retention=RETENTION_CATEGORY,
    )
