"""Page render: a branded ticket page with three ticket shops beside a plain Wagtail page.

Usage::

    .venv/bin/python benchmarks/page_render.py [--requests 300] [--warmup 30] [--sqlite]
        [--layout one-event|three-events] [--other-events K]
        [--cache-url redis://127.0.0.1:6379/14] [--profile 200] [--no-banner]

What it does, start to end (the database is dropped on success, on error and on Ctrl-C):

1. creates a fresh PostgreSQL database ``weticket_bench_render_<pid>`` on the server named by
   ``--database-url`` (default ``$DATABASE_URL``, else ``postgres://postgres@127.0.0.1:5432/``),
   or a temporary SQLite file with ``--sqlite``; sets Django up in this process with the example
   site's settings and DEBUG off, and migrates;
2. seeds one organisation and one published event with 20 active ticket types in realistic
   states: most on sale with plenty left, six with few left (under ``FEW_LEFT_THRESHOLD``, two
   of them only because of live holds), one sold out, one whose sale starts next week, two free,
   most with a description; and three live reservations holding tickets (so the availability
   queries have rows to add up). ``--other-events K`` adds K more such events that are not on
   the page, as a site selling a season of events has;
3. builds two live pages under the default site's root page (the page the migrations create):

   * the **ticket page**: a ``BrandedTicketPage`` with header text, a one-sentence intro, a
     footer and three ``ticket_shop`` blocks. ``--layout one-event`` (the default): all three
     shops sell the one event, the first all 20 ticket types, the second a subset of 4
     ("weekend passes"), the third a subset of 6 ("groups"), 30 rows in all.
     ``--layout three-events``: two more events with the same 20 ticket types are seeded and
     each block sells one event in full, 60 rows in all;
   * the **plain page**: a ``ContentPage`` of the example site whose body is one rich-text
     paragraph (about 80 words);

   both with the cookie banner switched on for the site (Google Analytics behind it), as the
   example site has it; ``--no-banner`` leaves it off;

4. warms up (``--warmup`` requests of each page, not measured), then times ``--requests``
   GETs of each page through Django's test ``Client`` (the full middleware stack, URL routing,
   Wagtail's ``serve`` view and template rendering), interleaved ticket, plain, ticket, plain...
   so that any noise hits both pages alike. This is the warm run: availability is in the cache,
   as it is for nearly every request in production (it is recomputed at most every 10 seconds
   and after every reservation, so a long run includes a few recomputations, as a site does);
5. counts the queries of each page with ``CaptureQueriesContext`` on a separate pass
   (``--query-requests`` requests each), so that capturing costs nothing in the timings. The
   count reported is the most common one; every distinct count is printed to stderr;
6. the cold run: the cache is cleared before every request (outside the timed region), again
   interleaved, so every ticket shop recomputes its availability (and Wagtail looks up the
   site's root paths again, for both pages);
7. checks whether the query count grows: adds 20 more ticket types to the event (40 in all;
   the first block then shows 40 rows) and counts again, warm and cold; then (one-event layout)
   adds those 20 to the second block's subset and counts again, warm;
8. with ``--profile N``, profiles N warm ticket-page requests with cProfile and prints the top
   functions by cumulative and by own time to stderr.

The last line on stdout is one JSON object: ``ticket_p50_ms``, ``plain_p50_ms``, ``ratio_p50``,
``ticket_p95_ms``, ``plain_p95_ms``, ``ratio_p95``, ``ticket_queries``, ``plain_queries``,
``ticket_cold_p50_ms``, ``ticket_cold_queries``, ``plain_cold_p50_ms``, ``plain_cold_queries``,
``ticket_queries_at_40_types``, ``ticket_cold_queries_at_40_types``,
``ticket_queries_with_20_more_in_subset``, ``requests`` and a description of the set-up.
Progress, the SQL of one request of each kind and diagnostics go to stderr.

Times are wall-clock milliseconds of ``Client.get``, measured in one process (no network, no
WSGI server): they include the test client's own small overhead, the same for both pages. The
Django test environment is deliberately *not* set up (``setup_test_environment`` would
instrument every template render), so the pages render as they do in production. The cache is
the example site's (Django's local-memory cache) unless ``--cache-url`` names a Redis server.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "example_site"
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
HOST = "localhost"  # the hostname of Wagtail's default site, created by its migrations
TICKET_SLUG = "festival-tickets"
PLAIN_SLUG = "about-us"

PLAIN_PARAGRAPH = (
    "<p>Stichting Zomeravond organises <b>open-air concerts, film nights and a festival</b> "
    "in the gardens and on the rooftops of the city, every summer since 2009. Everything is "
    "run by volunteers: the stage crew, the bar, the people at the gate. What a ticket costs "
    "pays the artists, the hire of the sites and the insurance; whatever is left goes to next "
    "year. Questions about an order, accessibility or volunteering? Write to "
    '<a href="mailto:info@zomeravond.example">info@zomeravond.example</a> and we answer '
    "within two working days.</p>"
)

# (name, description, price, capacity, sold) for the 20 ticket types of an event. With the live
# holds below and the default FEW_LEFT_THRESHOLD of 10: "Weekend pass student" is sold out, "Weekend
# pass early bird" is not on sale yet, and six are under the threshold ("Only 6 left" and the
# like), two of them only because of the holds (Family pass, Locker). The rest are on sale.
TICKET_TYPES = [
    ("Day ticket Friday", "Access on Friday from 16:00", "39.50", 800, 412),
    ("Day ticket Saturday", "Access on Saturday from 12:00", "49.50", 800, 655),
    ("Day ticket Sunday", "Access on Sunday from 12:00", "44.50", 800, 390),
    ("Weekend pass", "Friday to Sunday", "109.00", 1500, 1210),
    ("Weekend pass + camping", "Including a tent pitch", "149.00", 300, 294),
    ("Weekend pass student", "Show a valid student card at the gate", "89.00", 200, 200),
    ("Weekend pass early bird", "", "95.00", 250, 0),
    ("Weekend VIP", "Own bar, seating area and toilets", "229.00", 60, 52),
    ("Child (4-11)", "Only with an adult", "15.00", 200, 41),
    ("Child under 4", "", "0.00", 100, 17),
    ("Group of 5, Friday", "Five day tickets for the price of four", "158.00", 40, 12),
    ("Group of 5, Saturday", "Five day tickets for the price of four", "198.00", 40, 31),
    ("Group of 5, Sunday", "Five day tickets for the price of four", "178.00", 40, 9),
    ("Family pass", "Two adults and up to three children", "279.00", 40, 30),
    ("Companion (accessibility)", "Free for the companion of a visitor with a pass", "0.00", 50, 6),
    ("Parking Friday", "", "12.50", 150, 60),
    ("Parking Saturday", "", "12.50", 150, 143),
    ("Parking Sunday", "", "12.50", 150, 71),
    ("Locker, weekend", "", "18.00", 120, 104),
    ("Token card (10 tokens)", "For the bar and food trucks", "30.00", 2000, 812),
]  # fmt: skip
NOT_STARTED = {6}  # indices into TICKET_TYPES whose sale starts in a week
HOLDS = [{13: 4}, {18: 8}, {0: 2, 3: 4}]  # three live reservations: {index: quantity}
WEEKEND_SUBSET = [3, 4, 5, 7]  # indices into TICKET_TYPES for the second block
GROUP_SUBSET = [8, 9, 10, 11, 12, 13]  # and for the third


def expected_state(index: int, threshold: int) -> str:
    """What the selector shows for TICKET_TYPES[index]: on_sale, few, sold_out or not_started."""
    if index in NOT_STARTED:
        return "not_started"
    _name, _description, _price, capacity, sold = TICKET_TYPES[index]
    left = capacity - sold - sum(hold.get(index, 0) for hold in HOLDS)
    if left <= 0:
        return "sold_out"
    return "few" if left <= threshold else "on_sale"


STARTED = time.monotonic()


def log(message: str) -> None:
    elapsed = time.monotonic() - STARTED
    print(f"[page_render +{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per page first")
    parser.add_argument(
        "--query-requests", type=int, default=20, help="requests per page whose queries are counted"
    )
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite database")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", DEFAULT_SERVER_URL),
        help="PostgreSQL server to create the fresh database on (its database name is ignored)",
    )
    parser.add_argument(
        "--layout",
        choices=["one-event", "three-events"],
        default="one-event",
        help="three shops of one event (all 20, 4, 6 types) or of three events (20 each)",
    )
    parser.add_argument(
        "--other-events",
        type=int,
        default=0,
        metavar="K",
        help="seed K more events of the organisation (20 ticket types each) that are not on the "
        "page, as a site with a season of events has",
    )
    parser.add_argument(
        "--cache-url",
        default="",
        help="a Redis URL for Django's cache (default: the local-memory cache). The run uses "
        "its own key prefix and deletes only its own keys",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile N warm ticket requests"
    )
    parser.add_argument(
        "--no-banner",
        dest="banner",
        action="store_false",
        help="leave the cookie banner off (by default the site asks for consent, with Google "
        "Analytics behind it, on both pages)",
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.query_requests < 1 or min(args.warmup, args.other_events) < 0:
        parser.error(
            "--requests and --query-requests must be positive, --warmup and --other-events "
            "not negative"
        )
    return args


# --------------------------------------------------------------------------------------------
# The database and Django


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(server_url: str, name: str) -> None:
    import psycopg

    url = database_url(server_url, "postgres")
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    import psycopg

    url = database_url(server_url, "postgres")
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(db_url: str, media_root: str, cache_url: str) -> None:
    """The example site's settings as production runs them: DEBUG off, real secrets."""
    os.environ.update(
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="demo.settings",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECRET_KEY=base64.urlsafe_b64encode(os.urandom(48)).decode(),
        DJANGO_MEDIA_ROOT=media_root,
        WETICKET_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        WETICKET_PUBLIC_BASE_URL=f"http://{HOST}",
    )
    for path in (str(REPO), str(SITE)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django
    from django.conf import settings

    if cache_url:
        # Set before django.setup(): the settings module is read lazily, so this override wins.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": cache_url,
                "KEY_PREFIX": f"weticket_bench_render_{os.getpid()}",
            }
        }
    django.setup()
    assert not settings.DEBUG


def clear_cache() -> None:
    """Empty the cache: all of it for the local-memory cache, only this run's keys for Redis."""
    from django.core.cache import cache

    prefix = getattr(cache, "key_prefix", "")
    if not prefix:
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


# --------------------------------------------------------------------------------------------
# Seeding


@dataclass
class Seeded:
    ticket_url: str
    plain_url: str
    events: list
    rows: list[int]  # indices into TICKET_TYPES of every row on the ticket page, block by block


def seed_event(organisation, title: str, slug: str, starts_at, now):
    from weticket_wagtail.ticketing.models import Event, TicketType
    from weticket_wagtail.ticketing.services.reservations import reserve_tickets

    event = Event.objects.create(
        organisation=organisation,
        title=title,
        slug=slug,
        description="Three days of music in the park.",
        venue="Stadspark",
        address="Parklaan 1, 3511 AA Utrecht",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=2, hours=8),
        is_published=True,
    )
    ticket_types = TicketType.objects.bulk_create(
        TicketType(
            event=event,
            sort_order=i,
            name=name,
            description=description,
            price=Decimal(price),
            capacity=capacity,
            sold_count=sold,
            sale_starts_at=now + timedelta(days=7) if i in NOT_STARTED else None,
            max_per_order=10,
        )
        for i, (name, description, price, capacity, sold) in enumerate(TICKET_TYPES)
    )
    for hold in HOLDS:
        reserve_tickets(event, {ticket_types[i].pk: quantity for i, quantity in hold.items()})
    return event, ticket_types


def seed(layout: str, other_events: int = 0, banner: bool = True) -> Seeded:
    from django.utils import timezone
    from home.models import ContentPage
    from wagtail.models import Site
    from wagtail.rich_text import RichText

    from weticket_wagtail.blocks.models import BrandedTicketPage
    from weticket_wagtail.privacy.models import ConsentSettings
    from weticket_wagtail.ticketing.models import Organisation

    now = timezone.now()
    site = Site.objects.get(is_default_site=True)
    root = site.root_page
    if banner:  # the cookie groups come with the migrations
        ConsentSettings.objects.create(
            site=site, show_banner=True, google_analytics_id="G-BENCHMARK1"
        )
    organisation = Organisation.objects.create(
        name="Stichting Zomeravond",
        slug="zomeravond",
        contact_email="info@zomeravond.example",
        primary_colour="#7c2d12",
        accent_colour="#fbbf24",
        font=Organisation.Font.HUMANIST,
        site=site,
    )
    starts_at = (now + timedelta(days=60)).replace(hour=16, minute=0, second=0, microsecond=0)
    event, ticket_types = seed_event(organisation, "Zomerfestival", "zomerfestival", starts_at, now)
    events = [event]

    def shop(event, subset=(), heading=""):
        return (
            "ticket_shop",
            {
                "event": event,
                "ticket_types": [str(ticket_types[i].pk) for i in subset],
                "heading": heading,
                "button_text": "",
            },
        )

    if layout == "one-event":
        body = [
            shop(event),
            shop(event, WEEKEND_SUBSET, "Weekend passes"),
            shop(event, GROUP_SUBSET, "Families and groups"),
        ]
        rows = [*range(len(TICKET_TYPES)), *WEEKEND_SUBSET, *GROUP_SUBSET]
    else:
        for n in (2, 3):
            other, _types = seed_event(
                organisation,
                f"Zomerfestival {n}",
                f"zomerfestival-{n}",
                starts_at + timedelta(days=7 * (n - 1)),
                now,
            )
            events.append(other)
        body = [shop(e) for e in events]
        rows = list(range(len(TICKET_TYPES))) * len(events)
    for n in range(other_events):
        seed_event(
            organisation,
            f"Season event {n + 1}",
            f"season-{n + 1}",
            starts_at + timedelta(days=30 + n),
            now,
        )

    ticket_page = root.add_child(
        instance=BrandedTicketPage(
            title="Zomerfestival tickets",
            slug=TICKET_SLUG,
            organisation=organisation,
            header_text="Three days of music in the park",
            intro="<p>Tickets for <b>Zomerfestival</b>; children under four go free.</p>",
            body=body,
            footer="<p>Stichting Zomeravond · Parklaan 1, Utrecht · info@zomeravond.example</p>",
        )
    )
    plain_page = root.add_child(
        instance=ContentPage(
            title="About us", slug=PLAIN_SLUG, body=[("paragraph", RichText(PLAIN_PARAGRAPH))]
        )
    )
    return Seeded(
        ticket_url=ticket_page.url,
        plain_url=plain_page.url,
        events=events,
        rows=rows,
    )


def add_ticket_types(event, count: int) -> list:
    from weticket_wagtail.ticketing.models import TicketType

    created = TicketType.objects.bulk_create(
        TicketType(
            event=event,
            sort_order=100 + i,
            name=f"Extra ticket {i + 1}",
            price=Decimal("20.00"),
            capacity=100,
            max_per_order=10,
        )
        for i in range(count)
    )
    clear_cache()
    return created


def add_to_subset(block_index: int, ticket_types: list) -> None:
    """Add ticket types to the subset of one ticket-shop block of the ticket page."""
    from weticket_wagtail.blocks.models import BrandedTicketPage

    page = BrandedTicketPage.objects.get(slug=TICKET_SLUG)
    raw = [dict(block) for block in page.body.raw_data]
    value = dict(raw[block_index]["value"])
    value["ticket_types"] = [*value["ticket_types"], *(str(tt.pk) for tt in ticket_types)]
    raw[block_index]["value"] = value
    page.body = raw
    page.save()
    clear_cache()


# --------------------------------------------------------------------------------------------
# Measuring


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile, linearly interpolated between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response


def check_pages(client, seeded: Seeded, banner: bool = True) -> None:
    """The pages show what this benchmark claims they show (in any language)."""
    from weticket_wagtail.conf import weticket_settings

    html = get(client, seeded.ticket_url).content.decode()
    states = collections.Counter(
        expected_state(i, weticket_settings.FEW_LEFT_THRESHOLD) for i in seeded.rows
    )
    notes = re.findall(r'<span class="weticket-type__state"[^>]*>(.*?)</span>', html, re.S)
    expected = {
        "shop blocks": (html.count('class="weticket-block weticket-block--shop"'), 3),
        "rows": (html.count('class="weticket-type '), len(seeded.rows)),
        "quantity inputs": (html.count('class="weticket-qty"'), states["on_sale"] + states["few"]),
        "sold out": (html.count("weticket-type--sold_out"), states["sold_out"]),
        "not started": (html.count("weticket-type--not_started"), states["not_started"]),
        "state notes": (
            sum(1 for note in notes if note.strip()),
            states["few"] + states["sold_out"] + states["not_started"],
        ),
        "brand colour": (int("--weticket-primary:#7c2d12" in html), 1),
        "cookie banner": (html.count('"showBanner": true'), int(banner)),
    }
    wrong = {what: pair for what, pair in expected.items() if pair[0] != pair[1]}
    if wrong or states["few"] == 0:
        raise RuntimeError(f"ticket page: (found, expected) {wrong}")
    plain = get(client, seeded.plain_url).content.decode()
    if "Stichting Zomeravond organises" not in plain or "weticket-block" in plain:
        raise RuntimeError("the plain page is not the one-paragraph page")
    if plain.count('"showBanner": true') != int(banner):
        raise RuntimeError("the plain page does not carry the cookie banner as set")
    log(
        f"ticket page {seeded.ticket_url}: {len(html)} bytes, {len(seeded.rows)} rows "
        f"({dict(states)}); plain page {seeded.plain_url}: {len(plain)} bytes"
    )


def timed(client, pages: dict[str, str], requests: int, *, cold: bool) -> dict[str, list[float]]:
    """Interleaved GETs of every page; with ``cold`` the cache is emptied before each one."""
    times: dict[str, list[float]] = {name: [] for name in pages}
    clock = time.perf_counter_ns
    for _ in range(requests):
        for name, url in pages.items():
            if cold:
                clear_cache()
            start = clock()
            response = client.get(url)
            elapsed = clock() - start
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            times[name].append(elapsed / 1e6)
    return times


def abbreviate(sql: str) -> str:
    """A query without its column list, on one line."""
    sql = " ".join(sql.split())
    head, sep, tail = sql.partition(" FROM ")
    if head.startswith("SELECT ") and sep:
        sql = f"SELECT … FROM {tail}"  # noqa: S608 (a log line, not a query)
    return sql[:220]


def count_queries(client, url: str, requests: int, *, cold: bool, label: str) -> int:
    """The most common number of queries of one GET; the distribution and SQL to stderr."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    example = []
    for _ in range(requests):
        if cold:
            clear_cache()
        with CaptureQueriesContext(connection) as captured:
            get(client, url)
        counts.append(len(captured))
        example = captured.captured_queries
    distribution = collections.Counter(counts)
    mode = distribution.most_common(1)[0][0]
    log(f"{label}: queries per request {dict(sorted(distribution.items()))}")
    for query in example:
        log(f"    {abbreviate(query['sql'])}")
    return mode


def summary(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), percentile(times, 95)


def profile(client, url: str, requests: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort)
        stats.print_stats(40)
        log(f"cProfile of {requests} warm ticket-page requests, by {sort}:\n{out.getvalue()}")


# --------------------------------------------------------------------------------------------


def source_version() -> str:
    """The commit measured, with "+changes" when the working tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}+changes" if dirty else commit


def run(args: argparse.Namespace, db_url: str, engine: str) -> dict:
    media_root = tempfile.mkdtemp(prefix="weticket_bench_render_media_")
    try:
        setup_django(db_url, media_root, args.cache_url)
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"migrated in {time.monotonic() - started:.1f}s")
        seeded = seed(args.layout, args.other_events, args.banner)
        clear_cache()
        client = Client(HTTP_HOST=HOST)
        check_pages(client, seeded, args.banner)
        pages = {"ticket": seeded.ticket_url, "plain": seeded.plain_url}

        log(f"warming up: {args.warmup} requests per page")
        timed(client, pages, args.warmup, cold=False)
        log(f"warm run: {args.requests} requests per page, interleaved")
        started = time.monotonic()
        warm = timed(client, pages, args.requests, cold=False)
        log(f"warm run took {time.monotonic() - started:.1f}s")
        ticket_queries = count_queries(
            client, seeded.ticket_url, args.query_requests, cold=False, label="ticket warm"
        )
        plain_queries = count_queries(
            client, seeded.plain_url, args.query_requests, cold=False, label="plain warm"
        )

        log(f"cold run: {args.requests} requests per page, cache emptied before each")
        cold = timed(client, pages, args.requests, cold=True)
        ticket_cold_queries = count_queries(
            client, seeded.ticket_url, args.query_requests, cold=True, label="ticket cold"
        )
        plain_cold_queries = count_queries(
            client, seeded.plain_url, args.query_requests, cold=True, label="plain cold"
        )

        if args.profile:
            profile(client, seeded.ticket_url, args.profile)

        extra = add_ticket_types(seeded.events[0], 20)
        get(client, seeded.ticket_url)
        queries_40 = count_queries(
            client, seeded.ticket_url, args.query_requests, cold=False, label="ticket warm, 40"
        )
        cold_queries_40 = count_queries(
            client, seeded.ticket_url, args.query_requests, cold=True, label="ticket cold, 40"
        )
        queries_subset = None
        if args.layout == "one-event":  # the second block sells a subset of this event
            add_to_subset(1, extra)
            get(client, seeded.ticket_url)
            queries_subset = count_queries(
                client,
                seeded.ticket_url,
                args.query_requests,
                cold=False,
                label="ticket warm, 40, 20 more in the second block's subset",
            )
        connection.close()
    finally:
        if args.cache_url:  # leave nothing behind in a shared Redis
            with contextlib.suppress(Exception):
                clear_cache()
        shutil.rmtree(media_root, ignore_errors=True)

    ticket_p50, ticket_p95 = summary(warm["ticket"])
    plain_p50, plain_p95 = summary(warm["plain"])
    ticket_cold_p50, ticket_cold_p95 = summary(cold["ticket"])
    plain_cold_p50, plain_cold_p95 = summary(cold["plain"])
    from django.conf import settings

    return {
        "layout": args.layout,
        "cookie_banner": args.banner,
        "other_events": args.other_events,
        "ticket_blocks": 3,
        "ticket_types": len(TICKET_TYPES),
        "ticket_rows": len(seeded.rows),
        "database": engine,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "source": source_version(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "requests": args.requests,
        "ticket_p50_ms": round(ticket_p50, 2),
        "plain_p50_ms": round(plain_p50, 2),
        "ratio_p50": round(ticket_p50 / plain_p50, 2),
        "ticket_p95_ms": round(ticket_p95, 2),
        "plain_p95_ms": round(plain_p95, 2),
        "ratio_p95": round(ticket_p95 / plain_p95, 2),
        "ticket_queries": ticket_queries,
        "plain_queries": plain_queries,
        "ticket_cold_p50_ms": round(ticket_cold_p50, 2),
        "ticket_cold_p95_ms": round(ticket_cold_p95, 2),
        "ticket_cold_queries": ticket_cold_queries,
        "plain_cold_p50_ms": round(plain_cold_p50, 2),
        "plain_cold_p95_ms": round(plain_cold_p95, 2),
        "plain_cold_queries": plain_cold_queries,
        "ticket_queries_at_40_types": queries_40,
        "ticket_cold_queries_at_40_types": cold_queries_40,
        "ticket_queries_with_20_more_in_subset": queries_subset,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    name = f"weticket_bench_render_{os.getpid()}"
    tmpdir = None
    created = False
    try:
        if args.sqlite:
            tmpdir = tempfile.mkdtemp(prefix="weticket_bench_render_")
            db_url = f"sqlite:///{tmpdir}/db.sqlite3"
            engine = "sqlite"
        else:
            create_database(args.database_url, name)
            created = True
            db_url = database_url(args.database_url, name)
            engine = "postgresql"
        log(f"database: {engine} {name if created else db_url}")
        result = run(args, db_url, engine)
    finally:
        if created:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
            drop_database(args.database_url, name)
            log(f"dropped database {name}")
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    verdict = "within" if result["ratio_p50"] <= 2 else "NOT within"
    log(
        f"ticket page {result['ticket_p50_ms']} ms (p95 {result['ticket_p95_ms']}), plain page "
        f"{result['plain_p50_ms']} ms (p95 {result['plain_p95_ms']}): ratio {result['ratio_p50']}, "
        f"{verdict} the 2x target; queries {result['ticket_queries']} vs "
        f"{result['plain_queries']}"
    )
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
