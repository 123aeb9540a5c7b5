"""A real SMTP server on loopback that keeps what it receives, for tests and the demo.

Django's SMTP backend talks to it exactly as it would to a mail relay, so tests see the bytes
that would go out (headers, MIME parts, attachments), not what the locmem backend keeps::

    with SMTPSink() as sink:
        ...  # point EMAIL_HOST/EMAIL_PORT at sink.host/sink.port and send
        [message] = sink.wait_for(1)
        assert message["Subject"] == "Your tickets"

In pytest, use the :func:`smtp_sink` fixture (import it into your test module or conftest).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago (nothing listens on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, sink: SMTPSink):
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        # Parsed only when a test looks: the server stays fast enough for benchmarks.
        self.sink._record(content, envelope.mail_from, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SMTPSink:
    """An SMTP server on ``host`` (loopback) that accepts every message and keeps it.

    ``port=0`` picks a free port. Thread-safe: the server runs in its own thread, and
    :attr:`messages`, :meth:`wait_for` and :meth:`clear` may be used from any thread.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self._requested_port = port
        self.port = port
        self._controller: Controller | None = None
        self._raw: list[bytes] = []
        self._parsed: list[EmailMessage] = []
        self._envelopes: list[tuple[str, list[str]]] = []
        self._condition = threading.Condition()

    def start(self) -> SMTPSink:
        """Start listening; returns ``self``."""
        if self._controller is not None:
            return self
        # aiosmtpd's Controller needs a concrete port to bind and to check it is ready.
        self.port = self._requested_port or free_port(self.host)
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, ready_timeout=10
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening; what was received stays available."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPSink:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _record(self, content: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
        with self._condition:
            self._raw.append(content)
            self._envelopes.append((mail_from, rcpt_tos))
            self._condition.notify_all()

    def _messages_locked(self) -> list[EmailMessage]:
        parser = BytesParser(policy=policy.default)
        for content in self._raw[len(self._parsed) :]:
            self._parsed.append(parser.parsebytes(content))
        return list(self._parsed)

    @property
    def count(self) -> int:
        """How many messages were received so far (cheap: nothing is parsed)."""
        with self._condition:
            return len(self._raw)

    @property
    def raw_messages(self) -> list[bytes]:
        """The messages received so far as the bytes that came in, in order of arrival."""
        with self._condition:
            return list(self._raw)

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received so far, parsed (``email.policy.default``), in order of arrival."""
        with self._condition:
            return self._messages_locked()

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        """``(MAIL FROM, [RCPT TO, ...])`` of each message received, in order of arrival."""
        with self._condition:
            return list(self._envelopes)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return them all.

        Raises ``TimeoutError`` (saying how many did arrive) after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self._raw) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"Expected {count} messages within {timeout}s, received {len(self._raw)}."
                    )
                self._condition.wait(remaining)
            return self._messages_locked()

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._condition:
            self._raw.clear()
            self._parsed.clear()
            self._envelopes.clear()


@pytest.fixture
def smtp_sink(settings) -> Iterator[SMTPSink]:
    """A running :class:`SMTPSink` that Django's SMTP backend sends to, stopped afterwards."""
    with SMTPSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = sink.host
        settings.EMAIL_PORT = sink.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10
        yield sink
