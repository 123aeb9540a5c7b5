"""Twenty devices scanning one ticket at the same moment record exactly one check-in
(PostgreSQL, real threads and connections)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from weticket_wagtail.checkin import services
from weticket_wagtail.checkin.models import Checkin, CheckinDevice

from .conftest import Door

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("require_postgres")]


def test_twenty_simultaneous_scans_of_one_ticket_record_exactly_one():
    door = Door()
    devices = [door.device_a, door.device_b] + [
        CheckinDevice.objects.create(checkin_list=door.main, name=f"Phone {i}", entrance=f"E{i}")
        for i in range(18)
    ]
    ticket = door.ticket()
    token = door.token(ticket)
    start = threading.Barrier(len(devices))

    def scan(device):
        try:
            scanner = services.scanner_for(device.token)
            start.wait()
            return services.scan(scanner, token, scan_id=f"scan-{device.pk}")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        answers = list(pool.map(scan, devices))

    statuses = [answer.status for answer in answers]
    assert statuses.count("ok") == 1, statuses
    assert statuses.count("already") == 19, statuses
    winner = next(a for a in answers if a.status == "ok")
    assert Checkin.objects.filter(ticket=ticket).count() == 1
    checkin = Checkin.objects.get(ticket=ticket)
    assert checkin.entrance == winner.entrance
    assert {a.entrance for a in answers if a.status == "already"} == {winner.entrance}


def test_twenty_devices_syncing_offline_scans_at_once_keep_the_earliest():
    from datetime import timedelta

    from django.utils import timezone

    door = Door()
    devices = [
        CheckinDevice.objects.create(checkin_list=door.main, name=f"Phone {i}", entrance=f"E{i}")
        for i in range(20)
    ]
    ticket = door.ticket()
    token = door.token(ticket)
    base = timezone.now() - timedelta(hours=1)
    start = threading.Barrier(len(devices))

    def sync(index_device):
        index, device = index_device
        try:
            scanner = services.scanner_for(device.token)
            start.wait()
            item = {
                "token": token,
                "id": f"offline-{index}",
                "scanned_at": (base + timedelta(seconds=index)).isoformat(),
                "offline": True,
            }
            return services.scan_batch(scanner, [item])[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        list(pool.map(sync, list(enumerate(devices))[::-1]))

    checkin = Checkin.objects.get(ticket=ticket)
    assert (checkin.client_scan_id, checkin.entrance, checkin.scanned_at) == (
        "offline-0",
        "E0",
        base,
    )


def test_two_devices_syncing_the_same_tickets_in_opposite_orders_do_not_deadlock():
    """Each batch commits once; the tickets are taken in code order, so two batches holding
    the same tickets wait for each other instead of deadlocking."""
    from datetime import timedelta

    from django.utils import timezone

    door = Door()
    tickets = [door.ticket() for _ in range(30)]
    base = timezone.now() - timedelta(hours=1)
    start = threading.Barrier(2)

    def sync(device, ordered, offset):
        try:
            scanner = services.scanner_for(device.token)
            items = [
                {
                    "token": door.token(t),
                    "id": f"{device.entrance}-{t.pk}",
                    "scanned_at": (base + timedelta(seconds=offset + t.pk % 7)).isoformat(),
                    "offline": True,
                }
                for t in ordered
            ]
            start.wait()
            return services.scan_batch(scanner, items)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(sync, door.device_a, tickets, 0)
        b = pool.submit(sync, door.device_b, tickets[::-1], 30)
        answers_a, answers_b = a.result(timeout=60), b.result(timeout=60)

    # A scanned every ticket first: its scans win whichever batch got in first
    assert [r.status for r in answers_a] == ["ok"] * 30
    assert {r.status for r in answers_b} <= {"ok", "already"}
    assert Checkin.objects.count() == 30
    assert set(Checkin.objects.values_list("entrance", flat=True)) == {"A"}
