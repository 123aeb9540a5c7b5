"""The form a visitor fills in to join the waiting list of a sold-out ticket type."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from weticket_wagtail.ticketing.models import TicketType


class JoinWaitingListForm(forms.Form):
    """Email, how many tickets, which sold-out ticket type, and consent (never pre-ticked).

    Rendered empty on the shared (cached) shop page: it never carries a visitor's values
    there. A bound form is only shown on the join view's own, uncached answer.
    """

    ticket_type = forms.TypedChoiceField(label=_("Ticket type"), coerce=int)
    email = forms.EmailField(label=_("Email address"), max_length=254)
    quantity = forms.IntegerField(label=_("Number of tickets"), min_value=1, initial=1)
    consent = forms.BooleanField(
        label=_("Email me when tickets come free. I can leave the list at any time."),
        required=True,
        initial=False,
        error_messages={"required": _("Tick the box so we may email you about tickets.")},
    )

    def __init__(self, *args, ticket_types: list[TicketType], **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket_types = {tt.pk: tt for tt in ticket_types}
        self.fields["ticket_type"].choices = [(tt.pk, tt.name) for tt in ticket_types]
        limit = max((tt.order_maximum for tt in ticket_types), default=1)
        self.fields["quantity"].max_value = limit
        self.fields["quantity"].validators.append(
            forms.IntegerField(max_value=limit).validators[-1]
        )

    def clean(self):
        cleaned = super().clean()
        ticket_type = self.ticket_types.get(cleaned.get("ticket_type"))
        quantity = cleaned.get("quantity")
        if ticket_type is not None and quantity is not None:
            if not ticket_type.min_per_order <= quantity <= ticket_type.order_maximum:
                self.add_error(
                    "quantity",
                    _("Choose between %(min)d and %(max)d tickets.")
                    % {"min": ticket_type.min_per_order, "max": ticket_type.order_maximum},
                )
        cleaned["ticket_type_obj"] = ticket_type
        return cleaned
