"""The branded ticket page's admin form: an organisation's member chooses among their own."""

from __future__ import annotations

from wagtail.admin.forms import WagtailAdminPageForm

from weticket_wagtail.permissions import is_active_superuser
from weticket_wagtail.ticketing.permissions import organisation_ids_for


class BrandedTicketPageForm(WagtailAdminPageForm):
    """Members of an organisation may edit its pages, but never hand a page to another
    organisation: the choice (and what the form accepts) is limited to their own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("organisation")
        user = getattr(self, "for_user", None)
        if field is not None and user is not None and not is_active_superuser(user):
            field.queryset = field.queryset.filter(pk__in=organisation_ids_for(user))
