"""Run the Mollie test double, so your own site can take (pretend) payments in development.

The double (``weticket_wagtail.testing.mollie``) speaks the part of Mollie's v2 API we use and
has a checkout page where you choose *paid*, *failed*, *canceled* or *expired*. Point the site
at it in your development settings::

    WETICKET["MOLLIE_API_ENDPOINT"] = "http://127.0.0.1:8765"
    WETICKET["MOLLIE_FALLBACK_API_KEY"] = "test_" + "x" * 30

Production code never imports ``weticket_wagtail.testing``: this command imports it inside
``handle()``, only when it runs.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from weticket_wagtail.conf import weticket_settings


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # serves a stand-in; checks would only be noise
    help = _(
        "Serve the Mollie test double until Ctrl-C, for developing with payments: set "
        "WETICKET['MOLLIE_API_ENDPOINT'] to its address and WETICKET['MOLLIE_FALLBACK_API_KEY'] "
        "to any test_ key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help=_("Interface to bind."))
        parser.add_argument("--port", type=int, default=8765, help=_("Port; 0 picks a free one."))
        parser.add_argument("--verbose", action="store_true", help=_("Log every request."))

    def handle(self, *args, **options):
        from weticket_wagtail.testing.mollie import MollieDouble  # never at import time

        double = MollieDouble(options["host"], options["port"], verbose=options["verbose"])
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Installed explicitly: a shell may start background jobs with SIGINT ignored.
            signal.signal(signum, lambda *_args: stop.set())
        double.start()
        self.stdout.write(
            _("The Mollie test double listens on %(url)s (Ctrl-C stops it).")
            % {"url": double.base_url}
        )
        if weticket_settings.MOLLIE_API_ENDPOINT.rstrip("/") != double.base_url:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "This site talks to %(current)s: set "
                        "WETICKET['MOLLIE_API_ENDPOINT'] = %(url)r."
                    )
                    % {
                        "current": weticket_settings.MOLLIE_API_ENDPOINT or "api.mollie.com",
                        "url": double.base_url,
                    }
                )
            )
        self.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            double.stop()
