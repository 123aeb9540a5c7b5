"""Another payment provider plugs in through WETICKET["PAYMENT_PROVIDER"], without the Mollie
client ever being called (issue #16.7)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.utils import timezone

from weticket_wagtail.mail.models import OutboxMessage
from weticket_wagtail.payments.errors import PaymentUnavailable, RefundError
from weticket_wagtail.payments.models import Payment, Refund
from weticket_wagtail.payments.providers import PaymentProvider, ProviderPayment, ProviderRefund
from weticket_wagtail.payments.services import (
    refund_payment,
    send_owed_refunds,
    start_payment,
    sync_payment,
)
from weticket_wagtail.testing.factories import EventFactory, OrganisationFactory, TicketTypeFactory
from weticket_wagtail.ticketing.models import Order
from weticket_wagtail.ticketing.services.orders import place_order
from weticket_wagtail.ticketing.services.reservations import reserve_tickets

pytestmark = pytest.mark.django_db

FAKE = "tests.payments.test_provider_seam.FakeProvider"


class FakeProvider(PaymentProvider):
    """A provider that keeps its payments in a class attribute and can be told to fail."""

    name = "Fake"
    payments: dict[str, dict] = {}
    refunds: dict[str, dict] = {}
    calls: list[tuple[str, str]] = []  # (method, idempotency key or id)
    fail_refunds: list[Exception] = []
    ids = itertools.count(1)

    @classmethod
    def reset(cls) -> None:
        cls.payments, cls.refunds, cls.calls, cls.fail_refunds = {}, {}, [], []

    def create_payment(self, organisation, request):
        self.calls.append(("create_payment", request.idempotency_key))
        payment_id = f"tr_fake{next(self.ids)}"
        self.payments[payment_id] = {"status": "open", "refunded": Decimal(0)}
        return ProviderPayment(
            id=payment_id, status="open", checkout_url=f"https://pay.example/{payment_id}"
        )

    def get_payment(self, organisation, payment_id):
        self.calls.append(("get_payment", payment_id))
        data = self.payments[payment_id]
        return ProviderPayment(
            id=payment_id,
            status=data["status"],
            method="fakepay",
            amount_refunded=data["refunded"],
        )

    def create_refund(self, organisation, request):
        self.calls.append(("create_refund", request.idempotency_key))
        if self.fail_refunds:
            raise self.fail_refunds.pop(0)
        for refund_id, refund in self.refunds.items():
            if refund["key"] == request.idempotency_key:  # same key: one refund
                return ProviderRefund(id=refund_id, status="pending")
        refund_id = f"re_fake{next(self.ids)}"
        self.refunds[refund_id] = {"key": request.idempotency_key, "amount": request.amount}
        self.payments[request.payment_id]["refunded"] += request.amount
        return ProviderRefund(id=refund_id, status="pending")

    def get_refund(self, organisation, *, payment_id, refund_id):
        return ProviderRefund(id=refund_id, status="pending")


@pytest.fixture
def fake(settings):
    settings.WETICKET = {**settings.WETICKET, "PAYMENT_PROVIDER": FAKE}
    FakeProvider.reset()
    yield FakeProvider
    FakeProvider.reset()


@pytest.fixture
def order(fake):
    organisation = OrganisationFactory(mollie_api_key="")  # no Mollie key: Mollie is not used
    event = EventFactory(organisation=organisation)
    ticket_type = TicketTypeFactory(event=event, price=Decimal("20.00"))
    return place_order(
        reserve_tickets(event, {ticket_type.pk: 2}),
        buyer_name="Ada",
        buyer_email="ada@example.org",
        language="en",
    )


def pay(fake, order: Order) -> Payment:
    payment = start_payment(order, redirect_url="http://testserver/return/")
    fake.payments[payment.mollie_id]["status"] = "paid"
    sync_payment(payment.mollie_id)
    payment.refresh_from_db()
    return payment


def test_an_order_is_paid_and_refunded_through_the_configured_provider(fake, order):
    payment = start_payment(order, redirect_url="http://testserver/return/")
    assert payment.checkout_url == f"https://pay.example/{payment.mollie_id}"
    assert fake.calls == [("create_payment", payment.idempotency_key)]

    fake.payments[payment.mollie_id]["status"] = "paid"
    sync_payment(payment.mollie_id)
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == Order.Status.PAID and order.tickets.count() == 2
    assert payment.method == "fakepay" and payment.confirmed_order

    refund = refund_payment(payment, Decimal("15.00"), expected_refundable=Decimal("40.00"))
    assert refund.mollie_id in fake.refunds
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("15.00")
    assert OutboxMessage.objects.filter(topic="refund_made").count() == 1


def test_an_unavailable_provider_leaves_the_refund_owed_and_the_retry_refunds_once(fake, order):
    payment = pay(fake, order)
    fake.fail_refunds = [PaymentUnavailable("down", detail="fake: down")]
    with pytest.raises(PaymentUnavailable):
        refund_payment(payment, Decimal("40.00"), expected_refundable=Decimal("40.00"))
    refund = Refund.objects.get()
    assert refund.is_owed and refund.last_error == "fake: down" and not fake.refunds

    assert send_owed_refunds(now=timezone.now() + timedelta(minutes=2)) == 1
    assert send_owed_refunds(now=timezone.now() + timedelta(hours=2)) == 0
    refund.refresh_from_db()
    assert not refund.is_owed and list(fake.refunds) == [refund.mollie_id]
    keys = [key for method, key in fake.calls if method == "create_refund"]
    assert keys == [refund.idempotency_key] * 2


def test_a_refused_automatic_refund_stays_owed_until_the_provider_accepts_it(fake, order):
    payment = pay(fake, order)
    # A second payment for the same order: the money goes back by itself.
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PENDING)
    second = start_payment(order, redirect_url="http://testserver/return/")
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    fake.fail_refunds = [RefundError("no balance", detail="fake: no balance")]
    fake.payments[second.mollie_id]["status"] = "paid"
    sync_payment(second.mollie_id)  # the automatic refund is owed (its task runs on commit)
    refund = Refund.objects.get()
    assert refund.origin == Refund.Origin.AUTOMATIC and refund.payment_id == second.pk

    assert send_owed_refunds(now=timezone.now() + timedelta(minutes=2)) == 0  # refused
    refund.refresh_from_db()
    assert refund.is_owed and refund.last_error == "fake: no balance"
    assert send_owed_refunds(now=timezone.now() + timedelta(hours=2)) == 1
    refund.refresh_from_db()
    assert refund.mollie_id in fake.refunds and refund.amount == Decimal("40.00")
    assert Payment.objects.get(pk=payment.pk).amount_refunded == 0  # the first one is kept


def test_a_provider_setting_that_names_no_provider_fails_the_system_check(settings):
    settings.WETICKET = {**settings.WETICKET, "PAYMENT_PROVIDER": "tests.nowhere.Provider"}
    errors = [m for m in run_checks() if m.id == "weticket.E020"]
    assert errors and "cannot be imported" in errors[0].msg
    settings.WETICKET = {**settings.WETICKET, "PAYMENT_PROVIDER": "decimal.Decimal"}
    errors = [m for m in run_checks() if m.id == "weticket.E020"]
    assert errors and "is not a subclass" in errors[0].msg
