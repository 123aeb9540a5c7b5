"""Flash sale: many buyers at once for one ticket type, over HTTP, against gunicorn + PostgreSQL.

Usage::

    .venv/bin/python benchmarks/flash_sale.py [--buyers 1000] [--clients 32] [--capacity 500]
                                              [--site app|reference|both]

``--site reference`` serves, instead of the shop, a bare Django view doing only the locked
reservation (``benchmarks/reference``: same settings, middleware and database, no templates or
forms). ``--site both`` runs the reference and then the shop, each as below, and logs the ratio:
on a shared machine whose speed varies from hour to hour, that ratio is what compares.

What it does, start to end (every step is bounded; the database and gunicorn are removed on
success, on error and on Ctrl-C):

1. creates a fresh PostgreSQL database ``weticket_bench_<pid>`` and migrates it through
   ``example_site/manage.py``;
2. seeds one organisation, one published event starting in 30 days and one ticket type with
   ``--capacity`` tickets and at most 10 per order;
3. serves the example site with gunicorn (DEBUG off; ``--gunicorn-args``, default
   ``--workers 3 --worker-class sync --worker-tmp-dir /dev/shm``) on a free loopback port, with
   the per-address rate limit and hold limits off (every buyer comes from 127.0.0.1 here; the
   per-browser hold limits stay on), and warms its workers
   up with a few page views (not measured). On a shared machine it then waits (``--quiet-wait``,
   60 s at most) until other processes leave the cores idle;
4. runs ``--buyers`` buyers through ``--clients`` concurrent clients. Each buyer behaves like a
   browser on its first visit: a new connection and no cookies, GET the ticket page (which sets
   the CSRF cookie and carries ``csrfmiddlewaretoken``), then POST ``quantity_<pk>=1``. A 302 to
   ``/tickets/checkout/<token>/`` is a reservation, a 409 is "sold out";
5. counts in the database what is held and prints, as the last line of stdout, one JSON object
   ``{buyers, clients, capacity, reserved, oversold, errors_5xx, reservations_per_s, p50_ms,
   p95_ms}``. ``reservations_per_s`` is the tickets reserved divided by the seconds from the first
   request to the end of the last successful reservation; the percentiles are of the reservation
   (POST) request. ``oversold`` must be 0.

The load generator shares the machine with the server (as pretix's measurement did). Its own CPU
use, and that of gunicorn and PostgreSQL during the run, is printed to stderr so the client's
overhead is visible. Progress and diagnostics go to stderr; stdout holds only the JSON line.

This script never imports Django: the migrate, seed and count steps run in ``manage.py``
subprocesses, and the load generator speaks HTTP with ``http.client`` (or ``requests`` with
``--client requests``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from _support import (
    HOST,
    PYTHON,
    REPO,
    SITE,
    create_database,
    drop_database,
    free_port,
    last_json_line,
    manage,
)

GUNICORN = PYTHON.parent / "gunicorn"
PG_URL_TEMPLATE = "postgres://postgres@127.0.0.1:5432/{name}"

# Two cores: a sync worker is idle while it waits on PostgreSQL (its row lock, its commit), so
# twice as many workers as cores keep both busy. See docs/performance.md for the ones tried.
DEFAULT_GUNICORN_ARGS = "--workers 4 --worker-class sync --worker-tmp-dir /dev/shm"

QUIET_CORES = 0.25  # what other processes may use before the load starts

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
CHECKOUT_LOCATION = re.compile(r"/tickets/checkout/[^/]+/$")

SEED = """
import json, os
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from weticket_wagtail.ticketing.models import Event, Organisation, TicketType

organisation = Organisation.objects.create(
    name="Flash sale benchmark", slug="flash", contact_email="bench@example.org",
    mollie_api_key="test_" + "bench" * 6,  # paid tickets are only held for a payable organiser
)
starts_at = timezone.now() + timedelta(days=30)
event = Event.objects.create(
    organisation=organisation, title="Flash sale", slug="sale", venue="Benchmark hall",
    starts_at=starts_at, ends_at=starts_at + timedelta(hours=4), is_published=True,
)
ticket_type = TicketType.objects.create(
    event=event, name="Regular", price=Decimal("25.00"),
    capacity=int(os.environ["BENCH_CAPACITY"]), max_per_order=10,
)
print(json.dumps({"path": f"/tickets/{organisation.slug}/{event.slug}/", "pk": ticket_type.pk}))
"""

COUNT = """
import json, os
from django.db.models import Sum
from django.utils import timezone
from weticket_wagtail.ticketing.models import ReservationLine, TicketType

ticket_type = TicketType.objects.get(pk=int(os.environ["BENCH_TICKET_TYPE"]))
lines = ReservationLine.objects.filter(ticket_type=ticket_type)
live = lines.filter(is_live=True, expires_at__gt=timezone.now())
print(json.dumps({
    "capacity": ticket_type.capacity,
    "sold": ticket_type.sold_count,
    "live_held": live.aggregate(n=Sum("quantity"))["n"] or 0,
    "all_lines": lines.aggregate(n=Sum("quantity"))["n"] or 0,
    "line_rows": lines.count(),
}))
"""


def log(message: str) -> None:
    print(f"[flash_sale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Setting up: database, seed, gunicorn


def fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


REFERENCE = Path(__file__).resolve().parent / "reference"
SETTINGS = {"app": "demo.settings", "reference": "reference_settings"}


def site_env(database: str, port: int, site: str = "app") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=PG_URL_TEMPLATE.format(name=database),
        DJANGO_SETTINGS_MODULE=SETTINGS[site],
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECRET_KEY=base64.urlsafe_b64encode(os.urandom(48)).decode(),
        WETICKET_ENCRYPTION_KEYS=fernet_key(),
        WETICKET_PUBLIC_BASE_URL=f"http://{HOST}:{port}",
        PYTHONPATH=os.pathsep.join([str(SITE), str(REPO), str(REFERENCE)]),
        # Every buyer comes from 127.0.0.1 here; real buyers come from their own addresses, so
        # the per-address limits (on reservation POSTs and on tickets held) would measure
        # nothing but themselves. Each buyer is a new browser: its own limits still apply.
        WETICKET_RATE_LIMITS="off",
        WETICKET_ADDRESS_HOLD_LIMITS="off",
    )
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    return env


def start_gunicorn(env: dict[str, str], port: int, extra: list[str], logfile) -> subprocess.Popen:
    command = [
        str(GUNICORN),
        "demo.wsgi:application",
        "--chdir",
        str(SITE),
        "--pythonpath",
        f"{SITE},{REPO},{REFERENCE}",
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        *extra,
    ]
    log("gunicorn: " + shlex.join(command[1:]))
    # Its own session, so Ctrl-C in the terminal reaches only us and we stop it in order.
    return subprocess.Popen(
        command, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group we created for it
        process.wait(timeout=5)


def wait_until_serving(process: subprocess.Popen, port: int, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            raise RuntimeError(f"GET {path} answered {response.status}")
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


# --------------------------------------------------------------------------------------------
# CPU accounting: who used the two cores during the run


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(comm, ppid, cpu seconds) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / _clock_ticks()


def cpu_snapshot() -> dict:
    """CPU seconds so far of every process (by pid), of this process, and of the machine."""
    processes = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None:
                processes[int(entry.name)] = stat
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    busy = (sum(values) - values[3] - values[4]) / _clock_ticks()  # all but idle and iowait
    return {"processes": processes, "self": time.process_time(), "busy": busy}


def _serves_us(pid: int, database: str) -> bool:
    """A PostgreSQL backend of our database, or one of the server's shared helpers (WAL writer,
    checkpointer ...), rather than a backend of somebody else's database."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return f" {database} " in title or not re.search(r"postgres: \S+: \S+ \S+ \S+\(", title)


def cpu_used(before: dict, after: dict, gunicorn_pid: int, database: str) -> dict[str, float]:
    """CPU seconds between two snapshots: gunicorn (master and workers), PostgreSQL (the
    backends of our database and the server's helpers), this load generator, and everything
    else on the machine (other people's work, the kernel)."""
    used = {"gunicorn": 0.0, "postgres": 0.0}
    for pid, (comm, ppid, cpu) in after["processes"].items():
        previous = before["processes"].get(pid)
        delta = cpu - previous[2] if previous and previous[0] == comm else cpu
        if gunicorn_pid in (pid, ppid):
            used["gunicorn"] += delta
        elif comm.startswith("postgres") and _serves_us(pid, database):
            used["postgres"] += delta
    used["load_generator"] = after["self"] - before["self"]
    busy = after["busy"] - before["busy"]
    used["other"] = max(0.0, busy - sum(used.values()))
    return used


def cpu_report(used: dict[str, float], seconds: float) -> str:
    cores = os.cpu_count() or 1
    parts = [f"{name} {value / seconds:.2f}" for name, value in used.items()]
    idle = max(0.0, cores - sum(used.values()) / seconds)
    return f"CPU cores used during the run: {', '.join(parts)}, idle {idle:.2f} (of {cores})"


def busy_elsewhere(seconds: float = 1.0) -> float:
    """Cores used by other processes on the machine over ``seconds`` (before our run)."""
    before = cpu_snapshot()
    time.sleep(seconds)
    after = cpu_snapshot()
    return (after["busy"] - before["busy"] - (after["self"] - before["self"])) / seconds


def wait_for_quiet(patience: float, deadline: float) -> None:
    """On a shared machine, wait (up to ``patience`` seconds) until other processes leave the
    cores alone, so that they do not take part in the measurement; warn if they never do."""
    give_up = min(deadline, time.monotonic() + patience)
    while True:
        elsewhere = busy_elsewhere()
        if elsewhere <= QUIET_CORES:
            return
        if time.monotonic() >= give_up:
            log(f"WARNING: other processes keep {elsewhere:.2f} cores busy; figures will suffer")
            return
        log(f"other processes keep {elsewhere:.2f} cores busy; waiting for a quiet moment")
        time.sleep(2)


# --------------------------------------------------------------------------------------------
# The buyers


@dataclass
class Visit:
    """What happened to one buyer. Times are ``time.perf_counter()`` values."""

    started: float = 0.0
    get_ms: float = 0.0
    post_started: float = 0.0
    post_ended: float = 0.0
    get_status: int = 0
    post_status: int = 0
    outcome: str = "not_run"  # reserved, sold_out, bad_answer, error_5xx, failed, not_run
    detail: str = ""


def _cookies(set_cookie_headers: list[str]) -> str:
    pairs = [header.split(";", 1)[0].strip() for header in set_cookie_headers]
    return "; ".join(pair for pair in pairs if "=" in pair)


def classify(visit: Visit, status: int, location: str, body: bytes) -> None:
    visit.post_status = status
    if status == 302 and CHECKOUT_LOCATION.search(location):
        visit.outcome = "reserved"
    elif status == 409:
        visit.outcome = "sold_out"
        if b"sold out" not in body:
            visit.detail = "409 without 'sold out' in the page"
    elif status >= 500:
        visit.outcome = "error_5xx"
    else:
        visit.outcome = "bad_answer"
        visit.detail = f"POST answered {status} {location}"


class HttpClientBuyer:
    """A lean browser: one new keep-alive connection per buyer, cookies kept by hand."""

    def __init__(self, port: int, path: str, ticket_type: int, timeout: float):
        self.port, self.path, self.ticket_type, self.timeout = port, path, ticket_type, timeout
        self.origin = f"http://{HOST}:{port}"

    def visit(self, visit: Visit, timeout: float) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        headers = {"Accept": "text/html", "Accept-Language": "en", "User-Agent": "flash-sale"}
        try:
            visit.started = time.perf_counter()
            conn.request("GET", self.path, headers=headers)
            response = conn.getresponse()
            page = response.read()
            visit.get_status = response.status
            visit.get_ms = (time.perf_counter() - visit.started) * 1000
            if response.status >= 500:
                visit.outcome = "error_5xx"
                return
            token = CSRF_INPUT.search(page)
            if response.status != 200 or token is None:
                visit.outcome, visit.detail = "bad_answer", f"GET answered {response.status}"
                return
            form = urlencode(
                {"csrfmiddlewaretoken": token.group(1), f"quantity_{self.ticket_type}": "1"}
            )
            post_headers = {
                **headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": _cookies(response.headers.get_all("Set-Cookie") or []),
                "Origin": self.origin,
                "Referer": self.origin + self.path,
            }
            visit.post_started = time.perf_counter()
            # Sync workers close the connection after each answer; http.client then reconnects.
            conn.request("POST", self.path, body=form, headers=post_headers)
            response = conn.getresponse()
            body = response.read()
            visit.post_ended = time.perf_counter()
            classify(visit, response.status, response.getheader("Location", ""), body)
        finally:
            conn.close()


class RequestsBuyer(HttpClientBuyer):
    """The same buyer with a fresh ``requests.Session`` each (heavier on the client's CPU)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        import requests  # only when asked for

        self.requests = requests

    def visit(self, visit: Visit, timeout: float) -> None:
        url = self.origin + self.path
        with self.requests.Session() as session:
            session.headers.update({"Accept-Language": "en", "User-Agent": "flash-sale"})
            visit.started = time.perf_counter()
            response = session.get(url, timeout=timeout)
            visit.get_status = response.status_code
            visit.get_ms = (time.perf_counter() - visit.started) * 1000
            if response.status_code >= 500:
                visit.outcome = "error_5xx"
                return
            token = CSRF_INPUT.search(response.content)
            if response.status_code != 200 or token is None:
                visit.outcome, visit.detail = "bad_answer", f"GET answered {response.status_code}"
                return
            visit.post_started = time.perf_counter()
            response = session.post(
                url,
                data={"csrfmiddlewaretoken": token.group(1), f"quantity_{self.ticket_type}": "1"},
                headers={"Origin": self.origin, "Referer": url},
                allow_redirects=False,
                timeout=timeout,
            )
            visit.post_ended = time.perf_counter()
            classify(
                visit, response.status_code, response.headers.get("Location", ""), response.content
            )


@dataclass
class Load:
    visits: list[Visit]
    deadline: float
    timeout: float
    next_index: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> Visit | None:
        with self.lock:
            if self.next_index >= len(self.visits):
                return None
            visit = self.visits[self.next_index]
            self.next_index += 1
            return visit


def run_clients(buyer: HttpClientBuyer, load: Load, clients: int) -> None:
    def client() -> None:
        while (visit := load.take()) is not None:
            left = load.deadline - time.monotonic()
            if left <= 0:
                visit.detail = "global deadline reached"
                continue
            try:
                buyer.visit(visit, min(load.timeout, left))
            except Exception as exc:  # a timeout or a dropped connection: count it, carry on
                visit.outcome, visit.detail = "failed", f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    last_report = time.monotonic()
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=0.5)
            if time.monotonic() - last_report >= 2:
                last_report = time.monotonic()
                log(progress(load.visits))


def progress(visits: list[Visit]) -> str:
    counts: dict[str, int] = {}
    for visit in visits:
        counts[visit.outcome] = counts.get(visit.outcome, 0) + 1
    return "buyers: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def warm_up(buyer: HttpClientBuyer, rounds: int, clients: int) -> None:
    """Page views only (no reservations): every worker has loaded its URLs, compiled the
    templates and opened its database connection before the clock starts."""
    visits = [Visit() for _ in range(rounds)]

    def view(visit: Visit) -> None:
        conn = http.client.HTTPConnection(HOST, buyer.port, timeout=buyer.timeout)
        try:
            conn.request("GET", buyer.path, headers={"Accept-Language": "en"})
            response = conn.getresponse()
            response.read()
            visit.get_status = response.status
        finally:
            conn.close()

    threads = []
    for chunk in range(clients):
        mine = visits[chunk::clients]
        threads.append(threading.Thread(target=lambda m=mine: [view(v) for v in m], daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=buyer.timeout * max(1, rounds // clients + 1))
    bad = [v.get_status for v in visits if v.get_status != 200]
    if bad:
        raise RuntimeError(f"warm-up page views failed: {bad[:5]}")


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=1000, help="buyers in total (1000)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument("--capacity", type=int, default=500, help="tickets on sale (500)")
    parser.add_argument(
        "--gunicorn-args",
        default=DEFAULT_GUNICORN_ARGS,
        help=f"worker settings for gunicorn (default: {DEFAULT_GUNICORN_ARGS!r})",
    )
    parser.add_argument(
        "--client",
        choices=["http", "requests"],
        default="http",
        help="http: http.client, lean (default); requests: a requests.Session per buyer",
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request (30)")
    parser.add_argument(
        "--deadline", type=float, default=600, help="seconds for the whole run, setup included"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="seconds to wait for other processes to leave the cores idle before the load (60)",
    )
    parser.add_argument(
        "--site",
        choices=["app", "reference", "both"],
        default="app",
        help="app: the example site's shop (default); reference: a bare Django view doing only "
        "the locked reservation (benchmarks/reference); both: the reference, then the app, in "
        "one run, so the ratio between them holds on a machine of any speed",
    )
    parser.add_argument("--warmup", type=int, default=64, help="page views before the run (64)")
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the database afterwards (its name is logged)"
    )
    args = parser.parse_args(argv)
    if min(args.buyers, args.clients) < 1 or args.capacity < 0:
        parser.error("--buyers and --clients must be at least 1, --capacity at least 0")
    return args


def interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.deadline
    # SIGTERM (e.g. from `timeout`) cleans up like Ctrl-C does, and so does SIGINT even when
    # a parent shell started us with it ignored (a background job).
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    sites = ["reference", "app"] if args.site == "both" else [args.site]
    results = {}
    try:
        for site in sites:
            result, ok = run_site(args, site, deadline)
            results[site] = result
            if not ok:
                return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    if len(results) == 2:
        ratio = results["app"]["reservations_per_s"] / max(
            results["reference"]["reservations_per_s"], 0.1
        )
        log(f"the app reached {ratio:.2f} of the bare reference view's reservations per second")
    return 0


def run_site(args: argparse.Namespace, site: str, deadline: float) -> tuple[dict, bool]:
    """One flash sale against ``site`` in its own database and gunicorn; prints its JSON line."""
    database = f"weticket_bench_{os.getpid()}_{site}"
    port = free_port()
    env = site_env(database, port, site)
    gunicorn: subprocess.Popen | None = None
    created = False
    logdir = tempfile.TemporaryDirectory(prefix="flash_sale_")
    gunicorn_log = Path(logdir.name) / "gunicorn.log"
    try:
        log(f"[{site}] creating database {database}")
        create_database(database)
        created = True
        started = time.monotonic()
        manage(env, "migrate", "--noinput", timeout=max(1, deadline - time.monotonic()))
        log(f"migrated in {time.monotonic() - started:.1f} s")
        env["BENCH_CAPACITY"] = str(args.capacity)
        seeded = last_json_line(manage(env, "shell", "-c", SEED, timeout=120))
        path, ticket_type = seeded["path"], seeded["pk"]
        log(f"seeded ticket type {ticket_type} with capacity {args.capacity} at {path}")

        with open(gunicorn_log, "w") as logfile:
            gunicorn = start_gunicorn(env, port, shlex.split(args.gunicorn_args), logfile)
        wait_until_serving(gunicorn, port, path, timeout=min(60, deadline - time.monotonic()))
        buyer_class = RequestsBuyer if args.client == "requests" else HttpClientBuyer
        buyer = buyer_class(port, path, ticket_type, args.timeout)
        if args.warmup:
            warm_up(buyer, args.warmup, min(args.clients, args.warmup))
        log(f"[{site}] serving on port {port}; {args.buyers} buyers through {args.clients} clients")

        load = Load([Visit() for _ in range(args.buyers)], deadline, args.timeout)
        wait_for_quiet(args.quiet_wait, deadline)
        cpu_before = cpu_snapshot()
        wall_started = time.perf_counter()
        run_clients(buyer, load, args.clients)
        wall = time.perf_counter() - wall_started
        cpu_after = cpu_snapshot()
        log(progress(load.visits))
        used = cpu_used(cpu_before, cpu_after, gunicorn.pid, database)
        log(cpu_report(used, wall))
        served = sum(1 for visit in load.visits if visit.post_ended)
        if served:
            log(
                "CPU per buyer (page view + reservation): "
                + ", ".join(f"{name} {used[name] / served * 1000:.1f} ms" for name in used)
            )

        env["BENCH_TICKET_TYPE"] = str(ticket_type)
        counted = last_json_line(manage(env, "shell", "-c", COUNT, timeout=120))
        log(f"in the database: {counted}")
        result, complete = summarise(args, load.visits, counted)
        print(json.dumps(result), flush=True)
        return result, complete and result["oversold"] == 0 and result["errors_5xx"] == 0
    finally:
        if gunicorn is not None:
            stop_gunicorn(gunicorn)
            server_log = gunicorn_log.read_text(errors="replace").strip()
            if server_log:
                log("gunicorn said (last lines):\n" + "\n".join(server_log.splitlines()[-30:]))
        if created and args.keep_db:
            log(f"kept database {database}: {env['DATABASE_URL']}")
        elif created:
            drop_database(database)
            log(f"dropped database {database}")
        logdir.cleanup()


def summarise(args: argparse.Namespace, visits: list[Visit], counted: dict) -> tuple[dict, bool]:
    """The JSON record, and whether every buyer got an answer that the database agrees with."""
    reserved_visits = [v for v in visits if v.outcome == "reserved"]
    posts = [v for v in visits if v.post_ended]
    post_ms = [(v.post_ended - v.post_started) * 1000 for v in posts]
    started = [v.started for v in visits if v.started]
    window = max(v.post_ended for v in reserved_visits) - min(started) if reserved_visits else 0.0
    reserved_db = counted["live_held"] + counted["sold"]
    oversold = max(
        0,
        reserved_db - counted["capacity"],
        counted["all_lines"] + counted["sold"] - counted["capacity"],
    )
    failures = [v for v in visits if v.outcome in ("bad_answer", "failed", "not_run")]
    unexpected = [v for v in visits if v.detail and v.outcome not in ("bad_answer", "failed")]
    ok_ms = [(v.post_ended - v.post_started) * 1000 for v in reserved_visits]
    sold_out_ms = [(v.post_ended - v.post_started) * 1000 for v in posts if v.outcome == "sold_out"]
    get_ms = [v.get_ms for v in visits if v.get_status == 200]
    log(
        "; ".join(
            f"{name} p50 {percentile(values, 0.5):.0f} ms p95 {percentile(values, 0.95):.0f} ms"
            for name, values in (
                ("GET page", get_ms),
                ("POST reserved", ok_ms),
                ("POST sold out", sold_out_ms),
            )
        )
    )
    if len(reserved_visits) != reserved_db:
        log(f"WARNING: {len(reserved_visits)} reservations answered, {reserved_db} in the database")
    for visit in (failures + unexpected)[:10]:
        log(f"{visit.outcome}: {visit.detail}")
    if failures:
        log(f"WARNING: {len(failures)} buyers got no usable answer (see above)")
    result = {
        "buyers": args.buyers,
        "clients": args.clients,
        "capacity": args.capacity,
        "reserved": reserved_db,
        "oversold": oversold,
        "errors_5xx": sum(1 for v in visits if v.outcome == "error_5xx"),
        "reservations_per_s": round(len(reserved_visits) / window, 1) if window > 0 else 0.0,
        "p50_ms": round(percentile(post_ms, 0.5), 1),
        "p95_ms": round(percentile(post_ms, 0.95), 1),
    }
    return result, not failures and len(reserved_visits) == reserved_db


if __name__ == "__main__":
    sys.exit(main())
