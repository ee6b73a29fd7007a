"""The real app on a live uvicorn server in a background thread, on loopback, for the tests
that need real sockets (browsers, concurrent clients)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def threaded_server(app, **config) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL. `config` goes to uvicorn.Config."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app=app, host=HOST, port=port, log_level="warning",
                                           **config))
    thread = threading.Thread(target=server.run, name="uvicorn-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the live uvicorn server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive(), "the live uvicorn server did not stop"
