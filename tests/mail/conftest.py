"""Fixtures of the mail tests: a real SMTP server per test, settings that send to it, and the
command line (from tests/api/test_cli.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.platform.settings import Settings
from tests.api.test_cli import kennisster, runner  # noqa: F401  (the command line, as a fixture)
from tests.mail.smtp import SmtpServer, running_smtp, with_smtp


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return with_smtp(settings, smtp.port)
