"""Scanning at the door: a ticket checks in once per list, forged, void and other events'
tickets are refused, offline scans synced late keep the earliest scan, and a batch sent twice
counts once."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from weticket_wagtail.checkin import services
from weticket_wagtail.checkin.models import Checkin, CheckinList
from weticket_wagtail.ticketing.models import Ticket
from weticket_wagtail.ticketing.services.orders import void_tickets
from weticket_wagtail.ticketing.services.ticket_signing import (
    generate_signing_keypair,
    sign_ticket_payload,
)

from .conftest import Door

pytestmark = pytest.mark.django_db


def test_a_valid_ticket_checks_in_once_and_a_second_scan_says_when_and_where(door):
    ticket = door.ticket()
    token = door.token(ticket)

    first = services.scan(door.scanner(door.device_b), token)
    again_here = services.scan(door.scanner(door.device_b), token)
    elsewhere = services.scan(door.scanner(door.device_a), token)

    assert (first.status, first.reason, first.entrance) == ("ok", "valid", "B")
    assert first.code == ticket.code and first.ticket_type == "Regular"
    at = timezone.localtime(first.checked_in_at).strftime("%H:%M")
    for answer in (again_here, elsewhere):
        assert answer.status == "already"
        assert answer.message == f"Already checked in at {at} at entrance B."
    assert Checkin.objects.filter(ticket=ticket).count() == 1


def test_forged_and_foreign_codes_are_refused_as_not_genuine(door):
    ticket = door.ticket()
    token = door.token(ticket)
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    other_private, _public = generate_signing_keypair()
    foreign = sign_ticket_payload(
        other_private, {"c": ticket.code, "e": door.event.slug, "o": "door", "t": "Regular"}
    )

    for code in (tampered, foreign, "WT1.garbage.more"):
        answer = services.scan(door.scanner(), code)
        assert (answer.status, answer.reason) == ("refused", "not_genuine")
        assert answer.message == "This is not a genuine ticket of ours."
    assert not Checkin.objects.exists()


def test_cancelled_and_refunded_tickets_are_refused(door):
    cancelled, refunded = door.ticket(), door.ticket()
    void_tickets(cancelled.order, [cancelled.pk], Ticket.Status.CANCELLED)
    void_tickets(refunded.order, [refunded.pk], Ticket.Status.REFUNDED)

    answers = [services.scan(door.scanner(), door.token(t)) for t in (cancelled, refunded)]

    assert [(a.status, a.reason) for a in answers] == [
        ("refused", "cancelled"),
        ("refused", "refunded"),
    ]
    assert "no longer valid" in answers[0].message
    assert not Checkin.objects.exists()


def test_a_typed_code_checks_in_whatever_its_case_spaces_and_dashes(door):
    ticket = door.ticket()
    typed = ticket.code.replace("-", " ").lower()

    answer = services.scan(door.scanner(), typed)
    unknown = services.scan(door.scanner(), "ABCD-EFGH-JKLM-NPQR")

    assert (answer.status, answer.code) == ("ok", ticket.code)
    assert (unknown.status, unknown.reason) == ("refused", "unknown")


def test_a_list_admits_only_its_ticket_types_and_its_own_event(door):
    vip_list = CheckinList.objects.create(event=door.event, name="VIP lounge")
    vip_list.ticket_types.set([door.vip])
    device = vip_list.devices.create(name="Lounge", entrance="L")
    regular, vip = door.ticket(), door.ticket(door.vip)
    other = Door("other")
    other_ticket = other.ticket()

    lounge = services.scanner_for(device.token)
    refused = services.scan(lounge, door.token(regular))
    admitted = services.scan(lounge, door.token(vip))
    # another organisation's ticket is not signed with this organisation's key
    foreign = services.scan(lounge, other.token(other_ticket))
    # the same organisation's ticket for another of its events
    second_event = Door.__new__(Door)
    second_event.organisation = door.organisation
    from weticket_wagtail.testing.factories import EventFactory, TicketTypeFactory

    second_event.event = EventFactory(organisation=door.organisation, slug="matinee")
    matinee_type = TicketTypeFactory(event=second_event.event, name="VIP", price=0, capacity=5)
    matinee_ticket = second_event.ticket(matinee_type)
    wrong_event = services.scan(lounge, second_event.token(matinee_ticket))

    assert (refused.status, refused.reason) == ("refused", "not_on_list")
    assert refused.message == "A “Regular” ticket does not get in on this list."
    assert admitted.status == "ok"
    assert foreign.reason == "not_genuine"
    assert wrong_event.reason == "other_event"
    # the VIP checked in on the lounge list may still check in on the main list
    assert services.scan(door.scanner(), door.token(vip)).status == "ok"


def test_offline_scans_synced_late_keep_the_earliest_scan_whatever_the_sync_order(door):
    ticket = door.ticket()
    token = door.token(ticket)
    now = timezone.now()
    at_a, at_b = now - timedelta(minutes=10), now - timedelta(minutes=9)

    # B scanned a minute after A, but B's phone got the network back first
    b_first = services.scan_batch(
        door.scanner(door.device_b),
        [{"token": token, "id": "b-1", "scanned_at": at_b.isoformat(), "offline": True}],
    )
    a_later = services.scan_batch(
        door.scanner(door.device_a),
        [{"token": token, "id": "a-1", "scanned_at": at_a.isoformat(), "offline": True}],
    )
    state = services.scanner_state(door.scanner(door.device_b))

    assert b_first[0].status == "ok" and a_later[0].status == "ok"
    checkin = Checkin.objects.get(ticket=ticket)
    assert (checkin.entrance, checkin.client_scan_id, checkin.offline) == ("A", "a-1", True)
    assert checkin.scanned_at == at_a
    # B's page learns from the state that the ticket's check-in is A's, not its own
    assert state["checked_in"][ticket.code]["id"] == "a-1"
    assert state["checked_in"][ticket.code]["entrance"] == "A"
    # B syncing its scan once more (its answer was lost) is told A was first
    again = services.scan_batch(
        door.scanner(door.device_b),
        [{"token": token, "id": "b-1", "scanned_at": at_b.isoformat(), "offline": True}],
    )
    assert again[0].status == "already" and again[0].entrance == "A"


def test_a_batch_sent_twice_counts_once_and_answers_the_same(door):
    tickets = [door.ticket() for _ in range(3)]
    batch = [
        {"token": door.token(t), "id": f"scan-{i}", "scanned_at": timezone.now().isoformat()}
        for i, t in enumerate(tickets)
    ]

    first = services.scan_batch(door.scanner(), batch)
    second = services.scan_batch(door.scanner(), batch)

    assert [r.status for r in first] == ["ok"] * 3
    assert [r.status for r in second] == ["ok"] * 3
    assert [r.checked_in_at for r in first] == [r.checked_in_at for r in second]
    assert Checkin.objects.count() == 3


def test_a_device_clock_in_the_future_is_not_believed(door):
    ticket = door.ticket()
    future = (timezone.now() + timedelta(hours=3)).isoformat()

    answer = services.scan_batch(
        door.scanner(), [{"token": door.token(ticket), "scanned_at": future}]
    )

    assert answer[0].status == "ok"
    assert Checkin.objects.get().scanned_at <= timezone.now()


def test_a_scan_time_without_a_time_zone_is_read_as_utc(door):
    ticket = door.ticket()
    at = (timezone.now() - timedelta(minutes=5)).astimezone(UTC).replace(microsecond=0)
    naive = at.replace(tzinfo=None).isoformat()  # an old phone's clock: no offset

    answer = services.scan_batch(
        door.scanner(), [{"token": door.token(ticket), "id": "n-1", "scanned_at": naive}]
    )

    assert answer[0].status == "ok"
    assert Checkin.objects.get().scanned_at == at


def test_a_bad_item_in_a_batch_costs_the_others_nothing(door):
    ticket = door.ticket()
    answers = services.scan_batch(
        door.scanner(), [{"id": "x"}, "nonsense", {"token": door.token(ticket), "id": "ok-1"}]
    )

    assert [a.reason for a in answers] == ["bad_scan", "bad_scan", "valid"]
    assert Checkin.objects.filter(client_scan_id="ok-1").exists()


def test_counts_say_checked_in_of_expected_and_leave_void_tickets_out(door):
    tickets = [door.ticket() for _ in range(4)]
    vip = door.ticket(door.vip)
    vip_list = CheckinList.objects.create(event=door.event, name="VIP")
    vip_list.ticket_types.set([door.vip])
    void_tickets(tickets[3].order, [tickets[3].pk], Ticket.Status.REFUNDED)
    for ticket in tickets[:2]:
        services.scan(door.scanner(), door.token(ticket))

    numbers = services.counts(CheckinList.objects.all())

    assert numbers[door.main.pk].checked_in == 2
    assert numbers[door.main.pk].expected == 4  # three valid Regular and one VIP
    assert (numbers[vip_list.pk].checked_in, numbers[vip_list.pk].expected) == (0, 1)
    assert vip.status == Ticket.Status.VALID


def test_the_state_lists_check_ins_since_and_void_codes(door):
    first, second, void = door.ticket(), door.ticket(), door.ticket()
    void_tickets(void.order, [void.pk], Ticket.Status.CANCELLED)
    services.scan(door.scanner(), door.token(first))
    before = services.scanner_state(door.scanner())
    services.scan(door.scanner(), door.token(second))
    later = services.scanner_state(door.scanner(), since=before["now"])

    assert set(before["checked_in"]) == {first.code}
    assert second.code in later["checked_in"]
    assert before["void"] == [void.code]


def test_a_revoked_device_cannot_scan(door):
    door.device_a.revoked = True
    door.device_a.save()

    with pytest.raises(services.DeviceUnavailable) as refusal:
        services.scanner_for(door.device_a.token)

    assert refusal.value.revoked
    assert "revoked" in str(refusal.value)


def test_a_link_revoked_in_another_process_stops_within_the_device_cache_time(door, monkeypatch):
    ticket = door.ticket()
    clock = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    door.scanner(door.device_a)  # this process now keeps the device
    # another web process revokes it: its save drops only its own cache
    type(door.device_a).objects.filter(pk=door.device_a.pk).update(revoked=True)

    clock[0] += 4
    within = services.scan(door.scanner(door.device_a), door.token(ticket))
    clock[0] += 2
    with pytest.raises(services.DeviceUnavailable) as after:
        door.scanner(door.device_a)

    assert within.status == "ok"
    assert after.value.revoked


def test_a_list_edited_in_this_process_applies_to_the_next_scan(door):
    vip = door.ticket(door.vip)
    door.scanner(door.device_a)  # kept by this process

    door.main.ticket_types.set([door.regular])
    answer = services.scan(door.scanner(door.device_a), door.token(vip))

    assert answer.reason == "not_on_list"


def test_without_the_device_cache_a_revoked_link_stops_at_once(door, settings):
    settings.WETICKET = {**getattr(settings, "WETICKET", {}), "CHECKIN_DEVICE_CACHE_SECONDS": 0}
    door.scanner(door.device_a)
    type(door.device_a).objects.filter(pk=door.device_a.pk).update(revoked=True)

    with pytest.raises(services.DeviceUnavailable):
        door.scanner(door.device_a)


def test_a_persons_check_ins_are_found_exported_and_erased_with_their_tickets(door, settings):
    from django.contrib.auth import get_user_model

    from weticket_wagtail.privacy.registry import personal_data
    from weticket_wagtail.privacy.services import erasure, requests

    order = door.buy(2, email="Anna@Example.nl")
    other = door.ticket()
    for ticket in [*order.tickets.all(), other]:
        services.scan(door.scanner(), door.token(ticket))

    found = personal_data.find("anna@example.nl")
    found_checkins = Checkin.objects.filter(pk__in=found.pks("weticket_checkin.checkin"))
    assert sorted(found_checkins.values_list("ticket__order_id", flat=True)) == [
        order.pk,
        order.pk,
    ]

    settings.WETICKET = {**settings.WETICKET, "PRIVACY_ERASURE_FUTURE_TICKETS": "keep"}
    admin = get_user_model().objects.create_superuser("dpo", "dpo@example.org", "x")
    request = requests.submit_request(kind="erasure", email="anna@example.nl")
    request, _ = requests.verify_request(requests.sign_link(request, requests.CONFIRM_SALT))
    erasure.erase_subject(request, by=admin, require_export=False)

    assert list(Checkin.objects.values_list("ticket", flat=True)) == [other.pk]
