"""Fixtures of the browser tests: the real app on a live uvicorn server, and chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import threaded_server
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The real app served by uvicorn in a background thread; yields its base URL."""
    with threaded_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail(f"KENNISSTER_BROWSER_REQUIRED=1 but {CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def backend(settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"
