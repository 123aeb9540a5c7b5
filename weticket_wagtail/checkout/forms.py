"""The buyer's forms: choosing tickets and giving contact details."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from weticket_wagtail.ticketing.models import Event, Order, Organisation, TicketType
from weticket_wagtail.ticketing.services.errors import CheckoutError
from weticket_wagtail.ticketing.services.reservations import validate_quantities

QUANTITY_PREFIX = "quantity_"


class TicketSelectionForm(forms.Form):
    """One quantity field per ticket type on sale; anything else posted is refused."""

    def __init__(self, *args, event: Event, ticket_types: list[TicketType], **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.ticket_types = ticket_types
        for ticket_type in ticket_types:
            self.fields[f"{QUANTITY_PREFIX}{ticket_type.pk}"] = forms.IntegerField(
                label=ticket_type.name,
                required=False,
                min_value=0,
                max_value=ticket_type.order_maximum,
                initial=0,
                widget=forms.NumberInput(
                    attrs={"inputmode": "numeric", "class": "weticket-qty", "min": 0}
                ),
                error_messages={
                    "invalid": _("Enter a whole number of tickets."),
                    "min_value": _("A quantity cannot be negative."),
                    "max_value": _("At most %(limit_value)s tickets of this type per order."),
                },
            )

    def quantities(self) -> dict[int, int]:
        return {
            int(name.removeprefix(QUANTITY_PREFIX)): value
            for name, value in self.cleaned_data.items()
            if name.startswith(QUANTITY_PREFIX) and value
        }

    def clean(self):
        cleaned = super().clean()
        posted = {key for key in self.data if key.startswith(QUANTITY_PREFIX)}
        unknown = [
            key for key in posted - set(self.fields) if (self.data.get(key) or "0").strip() != "0"
        ]
        if unknown:
            raise forms.ValidationError(
                _("One of the chosen ticket types is not available."), code="unknown_ticket_type"
            )
        if self.errors:
            return cleaned
        try:
            validate_quantities(self.event, self.quantities(), ticket_types=self.ticket_types)
        except CheckoutError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return cleaned


def _order_max_length(name: str) -> int:
    """The length the order's column allows: the form refuses more, the database never has to."""
    return Order._meta.get_field(name).max_length


class BuyerForm(forms.Form):
    """Name and email, plus only the fields the organisation chose to ask for. Every field is
    limited to what the order stores (tests/test_form_lengths.py checks each one)."""

    buyer_name = forms.CharField(
        label=_("Name"),
        max_length=_order_max_length("buyer_name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    buyer_email = forms.EmailField(
        label=_("Email"),
        max_length=_order_max_length("buyer_email"),
        help_text=_("Your tickets are sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    buyer_phone = forms.CharField(
        label=_("Phone"),
        max_length=_order_max_length("buyer_phone"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    buyer_address = forms.CharField(
        label=_("Address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        if not organisation.collect_phone:
            del self.fields["buyer_phone"]
        if not organisation.collect_address:
            del self.fields["buyer_address"]
        else:
            self.fields["buyer_address"].required = True
