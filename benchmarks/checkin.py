"""Door check-in: scans per second verified server-side for one event with 100,000 tickets.

Usage::

    .venv/bin/python benchmarks/checkin.py [--tickets 100000] [--single 20000] [--batched 50000]
        [--batch-size 100] [--keep-db]

What it does (the database is dropped on success, on error and on Ctrl-C unless --keep-db):

1. creates a fresh PostgreSQL database ``weticket_checkin_<pid>`` and migrates it in this
   process (the example site's settings, ``DATABASE_URL`` pointing at it);
2. builds one organisation, one event and ``--tickets`` paid tickets (four per order) with
   set-based SQL, 1 % of them refunded, and signs every ticket's token with the organisation's
   Ed25519 key, as the PDF does; then ``ANALYZE``;
3. makes a check-in list and a device and drives the device's JSON endpoint
   (``checkin/<token>/scan/``) through Django's whole request stack (URL routing, middleware,
   JSON in and out; ``django.test.Client``, no HTTP server in between), one process:

   * ``single``: ``--single`` scans of distinct tickets, one scan per request, as a device
     that is online sends them; each answer is checked (``ok``, or ``refused`` for the
     refunded ones);
   * ``batched``: ``--batched`` further tickets in batches of ``--batch-size``, as a device
     syncs what it scanned offline;
   * ``again``: 5,000 of the tickets already in, one per request: each must say ``already``;

4. checks that the database holds exactly one check-in per admitted ticket and prints, as the
   last line of stdout, ``{tickets, scans_per_s, workers, single_process_scans_per_s,
   batched_scans_per_s, again_scans_per_s, p50_ms, p95_ms, queries_per_scan, checked_in}``.
   ``scans_per_s`` is the rate of one-scan requests from ``workers`` processes; p50/p95 are the
   single process's latencies.

Target: ``scans_per_s`` ≥ 500 on the 2-core machine. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

from _support import REPO, SITE, create_database, drop_database

REFUNDED_EVERY = 100


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django(db_name: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    if not os.environ.get("WETICKET_ENCRYPTION_KEYS"):  # a throw-away key for this database
        from cryptography.fernet import Fernet

        os.environ["WETICKET_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    sys.path[:0] = [str(SITE), str(REPO)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_fixture(tickets: int):
    """One event with ``tickets`` tickets; returns (device, tokens in ticket order, refunded)."""
    from django.db import connection
    from django.utils import timezone

    from weticket_wagtail.checkin.models import CheckinDevice, CheckinList
    from weticket_wagtail.testing.factories import (
        EventFactory,
        OrganisationFactory,
        TicketTypeFactory,
    )
    from weticket_wagtail.ticketing.services.ticket_signing import sign_ticket_payload
    from weticket_wagtail.ticketing.services.tickets import signing_keys

    organisation = OrganisationFactory(name="Door", slug="door")
    event = EventFactory(organisation=organisation, title="Big Night", slug="big-night")
    ticket_type = TicketTypeFactory(event=event, name="Regular", capacity=tickets)
    orders = (tickets + 3) // 4
    log(f"inserting {orders} orders and {tickets} tickets …")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_order
                (token, reference, organisation_id, event_id, reservation_id, status,
                 buyer_name, buyer_email, buyer_phone, buyer_address, language,
                 policy_version_id, total, amount_refunded, currency, created_at, paid_at,
                 status_changed_at, anonymised_at)
            SELECT 'tok' || g, 'B' || g, %(org)s, %(event)s, NULL, 'paid',
                   'Buyer ' || g, 'buyer' || g || '@example.net', '', '', 'nl', NULL,
                   100.00, 0, 'EUR', now(), now(), now(), NULL
            FROM generate_series(1, %(orders)s) g
            """,
            {"org": organisation.pk, "event": event.pk, "orders": orders},
        )
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_orderline
                (order_id, ticket_type_id, name, quantity, unit_price, vat_rate, voucher_code)
            SELECT id, %s, 'Regular', 4, 25.00, 9.00, '' FROM weticket_ticketing_order
            """,
            [ticket_type.pk],
        )
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_ticket
                (order_id, line_id, code, holder_name, status, status_changed_at, created_at)
            SELECT l.order_id, l.id, 'T' || lpad((l.id * 4 + s)::text, 9, '0'), 'Holder',
                   'valid', NULL, now()
            FROM weticket_ticketing_orderline l CROSS JOIN generate_series(0, 3) s
            ORDER BY l.id, s
            LIMIT %s
            """,
            [tickets],
        )
        cursor.execute(
            "UPDATE weticket_ticketing_ticket SET status = 'refunded', status_changed_at = now()"
            " WHERE id %% %s = 0",
            [REFUNDED_EVERY],
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT id, code, status FROM weticket_ticketing_ticket ORDER BY id")
        rows = cursor.fetchall()
    private, _public = signing_keys(organisation)
    log("signing every ticket's token …")
    started = time.perf_counter()
    tokens, refunded = [], set()
    for _pk, code, status in rows:
        token = sign_ticket_payload(
            private, {"c": code, "e": event.slug, "o": organisation.slug, "t": "Regular"}
        )
        tokens.append(token)
        if status == "refunded":
            refunded.add(token)
    log(f"signed {len(tokens)} tokens in {time.perf_counter() - started:.1f} s")
    checkin_list = CheckinList.objects.create(event=event, name="Main entrance")
    device = CheckinDevice.objects.create(
        checkin_list=checkin_list, name="Door 1", entrance="A", last_seen_at=timezone.now()
    )
    return device, tokens, refunded


def post(client, url: str, scans: list[dict]) -> list[dict]:
    response = client.post(url, json.dumps({"scans": scans}), content_type="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"scan answered {response.status_code}: {response.content[:200]!r}")
    return response.json()["results"]


def expect(results: list[dict], scans: list[dict], refunded: set[str], wanted: str) -> None:
    for result, scan in zip(results, scans, strict=True):
        expected = "refused" if scan["token"] in refunded else wanted
        if result["status"] != expected:
            raise RuntimeError(f"expected {expected}, got {result}")


def _worker(device, tokens, refunded, barrier, results, index) -> None:
    """One web worker: its own database connection, one scan per request."""
    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    connections.close_all()  # never share the parent's connection
    client = Client(SERVER_NAME="localhost")
    url = reverse("weticket_checkin:scan", args=[device.token])
    post(client, url, [{"token": "warm-up", "id": "warm"}])
    barrier.wait()
    started = time.perf_counter()
    for n, token in enumerate(tokens):
        scans = [{"token": token, "id": f"w{index}-{n}"}]
        expect(post(client, url, scans), scans, refunded, "ok")
    results.put((started, time.perf_counter()))
    connections.close_all()


def run_workers(device, tokens, refunded, workers: int) -> float:
    """Scans per second of ``workers`` processes scanning ``tokens`` (split between them) at
    once, as a site served by that many web workers; from the first start to the last end."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker, args=(device, tokens[i::workers], refunded, barrier, results, i)
        )
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    spans = [results.get(timeout=1800) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"a worker failed with exit code {process.exitcode}")
    elapsed = max(end for _s, end in spans) - min(start for start, _e in spans)
    return len(tokens) / elapsed


def measure(device, tokens: list[str], refunded: set[str], args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from weticket_wagtail.checkin.models import Checkin

    client = Client(SERVER_NAME="localhost")
    url = reverse("weticket_checkin:scan", args=[device.token])
    single = tokens[: args.single]
    batched = tokens[args.single : args.single + args.batched]

    warm = [{"token": single[0], "id": "warm"}]
    post(client, url, warm)
    with CaptureQueriesContext(connection) as queries:
        post(client, url, [{"token": single[1], "id": "q"}])
    queries_per_scan = len(queries.captured_queries)

    log(f"single: {len(single) - 2} scans, one per request …")
    latencies = []
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    for index, token in enumerate(single[2:], start=2):
        scans = [{"token": token, "id": f"s{index}"}]
        before = time.perf_counter()
        results = post(client, url, scans)
        latencies.append(time.perf_counter() - before)
        expect(results, scans, refunded, "ok")
    single_s = time.perf_counter() - started
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(45)
        log(out.getvalue())
    scans_per_s = len(latencies) / single_s
    log(f"single: {scans_per_s:.0f} scans/s")

    log(f"batched: {len(batched)} scans in batches of {args.batch_size} …")
    started = time.perf_counter()
    for offset in range(0, len(batched), args.batch_size):
        scans = [
            {"token": token, "id": f"b{offset + i}", "offline": True}
            for i, token in enumerate(batched[offset : offset + args.batch_size])
        ]
        expect(post(client, url, scans), scans, refunded, "ok")
    batched_per_s = len(batched) / (time.perf_counter() - started)
    log(f"batched: {batched_per_s:.0f} scans/s")

    again = [t for t in single[2:] if t not in refunded][:5000]
    log(f"again: {len(again)} second scans, one per request …")
    started = time.perf_counter()
    for index, token in enumerate(again):
        scans = [{"token": token, "id": f"again{index}"}]
        expect(post(client, url, scans), scans, refunded, "already")
    again_per_s = len(again) / (time.perf_counter() - started)
    log(f"again: {again_per_s:.0f} scans/s")

    parallel = tokens[args.single + args.batched : args.single + args.batched + args.parallel]
    parallel_per_s = run_workers(device, parallel, refunded, args.workers) if parallel else 0.0
    log(f"{args.workers} workers: {parallel_per_s:.0f} scans/s")

    scanned = tokens[: args.single + args.batched + len(parallel)]
    admitted = sum(1 for t in scanned if t not in refunded)
    checked_in = Checkin.objects.count()
    if checked_in != admitted:
        raise RuntimeError(f"{checked_in} check-ins recorded for {admitted} admitted tickets")
    latencies.sort()
    return {
        "scans_per_s": round(parallel_per_s, 1),
        "workers": args.workers,
        "single_process_scans_per_s": round(scans_per_s, 1),
        "batched_scans_per_s": round(batched_per_s, 1),
        "again_scans_per_s": round(again_per_s, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "queries_per_scan": queries_per_scan,
        "checked_in": checked_in,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=20_000)
    parser.add_argument("--batched", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="profile the single phase; top functions to stderr"
    )
    args = parser.parse_args()
    if args.single + args.batched + args.parallel > args.tickets or args.single < 10:
        parser.error("--single (at least 10), --batched and --parallel cannot exceed --tickets")
    name = f"weticket_checkin_{os.getpid()}"
    create_database(name)
    try:
        log(f"database {name}: migrating …")
        setup_django(name)
        started = time.perf_counter()
        device, tokens, refunded = build_fixture(args.tickets)
        log(f"fixture built in {time.perf_counter() - started:.1f} s")
        figures = measure(device, tokens, refunded, args)
        from django.db import connections

        connections.close_all()
    finally:
        if not args.keep_db:
            drop_database(name)
    print(json.dumps({"tickets": args.tickets, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
