"""Webhook delivery: ``POST id=tr_...`` to a payment's ``webhookUrl``, retried like Mollie.

A delivery ends at the first 2xx answer or after ``1 + len(retry_delays)`` attempts;
every attempt is recorded. Redirects are not followed (Mollie counts a 3xx as failed).
"""

from __future__ import annotations

import copy
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Protocol
from urllib.parse import urlencode

from .state import is_http_url

_WEBHOOK_USER_AGENT = "Mollie.nl HTTP client/1.0"


class WebhookSettings(Protocol):
    """What delivery reads from the double at the moment it sends (``MollieDouble`` has it)."""

    retry_delays: tuple[float, ...]
    webhook_timeout: float
    verbose: bool


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Mollie does not follow redirects from a webhook URL; a 3xx counts as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookSender:
    """Delivers webhooks and remembers every attempt.

    Guarantees: ``deliver`` never holds ``lock`` while a webhook is on the wire, so the
    receiver may call back into the double; ``reset()`` abandons every delivery started
    before it; a set ``stopping`` event abandons scheduled retries at once.
    """

    def __init__(
        self, lock: threading.RLock, settings: WebhookSettings, stopping: threading.Event
    ) -> None:
        self._cond = threading.Condition(lock)
        self._settings = settings
        self._stopping = stopping
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)
        self._generation = 0
        self.reset()

    def reset(self) -> None:
        """Forget recorded attempts and abandon deliveries in progress or scheduled."""
        with self._cond:
            self._calls: list[dict[str, Any]] = []
            self._inflight = 0
            self._generation += 1
            self._cond.notify_all()

    @property
    def calls(self) -> list[dict[str, Any]]:
        """A copy of every attempt so far, oldest first (see ``MollieDouble.webhook_calls``)."""
        with self._cond:
            return copy.deepcopy(self._calls)

    def wait(self, timeout: float, min_calls: int) -> bool:
        """Block until nothing is in flight or scheduled and ``min_calls`` attempts are
        recorded; False if ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._inflight > 0 or len(self._calls) < min_calls:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def deliver(self, payment_id: str, url: str, *, sync_first: bool) -> None:
        """Call ``url`` with ``id=payment_id`` until it answers 2xx or retries run out.

        With ``sync_first`` the first attempt is made before this returns; the rest (or,
        without it, all attempts) run in a daemon thread.
        """
        with self._cond:
            self._inflight += 1
            generation = self._generation
        delays = self._settings.retry_delays
        if sync_first:
            try:
                done = self._attempt(payment_id, url, 1, generation)
            except BaseException:
                self._finished(generation)
                raise
            if done or not delays:
                self._finished(generation)
                return
            start = 2
        else:
            start = 1
        threading.Thread(
            target=self._run,
            args=(payment_id, url, generation, start, delays),
            name=f"mollie-double-webhook:{payment_id}",
            daemon=True,
        ).start()

    def _run(
        self,
        payment_id: str,
        url: str,
        generation: int,
        attempt: int,
        delays: tuple[float, ...],
    ) -> None:
        try:
            while attempt <= len(delays) + 1:
                if attempt > 1 and self._stopping.wait(delays[attempt - 2]):
                    return
                if self._attempt(payment_id, url, attempt, generation):
                    return
                attempt += 1
        finally:
            self._finished(generation)

    def _finished(self, generation: int) -> None:
        with self._cond:
            # A reset() zeroed the counter; chains from before it must not decrement it.
            if generation == self._generation:
                self._inflight -= 1
            self._cond.notify_all()

    def _attempt(self, payment_id: str, url: str, attempt: int, generation: int) -> bool:
        """One attempt; True when the delivery is over (2xx, or abandoned by reset/stop)."""
        if generation != self._generation or self._stopping.is_set():
            return True
        status_code: int | None = None
        error: str | None = None
        if not is_http_url(url):
            error = "webhook URL is not http(s)"
        else:
            request = urllib.request.Request(  # noqa: S310 - scheme checked above
                url,
                data=urlencode({"id": payment_id}).encode(),
                method="POST",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": _WEBHOOK_USER_AGENT,
                },
            )
            try:
                timeout = self._settings.webhook_timeout
                with self._opener.open(request, timeout=timeout) as response:
                    response.read()
                    status_code = response.status
            except urllib.error.HTTPError as exc:
                status_code = exc.code
                exc.close()
            except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
                reason = getattr(exc, "reason", exc)
                error = f"{type(exc).__name__}: {reason}"
        ok = status_code is not None and 200 <= status_code < 300
        with self._cond:
            if generation != self._generation:
                return True
            self._calls.append(
                {
                    "payment_id": payment_id,
                    "url": url,
                    "attempt": attempt,
                    "time": time.time(),
                    "status_code": status_code,
                    "error": error,
                    "ok": ok,
                }
            )
            self._cond.notify_all()
        if self._settings.verbose:
            outcome = status_code if status_code is not None else error
            sys.stderr.write(f"[mollie-double] webhook {payment_id} #{attempt} -> {outcome}\n")
        return ok
