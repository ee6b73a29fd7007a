"""Fixtures of the mail tests: a real SMTP server per test, settings that send to it, and the
command line (from tests/api/test_cli.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from api.platform.settings import Settings
from tests.api.test_cli import kennisster, runner  # noqa: F401  (the command line, as a fixture)
from tests.mail.smtp import Inbox, SmtpServer, free_port, with_smtp


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(inbox=inbox, port=port)
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return with_smtp(settings, smtp.port)
