"""The first hour of a new user: what the README promises works on a fresh clone, as printed.

The README's two commands are all a new developer runs; nothing on top of them (no npm, no
internet for the API docs) may be needed for a test to run or a page to work.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_accessibility_checks_need_nothing_but_the_readme_test_command():
    """axe-core comes from the `test` extras' wheel, so the 20 axe checks never skip for want of npm."""
    from axe_playwright_python.base import AXE_SCRIPT

    import tests.web.test_accessibility as accessibility

    assert AXE_SCRIPT.startswith("/*! axe v4")
    assert accessibility.AXE_SCRIPT is AXE_SCRIPT
    skips = [mark for mark in accessibility.pytestmark if mark.name == "skipif"]
    assert all("chromium" in mark.kwargs["reason"] for mark in skips), skips  # chromium only
    assert "axe-playwright-python" in (ROOT / "pyproject.toml").read_text()
    assert not (ROOT / "package.json").exists()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "npm" not in ci
    readme = (ROOT / "README.md").read_text()
    test_command = next(line for line in readme.splitlines() if "pip install -q -e '.[test]'" in line)
    assert test_command in ci  # CI runs exactly the README's command
