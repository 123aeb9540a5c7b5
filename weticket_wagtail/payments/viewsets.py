"""The orders admin: find, inspect, refund, re-confirm and export orders of one's organisations.

Orders are made by buyers, never in the admin, so the viewset has no add, edit, copy, delete,
history or usage views: its URLs are the index (with search, filters and the spreadsheet
export), the inspect view, and two operations, refund and resend confirmation, which call the
payment and notification services. Every view is scoped to the user's organisations through
:class:`~weticket_wagtail.ticketing.viewsets.ScopedModelViewSet`; another organisation's order
answers 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import (
    BaseObjectMixin,
    BaseOperationView,
    WagtailAdminTemplateMixin,
)
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button

from weticket_wagtail.mail.reports import messages_about
from weticket_wagtail.money import format_money, site_currency
from weticket_wagtail.privacy.request_viewsets import rectify_record_url
from weticket_wagtail.ticketing.models import Event, Order, Ticket
from weticket_wagtail.ticketing.permissions import OrganisationScopedPolicy, scope_queryset
from weticket_wagtail.ticketing.services.tickets import ticket_price_text
from weticket_wagtail.ticketing.viewsets import ScopedModelViewSet, TicketsViewSetGroup
from weticket_wagtail.viewsets import ReadOnlyViewSetMixin

from .audit import order_history
from .errors import PaymentError, PaymentUnavailable
from .models import Payment, Refund
from .services import (
    has_owed_refunds,
    order_refundable,
    owed_refund_total,
    owed_refunds,
    payment_for_export,
    record_export,
    refund_payment,
    refund_tickets,
    resend_confirmation,
    retry_refund,
)

#: Members may look at their organisations' orders ("view") and act on them ("change": refund,
#: resend). Nobody adds or deletes orders in the admin; superusers see every organisation.
ORDER_POLICY = OrganisationScopedPolicy(Order, "organisation_id", {"view", "change"})


def _cents(amount) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


def _total_display(order: Order) -> str:
    return format_money(order.total, order.currency)


def _scoped_events(request) -> QuerySet[Event]:
    if request is None:
        return Event.objects.none()
    return scope_queryset(Event.objects.all(), request.user, "organisation_id").order_by(
        "-starts_at", "pk"
    )


def _refund_waiting_display(order: Order) -> str:
    return _("Refund waiting") if getattr(order, "refunds_waiting", False) else ""


class OrderFilterSet(WagtailFilterSet):
    """Event, status, order date and refunds waiting. The event choices are only the user's
    organisations' events, so the filter never shows another tenant's event names (nor
    accepts their ids)."""

    event = django_filters.ModelChoiceFilter(label=gettext_lazy("Event"), queryset=_scoped_events)
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Order date"), widget=DateRangePickerWidget
    )
    refunds_waiting = django_filters.BooleanFilter(
        label=gettext_lazy("Refund waiting"),
        method="filter_refunds_waiting",
        help_text=gettext_lazy("Refunds the payment provider has not accepted yet."),
    )

    class Meta:
        model = Order
        fields = ["event", "status", "created_at", "refunds_waiting"]

    def filter_refunds_waiting(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(refunds_waiting=value)


class OrderIndexView(IndexView):
    """The order list, its search, and its spreadsheet export (the same filtered queryset)."""

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("event")
            .prefetch_related("lines", "payments")
            .annotate(refunds_waiting=has_owed_refunds())
        )

    def as_spreadsheet(self, queryset, spreadsheet_format):
        """The export, written to the audit log of every order it contains."""
        record_export(queryset, user=self.request.user, spreadsheet_format=spreadsheet_format)
        return super().as_spreadsheet(queryset, spreadsheet_format)

    def search_queryset(self, queryset):
        """Find orders by email or name (part of), order number (part of), token or Mollie
        payment id (exact).

        Plain ORM lookups rather than Wagtail search: orders are not in the search index (they
        hold buyers' personal data and change with every webhook), and the generic fallback ORs
        ``icontains`` over a join to payments, which repeats an order once per payment. An
        ``Exists`` subquery matches the Mollie id without duplicating rows.
        """
        if not self.is_searching:
            return queryset
        term = self.search_query.strip()
        by_mollie_id = Exists(Payment.objects.filter(order=OuterRef("pk"), mollie_id=term))
        return queryset.filter(
            Q(buyer_email__icontains=term)
            | Q(buyer_name__icontains=term)
            | Q(reference__icontains=term)
            | Q(token=term)
            | by_mollie_id
        )

    def get_filename(self):
        return f"orders-{timezone.localdate().isoformat()}"

    def to_row_dict(self, item: Order) -> dict:
        """One bookkeeping row: amounts as Decimals in cents (written with a dot), the order
        date as an ISO date in the site's time zone, the status as its stable code."""
        payment = payment_for_export(item)
        vat = _cents(item.vat_total)
        return {
            "date": timezone.localdate(item.created_at),
            "reference": item.reference,
            "amount_excluding_vat": _cents(item.total) - vat,
            "vat": vat,
            "amount_including_vat": _cents(item.total),
            "method": payment.method if payment else "",
            "mollie_id": (payment.mollie_id or "") if payment else "",
            "status": item.status,
            "amount_refunded": _cents(item.amount_refunded),
        }


class OrderInspectView(InspectView):
    """An order with its lines, payments, refunds, tickets and the emails sent about it."""

    template_name = "weticket_wagtail/admin/order_inspect.html"
    refund_url_name = None
    resend_url_name = None

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return "—"
        if isinstance(value, datetime) and timezone.is_aware(value):
            # Shown in the site's time zone, as everywhere else in the admin.
            return timezone.localtime(value)
        return value

    def get_total_display_value(self):
        return format_money(self.object.total, self.object.currency)

    def get_amount_refunded_display_value(self):
        """Refunded means accepted by the provider; owed refunds are listed apart."""
        return format_money(self.object.amount_refunded, self.object.currency)

    @cached_property
    def can_change(self) -> bool:
        return self.user_has_permission_for_instance("change", self.object)

    @cached_property
    def refund_url(self) -> str | None:
        """The refund page: while something is refundable, or a refund waits to be sent."""
        _payment, left = order_refundable(self.object)
        if self.can_change and (left > 0 or owed_refunds(self.object).exists()):
            return reverse(self.refund_url_name, args=[quote(self.object.pk)])
        return None

    @cached_property
    def resend_url(self) -> str | None:
        if self.object.status == Order.Status.PAID and self.can_change:
            return reverse(self.resend_url_name, args=[quote(self.object.pk)])
        return None

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.refund_url:
            buttons.append(
                Button(_("Refund"), url=self.refund_url, icon_name="arrow-left", priority=30)
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.object
        currency = order.currency
        lines = list(order.lines.all())
        payments = list(order.payments.order_by("created_at", "pk"))
        owed = list(owed_refunds(order))
        context.update(
            lines=[
                {
                    "name": line.name,
                    "quantity": line.quantity,
                    # With a voucher: its code and the list price too, as on the ticket.
                    "unit_price": ticket_price_text(line, currency),
                    "vat_rate": line.vat_rate,
                    "vat": format_money(line.vat_amount, currency),
                    "total": format_money(line.total, currency),
                }
                for line in lines
            ],
            total_excluding_vat=format_money(order.total_excluding_vat, currency),
            vat_total=format_money(order.vat_total, currency),
            total=format_money(order.total, currency),
            payments=[
                {
                    "payment": payment,
                    "amount": format_money(payment.amount, payment.currency),
                    "refunded": format_money(payment.amount_refunded, payment.currency),
                }
                for payment in payments
            ],
            refunds=[
                {"refund": refund, "amount": format_money(refund.amount, currency)}
                for refund in Refund.objects.filter(payment__order=order)
                .select_related("payment", "created_by")
                .order_by("created_at", "pk")
            ],
            owed=[{"refund": r, "amount": format_money(r.amount, currency)} for r in owed],
            owed_total=format_money(owed_refund_total(order), currency) if owed else "",
            can_change=self.can_change,
            history=list(order_history(order)),
            tickets=list(order.tickets.select_related("line")),
            emails=messages_about(order.object_ref),
            refund_url=self.refund_url,
            resend_url=self.resend_url,
            rectify_url=rectify_record_url(
                order.object_ref, user=self.request.user, next_url=self.request.path
            ),
        )
        return context


class RefundForm(forms.Form):
    """What to refund: tickets (chosen one by one, or every valid ticket of an order line),
    which stop being valid and are paid back at their price; or an amount only, a goodwill
    gesture that leaves every ticket valid. Never more than what is still refundable.

    Without ``what`` (older forms, scripts) an amount is meant, unless tickets are chosen.
    """

    TICKETS = "tickets"
    AMOUNT = "amount"

    what = forms.ChoiceField(
        label=gettext_lazy("What to refund"),
        choices=[
            (TICKETS, gettext_lazy("Tickets: they stop being valid and their price is paid back")),
            (AMOUNT, gettext_lazy("An amount only (goodwill): every ticket stays valid")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    lines = forms.MultipleChoiceField(
        label=gettext_lazy("Every valid ticket of"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    tickets = forms.MultipleChoiceField(
        label=gettext_lazy("Tickets"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        localize=True,
        required=False,
        help_text=gettext_lazy("Only for an amount refund."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Optional. Mollie shows it to the buyer as the refund description."),
    )

    def __init__(
        self,
        *args,
        refundable: Decimal,
        currency: str | None = None,
        valid_tickets: list[Ticket] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.currency = currency or site_currency()
        self.valid_tickets = list(valid_tickets or [])
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": self.currency}
        self.fields["tickets"].choices = [
            (
                str(ticket.pk),
                f"{ticket.code} – {ticket.line.name} – "
                f"{format_money(ticket.line.unit_price, self.currency)}",
            )
            for ticket in self.valid_tickets
        ]
        by_line: dict[int, list[Ticket]] = {}
        for ticket in self.valid_tickets:
            by_line.setdefault(ticket.line_id, []).append(ticket)
        self.tickets_by_line = by_line
        self.fields["lines"].choices = [
            (
                str(line_id),
                _("%(name)s (%(count)s valid)")
                % {"name": tickets[0].line.name, "count": len(tickets)},
            )
            for line_id, tickets in by_line.items()
        ]
        if not self.valid_tickets:
            for name in ("what", "lines", "tickets"):
                del self.fields[name]

    def clean_amount(self) -> Decimal | None:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount > self.refundable:
            raise forms.ValidationError(
                _("At most %(amount)s can still be refunded.")
                % {"amount": format_money(self.refundable, self.currency)}
            )
        return amount

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen = {int(pk) for pk in cleaned.get("tickets") or []}
        for line_id in cleaned.get("lines") or []:
            chosen.update(t.pk for t in self.tickets_by_line.get(int(line_id), []))
        what = cleaned.get("what") or (self.TICKETS if chosen else self.AMOUNT)
        cleaned["what"] = what
        cleaned["chosen_tickets"] = [t for t in self.valid_tickets if t.pk in chosen]
        if what == self.TICKETS:
            if not chosen:
                self.add_error("tickets", _("Choose the tickets to refund, or an order line."))
        elif cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Enter the amount to refund."))
        return cleaned

    @property
    def tickets_amount(self) -> Decimal:
        """What the chosen tickets are paid back: their prices, capped by the refundable."""
        price = sum(
            (t.line.unit_price for t in self.cleaned_data.get("chosen_tickets", [])),
            Decimal("0"),
        )
        return min(price, self.refundable)


class OrderObjectView(PermissionCheckedMixin, BaseObjectMixin):
    """An operation on one order: needs "change", for this order's organisation."""

    model = Order
    permission_required = "change"
    index_url_name = None
    inspect_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not self.user_has_permission_for_instance("change", self.object):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_inspect_url(self) -> str:
        return reverse(self.inspect_url_name, args=[quote(self.object.pk)])


class OrderRefundView(OrderObjectView, WagtailAdminTemplateMixin, TemplateView):
    """Refund all or part of an order's payment, in two steps, and send owed refunds again.

    GET shows the form (amount defaults to all that is refundable). A valid POST shows what will
    happen and asks for confirmation; only a POST with ``confirm=1`` refunds. The refundable
    amount the confirmation showed (``refundable_before``) goes to
    :func:`~weticket_wagtail.payments.services.refund_payment`, which refunds only if it is
    still the amount under the payment's lock: a confirmation submitted twice, or two staff
    members at once, refund once. Domain errors (too much, refused, provider unreachable) come
    back as form errors.

    Owed refunds (saved, not accepted by the provider yet; staff or automatic) are listed and
    can be sent again now (``retry=<refund id>``): same refund, same idempotency key, so the
    buyer is refunded at most once. The periodic task sends them again anyway.
    """

    template_name = "weticket_wagtail/admin/order_refund.html"
    page_title = gettext_lazy("Refund")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.payment, self.left = order_refundable(self.object)

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(Order._meta.verbose_name_plural),
            },
            {"url": self.get_inspect_url(), "label": self.object.reference},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def valid_tickets(self) -> list[Ticket]:
        if self.object.status != Order.Status.PAID:
            return []
        return list(self.object.tickets.filter(status=Ticket.Status.VALID).select_related("line"))

    def get_form(self, data=None) -> RefundForm:
        tickets = self.valid_tickets()
        return RefundForm(
            data,
            refundable=self.left,
            currency=self.object.currency,
            valid_tickets=tickets,
            initial={
                "amount": self.left,  # used only when refunding an amount
                "what": RefundForm.TICKETS if tickets else RefundForm.AMOUNT,
            },
        )

    def get(self, request, *args, **kwargs):
        if not self._can_refund():
            return self._nothing_to_refund()
        return self.render_step(self.get_form())

    def post(self, request, *args, **kwargs):
        if "retry" in request.POST:
            return self.retry(request.POST["retry"])
        if not self._can_refund():
            return self._nothing_to_refund()
        form = self.get_form(request.POST)
        if not form.is_valid() or "edit" in request.POST:
            return self.render_step(form)
        if request.POST.get("confirm") != "1":
            return self.render_step(form, confirming=True)
        if form.cleaned_data["what"] == RefundForm.TICKETS:
            return self.refund_chosen_tickets(form)
        amount = form.cleaned_data["amount"]
        try:
            refund_payment(
                self.payment,
                amount,
                expected_refundable=_posted_amount(request.POST.get("refundable_before")),
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except PaymentError as exc:
            form.add_error(None, exc.message)
            self.payment, self.left = order_refundable(self.object)
            form.refundable = self.left
            return self.render_step(form)
        messages.success(
            request,
            _("%(amount)s of order %(reference)s is being refunded to the buyer.")
            % {
                "amount": format_money(amount, self.object.currency),
                "reference": self.object.reference,
            },
        )
        return HttpResponseRedirect(self.get_inspect_url())

    def refund_chosen_tickets(self, form: RefundForm):
        """Refund the chosen tickets. Once they are refunded (the provider may still have to
        accept the money), the staff member is told so, even if the provider is down."""
        tickets = form.cleaned_data["chosen_tickets"]
        codes = ", ".join(t.code for t in tickets)
        try:
            refund = refund_tickets(
                self.object,
                [t.pk for t in tickets],
                user=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except PaymentError as exc:
            if isinstance(exc, PaymentUnavailable) or exc.code == "provider_refused":
                messages.warning(
                    self.request,
                    _(
                        "Tickets %(codes)s are refunded and no longer valid. Mollie has not "
                        "accepted the refund yet (%(error)s); it is saved and sent again "
                        "automatically."
                    )
                    % {"codes": codes, "error": exc.message},
                )
                return HttpResponseRedirect(self.get_inspect_url())
            self.payment, self.left = order_refundable(self.object)
            fresh = self.get_form(self.request.POST)
            fresh.is_valid()
            fresh.add_error(None, exc.message)
            return self.render_step(fresh)
        amount = refund.amount if refund is not None else Decimal("0")
        messages.success(
            self.request,
            _(
                "Tickets %(codes)s of order %(reference)s are refunded and no longer valid; "
                "%(amount)s is being paid back to the buyer."
            )
            % {
                "codes": codes,
                "reference": self.object.reference,
                "amount": format_money(amount, self.object.currency),
            },
        )
        return HttpResponseRedirect(self.get_inspect_url())

    def retry(self, refund_id: str) -> HttpResponseRedirect:
        """Send an owed refund again now; errors come back as messages."""
        refund = None
        if refund_id.isdigit():
            refund = owed_refunds(self.object).filter(pk=int(refund_id)).first()
        if refund is None:
            messages.error(self.request, _("This refund was already sent to Mollie."))
        else:
            try:
                retry_refund(refund, user=self.request.user)
            except PaymentError as exc:
                messages.error(self.request, exc.message)
            else:
                messages.success(
                    self.request,
                    _("%(amount)s of order %(reference)s is being refunded to the buyer.")
                    % {
                        "amount": format_money(refund.amount, self.object.currency),
                        "reference": self.object.reference,
                    },
                )
        if self.request.POST.get("back") == "inspect":
            return HttpResponseRedirect(self.get_inspect_url())
        return HttpResponseRedirect(self.request.path)

    def render_step(self, form: RefundForm, *, confirming: bool = False):
        currency = self.object.currency
        context = self.get_context_data(
            form=form,
            confirming=confirming,
            order=self.object,
            payment=self.payment,
            refundable=format_money(self.left, currency),
            refunded=format_money(self.object.amount_refunded, currency),
            paid=format_money(self.payment.amount, self.payment.currency) if self.payment else "",
            unsent=[
                {"refund": refund, "amount": format_money(refund.amount, currency)}
                for refund in owed_refunds(self.object)
            ],
            inspect_url=self.get_inspect_url(),
            can_refund=self._can_refund(),
        )
        if confirming:
            context["refundable_before"] = str(self.left)
            if form.cleaned_data["what"] == RefundForm.TICKETS:
                context["chosen_tickets"] = form.cleaned_data["chosen_tickets"]
                context["amount"] = format_money(form.tickets_amount, currency)
            else:
                context["amount"] = format_money(form.cleaned_data["amount"], currency)
        return self.render_to_response(context)

    def _can_refund(self) -> bool:
        return self.payment is not None and self.left > 0

    def _nothing_to_refund(self):
        # Still show the page while an owed refund waits to be sent.
        if owed_refunds(self.object).exists():
            return self.render_step(self.get_form())
        messages.error(self.request, _("This order has no payment left to refund."))
        return HttpResponseRedirect(self.get_inspect_url())


def _posted_amount(value: str | None) -> Decimal:
    """The refundable amount a confirmation carried; an unreadable one matches nothing."""
    try:
        return Decimal(value or "")
    except ArithmeticError:
        return Decimal("-1")


class OrderResendConfirmationView(OrderObjectView, BaseOperationView):
    """POST only: queue the order confirmation (with tickets) again for a paid order."""

    success_message = gettext_lazy("The confirmation of order %(reference)s is sent again.")

    def get_success_url(self):
        return self.get_inspect_url()

    def get_success_message(self):
        return self.success_message % {"reference": self.object.reference}

    def post(self, request, *args, **kwargs):
        if self.object.status != Order.Status.PAID:
            messages.error(request, _("Only paid orders have a confirmation to send again."))
            return HttpResponseRedirect(self.get_success_url())
        return super().post(request, *args, **kwargs)

    def perform_operation(self):
        # A fresh attempt id makes a new dedupe key: each click queues exactly one email.
        resend_confirmation(self.object, attempt=uuid.uuid4().hex, user=self.request.user)


class OrderViewSet(ReadOnlyViewSetMixin, ScopedModelViewSet):
    """Orders of the user's organisations: read-only, with refund, resend and CSV export."""

    model = Order
    icon = "list-ul"
    menu_label = gettext_lazy("Orders")
    menu_name = "weticket-orders"
    # Right after the "Tickets" menu (250) when top-level; last inside it when in its submenu.
    menu_order = 251
    policy = ORDER_POLICY
    index_view_class = OrderIndexView
    inspect_view_class = OrderInspectView
    list_display = [
        "reference",
        "buyer_name",
        "buyer_email",
        "event",
        Column("total", label=gettext_lazy("Total"), accessor=_total_display, sort_key="total"),
        "status",
        DateColumn("created_at", label=gettext_lazy("Created"), sort_key="created_at"),
    ]
    filterset_class = OrderFilterSet
    # What search covers; OrderIndexView.search_queryset does the lookups (see its docstring).
    search_fields = ["buyer_email", "buyer_name", "reference", "token", "payments__mollie_id"]
    search_backend_name = None
    ordering = ["-created_at"]
    list_per_page = 50
    list_export = [
        "date",
        "reference",
        "amount_excluding_vat",
        "vat",
        "amount_including_vat",
        "method",
        "mollie_id",
        "status",
        "amount_refunded",
    ]
    export_headings = {
        "date": gettext_lazy("Date"),
        "reference": gettext_lazy("Order number"),
        "amount_excluding_vat": gettext_lazy("Amount excl. VAT"),
        "vat": gettext_lazy("VAT"),
        "amount_including_vat": gettext_lazy("Amount incl. VAT"),
        "method": gettext_lazy("Payment method"),
        "mollie_id": gettext_lazy("Mollie payment id"),
        "status": gettext_lazy("Status"),
        "amount_refunded": gettext_lazy("Refunded"),
    }
    inspect_view_fields = [
        "reference",
        "status",
        "organisation",
        "event",
        "buyer_name",
        "buyer_email",
        "buyer_phone",
        "buyer_address",
        "language",
        "total",
        "amount_refunded",
        "created_at",
        "paid_at",
    ]

    @cached_property
    def menu_hook(self):
        """Inside the "Tickets" menu on Wagtail 8, whose groups collect items through their
        ``submenu_hook``; on 7.x a top-level "Orders" item next to it."""
        if WAGTAIL_VERSION >= (8, 0):
            return TicketsViewSetGroup.submenu_hook
        return "register_admin_menu_item"

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            refund_url_name=self.get_url_name("refund"),
            resend_url_name=self.get_url_name("resend"),
            **kwargs,
        )

    def _operation_view_kwargs(self) -> dict:
        return {
            "index_url_name": self.get_url_name("index"),
            "inspect_url_name": self.get_url_name("inspect"),
            "header_icon": self.icon,
        }

    @property
    def refund_view(self):
        return self.construct_view(OrderRefundView, **self._operation_view_kwargs())

    @property
    def resend_view(self):
        return self.construct_view(OrderResendConfirmationView, **self._operation_view_kwargs())

    def get_urlpatterns(self):
        """The read-only kit's index and inspect views, and the refund and resend operations:
        buyers make orders, the admin never adds, edits or deletes one."""
        conv = self.pk_converter
        return [
            *super().get_urlpatterns(),
            path(f"refund/<{conv}:pk>/", self.refund_view, name="refund"),
            path(f"resend/<{conv}:pk>/", self.resend_view, name="resend"),
        ]
