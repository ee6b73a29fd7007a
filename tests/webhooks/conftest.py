"""Fixtures of the webhook tests: a real receiver on loopback, and settings that may call it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.platform.settings import Settings
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Loopback allowed (the receiver runs on 127.0.0.1), short timeouts, backoff of a minute."""
    return settings.model_copy(update={
        "webhook_allow_loopback": True, "webhook_timeout_seconds": 3.0,
        "webhook_backoff_seconds": 60.0, "webhook_lease_seconds": 2,
        "webhook_disable_after_failures": 3})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server
