"""The first hour of a new user: what the README promises works on a fresh clone, as printed.

The README's two commands are all a new developer runs; nothing on top of them (no npm, no
internet for the API docs) may be needed for a test to run or a page to work.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.web.browser import ARTIFACTS, PAGE_WAIT_MS, needs_chromium

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


# --- the API docs, offline ------------------------------------------------------------------------

CDN = re.compile(r"cdn\.|unpkg|jsdelivr|googleapis|cdnjs", re.IGNORECASE)


def served_html(client, app, extra: list[str]) -> dict[str, str]:
    """Every page without path parameters the app serves to an anonymous visitor, and `extra`."""
    paths = {route.path for route in iter_routes(app) if "GET" in getattr(route, "methods", ())
             and "{" not in route.path}
    pages = {}
    for path in sorted(paths | set(extra)):
        response = client.get(path)
        if response.headers.get("content-type", "").startswith("text/html"):
            pages[path] = response.text
    return pages


def iter_routes(app):
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(app.routes)
    return [getattr(context, "route", context) for context in iter_route_contexts(app.routes)]


def test_no_served_page_loads_anything_from_a_cdn_and_the_docs_need_no_inline_script(
    client, app, session, catalog
):
    from tests.builders import make_institution, make_round, make_unit, personal_link

    institution = make_institution(session)
    token = personal_link(session, make_round(session, catalog, institution),
                          make_unit(session, institution))
    pages = served_html(client, app, extra=[f"/s/{token}", "/login", "/api/v1/docs", "/api/v1/redoc"])
    assert {"/", "/login", "/api/v1/docs", "/api/v1/redoc", f"/s/{token}"} <= set(pages), sorted(pages)
    for path, html in pages.items():
        assert not CDN.search(html), f"{path} refers to a CDN: {CDN.search(html).group(0)}"
        soup = BeautifulSoup(html, "html.parser")
        for tag in soup.select("script[src], link[href]"):
            url = tag.get("src") or tag.get("href")
            assert url.startswith("/") or url.startswith("http://testserver/"), f"{path}: {url}"
            if tag.name == "script" or "stylesheet" in tag.get("rel", []) or "icon" in tag.get("rel", []):
                assert client.get(url).status_code == 200, f"{path}: {url}"
    for path in ("/api/v1/docs", "/api/v1/redoc"):
        soup = BeautifulSoup(pages[path], "html.parser")
        assert soup.select("script") and all(s.get("src") for s in soup.select("script")), path
        assert not soup.select("[style], style"), path  # nothing a CSP of style-src 'self' refuses


BLOCK_OUTSIDE = "http://127.0.0.1"
# The strict policy the app's pages get (issue 12), and what ReDoc needs on top of it: its
# styled-components insert <style> elements, refused by style-src 'self'.
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"
REDOC_CSP = "default-src 'self'; script-src 'self' blob:; style-src 'self' 'unsafe-inline'; " \
            "img-src 'self' data:; worker-src 'self' blob:"


def offline_page(chromium, csp: str):
    """A page that may reach only the app, whose answers carry `csp`: every other request is
    refused and remembered."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_WAIT_MS)
    refused: list[str] = []

    def route(request_route):
        if request_route.request.url.startswith(BLOCK_OUTSIDE):
            response = request_route.fetch()
            request_route.fulfill(response=response,
                                  headers={**response.headers, "content-security-policy": csp})
        else:
            refused.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    return context, context.new_page(), refused


@pytest.mark.browser
@needs_chromium
def test_the_swagger_ui_and_redoc_pages_render_the_operations_without_internet(live_server, chromium):
    """Swagger UI also under the strict Content-Security-Policy; ReDoc with inline styles allowed."""
    context, page, refused = offline_page(chromium, STRICT_CSP)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    try:
        page.goto(f"{live_server}/api/v1/docs")
        page.locator(".opblock").first.wait_for()
        operations = page.locator(".opblock .opblock-summary-path").all_inner_texts()
        assert any("/api/v1/institutions" in op for op in operations), operations[:5]
        page.screenshot(path=ARTIFACTS / "api-docs-offline.png")
        assert not errors, errors
    finally:
        context.close()

    context, page, more_refused = offline_page(chromium, REDOC_CSP)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server}/api/v1/redoc")
        page.locator("[data-section-id^='operation/']").first.wait_for()
        assert page.locator("[data-section-id^='operation/']").count() >= len(set(operations)) // 2
        assert page.locator("h1").first.inner_text().startswith("Kennisster")
        page.screenshot(path=ARTIFACTS / "api-redoc-offline.png")
        assert not refused + more_refused, f"the docs asked for {refused + more_refused}"
        assert not errors, errors
    finally:
        context.close()


# --- the home page, its title and the icon --------------------------------------------------------

def test_the_home_page_leads_to_the_login_the_dashboard_and_the_coordinators_area(
    client, session, catalog, settings
):
    from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_COORDINATOR_EMAIL, DEMO_PASSWORD, load_demo
    from tests.builders import web_login

    home = BeautifulSoup(client.get("/").text, "html.parser")
    assert home.title.string == "Kennisster"  # not "Kennisster · Kennisster"
    links = {a["href"].removeprefix("http://testserver") for a in home.select("main a[href]")}
    assert {"/login", "/dashboard", "/beheer", "/api/v1/docs"} <= links, links
    login = BeautifulSoup(client.get("/login").text, "html.parser")
    assert login.title.string == "Inloggen · Kennisster"

    load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
              default_k=settings.anonymity_k)
    session.commit()
    web_login(client, DEMO_BOARD_EMAIL, DEMO_PASSWORD)
    board = {a["href"].removeprefix("http://testserver")
             for a in BeautifulSoup(client.get("/").text, "html.parser").select("main a[href]")}
    assert "/dashboard" in board and "/login" not in board and "/beheer" not in board, board

    client.cookies.clear()
    web_login(client, DEMO_COORDINATOR_EMAIL, DEMO_PASSWORD)
    coordinator = {a["href"].removeprefix("http://testserver")
                   for a in BeautifulSoup(client.get("/?lang=en").text, "html.parser").select("main a[href]")}
    assert {"/dashboard", "/beheer"} <= coordinator and "/login" not in coordinator, coordinator


def test_every_page_has_a_star_icon_and_favicon_ico_is_no_longer_a_404(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file (its images are PNGs)
    for path in ("/", "/login", "/api/v1/docs"):
        soup = BeautifulSoup(client.get(path).text, "html.parser")
        hrefs = [link["href"] for link in soup.select("link[rel~=icon]")]
        assert hrefs, path
        svg = client.get(next(h for h in hrefs if h.endswith(".svg")))
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert "<polygon" in svg.text
