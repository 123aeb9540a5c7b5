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
from django.contrib.auth.models import Permission
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

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.privacy.request_viewsets import rectify_record_url
from weticket_wagtail.ticketing.models import Event, Order
from weticket_wagtail.ticketing.permissions import OrganisationScopedPolicy, scope_queryset
from weticket_wagtail.ticketing.services.notifications import resend_order_confirmation
from weticket_wagtail.ticketing.services.tickets import format_money
from weticket_wagtail.ticketing.viewsets import ScopedModelViewSet, TicketsViewSetGroup

from .models import Payment, Refund
from .services import (
    PaymentUnavailable,
    RefundError,
    refund_payment,
    refundable_amount,
    submit_refund,
)

#: Members may look at their organisations' orders ("view") and act on them ("change": refund,
#: resend). Nobody adds or deletes orders in the admin; superusers see every organisation.
ORDER_POLICY = OrganisationScopedPolicy(Order, "organisation_id", {"view", "change"})

#: Refunds with this reason belong to the auto-refund task, which sends them again itself.
AUTOMATIC_REFUND_REASON = "automatic"


def paid_payment(order: Order) -> Payment | None:
    """The payment that paid for ``order``: the one that confirmed it, else the latest paid one.

    ``None`` when no payment of the order is paid (pending, failed or free orders).
    """
    return (
        order.payments.filter(status=Payment.Status.PAID)
        .order_by("-confirmed_order", "-created_at", "-pk")
        .first()
    )


def refundable(order: Order) -> tuple[Payment | None, Decimal]:
    """The payment to refund and how much of it can still be refunded (0 when nothing)."""
    payment = paid_payment(order)
    if payment is None:
        return None, Decimal("0")
    return payment, refundable_amount(payment)


def unsent_refunds(payment: Payment | None) -> QuerySet[Refund]:
    """Refunds made in the admin that are saved but not yet accepted by Mollie (it was down)."""
    if payment is None:
        return Refund.objects.none()
    return payment.refunds.filter(mollie_id__isnull=True, status=Refund.Status.CREATED).exclude(
        reason=AUTOMATIC_REFUND_REASON
    )


def _payment_for_export(order: Order) -> Payment | None:
    # Reads the prefetched payments: the confirming payment, else a paid one, else the latest.
    payments = sorted(order.payments.all(), key=lambda p: (p.created_at, p.pk), reverse=True)
    for wanted in (
        lambda p: p.confirmed_order,
        lambda p: p.status == Payment.Status.PAID,
        lambda p: True,
    ):
        for payment in payments:
            if wanted(payment):
                return payment
    return None


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


class OrderFilterSet(WagtailFilterSet):
    """Event, status and order date. The event choices are only the user's organisations' events,
    so the filter never shows another tenant's event names (nor accepts their ids)."""

    event = django_filters.ModelChoiceFilter(label=gettext_lazy("Event"), queryset=_scoped_events)
    created_at = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("Order date"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Order
        fields = ["event", "status", "created_at"]


class OrderIndexView(IndexView):
    """The order list, its search, and its spreadsheet export (the same filtered queryset)."""

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("event")
            .prefetch_related("lines", "payments")
        )

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
        payment = _payment_for_export(item)
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
        return format_money(self.object.amount_refunded, self.object.currency)

    @cached_property
    def refund_url(self) -> str | None:
        _payment, left = refundable(self.object)
        if left > 0 and self.user_has_permission_for_instance("change", self.object):
            return reverse(self.refund_url_name, args=[quote(self.object.pk)])
        return None

    @cached_property
    def resend_url(self) -> str | None:
        if self.object.status == Order.Status.PAID and self.user_has_permission_for_instance(
            "change", self.object
        ):
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
        context.update(
            lines=[
                {
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price": format_money(line.unit_price, currency),
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
            tickets=list(order.tickets.select_related("line")),
            emails=list(
                OutboxMessage.objects.filter(object_ref=order.object_ref).order_by(
                    "created_at", "pk"
                )
            ),
            refund_url=self.refund_url,
            resend_url=self.resend_url,
            rectify_url=rectify_record_url(
                order.object_ref, user=self.request.user, next_url=self.request.path
            ),
        )
        return context


class RefundForm(forms.Form):
    """How much to refund; never more than what is still refundable."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount (EUR)"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        localize=True,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Optional. Mollie shows it to the buyer as the refund description."),
    )

    def __init__(self, *args, refundable: Decimal, currency: str = "EUR", **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.currency = currency

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount > self.refundable:
            raise forms.ValidationError(
                _("At most %(amount)s can still be refunded.")
                % {"amount": format_money(self.refundable, self.currency)}
            )
        return amount


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
    """Refund all or part of an order's payment through Mollie, in two steps.

    GET shows the form (amount defaults to all that is refundable). A valid POST shows what will
    happen and asks for confirmation; only a POST with ``confirm=1`` refunds, and only while the
    refundable amount is still the one the confirmation showed (``refundable_before``), so a
    confirmation submitted twice refunds once. Domain errors
    (too much, Mollie refused, Mollie unreachable) come back as form errors. A refund saved while
    Mollie was unreachable is listed and can be sent again (``retry=<refund id>``): same refund,
    same idempotency key, so Mollie refunds it at most once.
    """

    template_name = "weticket_wagtail/admin/order_refund.html"
    page_title = gettext_lazy("Refund")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.payment, self.left = refundable(self.object)

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

    def get_form(self, data=None) -> RefundForm:
        return RefundForm(
            data,
            refundable=self.left,
            currency=self.object.currency,
            initial={"amount": self.left},
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
        if request.POST.get("refundable_before") != str(self.left):
            # Refunded meanwhile (another admin, or this confirmation submitted twice): the
            # admin confirmed other numbers than the current ones, so show them again.
            form.add_error(
                None,
                _("The refunds of this order changed meanwhile. Check the amount and try again."),
            )
            return self.render_step(form)
        amount = form.cleaned_data["amount"]
        try:
            refund_payment(
                self.payment, amount, user=request.user, reason=form.cleaned_data["reason"]
            )
        except (RefundError, PaymentUnavailable) as exc:
            form.add_error(None, exc.message)
            self.left = refundable_amount(self.payment)
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

    def retry(self, refund_id: str) -> HttpResponseRedirect:
        """Send a saved refund to Mollie again; errors come back as messages."""
        refund = None
        if refund_id.isdigit():
            refund = unsent_refunds(self.payment).filter(pk=int(refund_id)).first()
        if refund is None:
            messages.error(self.request, _("This refund was already sent to Mollie."))
        else:
            try:
                submit_refund(refund)
            except (RefundError, PaymentUnavailable) as exc:
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
        return HttpResponseRedirect(self.request.path)

    def render_step(self, form: RefundForm, *, confirming: bool = False):
        context = self.get_context_data(
            form=form,
            confirming=confirming,
            order=self.object,
            payment=self.payment,
            refundable=format_money(self.left, self.object.currency),
            paid=format_money(self.payment.amount, self.payment.currency) if self.payment else "",
            unsent=[
                {"refund": refund, "amount": format_money(refund.amount, self.object.currency)}
                for refund in unsent_refunds(self.payment)
            ],
            inspect_url=self.get_inspect_url(),
            can_refund=self._can_refund(),
        )
        if confirming:
            context["refundable_before"] = str(self.left)
            context["amount"] = format_money(form.cleaned_data["amount"], self.object.currency)
        return self.render_to_response(context)

    def _can_refund(self) -> bool:
        return self.payment is not None and self.left > 0

    def _nothing_to_refund(self):
        # Still show the page while a saved refund waits to be sent again.
        if unsent_refunds(self.payment).exists():
            return self.render_step(self.get_form())
        messages.error(self.request, _("This order has no payment left to refund."))
        return HttpResponseRedirect(self.get_inspect_url())


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
        resend_order_confirmation(self.object, attempt=uuid.uuid4().hex)


class OrderViewSet(ScopedModelViewSet):
    """Orders of the user's organisations: read-only, with refund, resend and CSV export."""

    model = Order
    icon = "list-ul"
    menu_label = gettext_lazy("Orders")
    menu_name = "weticket-orders"
    # Right after the "Tickets" menu (250) when top-level; last inside it when in its submenu.
    menu_order = 251
    add_to_reference_index = False
    index_view_class = OrderIndexView
    inspect_view_class = OrderInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
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

    #: Views a ModelViewSet has that orders must not: buyers make orders, the admin never does.
    DISABLED_URL_NAMES = (
        "add_url_name",
        "edit_url_name",
        "delete_url_name",
        "copy_url_name",
        "history_url_name",
        "usage_url_name",
    )

    if WAGTAIL_VERSION < (8, 0):
        # Wagtail 8 looks the policy up in its registry (see wagtail_hooks); 7.x asks the viewset.
        @cached_property
        def permission_policy(self):
            return ORDER_POLICY

    @cached_property
    def menu_hook(self):
        """Inside the "Tickets" menu when its group collects items through Wagtail 8's
        ``submenu_hook``; otherwise a top-level "Orders" item next to it."""
        group_hook = getattr(TicketsViewSetGroup, "submenu_hook", None)
        if WAGTAIL_VERSION >= (8, 0) and group_hook:
            return group_hook
        return "register_admin_menu_item"

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        # No view links to an edit, delete, copy, history or usage page: there are none.
        view_kwargs.update(dict.fromkeys(self.DISABLED_URL_NAMES))
        return view_kwargs

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
        """Only the index, inspect, refund and resend views exist (see DISABLED_URL_NAMES)."""
        conv = getattr(self, "pk_path_converter", "str")  # Wagtail 7.0 has no converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
            path(f"refund/<{conv}:pk>/", self.refund_view, name="refund"),
            path(f"resend/<{conv}:pk>/", self.resend_view, name="resend"),
        ]

    def get_permissions_to_register(self):
        # Access comes from organisation membership, not group permissions: offer none.
        return Permission.objects.none()
