"""What the browser tests share: Debian's chromium and how to launch it.

Playwright's own browser download does not work on these machines; see DEVELOPERS.md.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BROWSER_REQUIRED = os.environ.get("KENNISSTER_BROWSER_REQUIRED") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# How long a page, click or wait may take before a browser test fails: a bound for a shared,
# loaded machine (CI runs beside other work), never a timing of the app (benchmarks measure that).
PAGE_WAIT_MS = 30_000

# Without chromium the browser tests skip, unless CI asks for them (they then fail).
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() and not BROWSER_REQUIRED,
                                    reason=f"{CHROMIUM} is missing: apt-get install chromium")
