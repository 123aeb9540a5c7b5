"""Privacy at scale: export and erase one person with 1,000 orders among N, on PostgreSQL.

Usage::

    .venv/bin/python benchmarks/privacy_scale.py [--orders 1000000] [--subject-orders 1000]
        [--keep-db]

What it does (the database is dropped on success, on error and on Ctrl-C unless --keep-db):

1. creates a fresh PostgreSQL database ``weticket_privacy_<pid>`` and migrates it, in this
   process (the example site's settings, ``DATABASE_URL`` pointing at it);
2. builds the fixture with set-based SQL (``INSERT … SELECT … FROM generate_series``): 50
   organisations with an event each, ``--orders`` paid orders of distinct buyers, each with a
   line, a ticket, a Mollie payment and a sent confirmation email in the outbox;
   ``--subject-orders`` of them (spread over every organisation) belong to one person, whose
   address is stored in mixed case. Then ``ANALYZE``;
3. times :func:`~weticket_wagtail.privacy.services.export.build_export` of that person (find
   every record through the registry, build the ZIP), then
   :func:`~weticket_wagtail.privacy.services.erasure.erase_subject` of a confirmed erasure
   request (find again, anonymise every row, scrub the emails, audit, queue the final email);
   the events are over, so nothing is refunded;
4. checks that no order of the person is left un-anonymised and prints, as the last line of
   stdout, ``{orders, subject_orders, export_s, erase_s, zip_bytes, records}``.

Targets: ``export_s`` and ``erase_s`` each under 2 seconds. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from _support import REPO, SITE, create_database, drop_database

ORGANISATIONS = 50
SUBJECT = "Subject.Person@Example.net"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django(db_name: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_DEBUG", "0")
    sys.path[:0] = [str(SITE), str(REPO)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_fixture(orders: int, subject_orders: int) -> None:
    from django.db import connection

    every = max(1, orders // subject_orders)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_organisation
                (name, slug, contact_email, primary_colour, accent_colour, font, embed_origins,
                 mollie_api_key, ticket_signing_key, ticket_verify_key, collect_phone,
                 collect_address, created_at)
            SELECT 'Organisation ' || g, 'org-' || g, 'info@org-' || g || '.example', '#1d4ed8',
                   '#f59e0b', 'system', '', '', '', '', false, false, now()
            FROM generate_series(1, %s) g
            """,
            [ORGANISATIONS],
        )
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_event
                (organisation_id, title, slug, description, venue, address, starts_at, ends_at,
                 is_published, is_archived, created_at, updated_at)
            SELECT id, 'Concert ' || id, 'concert-' || id, '', 'Zaal', '',
                   now() - interval '30 days', now() - interval '30 days' + interval '3 hours',
                   true, false, now(), now()
            FROM weticket_ticketing_organisation
            """
        )
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_tickettype
                (sort_order, event_id, name, description, price, vat_rate, capacity,
                 sale_starts_at, sale_ends_at, min_per_order, max_per_order, is_active,
                 is_archived, sold_count)
            SELECT 0, id, 'Regular', '', 25.00, 9.00, 100000000, NULL, NULL, 1, 10, true, false, 0
            FROM weticket_ticketing_event
            """
        )
        log(f"inserting {orders} orders …")
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_order
                (token, reference, organisation_id, event_id, reservation_id, status,
                 buyer_name, buyer_email, buyer_phone, buyer_address, language,
                 policy_version_id, total, amount_refunded, currency, created_at, paid_at,
                 status_changed_at, anonymised_at)
            SELECT 'tok' || g, 'B' || g, e.organisation_id, e.id, NULL, 'paid',
                   CASE WHEN g %% %(every)s = 0 THEN 'Subject Person' ELSE 'Buyer ' || g END,
                   CASE WHEN g %% %(every)s = 0 THEN %(subject)s
                        ELSE 'buyer' || g || '@example.net' END,
                   '+31 6 ' || g, '', 'nl', NULL, 25.00, 0, 'EUR',
                   now() - (g || ' seconds')::interval, now(), now(), NULL
            FROM generate_series(1, %(orders)s) g
            JOIN weticket_ticketing_event e ON e.id = (
                SELECT min(id) FROM weticket_ticketing_event) + (g %% %(orgs)s)
            """,
            {"every": every, "subject": SUBJECT, "orders": orders, "orgs": ORGANISATIONS},
        )
        log("lines, tickets, payments, emails …")
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_orderline
                (order_id, ticket_type_id, name, quantity, unit_price, vat_rate)
            SELECT o.id, t.id, 'Regular', 1, 25.00, 9.00
            FROM weticket_ticketing_order o JOIN weticket_ticketing_tickettype t
                ON t.event_id = o.event_id
            """
        )
        cursor.execute(
            """
            INSERT INTO weticket_ticketing_ticket (order_id, line_id, code, holder_name, created_at)
            SELECT l.order_id, l.id, 'T' || l.id, o.buyer_name, now()
            FROM weticket_ticketing_orderline l JOIN weticket_ticketing_order o
                ON o.id = l.order_id
            """
        )
        cursor.execute(
            """
            INSERT INTO weticket_payments_payment
                (order_id, mollie_id, status, method, amount, amount_refunded, currency,
                 checkout_url, last_error, confirmed_order, apply_failures, created_at,
                 updated_at)
            SELECT id, 'tr_' || id, 'paid', 'ideal', 25.00, 0, 'EUR', '', '', true, 0, now(),
                   now()
            FROM weticket_ticketing_order
            """
        )
        cursor.execute(
            """
            INSERT INTO weticket_mail_outboxmessage
                (dedupe_key, "to", reply_to, subject, body_text, body_html, language, topic,
                 object_ref, attachments, status, attempts, last_error, created_at,
                 next_attempt_at, locked_until, sent_at, claim_token)
            SELECT 'order_confirmation:' || token, buyer_email, '',
                   'Your tickets for order ' || reference,
                   'Dear ' || buyer_name || E',\n\nThank you for your order ' || reference ||
                   E'. Your tickets are attached.\n\nSee you there!',
                   '<p>Dear ' || buyer_name || ',</p><p>Thank you for your order ' ||
                   reference || '.</p>',
                   'nl', 'order_confirmation', 'weticket_ticketing.order:' || id,
                   ('[{"kind": "weticket_order_tickets_pdf", "args": {"order_id": ' || id ||
                    '}}]')::jsonb,
                   'sent', 1, '', now(), NULL, NULL, now(), ''
            FROM weticket_ticketing_order
            """
        )
        cursor.execute("ANALYZE")


def measure(subject_orders: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test.utils import override_settings

    from weticket_wagtail.privacy.registry import personal_data
    from weticket_wagtail.privacy.services import erasure, export, requests
    from weticket_wagtail.ticketing.models import Order

    found = personal_data.find(SUBJECT)
    log(f"warm-up: {found.total} records found for the subject")
    started = time.perf_counter()
    data = export.build_export(SUBJECT)
    export_s = time.perf_counter() - started
    log(f"export: {export_s:.3f} s, {len(data)} bytes")

    admin = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    with override_settings(
        WETICKET={"PRIVACY_ERASURE_FUTURE_TICKETS": "keep", "PUBLIC_BASE_URL": "http://bench"}
    ):
        req = requests.submit_request(kind="erasure", email=SUBJECT)
        req, _ = requests.verify_request(requests.sign_link(req, requests.CONFIRM_SALT))
        started = time.perf_counter()
        result = erasure.erase_subject(req, by=admin, require_export=False)
        erase_s = time.perf_counter() - started
    log(f"erase: {erase_s:.3f} s, {result.total} rows")
    left = Order.objects.filter(buyer_email__iexact=SUBJECT).count()
    erased = Order.objects.filter(anonymised_at__isnull=False).count()
    if left or erased != subject_orders:
        raise RuntimeError(f"erasure incomplete: {left} orders left, {erased} anonymised")
    return {
        "export_s": round(export_s, 3),
        "erase_s": round(erase_s, 3),
        "zip_bytes": len(data),
        "records": found.total,
    }


def measure_insights(orders: int) -> dict:
    """``insights_s``: the admin insights page of one organisation holding every order.

    The fixture spreads orders over 50 organisations; this moves them all (and their events)
    to the first one with one set-based UPDATE, then renders the page through the admin as a
    superuser: one warm-up, then the median of three renders.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from weticket_wagtail.ticketing.models import Organisation

    first = Organisation.objects.order_by("pk").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE weticket_ticketing_event SET organisation_id = %s", [first.pk])
        cursor.execute("UPDATE weticket_ticketing_order SET organisation_id = %s", [first.pk])
        cursor.execute("ANALYZE weticket_ticketing_order")
    user = get_user_model().objects.filter(is_superuser=True).first()
    if user is None:
        user = get_user_model().objects.create_superuser("insights", "i@example.org", "x")
    client = Client(SERVER_NAME="localhost")  # in the demo's ALLOWED_HOSTS
    client.force_login(user)
    url = reverse("weticket_insights")
    client.get(url, {"organisation": first.pk})
    times = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.get(url, {"organisation": first.pk})
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"insights page answered {response.status_code}")
    insights_s = sorted(times)[1]
    log(f"insights page for one organisation with {orders} orders: {insights_s:.3f} s")
    return {"insights_s": round(insights_s, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--subject-orders", type=int, default=1000)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if args.subject_orders > args.orders:
        parser.error("--subject-orders cannot exceed --orders")
    name = f"weticket_privacy_{os.getpid()}"
    create_database(name)
    try:
        log(f"database {name}: migrating …")
        setup_django(name)
        started = time.perf_counter()
        build_fixture(args.orders, args.subject_orders)
        log(f"fixture built in {time.perf_counter() - started:.1f} s")
        figures = measure(args.subject_orders)
        figures.update(measure_insights(args.orders))
        from django.db import connections

        connections.close_all()
    finally:
        if not args.keep_db:
            drop_database(name)
    print(json.dumps({"orders": args.orders, "subject_orders": args.subject_orders, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
