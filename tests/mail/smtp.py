"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, keeping every message it accepts.

`inbox.on_data` lets a test decide what the server does with one message before it answers (put it
off with a 4xx, refuse it, or kill the sending worker), as a real server or a crash would.
"""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from urllib.parse import urlsplit

from api.platform.settings import Settings

LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+\S*")


@dataclass
class Received:
    """One message the server accepted (answered 250)."""

    envelope_to: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.envelope_to[0]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def lang(self) -> str:
        return str(self.message["Content-Language"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    @property
    def link(self) -> str:
        return LINK.search(self.text).group(0)

    @property
    def link_path(self) -> str:
        """The link as the test client opens it: path and query."""
        parts = urlsplit(self.link)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path


class Inbox:
    """The aiosmtpd handler: keeps accepted messages; `on_data(n, message)` may answer the n-th
    message itself (a 4xx or 5xx, or after killing the sender), and then it is not kept."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.attempts = 0  # DATA commands seen, accepted or not
        self.on_data: Callable[[int, EmailMessage], str | None] | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.attempts += 1
            number = self.attempts
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=default_policy)
        if self.on_data is not None:
            answer = self.on_data(number, message)
            if answer is not None:
                return answer
        with self._lock:
            self.received.append(Received(envelope_to=list(envelope.rcpt_tos), message=message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if r.to == address]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int

    @property
    def received(self) -> list[Received]:
        return self.inbox.received


@contextmanager
def running_smtp() -> Iterator[SmtpServer]:
    """A real aiosmtpd server on a free loopback port until the block ends."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(inbox=inbox, port=port)
    finally:
        controller.stop()


def with_smtp(settings: Settings, port: int, **more) -> Settings:
    """The test settings, sending to the test's SMTP server (no TLS on localhost)."""
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                       "smtp_security": "none", "smtp_timeout_seconds": 5.0,
                                       "mail_from": "Kennisster <kennisster@hs-test.nl>", **more})
