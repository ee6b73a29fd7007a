"""The edges of every request: security headers on every response, body limits applied before
the body is read, and one text rule for every way in.

Each test goes through the real app (TestClient, or a live uvicorn for what only real sockets
show) and a real database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from api.platform.body_limits import FORM_MAX_BYTES, limit_for
from api.platform.headers import CSP, PERMISSIONS_POLICY
from api.platform.models import AccountRole
from api.setup import accounts
from tests.builders import (
    csrf_of,
    make_institution,
    make_round,
    make_token,
    make_unit,
    personal_link,
    stored_responses,
    web_login,
)
from tests.live import HOST, free_port

PASSWORD = "een-lang-wachtwoord-42"
MB = 1024 * 1024


@pytest.fixture
def world(session, catalog):
    inst = make_institution(session, "Hogeschool Helm")
    unit = make_unit(session, inst, "Practoraat Helm")
    round_ = make_round(session, catalog, inst)
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    stored_responses(session, questionnaire, round_, unit, 5)
    accounts.create_account(session=session, email="bestuur@helm.nl", password=PASSWORD,
                            role=AccountRole.bestuur, institutions=[inst])
    accounts.create_account(session=session, email="admin@helm.nl", password=PASSWORD,
                            role=AccountRole.admin)
    session.commit()
    return {"slug": inst.slug, "round": round_.id, "token": personal_link(session, round_, unit),
            "api": make_token(session, [inst])}


# --- 1. security headers on every route family -------------------------------------------------

def assert_security_headers(response: httpx.Response, *, https: bool = False) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == CSP, response.request.url
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in {"same-origin", "no-referrer"}
    assert headers["permissions-policy"] == PERMISSIONS_POLICY
    assert "camera=()" in PERMISSIONS_POLICY and "geolocation=()" in PERMISSIONS_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert ("strict-transport-security" in headers) is https, response.request.url


def test_every_route_family_answers_with_the_security_headers(app, client, world):
    slug, round_id, api = world["slug"], world["round"], {"Authorization": f"Bearer {world['api']}"}
    board = client
    families = {
        "survey": lambda: client.get(f"/s/{world['token']}"),
        "auth": lambda: client.get("/login"),
        "home": lambda: client.get("/"),
        "api-json": lambda: client.get("/api/v1/institutions", headers=api),
        "api-csv": lambda: client.get(f"/api/v1/rounds/{round_id}/scores?format=csv", headers=api),
        "api-401": lambda: client.get("/api/v1/institutions"),
        "static": lambda: client.get("/static/kennisster.css"),
        "404": lambda: client.get("/bestaat-niet"),
        "api-404": lambda: client.get("/api/v1/bestaat-niet", headers=api),
        "422": lambda: client.get("/api/v1/institutions?limit=abc", headers=api),
        "413": lambda: client.post("/login", content=b"x" * (FORM_MAX_BYTES + 1),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}),
    }
    statuses = {name: call() for name, call in families.items()}
    web_login(board, "bestuur@helm.nl", PASSWORD)
    statuses["dashboard"] = board.get(f"/dashboard/{slug}")
    statuses["dashboard-csv"] = board.get(f"/dashboard/{slug}/rounds/{round_id}/units.csv")
    statuses["dashboard-422"] = board.get(f"/dashboard/{slug}?round=abc")
    board.post("/logout", data={"csrf_token": csrf_of(board)})
    web_login(board, "admin@helm.nl", PASSWORD)
    statuses["admin"] = board.get("/beheer")

    expected = {"api-401": 401, "404": 404, "api-404": 404, "422": 422, "413": 413,
                "dashboard-422": 422}
    for name, response in statuses.items():
        assert response.status_code == expected.get(name, 200), (name, response.text[:300])
        assert_security_headers(response)
    assert statuses["api-csv"].headers["content-type"].startswith("text/csv")


def test_a_server_error_page_carries_the_headers_too(app, client, monkeypatch):
    from web import routes

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    from fastapi.testclient import TestClient

    monkeypatch.setattr(routes, "render", broken)
    with TestClient(app, raise_server_exceptions=False) as plain:
        response = plain.get("/")
    assert response.status_code == 500
    assert_security_headers(response)


def test_hsts_only_over_https(app, world):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as secure:
        assert_security_headers(secure.get("/login"), https=True)
        assert_security_headers(secure.get("/static/kennisster.css"), https=True)


def test_a_link_page_keeps_its_stricter_referrer_policy(client):
    response = client.get("/account/activeren/" + "x" * 30)
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers.get_list("referrer-policy") == ["no-referrer"]


def test_only_redoc_gets_a_relaxed_style_policy(client):
    from api.platform.headers import REDOC_CSP

    assert client.get("/api/v1/docs").headers["content-security-policy"] == CSP
    redoc = client.get("/api/v1/redoc")
    assert redoc.status_code == 200
    assert redoc.headers["content-security-policy"] == REDOC_CSP
    assert "script-src 'self';" in REDOC_CSP and "frame-ancestors 'none'" in REDOC_CSP
    assert client.get("/api/v1/openapi.json").headers["content-security-policy"] == CSP


# --- 2. request bodies are limited before they are read ---------------------------------------

def test_the_limits_come_from_one_table_per_route_family():
    assert limit_for("/login").max_bytes == FORM_MAX_BYTES
    assert limit_for("/s/abc/k/strategie").max_bytes == FORM_MAX_BYTES
    assert limit_for("/api/v1/rounds/3/responses").family == "import"
    assert limit_for("/beheer/hs/eenheden/upload").max_bytes > 5 * MB
    assert limit_for("/beheer/hs/metingen/1/eenheden/2/uitnodigen").max_bytes >= 600 * 1024


def test_a_form_spread_over_many_fields_is_refused_with_a_page(client, world):
    fields = [("csrf_token", csrf_of(client))] + [(f"veld{i}", "x" * 1000) for i in range(150)]
    response = client.post("/login", content=urlencode(fields),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert "64 KB" in response.text and "<h1>" in response.text
    big = client.post("/login", content=b"a=" + b"x" * (20 * MB),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413


def test_a_streamed_form_is_cut_off_at_its_limit(client):
    def chunks():
        yield b"email=a%40b.nl&password="
        for _ in range(40):
            yield b"x" * 8192  # 320 KB in all, no Content-Length

    response = client.post("/login", content=chunks(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_the_api_refuses_with_a_problem(client, world):
    response = client.post(f"/api/v1/rounds/{world['round']}/responses",
                           content=b"x" * (5 * MB + 1),
                           headers={"Authorization": f"Bearer {world['api']}",
                                    "Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "5 MB" in response.json()["detail"]


def _serve(settings, tmp_path) -> tuple[subprocess.Popen, str]:
    """The app in a uvicorn process of its own, so its memory can be measured."""
    port = free_port()
    env = {**os.environ, "KENNISSTER_DATABASE_URL": settings.database_url,
           "KENNISSTER_DATA_DIR": str(tmp_path), "KENNISSTER_SECRET_KEY": settings.secret_key,
           "KENNISSTER_ENVIRONMENT": "test", "KENNISSTER_MAIL_WORKER": "false"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.asgi:app", "--host", HOST,
                                "--port", str(port), "--log-level", "warning"], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{HOST}:{port}/login", timeout=1)
            return process, f"http://{HOST}:{port}"
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("uvicorn did not start")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_declared_20_mb_form_is_refused_before_its_body_is_sent(settings, tmp_path, app):
    process, base = _serve(settings, tmp_path)
    try:
        port = urlsplit(base).port
        with socket.create_connection((HOST, port), timeout=5) as sock:
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: 20971520\r\n\r\n")  # and not one byte of the body
            answer = sock.recv(65536).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), answer[:200]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_server_memory_stays_flat_under_four_parallel_50_mb_posts(settings, tmp_path, app):
    import threading

    process, base = _serve(settings, tmp_path)
    try:
        before = _rss_mb(process.pid)

        def post(declared: bool) -> int:
            def body():
                yield b"a=1"
                for field in range(160):  # 50 MB over 160 fields (under the 200 allowed)
                    yield f"&f{field}=".encode()
                    for _ in range(5):
                        yield b"x" * (64 * 1024)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            content = body() if not declared else b"".join(body())
            try:
                return httpx.post(f"{base}/login", content=content, headers=headers,
                                  timeout=30).status_code
            except httpx.HTTPError:
                return 413  # the server closed the connection after answering
        results, peak = [], [before]

        def watch(stop):
            while not stop.is_set():
                peak.append(_rss_mb(process.pid))
                time.sleep(0.02)
        stop = threading.Event()
        watcher = threading.Thread(target=watch, args=(stop,))
        watcher.start()
        threads = [threading.Thread(target=lambda d=d: results.append(post(d)))
                   for d in (False, False, True, True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        watcher.join()
        grown = max(peak) - before
        print(f"\nRSS before {before:.1f} MB, peak {max(peak):.1f} MB, grown {grown:.1f} MB")
        assert results == [413] * 4
        assert grown < 50, f"the server grew by {grown:.0f} MB"
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- 3. one text rule for every way in ---------------------------------------------------------

def test_a_nul_in_the_login_email_is_refused_with_a_page_on_every_database(client, world):
    response = client.post("/login", data={"csrf_token": csrf_of(client), "email": "a\x00b@x.test",
                                           "password": PASSWORD})
    assert response.status_code == 422
    assert "U+0000" in response.text and "email" in response.text


def test_a_nul_in_a_query_or_path_is_refused(client, world):
    api = {"Authorization": f"Bearer {world['api']}"}
    query = client.get("/api/v1/institutions", params={"q": "a\x00"}, headers=api)
    assert query.status_code == 422 and "U+0000" in query.json()["detail"]
    path = client.get("/api/v1/institutions/a%00b", headers=api)
    assert path.status_code == 422
    web_login(client, "bestuur@helm.nl", PASSWORD)
    assert client.get("/dashboard/a%00b").status_code == 422


def test_a_line_break_in_an_open_answer_is_still_welcome(client, world):
    token = world["token"]
    csrf = csrf_of(client)
    assert client.post(f"/s/{token}", data={"csrf_token": csrf, "role": "practor"},
                       follow_redirects=False).status_code == 303
    saved = client.post(f"/s/{token}/k/strategie", data={
        "csrf_token": csrf, "item-str1": "4", "open-open_strategie": "regel 1\r\n\tregel 2",
        "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303


def _calls(dependant) -> set:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def test_every_form_of_the_pages_passes_the_one_text_check(app):
    """A page route reads its form's values through `form_pairs` (values checked); only the
    survey and the action plan take `form_fields`, whose parser checks each value with the
    same rule and shows the
    message at the field. The CSRF check takes the names only. Every route checks its query and
    path (`check_url_text`)."""
    from api.platform.deps import check_url_text, form_fields, form_pairs

    routes = _api_routes(app)
    posts = [r for r in routes if "POST" in r.methods and not r.path.startswith("/api/")]
    assert len(posts) > 20
    for route in posts:
        direct = {sub.call for sub in route.dependant.dependencies}
        if form_fields in direct:  # pages whose parser checks every value at its field
            assert route.path.startswith("/s/") or "/acties" in route.path, route.path
        if route.path.startswith("/s/"):
            assert form_pairs not in _calls(route.dependant), route.path
    assert sum(form_pairs in {sub.call for sub in r.dependant.dependencies} for r in posts) > 10
    for route in routes:
        assert check_url_text in _calls(route.dependant), route.path


def _api_routes(app) -> list:
    """Every APIRoute, with FastAPI's lazily included routers flattened (see the tenancy
    matrix's `app_routes`)."""
    from fastapi.routing import APIRoute

    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        found = list(app.routes)
    else:
        found = list(iter_route_contexts(app.routes))
    return [route for route in found if isinstance(getattr(route, "original_route", route),
                                                   APIRoute) and hasattr(route, "dependant")]
