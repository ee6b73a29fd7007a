"""Bad input table: hostile or broken input to the survey, login, API and import.

Every row of `CASES` is one request that must be answered with a clear 4xx — an HTML page with a
heading and a message (or the form's error summary) on the pages, an RFC 9457 problem with a
`detail` under /api/v1 — and must leave the database exactly as it was: the row count of every
table and the saved survey draft are compared before and after.

Text that merely *looks* hostile (`<script>`, SQL) is valid input for an open answer; it is stored
verbatim and escaped when shown (`test_script_and_sql_in_open_answers_are_stored_verbatim_...`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, select

from api.main import create_app
from api.platform.db import session_scope
from api.platform.models import (
    AccountRole,
    Draft,
    Invitation,
    LoginAttempt,
    OpenAnswer,
    Response,
    Round,
    Unit,
    today,
)
from api.platform.settings import Settings
from api.setup import accounts, tokens
from api.survey import invitations
from tests.builders import (
    make_institution,
    make_round,
    make_unit,
    personal_link,
    stored_response,
)

Q_SLUG, Q_VERSION = "galbraith-star", "1.0"
PASSWORD = "een-lang-wachtwoord-42"
BOARD_EMAIL = "bestuur@hostiel.nl"
LOCKED_EMAIL = "vergrendeld@hostiel.nl"  # five failed logins, then locked out
UNIT_NAME = "Practoraat Invoer"
FORM = "application/x-www-form-urlencoded"
PROBLEM = "application/problem+json"
MB = 1024 * 1024
LOGIN_ATTEMPT = LoginAttempt.__tablename__


# --- the prepared world -----------------------------------------------------------------------


@dataclass
class Ctx:
    """What every row may use. Built once per backend: a bad request changes nothing, which is
    exactly what each row checks, so the rows can share it (browser cookies are reset per row)."""

    client: TestClient  # a browser without login, holding only its ks_csrf cookie
    board: TestClient  # a browser logged in as the board member of A
    csrf: str  # the form token of `client`'s ks_csrf cookie
    draft_token: str  # personal link: role chosen, strategie partly answered and saved
    fresh_token: str  # personal link never opened: no draft
    used_token: str  # personal link whose answers were submitted
    closed_token: str  # personal link of a closed round
    future_token: str  # personal link of a round that opens in three days
    shared_token: str  # A's shared link (a draft per browser, kept in the ks_draft cookie)
    other_shared_token: str  # B's shared link
    round_id: int  # institution A's open round
    unit_id: int  # A's practoraat
    other_round_id: int  # institution B's round
    other_unit_id: int  # B's practoraat
    slug: str
    other_slug: str
    api_token: str  # read + import on A
    read_token: str  # read only on A
    revoked_token: str  # read + import on A, revoked
    board_email: str  # the board account granted A, password PASSWORD
    engine: sa.Engine
    cookies: dict[str, list] = field(default_factory=dict)  # each browser's cookies after setup

    def reset_browsers(self) -> None:
        for name, kept in self.cookies.items():
            jar = getattr(self, name).cookies
            jar.clear()
            for cookie in kept:
                jar.jar.set_cookie(cookie)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def csrf_of(client: TestClient) -> str:
    return page(client.get("/login")).select_one('input[name="csrf_token"]')["value"]


def form(ctx: Ctx, url: str, fields, *, csrf: str | None = "page", **kwargs) -> httpx.Response:
    """A urlencoded form post, fields in order and repeats kept; the page's CSRF token first."""
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    if csrf is not None:
        pairs.insert(0, ("csrf_token", ctx.csrf if csrf == "page" else csrf))
    return ctx.client.post(url, content=urlencode(pairs), headers={"Content-Type": FORM},
                           follow_redirects=False, **kwargs)


def knob(fields, *, token: str = "draft", knob_key: str = "strategie",
         ) -> Callable[[Ctx], httpx.Response]:
    """Save one knob page of a personal link (the draft's by default)."""
    def call(ctx: Ctx) -> httpx.Response:
        plain = getattr(ctx, f"{token}_token")
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        return form(ctx, f"/s/{plain}/k/{knob_key}", [*pairs, ("action", "save")])
    return call


def api_get(path: str, token: str | None = "api", **headers: str) -> Callable[[Ctx], httpx.Response]:
    def call(ctx: Ctx) -> httpx.Response:
        url = path.format(round=ctx.round_id, other_round=ctx.other_round_id, slug=ctx.slug,
                          other_slug=ctx.other_slug)
        sent = dict(headers)
        if token is not None:
            sent["Authorization"] = f"Bearer {getattr(ctx, f'{token}_token')}"
        return ctx.client.get(url, headers=sent)
    return call


def upload(body, media: str | None, *, token: str = "api", other: bool = False,
           **headers: str) -> Callable[[Ctx], httpx.Response]:
    """POST an import to A's open round (or B's): `body` is bytes, text, a JSON-able object or a
    function of the context giving one of those."""
    def call(ctx: Ctx) -> httpx.Response:
        content = body(ctx) if callable(body) else body
        if not isinstance(content, bytes | str | Iterator):
            content = json.dumps(content)
        sent = {"Authorization": f"Bearer {getattr(ctx, f'{token}_token')}", **headers}
        if media is not None:
            sent["Content-Type"] = media
        round_id = ctx.other_round_id if other else ctx.round_id
        return ctx.client.post(f"/api/v1/rounds/{round_id}/responses", content=content,
                               headers=sent)
    return call


def one_row(answers: dict, **extra) -> dict:
    return {"responses": [{"unit": UNIT_NAME, "role": "practor", "answers": answers, **extra}]}


def chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    """A body sent without Content-Length (chunked), so only counting the bytes can stop it."""
    yield b"unit,role,str1\n"
    sent = 15
    while sent < total:
        piece = min(size, total - sent)
        yield b"x" * piece
        sent += piece


def dashboard(path: str) -> Callable[[Ctx], httpx.Response]:
    def call(ctx: Ctx) -> httpx.Response:
        return ctx.board.get(path.format(slug=ctx.slug, round=ctx.round_id,
                                         other_round=ctx.other_round_id), follow_redirects=False)
    return call


def fail_logins(email: str, times: int) -> Callable[[Ctx], None]:
    def before(ctx: Ctx) -> None:
        for _ in range(times):
            response = form(ctx, "/login", {"email": email, "password": "fout-fout-fout"})
            assert response.status_code == 401, response.text
    return before


@pytest.fixture(scope="module")
def world(database_url, catalog, tmp_path_factory) -> Iterator[Ctx]:
    """Institution A (a practoraat; an open, a closed and a future round; personal links in every
    state; API tokens; a board account) and institution B, on an app of its own."""
    settings = Settings(environment="test", database_url=database_url,
                        data_dir=tmp_path_factory.mktemp("bad-input"),
                        secret_key="test-secret-key-not-for-production", anonymity_k=5,
                        base_url="http://testserver")
    app = create_app(settings, warm_charts=False)
    engine = app.state.engine
    try:
        with TestClient(app) as client, TestClient(app) as board, \
                session_scope(engine, write=True) as session:
            yield _build(client, board, session, catalog, engine, settings.secret_key)
    finally:
        with engine.begin() as conn:  # leave the shared test database empty, as conftest does
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(table.delete())
        engine.dispose()


def _build(client, board, session, catalog, engine, secret_key: str) -> Ctx:
    a = make_institution(session, "Hogeschool Hostiel")
    unit = make_unit(session, a, UNIT_NAME)
    closed = make_round(session, catalog, a, state="closed")
    open_round = make_round(session, catalog, a)
    future = make_round(session, catalog, a, state="not_open")
    b = make_institution(session, "ROC Elders")
    b_unit = make_unit(session, b, "Practoraat Elders")
    b_round = make_round(session, catalog, b)
    questionnaire = catalog.require(Q_SLUG, Q_VERSION)
    for _ in range(5):  # 5 = k practors, published together: the dashboard shows numbers
        stored_response(session, questionnaire, open_round, unit)
    stored_response(session, questionnaire, b_round, b_unit)
    draft_token, fresh_token, used_token = (personal_link(session, open_round, unit)
                                            for _ in range(3))
    closed_token = personal_link(session, closed, unit)
    future_token = personal_link(session, future, unit)
    shared_token, other_shared_token = (
        invitations.ensure_shared(session=session, secret_key=secret_key, round_=round_, unit=u)
        for round_, u in ((open_round, unit), (b_round, b_unit)))
    api_token = tokens.create_token(session=session, name="Bureau Vijandig",
                                    scopes=["read", "import"], institutions=[a])[1]
    read_token = tokens.create_token(session=session, name="Bureau Lezen", scopes=["read"],
                                     institutions=[a])[1]
    revoked, revoked_token = tokens.create_token(session=session, name="Bureau Oud",
                                                 scopes=["read", "import"], institutions=[a])
    tokens.revoke_token(session=session, token_id=revoked.id)
    accounts.create_account(session=session, email=BOARD_EMAIL, password=PASSWORD,
                            role=AccountRole.bestuur, institutions=[a])
    session.commit()  # no open transaction (SQLite: no write lock) while the app works

    ctx = Ctx(client=client, board=board, csrf=csrf_of(client), draft_token=draft_token,
              fresh_token=fresh_token, used_token=used_token, closed_token=closed_token,
              future_token=future_token, shared_token=shared_token,
              other_shared_token=other_shared_token, round_id=open_round.id, unit_id=unit.id,
              other_round_id=b_round.id, other_unit_id=b_unit.id, slug=a.slug, other_slug=b.slug,
              api_token=api_token, read_token=read_token, revoked_token=revoked_token,
              board_email=BOARD_EMAIL, engine=engine)
    # the draft, as a respondent leaves it: role chosen, part of the first knob saved
    assert form(ctx, f"/s/{draft_token}", {"role": "practor"}).status_code == 303
    assert knob({"item-str1": "4", "item-str2": "dk",
                 "open-open_strategie": "Meer samen optrekken"})(ctx).status_code == 303
    # the used link: answered and submitted through the pages
    assert form(ctx, f"/s/{used_token}", {"role": "docent_onderzoeker"}).status_code == 303
    assert knob({"item-str1": "3"}, token="used")(ctx).status_code == 303
    submitted = form(ctx, f"/s/{used_token}/afronden", {})
    assert submitted.status_code == 200, submitted.text[:300]  # the thank-you page itself
    used = session.exec(select(Invitation).where(
        Invitation.token_hash == invitations.hash_token(used_token))).one()
    assert used.used_on == today()
    session.commit()
    # the board member logs in through the real form
    response = board.post("/login", data={"csrf_token": csrf_of(board), "email": BOARD_EMAIL,
                                          "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    ctx.cookies = {name: list(getattr(ctx, name).cookies.jar) for name in ("client", "board")}
    return ctx


@pytest.fixture
def ctx(world: Ctx) -> Ctx:
    world.reset_browsers()
    return world


# --- what "unchanged" means ---------------------------------------------------------------------


def snapshot(engine: sa.Engine) -> tuple[dict[str, int], list[tuple], int]:
    """The row count of every table, every saved draft with all its contents, and the number of
    failed logins counted so far (login_attempt keeps one row per key with a counter)."""
    drafts, attempts = Draft.__table__, LoginAttempt.__table__
    with engine.connect() as conn:
        counts = {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                  for table in SQLModel.metadata.sorted_tables}
        saved = [tuple(row) for row in conn.execute(sa.select(drafts).order_by(drafts.c.id))]
        failures = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(attempts.c.failures), 0))
                                ).scalar_one()
    return counts, saved, failures


def assert_human_message(response, kind: str) -> str:
    """A message a person can read: the page's error summary, an error page's heading and
    sentence, or a problem's `detail`."""
    content_type = response.headers.get("content-type", "")
    if kind == "problem":
        assert content_type.startswith(PROBLEM), (content_type, response.text[:300])
        body = response.json()
        assert body["status"] == response.status_code, body
        assert isinstance(body.get("title"), str) and body["title"], body
        assert isinstance(body.get("detail"), str) and len(body["detail"]) > 10, body
        return body["detail"]
    assert content_type.startswith("text/html"), (content_type, response.text[:300])
    html = page(response)
    summary = html.select_one(".error-summary")
    if summary is not None and summary.get_text(strip=True):
        return summary.get_text(" ", strip=True)
    heading, lead = html.select_one("main h1, h1"), html.select_one("p.lead")
    assert heading is not None and heading.get_text(strip=True), response.text[:500]
    assert lead is not None and lead.get_text(strip=True), response.text[:500]
    assert "Traceback" not in response.text
    return f"{heading.get_text(strip=True)}: {lead.get_text(strip=True)}"


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    call: Callable[[Ctx], httpx.Response]
    status: int
    kind: str = "html"  # "html" for pages, "problem" for /api/v1
    counted_login: bool = False  # a failed login: it must be counted in login_attempt
    before: Callable[[Ctx], None] | None = None  # arranged before the "before" snapshot


def case(id: str, call, status: int, *, bug: str | None = None, **kwargs):
    marks = [pytest.mark.xfail(strict=True, reason=f"bug: {bug}")] if bug else []
    return pytest.param(Case(call, status, **kwargs), id=id, marks=marks)


def api_case(id: str, call, status: int, **kwargs):
    return case(id, call, status, kind="problem", **kwargs)


GOOD_CSV_HEADER = "unit,role,str1,str2,open_strategie\n"

CASES = [
    # --- survey: one knob page of a started draft -----------------------------------------------
    case("survey-off-scale-7", knob({"item-str1": "7"}), 422),
    case("survey-off-scale-minus-1", knob({"item-str1": "-1"}), 422),
    case("survey-off-scale-3.5", knob({"item-str1": "3.5"}), 422),
    case("survey-off-scale-empty", knob({"item-str1": ""}), 422),
    case("survey-off-scale-word", knob({"item-str1": "drie"}), 422),
    case("survey-off-scale-superscript-2", knob({"item-str1": "\u00b2"}), 422),
    case("survey-unknown-item", knob({"item-zzz9": "3"}), 422),
    case("survey-item-of-another-knob", knob({"item-stu1": "3"}), 422),
    case("survey-repeated-field", knob([("item-str1", "4"), ("item-str1", "5")]), 422),
    case("survey-unknown-open-question", knob({"open-open_nergens": "tekst"}), 422),
    case("survey-open-answer-nul-byte", knob({"open-open_strategie": "nul\x00byte"}), 422),
    case("survey-open-answer-2001-chars", knob({"open-open_strategie": "x" * 2001}), 422),
    case("survey-unknown-role", lambda c: form(c, f"/s/{c.draft_token}", {"role": "astronaut"}),
         422),
    case("survey-no-role", lambda c: form(c, f"/s/{c.draft_token}", {}), 422),
    case("survey-csrf-missing", lambda c: form(
        c, f"/s/{c.draft_token}/k/strategie", {"item-str1": "1", "action": "save"}, csrf=None), 403),
    case("survey-csrf-forged", lambda c: form(
        c, f"/s/{c.draft_token}/k/strategie", {"item-str1": "1", "action": "save"}, csrf="f" * 64),
        403),
    case("survey-csrf-without-its-cookie", lambda c: (
        c.client.cookies.delete("ks_csrf"),
        form(c, f"/s/{c.draft_token}/k/strategie", {"item-str1": "1", "action": "save"}))[1], 403),
    case("survey-json-body", lambda c: c.client.post(
        f"/s/{c.draft_token}/k/strategie", json={"csrf_token": c.csrf, "item-str1": "1"},
        follow_redirects=False), 403),
    case("survey-file-upload", lambda c: c.client.post(
        f"/s/{c.draft_token}/k/strategie", data={"csrf_token": c.csrf, "item-str1": "1"},
        files={"bijlage": ("x.txt", b"hallo", "text/plain")}, follow_redirects=False), 400),
    case("survey-huge-form-250-fields", lambda c: form(
        c, f"/s/{c.draft_token}/k/strategie", [(f"veld{i}", "1") for i in range(250)]), 400),
    case("survey-used-link-open", lambda c: c.client.get(f"/s/{c.used_token}"), 409),
    case("survey-used-link-save", knob({"item-str1": "2"}, token="used"), 409),
    case("survey-unknown-link", lambda c: c.client.get("/s/" + "A" * 24), 404),
    case("survey-malformed-link", lambda c: c.client.get("/s/..%2F..%2Fetc"), 404),
    case("survey-unknown-link-post", lambda c: form(c, "/s/" + "B" * 24, {"role": "practor"}),
         404),
    case("survey-closed-round-open", lambda c: c.client.get(f"/s/{c.closed_token}"), 410),
    case("survey-closed-round-start", lambda c: form(c, f"/s/{c.closed_token}",
                                                     {"role": "practor"}), 410),
    case("survey-round-not-yet-open", lambda c: c.client.get(f"/s/{c.future_token}"), 403),
    case("survey-submit-without-draft", lambda c: form(c, f"/s/{c.fresh_token}/afronden", {}),
         422),
    # --- login: a failed login is counted (login_attempt), a refused form is not ---------------
    case("login-missing-fields", lambda c: form(c, "/login", {}), 401, counted_login=True),
    case("login-missing-password", lambda c: form(c, "/login", {"email": c.board_email}), 401,
         counted_login=True),
    case("login-10kb-password", lambda c: form(
        c, "/login", {"email": c.board_email, "password": PASSWORD + "x" * 10240}), 401,
        counted_login=True),
    case("login-10kb-email", lambda c: form(
        c, "/login", {"email": "a" * 10240 + "@x.nl", "password": PASSWORD}), 401,
        counted_login=True),
    case("login-json-body", lambda c: c.client.post(
        "/login", json={"csrf_token": c.csrf, "email": c.board_email, "password": PASSWORD},
        follow_redirects=False), 403),
    case("login-text-plain-body", lambda c: c.client.post(
        "/login", content=f"csrf_token={c.csrf}&email={c.board_email}&password={PASSWORD}",
        headers={"Content-Type": "text/plain"}, follow_redirects=False), 403),
    case("login-csrf-missing", lambda c: form(
        c, "/login", {"email": c.board_email, "password": PASSWORD}, csrf=None), 403),
    case("login-locked-out", lambda c: form(c, "/login", {"email": LOCKED_EMAIL,
                                                           "password": PASSWORD}), 429,
         before=fail_logins(LOCKED_EMAIL, 5)),
    # --- control characters: one text rule for every way in (api.platform.text) -------------------
    # PostgreSQL refuses NUL in text (psycopg.DataError: a 500) where SQLite stores it
    case("login-email-nul", lambda c: form(c, "/login", {"email": "a\x00b@x.test",
                                                         "password": PASSWORD}), 422),
    case("login-password-nul", lambda c: form(c, "/login", {"email": c.board_email,
                                                            "password": "nul\x00" + PASSWORD}), 422),
    case("login-next-nul", lambda c: form(c, "/login", {"email": c.board_email, "password": PASSWORD,
                                                        "next": "/dashboard\x00"}), 422),
    case("login-email-escape-character", lambda c: form(
        c, "/login", {"email": "a\x1bb@x.test", "password": PASSWORD}), 422),
    case("login-field-name-nul", lambda c: form(c, "/login", {"e\x00mail": "a@x.test"}), 422),
    case("forgotten-email-nul", lambda c: form(c, "/wachtwoord-vergeten",
                                               {"email": "a\x00@x.test"}), 422),
    case("set-password-nul", lambda c: form(c, "/account/activeren/" + "x" * 30,
                                            {"password": "a\x00" * 8, "repeat": "a\x00" * 8}), 422),
    case("survey-role-nul", lambda c: form(c, f"/s/{c.draft_token}", {"role": "practor\x00"}), 422),
    case("survey-item-nul", knob({"item-str1": "4\x00"}), 422),
    case("survey-open-answer-vertical-tab", knob({"open-open_strategie": "regel\x0bregel"}), 422),
    case("survey-shared-link-role-nul", lambda c: form(c, f"/s/{c.shared_token}",
                                                       {"role": "\x00"}), 422),
    case("survey-token-nul", lambda c: c.client.get("/s/abc%00def"), 422),
    case("dashboard-slug-nul", dashboard("/dashboard/a%00b"), 422),
    case("dashboard-order-nul", dashboard("/dashboard/{slug}?order=%00"), 422),
    api_case("api-query-nul", api_get("/api/v1/institutions?limit=%00"), 422),
    api_case("api-slug-nul", api_get("/api/v1/institutions/a%00b"), 422),
    api_case("api-questionnaire-slug-nul", api_get("/api/v1/questionnaires/a%00b/1.0"), 422),
    api_case("import-json-unit-nul", upload({"responses": [
        {"unit": UNIT_NAME + "\x00", "role": "practor", "answers": {"str1": 4}}]},
        "application/json"), 422),
    api_case("import-json-role-nul", upload({"responses": [
        {"unit": UNIT_NAME, "role": "practor\x00", "answers": {"str1": 4}}]}, "application/json"),
        422),
    api_case("import-json-answer-key-nul", upload(one_row({"str1\x00": 4}), "application/json"),
             422),
    api_case("import-json-answer-value-nul", upload(one_row({"str1": "4\x00"}), "application/json"),
             422),
    api_case("import-json-open-answer-nul", upload(one_row(
        {"str1": 4}, open_answers={"open_strategie": "nul\x00byte"}), "application/json"), 422),
    api_case("import-json-idempotency-and-extra-key-nul", upload(
        lambda c: {"responses": [{"unit": UNIT_NAME, "role": "practor", "answers": {"str1": 4},
                                  "x\x00": 1}]}, "application/json"), 422),
    api_case("import-csv-escape-character", upload(
        GOOD_CSV_HEADER + f"{UNIT_NAME},practor,4,3,nul\x1bbyte\n", "text/csv"), 422),
    # --- dashboard of a logged-in board member: query values of the wrong type ------------------
    case("dashboard-round-not-a-number", dashboard("/dashboard/{slug}?round=abc"), 422),
    case("dashboard-round-of-another-institution",
         dashboard("/dashboard/{slug}?round={other_round}"), 404),
    case("dashboard-order-sideways", dashboard("/dashboard/{slug}?order=sideways"), 422),
    case("dashboard-chart-unknown-format",
         dashboard("/dashboard/{slug}/rounds/{round}/charts/star.gif"), 422),
    case("dashboard-chart-unknown-kind",
         dashboard("/dashboard/{slug}/rounds/{round}/charts/pie.svg"), 422),
    case("dashboard-table-of-another-institutions-round",
         dashboard("/dashboard/{slug}/rounds/{other_round}/units.csv"), 404),
    # --- API: tokens, versions, tenancy, query parameters ---------------------------------------
    api_case("api-no-token", api_get("/api/v1/institutions", token=None), 401),
    api_case("api-basic-auth", api_get("/api/v1/institutions", token=None,
                                       Authorization="Basic YWRtaW46YWRtaW4="), 401),
    api_case("api-unknown-token", api_get("/api/v1/institutions", token=None,
                                          Authorization="Bearer ks_" + "q" * 43), 401),
    api_case("api-revoked-token", api_get("/api/v1/institutions", token="revoked"), 401),
    api_case("api-10kb-token", api_get("/api/v1/institutions", token=None,
                                       Authorization="Bearer " + "k" * 10240), 401),
    api_case("api-wrong-questionnaire-version",
             api_get("/api/v1/questionnaires/galbraith-star/9.9"), 404),
    api_case("api-round-of-another-institution", api_get("/api/v1/rounds/{other_round}/scores"),
             404),
    api_case("api-institution-out-of-scope", api_get("/api/v1/institutions/{other_slug}"), 404),
    api_case("api-unknown-round", api_get("/api/v1/rounds/987654/scores"), 404),
    api_case("api-round-id-not-a-number", api_get("/api/v1/rounds/abc/scores"), 422),
    api_case("api-limit-abc", api_get("/api/v1/institutions?limit=abc"), 422),
    api_case("api-limit-0", api_get("/api/v1/institutions?limit=0"), 422),
    api_case("api-limit-huge", api_get("/api/v1/institutions/{slug}/rounds?limit=100000"), 422),
    api_case("api-offset-negative", api_get("/api/v1/institutions?offset=-1"), 422),
    api_case("api-group-by-x", api_get("/api/v1/rounds/{round}/scores?group_by=x"), 422),
    api_case("api-format-xml", api_get("/api/v1/rounds/{round}/scores?format=xml"), 422),
    api_case("api-compare-unit-not-a-number", api_get("/api/v1/rounds/{round}/compare?unit=abc"),
             422),
    # --- import: every bad file is refused whole -------------------------------------------------
    api_case("import-read-only-token", upload(one_row({"str1": 4}), "application/json",
                                              token="read"), 403),
    api_case("import-revoked-token", upload(one_row({"str1": 4}), "application/json",
                                            token="revoked"), 401),
    api_case("import-into-another-institution", upload(one_row({"str1": 4}), "application/json",
                                                       other=True), 404),
    api_case("import-json-off-scale", upload(one_row({"str1": 7}), "application/json"), 422),
    api_case("import-json-off-scale-negative", upload(one_row({"str1": -1}), "application/json"),
             422),
    api_case("import-json-boolean-answer", upload(one_row({"str1": True}), "application/json"), 422),
    api_case("import-csv-off-scale", upload(GOOD_CSV_HEADER + f"{UNIT_NAME},practor,4,9,\n",
                                            "text/csv"), 422),
    api_case("import-csv-superscript-2", upload(GOOD_CSV_HEADER + f"{UNIT_NAME},practor,\u00b2,3,\n",
                                                "text/csv"), 422),
    api_case("import-json-unknown-item", upload(one_row({"zzz9": 3}), "application/json"), 422),
    api_case("import-csv-unknown-item-column", upload(
        f"unit,role,str1,zzz9\n{UNIT_NAME},practor,4,3\n", "text/csv"), 422),
    api_case("import-csv-unknown-unit", upload(GOOD_CSV_HEADER + "Practoraat Nergens,practor,4,3,\n",
                                               "text/csv"), 422),
    api_case("import-csv-unit-superscript-2", upload(GOOD_CSV_HEADER + "\u00b2,practor,4,3,\n",
                                                     "text/csv"), 422),
    api_case("import-csv-unit-of-another-institution", upload(
        GOOD_CSV_HEADER + "Practoraat Elders,practor,4,3,\n", "text/csv"), 422),
    api_case("import-json-unit-id-of-another-institution", upload(lambda c: {"responses": [
        {"unit": c.other_unit_id, "role": "practor", "answers": {"str1": 4}}]}, "application/json"),
        422),
    api_case("import-json-unknown-role", upload({"responses": [
        {"unit": UNIT_NAME, "role": "astronaut", "answers": {"str1": 4}}]}, "application/json"),
        422),
    api_case("import-csv-ragged-rows", upload(
        GOOD_CSV_HEADER + f"{UNIT_NAME},practor,4,3,\n{UNIT_NAME},practor,4\n", "text/csv"), 422),
    api_case("import-csv-unterminated-quote", upload(
        GOOD_CSV_HEADER + f'{UNIT_NAME},practor,4,3,"begin van een antwoord\n'
        f"{UNIT_NAME},practor,5,5,tweede respondent\n", "text/csv"), 422),
    api_case("import-csv-missing-role-column", upload(f"unit,str1\n{UNIT_NAME},4\n", "text/csv"),
             422),
    api_case("import-csv-nul-bytes", upload(GOOD_CSV_HEADER + f"{UNIT_NAME},practor,4\x00,3,\n",
                                            "text/csv"), 422),
    api_case("import-csv-open-answer-too-long", upload(
        GOOD_CSV_HEADER + f"{UNIT_NAME},practor,4,3,{'x' * 2001}\n", "text/csv"), 422),
    api_case("import-json-malformed", upload('{"responses": [{"unit": ', "application/json"), 422),
    api_case("import-json-wrong-shape", upload({"rows": [{"unit": UNIT_NAME}]}, "application/json"),
             422),
    api_case("import-json-top-level-list", upload([{"unit": UNIT_NAME, "role": "practor",
                                                    "answers": {"str1": 4}}], "application/json"),
             422),
    api_case("import-json-no-responses", upload({"responses": []}, "application/json"), 422),
    api_case("import-json-answers-not-an-object", upload(
        {"responses": [{"unit": UNIT_NAME, "role": "practor", "answers": [4, 3]}]},
        "application/json"), 422),
    api_case("import-text-plain", upload(GOOD_CSV_HEADER + f"{UNIT_NAME},practor,4,3,\n",
                                         "text/plain"), 415),
    api_case("import-application-xml", upload("<responses><response unit='x'/></responses>",
                                              "application/xml"), 415),
    api_case("import-no-content-type", upload(b'{"responses": []}', None), 415),
    api_case("import-multipart-file", lambda c: c.client.post(
        f"/api/v1/rounds/{c.round_id}/responses", headers={"Authorization": f"Bearer {c.api_token}"},
        files={"file": ("a.csv", GOOD_CSV_HEADER.encode(), "text/csv")}), 415),
    api_case("import-empty-json-body", upload(b"", "application/json"), 422),
    api_case("import-empty-csv-body", upload(b"", "text/csv"), 422),
    api_case("import-csv-header-only", upload(GOOD_CSV_HEADER, "text/csv"), 422),
    api_case("import-over-5-mb", upload(GOOD_CSV_HEADER.encode() + b"x" * (5 * MB), "text/csv"),
             413),
    api_case("import-over-5-mb-chunked", upload(lambda c: chunks(5 * MB + 1), "text/csv"), 413),
    api_case("import-not-utf-8", upload(GOOD_CSV_HEADER.encode() + b"Practoraat \xff\xfe,practor,4,3,\n",
                                        "text/csv"), 422),
    api_case("import-idempotency-key-too-long", upload(one_row({"str1": 4}), "application/json",
                                                       **{"Idempotency-Key": "k" * 201}), 422),
]


def test_the_bad_input_table_has_enough_rows():
    assert len(CASES) >= 30


@pytest.mark.parametrize("bad", CASES)
def test_bad_input_gets_a_clear_4xx_and_leaves_the_database_unchanged(ctx: Ctx, bad: Case):
    if bad.before is not None:
        bad.before(ctx)
    counts, drafts, failures = snapshot(ctx.engine)

    response = bad.call(ctx)

    assert response.status_code == bad.status, response.text[:800]
    assert_human_message(response, bad.kind)
    counts_after, drafts_after, failures_after = snapshot(ctx.engine)
    # A failed login is *supposed* to leave a trace: login_attempt counts failures per account
    # name and per client address (the throttle). That table is treated on its own: its counted
    # failures must grow for a failed login, and nothing in it may change for any other row —
    # including a login refused for its form (CSRF) or while locked out.
    rows, rows_after = counts.pop(LOGIN_ATTEMPT), counts_after.pop(LOGIN_ATTEMPT)
    if bad.counted_login:
        assert failures_after > failures, "a failed login must be counted"
    else:
        assert (rows_after, failures_after) == (rows, failures)
    assert counts_after == counts
    assert drafts_after == drafts


# --- valid text that looks hostile -------------------------------------------------------------


SCRIPT = "<script>alert('ks')</script>"
SQL = "'; DROP TABLE response;--"


def test_script_and_sql_in_open_answers_are_stored_verbatim_and_rendered_escaped(ctx: Ctx,
                                                                              catalog):
    """Not bad input: an open answer may contain any text. It is saved as typed (no stripping,
    no SQL effect) and escaped wherever it is shown — the knob page and the board's dashboard."""
    with session_scope(ctx.engine, write=True) as session:
        round_, unit = session.get(Round, ctx.round_id), session.get(Unit, ctx.unit_id)
        token = personal_link(session, round_, unit)
    questionnaire = catalog.require(Q_SLUG, Q_VERSION)
    assert form(ctx, f"/s/{token}", {"role": "practor"}).status_code == 303
    opens = {"strategie": {"open-open_strategie": SCRIPT}, "structuur": {"open-open_structuur": SQL}}
    for knob_ in questionnaire.knobs:  # every statement answered, so every knob gets a score
        fields = {f"item-{item.id}": "4" for item in questionnaire.items_of(knob_.key)}
        assert form(ctx, f"/s/{token}/k/{knob_.key}", {**fields, **opens.get(knob_.key, {}),
                                                      "action": "next"}).status_code == 303
    with session_scope(ctx.engine) as session:
        draft = session.exec(select(Draft).where(Draft.key == invitations.hash_token(token))).one()
    assert draft.open_answers == {"open_strategie": SCRIPT, "open_structuur": SQL}

    again = ctx.client.get(f"/s/{token}/k/strategie")
    assert SCRIPT not in again.text and "&lt;script&gt;" in again.text  # escaped, not markup
    assert page(again).select_one("#open-open_strategie").text == SCRIPT
    assert page(again).select("script") == []

    with session_scope(ctx.engine, write=True) as session:  # 4 colleagues, waiting for a 5th
        round_, unit = session.get(Round, ctx.round_id), session.get(Unit, ctx.unit_id)
        for _ in range(4):
            stored_response(session, questionnaire, round_, unit)
    with session_scope(ctx.engine) as session:
        before = set(session.exec(select(Response.id).where(
            Response.round_id == ctx.round_id, Response.unit_id == ctx.unit_id)).all())
    # the 5th: all 5 released
    assert form(ctx, f"/s/{token}/afronden", {}).status_code == 200
    with session_scope(ctx.engine) as session:
        invitation = session.exec(select(Invitation).where(
            Invitation.token_hash == invitations.hash_token(token))).one()
        assert invitation.used_on == today()
        # a response names no invitation any more: the one new response in this round and unit
        [new] = set(session.exec(select(Response.id).where(
            Response.round_id == ctx.round_id, Response.unit_id == ctx.unit_id)).all()) - before
        stored = {row.question_id: row.text for row in session.exec(
            select(OpenAnswer).where(OpenAnswer.response_id == new))}
        released = session.get(Response, new).release_id
    assert stored == {"open_strategie": SCRIPT, "open_structuur": SQL}
    assert released is not None  # counted, so its open answers may be shown

    board = ctx.board.get(f"/dashboard/{ctx.slug}?round={ctx.round_id}")  # 10 released ≥ k
    assert board.status_code == 200, board.text[:500]
    shown = [li.text for li in page(board).select("details.open-answers li")]
    assert SCRIPT in shown and SQL in shown
    assert SCRIPT not in board.text and "&lt;script&gt;" in board.text
    # the only scripts are the site's own files (print.js opens the sections when printing)
    assert page(board).select("script:not([src])") == []
    assert all("/static/" in tag["src"] for tag in page(board).select("script[src]"))
    with ctx.engine.connect() as conn:  # the table the SQL names is still there
        assert conn.execute(sa.text("SELECT count(*) FROM response")).scalar_one() >= 6


def test_a_draft_cookie_of_another_link_is_no_server_error_and_leaves_that_draft_alone(ctx: Ctx):
    """A hostile browser sends the draft cookie of A's shared link to B's shared link. The key
    belongs to another link's draft: the right answer is a fresh draft (or a 4xx), never a 500,
    and the other link's draft stays exactly as it was."""
    client = ctx.client
    assert client.get(f"/s/{ctx.shared_token}").status_code == 200
    assert form(ctx, f"/s/{ctx.shared_token}", {"role": "practor"}).status_code == 303
    key = client.cookies.get("ks_draft")
    assert key
    before = snapshot(ctx.engine)[1]
    ctx.reset_browsers()
    client.cookies.set("ks_draft", key)

    response = form(ctx, f"/s/{ctx.other_shared_token}", {"role": "anders"})

    assert response.status_code < 500
    column = list(Draft.__table__.c.keys()).index("key")
    theirs = [draft for draft in snapshot(ctx.engine)[1] if draft[column] == key]
    assert theirs == [draft for draft in before if draft[column] == key]
