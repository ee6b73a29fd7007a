"""A real webhook receiver for the tests: an http.server on 127.0.0.1 in a thread, keeping every
request it gets. `answers` lists the status codes of the next requests (then 204); `hold` makes
the next request wait until released, as a slow receiver or a worker killed mid-delivery sees."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def verified(self, secret: str) -> dict:
        """The payload, after checking the signature with the standardwebhooks package."""
        return Webhook(secret).verify(self.body, self.headers)

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    holding: threading.Event | None = None
    held_ids: list[str] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def accepted(self) -> list[Request]:
        return [r for r in self.requests if 200 <= r.status < 300]

    def hold(self) -> threading.Event:
        """The next request waits (without answering) until the returned event is set."""
        self.holding = threading.Event()
        return self.holding

    def wait_for(self, count: int, *, timeout: float = 15.0, accepted: bool = True) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.accepted if accepted else self.requests
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{count} request(s) expected, got {self.requests}")


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            hold = receiver.holding
            if hold is not None:
                receiver.holding = None
                receiver.held_ids.append(self.headers.get("webhook-id", ""))
                receiver.arrived.set()
                hold.wait(30)
                return  # no answer: the connection closes
            with receiver.lock:
                status = receiver.answers.pop(0) if receiver.answers else 204
                receiver.requests.append(Request(self.path, {k.lower(): v for k, v in
                                                             self.headers.items()}, body, status))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.holding is not None:
            receiver.holding.set()
        server.shutdown()
        server.server_close()
