"""How a background worker runs: a pass, then a wait until the next poll or a wake-up.

The mail worker and the webhook worker run this way, each as a daemon thread of the app or
together in `kennisster worker`; a failed pass (the database away for a moment) is logged and
the next one tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


def run_until_stopped(*, name: str, one_pass: Callable[[], object], poll_seconds: float,
                      wake: threading.Event, stop: threading.Event,
                      log: logging.Logger) -> None:
    """Loop until `stop` is set: `one_pass()`, then wait `poll_seconds` or until `wake` is set."""
    while not stop.is_set():
        try:
            one_pass()
        except Exception:  # the database may be away for a moment; try again next pass
            log.exception("%s pass failed", name)
        wake.wait(poll_seconds)
        wake.clear()


def start_daemon(target: Callable[..., None], args: tuple, *, name: str,
                 ) -> tuple[threading.Thread, threading.Event]:
    """`target(*args, stop)` as a daemon thread; set the returned event (and wake it) to stop."""
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(*args, stop), daemon=True, name=name)
    thread.start()
    return thread, stop
