"""Every field of our public and admin forms refuses input the database would refuse.

Generated from the models: for each form field that stores into a model field with a limit (a
``max_length``, a number of digits, an integer range), a value one character (or one unit)
beyond that limit is posted through the real view. The answer must be the form again with an
error on that field: never a 500, never a row written (issue #14.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse

from weticket_wagtail.checkout.forms import QUANTITY_PREFIX, BuyerForm
from weticket_wagtail.payments.models import Payment, Refund
from weticket_wagtail.payments.viewsets import RefundForm
from weticket_wagtail.testing.factories import (
    EventFactory,
    OrganisationFactory,
    TicketTypeFactory,
    UserFactory,
)
from weticket_wagtail.ticketing.models import (
    Event,
    Order,
    Organisation,
    ReservationLine,
    TicketType,
)
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets
from weticket_wagtail.ticketing.viewsets import TicketsViewSetGroup

pytestmark = pytest.mark.django_db


def overlong(model_field: models.Field) -> str | None:
    """A value just beyond what ``model_field`` can store, or None when it has no such limit."""
    if model_field.choices or model_field.is_relation:
        return None  # a choice from a list: nothing to type
    if isinstance(model_field, models.DecimalField):
        return "9" * (model_field.max_digits - model_field.decimal_places + 1)
    if isinstance(model_field, models.IntegerField):
        limits = [v.limit_value for v in model_field.validators if isinstance(v, MaxValueValidator)]
        return str(min(limits) + 1) if limits else None
    max_length = getattr(model_field, "max_length", None)
    if not max_length or not isinstance(model_field, models.CharField):
        return None
    length = max_length + 1
    if isinstance(model_field, models.EmailField):
        domain = "@example.org"
        return "a" * (length - len(domain)) + domain
    if isinstance(model_field, models.URLField):
        prefix = "https://example.org/"
        return prefix + "a" * (length - len(prefix))
    return "a" * length


@dataclass(frozen=True)
class Case:
    form: str  # which form (and view) the field belongs to
    field: str  # the posted field name
    model_field: models.Field

    @property
    def value(self) -> str:
        return overlong(self.model_field)

    def __str__(self) -> str:
        return f"{self.form}:{self.field}"


def limited_fields(form_fields, model: type[models.Model], prefix: str = "") -> list:
    """(posted name, model field) for every form field stored in a limited model field."""
    found = []
    for name in form_fields:
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field, e.g. a formset's DELETE
            continue
        if overlong(model_field) is not None:
            found.append((f"{prefix}{name}", model_field))
    return found


def admin_viewset(model):
    return next(viewset for viewset in TicketsViewSetGroup.items if viewset.model is model)


def admin_form_class(model):
    return admin_viewset(model).get_edit_handler().get_form_class()


def admin_cases() -> list[Case]:
    cases = []
    for model in (Organisation, Event):
        form_class = admin_form_class(model)
        for view in ("add", "edit"):
            label = f"{model._meta.model_name}-{view}"
            cases += [Case(label, n, f) for n, f in limited_fields(form_class.base_fields, model)]
            if model is Event:
                ticket_form = _ticket_type_form_fields(form_class)
                cases += [
                    Case(label, n, f)
                    for n, f in limited_fields(ticket_form, TicketType, prefix="ticket_types-0-")
                ]
    return cases


def _ticket_type_form_fields(event_form_class) -> list[str]:
    formset_class = event_form_class.formsets["ticket_types"]
    return list(formset_class.form.base_fields)


def public_cases() -> list[Case]:
    cases = [Case("checkout", n, f) for n, f in limited_fields(BuyerForm.base_fields, Order)]
    cases += [Case("refund", n, f) for n, f in limited_fields(RefundForm.base_fields, Refund)]
    # The shop's quantity fields are made per ticket type; each stores into a reservation line.
    cases.append(Case("shop", QUANTITY_PREFIX, ReservationLine._meta.get_field("quantity")))
    return cases


CASES = public_cases() + admin_cases()


def test_the_generator_found_the_fields_people_type_into():
    names = {str(case) for case in CASES}
    assert {"checkout:buyer_name", "checkout:buyer_email", "checkout:buyer_phone"} <= names
    assert {"refund:reason", "refund:amount", f"shop:{QUANTITY_PREFIX}"} <= names
    assert {"organisation-add:name", "organisation-edit:contact_email"} <= names
    assert {"event-add:title", "event-add:ticket_types-0-name"} <= names
    assert "event-edit:ticket_types-0-price" in names


@pytest.fixture
def world():
    organisation = OrganisationFactory(
        slug="length-org", collect_phone=True, collect_address=True, mollie_api_key=""
    )
    event = EventFactory(organisation=organisation, slug="length-night")
    ticket_type = TicketTypeFactory(event=event, name="Regular", price=Decimal("10.00"))
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {"organisation": organisation, "event": event, "ticket_type": ticket_type, "root": root}


def management_data(form, total: int) -> dict:
    """Management-form fields for every inline formset of a Wagtail admin form."""
    data = {}
    for name in form.formsets:
        data[f"{name}-TOTAL_FORMS"] = str(total if name == "ticket_types" else 0)
        data[f"{name}-INITIAL_FORMS"] = "0"
        data[f"{name}-MIN_NUM_FORMS"] = "0"
        data[f"{name}-MAX_NUM_FORMS"] = "1000"
    return data


def admin_post(client, world, case: Case):
    model = Organisation if case.form.startswith("organisation") else Event
    viewset = admin_viewset(model)
    view = case.form.rsplit("-", 1)[1]
    instance = world["organisation"] if model is Organisation else world["event"]
    url = (
        reverse(f"{viewset.name}:add")
        if view == "add"
        else reverse(f"{viewset.name}:edit", args=[instance.pk])
    )
    form = admin_form_class(model)(for_user=world["root"])
    data = management_data(form, total=1 if "ticket_types-" in case.field else 0)
    data[case.field] = case.value
    return client.post(url, data)


def field_errors(response, case: Case) -> list:
    form = response.context["form"]
    if "-0-" in case.field:
        formset_name, _, name = case.field.partition("-0-")
        return form.formsets[formset_name].forms[0].errors.get(name, [])
    return form.errors.get(case.field, [])


@pytest.mark.parametrize("case", CASES, ids=str)
def test_one_character_too_many_is_a_form_error_never_a_500(client, world, case):
    client.raise_request_exception = False  # a 500 must show up as a 500, not as a traceback
    client.force_login(world["root"])
    rows_before = (Order.objects.count(), Organisation.objects.count(), Event.objects.count())
    if case.form == "checkout":
        reservation = reserve_tickets(world["event"], {world["ticket_type"].pk: 1})
        data = {
            "buyer_name": "Ada",
            "buyer_email": "ada@example.org",
            "buyer_phone": "0612345678",
            "buyer_address": "Plein 1",
            case.field: case.value,
        }
        response = client.post(
            reverse("weticket_checkout:checkout", args=[reservation.token]), data
        )
    elif case.form == "shop":
        case = Case(case.form, f"{QUANTITY_PREFIX}{world['ticket_type'].pk}", case.model_field)
        shop = reverse("weticket_checkout:event_shop", args=["length-org", "length-night"])
        response = client.post(shop, {case.field: case.value})
    elif case.form == "refund":
        response = _refund_post(client, world, case)
    else:
        response = admin_post(client, world, case)
    assert response.status_code in (200, 400), (case, response.status_code)
    assert field_errors(response, case), f"{case}: {case.value[:40]}… accepted"
    if case.form != "refund":
        assert (Order.objects.count(), Organisation.objects.count(), Event.objects.count()) == (
            rows_before
        )


def _refund_post(client, world, case: Case):
    order = place_order(
        reserve_tickets(world["event"], {world["ticket_type"].pk: 1}),
        buyer_name="Ada",
        buyer_email="ada@example.org",
        language="en",
    )
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    Payment.objects.create(
        order=order, amount=order.total, mollie_id="tr_lengthtest", status=Payment.Status.PAID
    )
    data = {"amount": "1.00", "reason": "", case.field: case.value}
    response = client.post(reverse("weticket_orders:refund", args=[order.pk]), data)
    assert not Refund.objects.exists()
    return response
