"""Tenancy matrix: every route of the app × every kind of visitor, with the status each must get.

The visitors (columns):

- anonymous — a browser without any cookie, or a script without a token;
- respondent — a browser that is filling in institution A's shared survey link (it holds that
  link's draft cookie), without a login;
- board A / board B — browsers logged in as a board member granted only A, or only B;
- coordinator A — a browser logged in as a coordinator granted A (runs A's rounds);
- consultant — a client sending a bearer token scoped to A with `read` and `import`;
- admin — a browser logged in as an administrator (sees every institution).

Each row is one concrete request, mostly on A's objects (A's slug, round, unit, shared link); a
few rows ask for B's objects, or mix A's slug with B's round, to show that no door between
tenants is open. Cells read "200", "404", … or "303→where" for a redirect (`login`, `intro`,
`knob <key>`, `thanks`, `dash A`, `admin A/eenheden`, …). `test_every_route_is_in_the_matrix`
fails when the app gets a route without a row here.

The rows run in order, each as every visitor, and every visitor's cookies are put back as they
were before each request; the respondent's draft lives in the database, so the survey rows follow
the survey's own order and the respondent's submit comes before the thank-you page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from api.plans import actions as plan
from api.platform.models import AccountRole
from api.setup import accounts, tokens, workshops
from api.survey import invitations
from api.webhooks import endpoints as webhook_endpoints
from tests import two_factor_steps
from tests.builders import all_answers, make_institution, make_round, make_unit, stored_response

Q_SLUG, Q_VERSION = "galbraith-star", "1.0"
PASSWORD = "een-lang-wachtwoord-42"
ROLES = ("anonymous", "respondent", "board_a", "board_b", "coordinator_a", "consultant", "admin")
HEADINGS = ("anonymous", "respondent", "board A", "board B", "coord. A", "consultant", "admin")
A_UNIT = "Practoraat Alfa"


def every(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


def but(default: str, **cells: str) -> dict[str, str]:
    return {**every(default), **cells}


# Pages and downloads of the dashboard need a logged-in session; a bearer token is no session.
NO_SESSION = "303→login"
DASH_A = but(NO_SESSION, board_a="200", board_b="404", coordinator_a="200", admin="200")
DASH_B = but(NO_SESSION, board_a="404", board_b="200", coordinator_a="404", admin="200")
DASH_NOWHERE = but(NO_SESSION, board_a="404", board_b="404", coordinator_a="404",
                   admin="404")  # A's slug, B's round
# The coordinator's area: only a coordinator of the institution and an administrator get in; a
# board member gets 404 (as if there were no such page), a visitor without a session the login.
ADMIN_A = but(NO_SESSION, board_a="404", board_b="404", coordinator_a="200", admin="200")
ADMIN_B = but(NO_SESSION, board_a="404", board_b="404", coordinator_a="404", admin="200")
# /api/v1 needs a bearer token: a browser session (board, admin) does not count.
API_A = but("401", consultant="200")
API_B = but("401", consultant="404")
# The survey is public by its link; only the browser holding a draft gets past the intro.
DRAFT_ONLY = but("303→intro", respondent="200")


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the app's path template this row exercises
    url: str  # placeholders: {A} {B} {a_round} {a_closed} {b_round} {a_unit} {b_unit} {a_link} {b_link}
    # {board_b_account} {b_token} {a_action} {b_action} {a_map} {b_map}
    expected: dict[str, str]
    form: dict[str, str] | None = None  # posted as a page form, with the browser's CSRF token
    json: dict | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.url}"


IMPORT_A = {"responses": [{"unit": A_UNIT, "role": "practor", "answers": {"str1": 4, "str2": "dk"}}]}
IMPORT_B = {"responses": [{"unit": "Practoraat Beta", "role": "practor", "answers": {"str1": 4}}]}

MATRIX = [
    # --- public pages -------------------------------------------------------------------------
    Row("GET", "/", "/", every("200")),
    Row("GET", "/login", "/login", every("200")),
    Row("POST", "/login", "/login", every("303→dashboards"),
        form={"email": "bestuur@alfa.nl", "password": PASSWORD, "next": "/dashboard"}),
    # logging out ends the account's sessions on the server (every device): a real logout here
    # would log the matrix's visitors out for every later row, so this row posts without the
    # form token (refused, nothing changes); tests/web/test_passwords.py logs out for real
    Row("POST", "/logout", "/logout", every("403"), json={}),
    Row("GET", "/static", "/static/kennisster.css", every("200")),
    Row("GET", "/static/api-docs", "/static/api-docs/swagger-ui-bundle.js", every("200")),
    Row("GET", "/favicon.ico", "/favicon.ico", every("200")),
    Row("GET", "/api/v1/docs", "/api/v1/docs", every("200")),
    Row("GET", "/api/v1/redoc", "/api/v1/redoc", every("200")),
    Row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", every("200")),
    # --- the survey: public by its link, in the survey's own order -------------------------------
    Row("GET", "/s/{token}", "/s/{a_link}", every("200")),
    Row("GET", "/s/{token}", "/s/{b_link}", every("200")),
    Row("POST", "/s/{token}", "/s/{a_link}", every("303→knob strategie"), form={"role": "practor"}),
    Row("GET", "/s/{token}/k/{knob}", "/s/{a_link}/k/strategie", DRAFT_ONLY),
    Row("POST", "/s/{token}/k/{knob}", "/s/{a_link}/k/strategie",
        but("303→intro", respondent="303→knob structuur"),
        form={"item-str1": "4", "item-str2": "5", "action": "next"}),
    # A's round has no own items: their page sends everyone back to the intro
    Row("GET", "/s/{token}/eigen", "/s/{a_link}/eigen", every("303→intro")),
    Row("POST", "/s/{token}/eigen", "/s/{a_link}/eigen", every("303→intro"),
        form={"action": "next"}),
    # A's round has the network map: only the draft reaches its step; the respondent skips it
    Row("GET", "/s/{token}/netwerk", "/s/{a_link}/netwerk", DRAFT_ONLY),
    Row("POST", "/s/{token}/netwerk", "/s/{a_link}/netwerk",
        but("303→intro", respondent="303→finish"), form={"action": "skip"}),
    Row("GET", "/s/{token}/afronden", "/s/{a_link}/afronden", DRAFT_ONLY),
    # without a draft there is nothing to submit: "Nothing to submit", 422
    Row("POST", "/s/{token}/afronden", "/s/{a_link}/afronden",
        but("422", respondent="200"), form={}),
    Row("GET", "/s/{token}/bedankt", "/s/{a_link}/bedankt", DRAFT_ONLY),
    # the private results link opens by its secret alone: no session or invitation opens another's
    Row("GET", "/mijn/{secret}", "/mijn/" + "z" * 32, every("404")),
    Row("GET", "/mijn/{secret}/ster.{fmt}", "/mijn/" + "z" * 32 + "/ster.svg", every("404")),
    # --- the dashboard, on A's objects ----------------------------------------------------------
    Row("GET", "/dashboard", "/dashboard",
        but(NO_SESSION, board_a="303→dash A", board_b="303→dash B", coordinator_a="303→dash A",
            admin="200")),
    Row("GET", "/dashboard/{slug}", "/dashboard/{A}", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/charts/{chart}.{fmt}",
        "/dashboard/{A}/rounds/{a_round}/charts/star.svg", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/charts/{chart}.{fmt}",
        "/dashboard/{A}/rounds/{a_round}/charts/roles.png", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/charts/{chart}.{fmt}",
        "/dashboard/{A}/rounds/{a_round}/charts/trend.svg", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/units.{fmt}",
        "/dashboard/{A}/rounds/{a_round}/units.csv", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/units.{fmt}",
        "/dashboard/{A}/rounds/{a_round}/units.xlsx", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/report.pdf",
        "/dashboard/{A}/rounds/{a_round}/report.pdf", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/own-items.{fmt}",
        "/dashboard/{A}/rounds/{a_round}/own-items.csv", DASH_A),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/own-items.{fmt}",
        "/dashboard/{A}/rounds/{b_round}/own-items.xlsx", DASH_NOWHERE),
    Row("GET", "/dashboard/{slug}/netwerkkaart", "/dashboard/{A}/netwerkkaart", DASH_A),
    Row("GET", "/dashboard/{slug}/netwerkkaart",
        "/dashboard/{A}/netwerkkaart?round={a_round}&unit={a_unit}", DASH_A),
    Row("GET", "/dashboard/{slug}/netwerkkaart", "/dashboard/{B}/netwerkkaart", DASH_B),
    Row("GET", "/dashboard/{slug}/netwerkkaart", "/dashboard/{A}/netwerkkaart?round={b_round}",
        DASH_NOWHERE),
    Row("GET", "/dashboard/{slug}/netwerkkaart",
        "/dashboard/{A}/netwerkkaart?round={a_round}&unit={b_unit}", DASH_NOWHERE),
    # ... on B's objects, and A's slug with B's round
    Row("GET", "/dashboard/{slug}", "/dashboard/{B}", DASH_B),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/charts/{chart}.{fmt}",
        "/dashboard/{B}/rounds/{b_round}/charts/star.png", DASH_B),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/units.{fmt}",
        "/dashboard/{B}/rounds/{b_round}/units.csv", DASH_B),
    Row("GET", "/dashboard/{slug}", "/dashboard/{A}?round={b_round}", DASH_NOWHERE),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/charts/{chart}.{fmt}",
        "/dashboard/{A}/rounds/{b_round}/charts/star.svg", DASH_NOWHERE),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/units.{fmt}",
        "/dashboard/{A}/rounds/{b_round}/units.xlsx", DASH_NOWHERE),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/report.pdf",
        "/dashboard/{B}/rounds/{b_round}/report.pdf", DASH_B),
    Row("GET", "/dashboard/{slug}/rounds/{round_id}/report.pdf",
        "/dashboard/{A}/rounds/{b_round}/report.pdf", DASH_NOWHERE),
    # --- /api/v1, on A's objects -----------------------------------------------------------------
    Row("GET", "/api/v1/questionnaires", "/api/v1/questionnaires", API_A),
    Row("GET", "/api/v1/questionnaires/{slug}/{version}",
        "/api/v1/questionnaires/galbraith-star/1.0", API_A),
    # the scale's evidence is sector-wide (no institution's numbers): any read token
    Row("GET", "/api/v1/questionnaires/{slug}/{version}/reliability",
        "/api/v1/questionnaires/galbraith-star/1.0/reliability", API_A),
    Row("GET", "/api/v1/questionnaires/{slug}/{version}/reliability",
        "/api/v1/questionnaires/galbraith-star/9.9/reliability", API_B),

    Row("GET", "/api/v1/questionnaires/{slug}/diff",
        "/api/v1/questionnaires/galbraith-star/diff?from=1.0&to=1.0", API_A),
    Row("GET", "/api/v1/institutions", "/api/v1/institutions", API_A),
    Row("GET", "/api/v1/institutions/{slug}", "/api/v1/institutions/{A}", API_A),
    Row("GET", "/api/v1/institutions/{slug}/units", "/api/v1/institutions/{A}/units", API_A),
    Row("GET", "/api/v1/institutions/{slug}/rounds", "/api/v1/institutions/{A}/rounds", API_A),
    Row("GET", "/api/v1/rounds/{round_id}/scores", "/api/v1/rounds/{a_round}/scores?group_by=unit",
        API_A),
    Row("GET", "/api/v1/rounds/{round_id}/compare",
        "/api/v1/rounds/{a_round}/compare?unit={a_unit}", API_A),
    Row("GET", "/api/v1/compare/institutions", "/api/v1/compare/institutions?institution={A}",
        API_A),
    Row("GET", "/api/v1/institutions/{slug}/trend", "/api/v1/institutions/{A}/trend?unit={a_unit}",
        API_A),
    Row("GET", "/api/v1/rounds/{round_id}/report.pdf", "/api/v1/rounds/{a_round}/report.pdf?lang=en",
        API_A),
    Row("GET", "/api/v1/institutions/{slug}/actions", "/api/v1/institutions/{A}/actions", API_A),
    Row("GET", "/api/v1/rounds/{round_id}/own-items", "/api/v1/rounds/{a_round}/own-items", API_A),
    Row("GET", "/api/v1/rounds/{round_id}/own-items", "/api/v1/rounds/{b_round}/own-items", API_B),
    Row("GET", "/api/v1/rounds/{round_id}/network-map", "/api/v1/rounds/{a_round}/network-map",
        API_A),
    Row("GET", "/api/v1/rounds/{round_id}/network-map", "/api/v1/rounds/{b_round}/network-map",
        API_B),
    Row("GET", "/api/v1/institutions/{slug}/actions", "/api/v1/institutions/{B}/actions", API_B),
    Row("POST", "/api/v1/rounds/{round_id}/responses", "/api/v1/rounds/{a_round}/responses",
        but("401", consultant="201"), json=IMPORT_A),
    # ... on B's objects, and A's objects asked with B's unit
    Row("GET", "/api/v1/institutions/{slug}", "/api/v1/institutions/{B}", API_B),
    Row("GET", "/api/v1/institutions/{slug}/units", "/api/v1/institutions/{B}/units", API_B),
    Row("GET", "/api/v1/institutions/{slug}/rounds", "/api/v1/institutions/{B}/rounds", API_B),
    Row("GET", "/api/v1/institutions/{slug}/trend", "/api/v1/institutions/{B}/trend", API_B),
    Row("GET", "/api/v1/rounds/{round_id}/scores", "/api/v1/rounds/{b_round}/scores", API_B),
    Row("GET", "/api/v1/rounds/{round_id}/compare", "/api/v1/rounds/{b_round}/compare", API_B),
    Row("GET", "/api/v1/rounds/{round_id}/report.pdf", "/api/v1/rounds/{b_round}/report.pdf",
        API_B),
    Row("GET", "/api/v1/compare/institutions", "/api/v1/compare/institutions?institution={B}",
        API_B),
    Row("POST", "/api/v1/rounds/{round_id}/responses", "/api/v1/rounds/{b_round}/responses",
        API_B, json=IMPORT_B),
    Row("GET", "/api/v1/rounds/{round_id}/compare",
        "/api/v1/rounds/{a_round}/compare?unit={b_unit}", API_B),
    Row("GET", "/api/v1/institutions/{slug}/trend", "/api/v1/institutions/{A}/trend?unit={b_unit}",
        API_B),
]

# --- the coordinator's area: home, institution and units (branch admin-units) -----------------
# A coordinator of A runs only A; its admin home leads straight there. The POST rows change
# nothing for good: settings saved as they are, A's unit renamed to its own name, moved where
# it is, archived and put back; only "Practoraat Matrix" is new (the admin then finds it taken).
ADMIN_UNITS_ROWS: list[Row] = [
    Row("GET", "/beheer", "/beheer",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="303→admin A", admin="200")),
    Row("POST", "/beheer", "/beheer",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="404",
            admin="303→admin hogeschool-matrix"),
        form={"name": "Hogeschool Matrix", "anonymity_k": "", "default_language": "nl"}),
    Row("GET", "/beheer/{slug}", "/beheer/{A}", ADMIN_A),
    # the installation's own page (every institution's released responses): administrators only
    Row("GET", "/beheer/vragenlijsten/betrouwbaarheid", "/beheer/vragenlijsten/betrouwbaarheid",
        ADMIN_B),
    Row("GET", "/beheer/{slug}", "/beheer/{B}", ADMIN_B),
    Row("POST", "/beheer/{slug}", "/beheer/{A}", {**ADMIN_A, "coordinator_a": "303→admin A",
                                                   "admin": "303→admin A"},
        form={"name": "Hogeschool Alfa", "anonymity_k": "5", "default_language": "nl"}),
    # the institution's sign-in (domains, role of a new account, passwords off): administrators
    # only, since a domain grants accounts; its coordinator sees it on the page above
    Row("POST", "/beheer/{slug}/inloggen", "/beheer/{A}/inloggen", {**ADMIN_B, "admin": "303→admin A"},
        form={"sso_domains": "alfa.nl", "sso_role": "bestuur"}),
    Row("POST", "/beheer/{slug}/inloggen", "/beheer/{B}/inloggen", {**ADMIN_B, "admin": "303→admin B"},
        form={"sso_domains": "", "sso_role": "bestuur"}),
    Row("POST", "/beheer/{slug}", "/beheer/{B}", {**ADMIN_B, "admin": "303→admin B"},
        form={"name": "ROC Beta", "anonymity_k": "5", "default_language": "nl"}),
    Row("GET", "/beheer/{slug}/eenheden", "/beheer/{A}/eenheden", ADMIN_A),
    Row("GET", "/beheer/{slug}/eenheden", "/beheer/{B}/eenheden", ADMIN_B),
    Row("GET", "/beheer/{slug}/eenheden/voorbeeld.csv", "/beheer/{A}/eenheden/voorbeeld.csv",
        ADMIN_A),
    Row("GET", "/beheer/{slug}/eenheden/voorbeeld.csv", "/beheer/{B}/eenheden/voorbeeld.csv",
        ADMIN_B),
    Row("POST", "/beheer/{slug}/eenheden", "/beheer/{A}/eenheden",
        {**ADMIN_A, "coordinator_a": "303→admin A/eenheden", "admin": "422"},
        form={"name": "Practoraat Matrix", "kind": "practoraat", "parent": ""}),
    Row("POST", "/beheer/{slug}/eenheden", "/beheer/{B}/eenheden", {**ADMIN_B, "admin": "422"},
        form={"name": "", "kind": "practoraat", "parent": ""}),
    Row("POST", "/beheer/{slug}/eenheden/{unit_id}/naam", "/beheer/{A}/eenheden/{a_unit}/naam",
        {**ADMIN_A, "coordinator_a": "303→admin A/eenheden", "admin": "303→admin A/eenheden"},
        form={"name": A_UNIT}),
    Row("POST", "/beheer/{slug}/eenheden/{unit_id}/naam", "/beheer/{A}/eenheden/{b_unit}/naam",
        {**ADMIN_A, "coordinator_a": "404", "admin": "404"}, form={"name": "Practoraat Beta"}),
    Row("POST", "/beheer/{slug}/eenheden/{unit_id}/verplaatsen",
        "/beheer/{A}/eenheden/{a_unit}/verplaatsen",
        {**ADMIN_A, "coordinator_a": "303→admin A/eenheden", "admin": "303→admin A/eenheden"},
        form={"parent": ""}),
    Row("POST", "/beheer/{slug}/eenheden/{unit_id}/archiveren",
        "/beheer/{A}/eenheden/{a_unit}/archiveren",
        {**ADMIN_A, "coordinator_a": "303→admin A/eenheden", "admin": "303→admin A/eenheden"},
        form={}),
    Row("POST", "/beheer/{slug}/eenheden/{unit_id}/terugzetten",
        "/beheer/{A}/eenheden/{a_unit}/terugzetten",
        {**ADMIN_A, "coordinator_a": "303→admin A/eenheden", "admin": "303→admin A/eenheden"},
        form={}),
    Row("POST", "/beheer/{slug}/eenheden/{unit_id}/verwijderen",
        "/beheer/{A}/eenheden/{a_unit}/verwijderen",
        {**ADMIN_A, "coordinator_a": "409", "admin": "409"}, form={}),  # it has responses
    Row("POST", "/beheer/{slug}/eenheden/{unit_id}/verwijderen",
        "/beheer/{B}/eenheden/{b_unit}/verwijderen", {**ADMIN_B, "admin": "409"}, form={}),
    Row("POST", "/beheer/{slug}/eenheden/upload", "/beheer/{A}/eenheden/upload",
        {**ADMIN_A, "coordinator_a": "422", "admin": "422"}, form={}),  # no file chosen
    Row("POST", "/beheer/{slug}/eenheden/upload", "/beheer/{B}/eenheden/upload",
        {**ADMIN_B, "admin": "422"}, form={}),
]

# --- the coordinator's area: rounds and invitations (branch admin-rounds) ---------------------
# A refused form answers 422 to whoever may run A (nothing is stored); A's round with B's slug, or
# B's unit in A's round, does not exist for anyone.
ADMIN_A_FORM = but(NO_SESSION, board_a="404", board_b="404", coordinator_a="422", admin="422")
ADMIN_NOWHERE = but(NO_SESSION, board_a="404", board_b="404", coordinator_a="404", admin="404")
ROUNDS = "/beheer/{slug}/metingen"
ROUND = ROUNDS + "/{round_id}"
ROUND_UNIT = ROUND + "/eenheden/{unit_id}"
A_ROUND_UNIT = "/beheer/{A}/metingen/{a_round}/eenheden/{a_unit}"
ADMIN_ROUNDS_ROWS: list[Row] = [
    Row("GET", ROUNDS, "/beheer/{A}/metingen", ADMIN_A),
    Row("GET", ROUNDS, "/beheer/{B}/metingen", ADMIN_B),
    Row("POST", ROUNDS, "/beheer/{A}/metingen", ADMIN_A_FORM,
        form={"name": "Meting", "questionnaire": "galbraith-star/1.0", "opens_date": "2031-10-01",
              "opens_time": "09:00", "closes_date": "2031-09-01", "closes_time": "17:00"}),
    Row("POST", ROUNDS, "/beheer/{B}/metingen", but(NO_SESSION, board_a="404", board_b="404",
                                                    coordinator_a="404", admin="422"),
        form={"name": ""}),
    Row("GET", ROUND, "/beheer/{A}/metingen/{a_round}", ADMIN_A),
    Row("GET", ROUND, "/beheer/{A}/metingen/{a_closed}", ADMIN_A),
    Row("GET", ROUND, "/beheer/{B}/metingen/{b_round}", ADMIN_B),
    Row("GET", ROUND, "/beheer/{B}/metingen/{a_round}", ADMIN_NOWHERE),
    Row("GET", ROUND, "/beheer/{A}/metingen/{b_round}", ADMIN_NOWHERE),
    Row("POST", ROUND + "/sluiten", "/beheer/{A}/metingen/{a_round}/sluiten", ADMIN_A_FORM, form={}),
    Row("POST", ROUND + "/sluiten", "/beheer/{B}/metingen/{a_round}/sluiten", ADMIN_NOWHERE,
        form={"confirm": "yes"}),
    Row("POST", ROUND + "/verlengen", "/beheer/{A}/metingen/{a_closed}/verlengen", ADMIN_A_FORM,
        form={"closes_date": "2040-01-01", "closes_time": "12:00"}),
    Row("POST", ROUND + "/verlengen", "/beheer/{A}/metingen/{b_round}/verlengen", ADMIN_NOWHERE,
        form={"closes_date": "2040-01-01", "closes_time": "12:00"}),
    Row("POST", ROUND + "/herinneren", "/beheer/{A}/metingen/{a_round}/herinneren", ADMIN_A_FORM,
        form={}),
    Row("POST", ROUND + "/herinneren", "/beheer/{B}/metingen/{a_round}/herinneren", ADMIN_NOWHERE,
        form={}),
    # A's round has opened: its network-map step can no longer be switched (refused, 409)
    Row("POST", ROUND + "/netwerkkaart", "/beheer/{A}/metingen/{a_round}/netwerkkaart",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="409", admin="409"),
        form={"network_map": "0"}),
    Row("POST", ROUND + "/netwerkkaart", "/beheer/{B}/metingen/{a_round}/netwerkkaart",
        ADMIN_NOWHERE, form={"network_map": "0"}),
    # A's round has opened: its own items are fixed, so every change is refused (422)
    Row("POST", ROUND + "/eigen-vragen", "/beheer/{A}/metingen/{a_round}/eigen-vragen",
        ADMIN_A_FORM, form={"kind": "likert", "statement_nl": "Te laat"}),
    Row("POST", ROUND + "/eigen-vragen", "/beheer/{B}/metingen/{a_round}/eigen-vragen",
        ADMIN_NOWHERE, form={"kind": "likert", "statement_nl": "Elders"}),
    Row("POST", ROUND + "/eigen-vragen/{item_id}",
        "/beheer/{A}/metingen/{a_round}/eigen-vragen/999999", ADMIN_A_FORM,
        form={"action": "remove"}),
    Row("POST", ROUND + "/eigen-vragen/{item_id}",
        "/beheer/{A}/metingen/{b_round}/eigen-vragen/999999", ADMIN_NOWHERE,
        form={"action": "remove"}),
    Row("GET", ROUND_UNIT, A_ROUND_UNIT, ADMIN_A),
    Row("GET", ROUND_UNIT, "/beheer/{A}/metingen/{a_round}/eenheden/{b_unit}", ADMIN_NOWHERE),
    Row("GET", ROUND_UNIT, "/beheer/{B}/metingen/{b_round}/eenheden/{b_unit}", ADMIN_B),
    Row("POST", ROUND_UNIT + "/links", A_ROUND_UNIT + "/links",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="200", admin="200"),
        form={"count": "1", "format": "csv"}),
    Row("POST", ROUND_UNIT + "/links", "/beheer/{A}/metingen/{a_round}/eenheden/{b_unit}/links",
        ADMIN_NOWHERE, form={"count": "1"}),
    # the closed round takes no new shared link: refused with the error page
    Row("POST", ROUND_UNIT + "/gedeelde-link",
        "/beheer/{A}/metingen/{a_closed}/eenheden/{a_unit}/gedeelde-link",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="409", admin="409"), form={}),
    Row("POST", ROUND_UNIT + "/gedeelde-link",
        "/beheer/{A}/metingen/{a_round}/eenheden/{b_unit}/gedeelde-link", ADMIN_NOWHERE, form={}),
    Row("GET", ROUND_UNIT + "/qr.{fmt}", A_ROUND_UNIT + "/qr.svg", ADMIN_A),
    Row("GET", ROUND_UNIT + "/qr.{fmt}", A_ROUND_UNIT + "/qr.png", ADMIN_A),
    Row("GET", ROUND_UNIT + "/qr.{fmt}", "/beheer/{A}/metingen/{a_round}/eenheden/{b_unit}/qr.png",
        ADMIN_NOWHERE),
    Row("GET", ROUND_UNIT + "/qr.{fmt}", "/beheer/{B}/metingen/{a_round}/eenheden/{a_unit}/qr.svg",
        ADMIN_NOWHERE),
    Row("GET", ROUND_UNIT + "/poster", A_ROUND_UNIT + "/poster", ADMIN_A),
    Row("GET", ROUND_UNIT + "/poster", "/beheer/{A}/metingen/{b_round}/eenheden/{b_unit}/poster",
        ADMIN_NOWHERE),
    Row("POST", ROUND_UNIT + "/uitnodigen", A_ROUND_UNIT + "/uitnodigen", ADMIN_A_FORM,
        form={"addresses": "geen-adres", "lang": "nl"}),
    Row("POST", ROUND_UNIT + "/uitnodigen",
        "/beheer/{A}/metingen/{a_round}/eenheden/{b_unit}/uitnodigen", ADMIN_NOWHERE,
        form={"addresses": "a@b.nl"}),
    Row("POST", ROUND_UNIT + "/upload", A_ROUND_UNIT + "/upload", ADMIN_A_FORM, form={"lang": "nl"}),
    Row("POST", ROUND_UNIT + "/upload", "/beheer/{B}/metingen/{a_round}/eenheden/{a_unit}/upload",
        ADMIN_NOWHERE, form={"lang": "nl"}),
]

# --- the coordinator's area: accounts, passwords and the audit log (branch admin-accounts) ----
# POSTs that would change a visitor (revoke, block) aim at B's board account through A's URL:
# refused for everyone, so the visitors stay as they are; the real actions are in
# tests/web/test_admin_accounts.py.
SIGNED_IN = but(NO_SESSION, board_a="200", board_b="200", coordinator_a="200", admin="200")
ADMIN_ACCOUNTS_ROWS: list[Row] = [
    Row("GET", "/beheer/{slug}/accounts", "/beheer/{A}/accounts", ADMIN_A),
    Row("GET", "/beheer/{slug}/accounts", "/beheer/{B}/accounts", ADMIN_B),
    Row("POST", "/beheer/{slug}/accounts", "/beheer/{A}/accounts",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="303→admin A/accounts",
            admin="303→admin A/accounts"),  # a new account, then (admin) the grant it has
        form={"email": "nieuw@alfa.nl", "role": "bestuur"}),
    Row("POST", "/beheer/{slug}/accounts", "/beheer/{B}/accounts",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="404", admin="422"),
        form={"email": "geen-adres", "role": "bestuur"}),
    Row("POST", "/beheer/{slug}/accounts/{account_id}/intrekken",
        "/beheer/{A}/accounts/{board_b_account}/intrekken",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="404", admin="404"), form={}),
    Row("POST", "/beheer/{slug}/accounts/{account_id}/blokkeren",
        "/beheer/{A}/accounts/{board_b_account}/blokkeren",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="403", admin="404"), form={}),
    Row("GET", "/beheer/{slug}/logboek", "/beheer/{A}/logboek", ADMIN_A),
    Row("GET", "/beheer/{slug}/logboek", "/beheer/{B}/logboek?pagina=2", ADMIN_B),
    # a one-time link nobody was given; choosing and changing passwords
    Row("GET", "/account/activeren/{token}", "/account/activeren/geen-echte-link", every("404")),
    Row("POST", "/account/activeren/{token}", "/account/activeren/geen-echte-link",
        every("404"), form={"password": PASSWORD, "repeat": PASSWORD}),
    Row("GET", "/wachtwoord-vergeten", "/wachtwoord-vergeten", every("200")),
    Row("POST", "/wachtwoord-vergeten", "/wachtwoord-vergeten", every("200"),
        form={"email": "niemand@alfa.nl"}),
    Row("GET", "/account/wachtwoord", "/account/wachtwoord", SIGNED_IN),
    Row("POST", "/account/wachtwoord", "/account/wachtwoord",  # a wrong current password
        but(NO_SESSION, board_a="422", board_b="422", coordinator_a="422", admin="422"),
        form={"current": "niet-het-wachtwoord", "new": PASSWORD + "x", "repeat": PASSWORD + "x"}),
    # two-step sign-in (branch twofactor): the code page needs the pending cookie of a right
    # password, which no visitor holds here; the coordinator and the admin enrolled when the
    # admin area asked them to (log_in), the board members did not (it is optional for them)
    # sign-in through OpenID Connect: not set up in this world, so there is no such page
    Row("GET", "/login/sso", "/login/sso", every("404")),
    Row("GET", "/login/sso/terug", "/login/sso/terug?code=x&state=y", every("404")),
    Row("GET", "/login/code", "/login/code", every("303→login")),
    Row("POST", "/login/code", "/login/code", every("303→login"), form={"code": "123456"}),
    Row("GET", "/account/tweestaps", "/account/tweestaps", SIGNED_IN),
    Row("POST", "/account/tweestaps", "/account/tweestaps",  # a wrong first code; on already
        but(NO_SESSION, board_a="422", board_b="422", coordinator_a="409", admin="409"),
        form={"code": "12"}),
    Row("POST", "/account/tweestaps/herstelcodes", "/account/tweestaps/herstelcodes",
        but(NO_SESSION, board_a="409", board_b="409", coordinator_a="200", admin="200"), form={}),
    Row("POST", "/account/tweestaps/uit", "/account/tweestaps/uit",  # required: not switched off
        but(NO_SESSION, board_a="303→/account/tweestaps", board_b="303→/account/tweestaps",
            coordinator_a="409", admin="409"), form={}),
    Row("POST", "/beheer/{slug}/accounts/{account_id}/tweestaps-herstellen",
        "/beheer/{A}/accounts/{board_b_account}/tweestaps-herstellen",  # B's account via A's URL
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="409", admin="404"), form={}),
]

# --- the coordinator's area: API tokens (branch admin-tokens) -----------------------------------
# Making a token on A answers the page that shows it once; revoking aims at B's token through
# A's URL, or at no token at all, so the consultant's token keeps working for the later rows; the
# real revoking is in tests/web/test_admin_tokens.py.
ADMIN_TOKENS_ROWS: list[Row] = [
    Row("GET", "/beheer/{slug}/tokens", "/beheer/{A}/tokens", ADMIN_A),
    Row("GET", "/beheer/{slug}/tokens", "/beheer/{B}/tokens", ADMIN_B),
    Row("POST", "/beheer/{slug}/tokens", "/beheer/{A}/tokens", ADMIN_A,
        form={"name": "Bureau Matrix", "scopes": "read"}),
    Row("POST", "/beheer/{slug}/tokens", "/beheer/{B}/tokens", {**ADMIN_B, "admin": "422"},
        form={"name": "Bureau Matrix"}),  # no scope chosen
    Row("POST", "/beheer/{slug}/tokens/{token_id}/intrekken",
        "/beheer/{A}/tokens/{b_token}/intrekken", ADMIN_NOWHERE, form={"confirm": "yes"}),
    Row("POST", "/beheer/{slug}/tokens/{token_id}/intrekken",
        "/beheer/{B}/tokens/999999/intrekken", ADMIN_NOWHERE, form={"confirm": "yes"}),
]

# --- the action plan under the dashboard (branch actions) ----------------------------------------
# Board members, coordinators and admins make the plan of the institutions they read; the rows
# make, change and keep A's action (deleting aims at A's action through B's slug, so nothing goes).
ACTION_FORM = {"round": "{a_closed}", "knob": "beloningen", "unit": "", "title": "Erken bijdragen",
               "suggestion": "bel_s1", "owner": "Lector", "due_on": "2027-03-01",
               "status": "bezig", "notes": "", "back_round": ""}
TO_DASH_A = but(NO_SESSION, board_a="303→dash A", board_b="404", coordinator_a="303→dash A",
                admin="303→dash A")
ACTIONS = "/dashboard/{slug}/acties"
ACTION = ACTIONS + "/{action_id}"
ACTION_ROWS: list[Row] = [
    Row("GET", ACTIONS + "/nieuw", "/dashboard/{A}/acties/nieuw?knob=beloningen&suggestion=bel_s1",
        DASH_A),
    Row("GET", ACTIONS + "/nieuw", "/dashboard/{B}/acties/nieuw", DASH_B),
    Row("POST", ACTIONS, "/dashboard/{A}/acties", TO_DASH_A, form=ACTION_FORM),
    Row("POST", ACTIONS, "/dashboard/{B}/acties",  # an empty title: the form again, nothing kept
        but(NO_SESSION, board_a="404", board_b="422", coordinator_a="404", admin="422"),
        form={**ACTION_FORM, "title": ""}),
    Row("GET", ACTION, "/dashboard/{A}/acties/{a_action}", DASH_A),
    Row("GET", ACTION, "/dashboard/{A}/acties/{b_action}", DASH_NOWHERE),
    Row("POST", ACTION, "/dashboard/{A}/acties/{a_action}", TO_DASH_A, form=ACTION_FORM),
    Row("POST", ACTION, "/dashboard/{A}/acties/{b_action}", DASH_NOWHERE, form=ACTION_FORM),
    Row("POST", ACTION + "/status", "/dashboard/{A}/acties/{a_action}/status", TO_DASH_A,
        form={"status": "klaar"}),
    Row("POST", ACTION + "/status", "/dashboard/{B}/acties/{a_action}/status", DASH_NOWHERE,
        form={"status": "klaar"}),
    Row("GET", ACTION + "/verwijderen", "/dashboard/{A}/acties/{a_action}/verwijderen", DASH_A),
    Row("POST", ACTION + "/verwijderen", "/dashboard/{B}/acties/{a_action}/verwijderen",
        DASH_NOWHERE, form={}),
    Row("GET", "/dashboard/{slug}/acties.{fmt}", "/dashboard/{A}/acties.csv", DASH_A),
    Row("GET", "/dashboard/{slug}/acties.{fmt}", "/dashboard/{A}/acties.xlsx", DASH_A),
    Row("GET", "/dashboard/{slug}/acties.{fmt}", "/dashboard/{B}/acties.csv", DASH_B),
]

# --- the coordinator's area: workshop maps (branch netmap) ----------------------------------------
# A team's map of one unit, kept by A's coordinators. The POST rows store nothing: a form without
# a title answers 422 to whoever may run A, deleting without the confirmation the page asking for
# it; A's map or unit through B's slug, or B's map through A's, does not exist for anyone.
MAPS = "/beheer/{slug}/netwerkkaarten"
MAP = MAPS + "/{map_id}"
WORKSHOP_FORM = {"title": "", "held_on": "2026-11-30", "notes": ""}
ADMIN_WORKSHOP_ROWS: list[Row] = [
    Row("GET", MAPS, "/beheer/{A}/netwerkkaarten", ADMIN_A),
    Row("GET", MAPS, "/beheer/{B}/netwerkkaarten", ADMIN_B),
    Row("GET", MAPS + "/nieuw", "/beheer/{A}/netwerkkaarten/nieuw?unit={a_unit}", ADMIN_A),
    Row("GET", MAPS + "/nieuw", "/beheer/{A}/netwerkkaarten/nieuw?unit={b_unit}", ADMIN_NOWHERE),
    Row("POST", MAPS, "/beheer/{A}/netwerkkaarten?unit={a_unit}", ADMIN_A_FORM,
        form=WORKSHOP_FORM),
    Row("POST", MAPS, "/beheer/{B}/netwerkkaarten?unit={a_unit}", ADMIN_NOWHERE,
        form={**WORKSHOP_FORM, "title": "Elders"}),
    Row("GET", MAP, "/beheer/{A}/netwerkkaarten/{a_map}", ADMIN_A),
    Row("GET", MAP, "/beheer/{B}/netwerkkaarten/{b_map}", ADMIN_B),
    Row("GET", MAP, "/beheer/{A}/netwerkkaarten/{b_map}", ADMIN_NOWHERE),
    Row("GET", MAP + "/bewerken", "/beheer/{A}/netwerkkaarten/{a_map}/bewerken", ADMIN_A),
    Row("GET", MAP + "/bewerken", "/beheer/{B}/netwerkkaarten/{a_map}/bewerken", ADMIN_NOWHERE),
    Row("POST", MAP, "/beheer/{A}/netwerkkaarten/{a_map}", ADMIN_A_FORM, form=WORKSHOP_FORM),
    Row("POST", MAP, "/beheer/{A}/netwerkkaarten/{b_map}", ADMIN_NOWHERE,
        form={**WORKSHOP_FORM, "title": "Elders"}),
    Row("POST", MAP + "/verwijderen", "/beheer/{A}/netwerkkaarten/{a_map}/verwijderen",
        ADMIN_A_FORM, form={}),
    Row("POST", MAP + "/verwijderen", "/beheer/{B}/netwerkkaarten/{a_map}/verwijderen",
        ADMIN_NOWHERE, form={"confirm": "yes"}),
]

MATRIX += ADMIN_UNITS_ROWS + ADMIN_ROUNDS_ROWS + ADMIN_ACCOUNTS_ROWS + ADMIN_TOKENS_ROWS
MATRIX += ADMIN_WORKSHOP_ROWS
MATRIX += ACTION_ROWS

# --- webhooks (branch hooks) ----------------------------------------------------------------
# A has a webhook, B has one. The consultant's token has no `webhooks` scope: 403 before any
# tenancy question. The pages refuse a private address on A (422, nothing kept), open A's log,
# and aim every change at B's webhook through A's URL (404), so nothing changes for later rows.
API_HOOKS = but("401", consultant="403")
HOOKS = "/api/v1/institutions/{slug}/webhooks"
HOOK = HOOKS + "/{webhook_id}"
PAGE_HOOKS = "/beheer/{slug}/webhooks"
PAGE_HOOK = PAGE_HOOKS + "/{hook_id}"
WEBHOOK_ROWS: list[Row] = [
    Row("GET", HOOKS, "/api/v1/institutions/{A}/webhooks", API_HOOKS),
    Row("POST", HOOKS, "/api/v1/institutions/{A}/webhooks", API_HOOKS,
        json={"url": "https://93.184.216.34/x", "events": ["round.closed"]}),
    Row("DELETE", HOOK, "/api/v1/institutions/{A}/webhooks/{a_hook}", API_HOOKS),
    Row("POST", HOOK + "/secret", "/api/v1/institutions/{A}/webhooks/{a_hook}/secret", API_HOOKS,
        json={}),
    Row("GET", HOOK + "/deliveries", "/api/v1/institutions/{A}/webhooks/{a_hook}/deliveries",
        API_HOOKS),
    Row("POST", HOOK + "/test", "/api/v1/institutions/{B}/webhooks/{b_hook}/test", API_HOOKS,
        json={}),
    Row("GET", PAGE_HOOKS, "/beheer/{A}/webhooks", ADMIN_A),
    Row("GET", PAGE_HOOKS, "/beheer/{B}/webhooks", ADMIN_B),
    Row("POST", PAGE_HOOKS, "/beheer/{A}/webhooks", {**ADMIN_A, "coordinator_a": "422",
                                                     "admin": "422"},
        form={"url": "https://10.0.0.1/x", "events": "round.closed"}),
    Row("GET", PAGE_HOOK, "/beheer/{A}/webhooks/{a_hook}", ADMIN_A),
    Row("GET", PAGE_HOOK, "/beheer/{A}/webhooks/{b_hook}", ADMIN_NOWHERE),
    Row("POST", PAGE_HOOK + "/test", "/beheer/{A}/webhooks/{b_hook}/test", ADMIN_NOWHERE,
        form={}),
    Row("POST", PAGE_HOOK + "/aan-uit", "/beheer/{A}/webhooks/{b_hook}/aan-uit", ADMIN_NOWHERE,
        form={"on": "no"}),
    Row("POST", PAGE_HOOK + "/geheim", "/beheer/{A}/webhooks/{b_hook}/geheim", ADMIN_NOWHERE,
        form={}),
    Row("POST", PAGE_HOOK + "/verwijderen", "/beheer/{A}/webhooks/{a_hook}/verwijderen",
        {**ADMIN_A, "coordinator_a": "422", "admin": "422"}, form={}),  # not confirmed
    Row("POST", PAGE_HOOK + "/verwijderen", "/beheer/{A}/webhooks/{b_hook}/verwijderen",
        ADMIN_NOWHERE, form={"confirm": "yes"}),
]
MATRIX += WEBHOOK_ROWS

# Questionnaire versions: every account reads them; only an administrator changes a status
# (the form here lacks its confirmation, so the administrator's answer is the page asking for it)
READ_VERSIONS = but(NO_SESSION, board_a="200", board_b="200", coordinator_a="200", admin="200")
CHANGE_VERSIONS = but(NO_SESSION, board_a="403", board_b="403", coordinator_a="403", admin="422")
MATRIX += [
    Row("GET", "/vragenlijsten", "/vragenlijsten", READ_VERSIONS),
    Row("GET", "/vragenlijsten/{slug}/verschil", "/vragenlijsten/galbraith-star/verschil",
        READ_VERSIONS),
    Row("GET", "/vragenlijsten/{slug}/{version}", "/vragenlijsten/galbraith-star/1.0",
        READ_VERSIONS),
    Row("POST", "/vragenlijsten/{slug}/{version}/publiceren",
        "/vragenlijsten/galbraith-star/1.0/publiceren", CHANGE_VERSIONS, form={}),
    Row("POST", "/vragenlijsten/{slug}/{version}/archiveren",
        "/vragenlijsten/galbraith-star/1.0/archiveren", CHANGE_VERSIONS, form={}),
]


# --- the app's routes ---------------------------------------------------------------------------


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD left out; a mount as ("GET", path).

    FastAPI ≥ 0.16x keeps included routers lazily (`app.routes` holds the routers themselves);
    `iter_route_contexts` flattens them, older versions list every route in `app.routes`.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # an older FastAPI: app.routes is already flat
        found = list(app.routes)
    else:
        found = list(iter_route_contexts(app.routes))
    routes = set()
    for route in found:
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            routes.add(("GET", route.path))
        elif isinstance(original, APIRoute | Route):
            routes.update((method, route.path) for method in route.methods if method != "HEAD")
    return routes


def test_every_route_is_in_the_matrix(app):
    """A new route must get a row (its expected status for every visitor) before it ships."""
    served = app_routes(app)
    assert any(path.startswith("/api/v1/rounds") for _, path in served)  # the flattening worked
    covered = {(row.method, row.route) for row in MATRIX}
    missing = sorted(served - covered)
    assert not missing, "routes without a row in the tenancy matrix: " + ", ".join(
        f"{method} {path}" for method, path in missing)
    stale = sorted(covered - served)
    assert not stale, "matrix rows for routes the app no longer has: " + ", ".join(
        f"{method} {path}" for method, path in stale)


# --- the world and its visitors -----------------------------------------------------------------


@dataclass
class Visitor:
    """One browser or API client, with the cookies it had after setting up."""

    client: TestClient
    cookies: list = field(default_factory=list)

    def keep(self) -> None:
        self.cookies = list(self.client.cookies.jar)

    def reset(self) -> None:
        self.client.cookies.clear()
        for cookie in self.cookies:
            self.client.cookies.jar.set_cookie(cookie)


def csrf_of(client: TestClient) -> str:
    page = BeautifulSoup(client.get("/login").text, "html.parser")
    return page.select_one('input[name="csrf_token"]')["value"]


def log_in(client: TestClient, email: str) -> None:
    """As a person would: enrolling in two-step sign-in when the admin area asks for it."""
    response = client.post("/login", data={"csrf_token": csrf_of(client), "email": email,
                                           "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    two_factor_steps.after_password(client, email, response)


@pytest.fixture
def world(app, session, catalog, settings) -> Iterator[tuple[dict[str, str], dict[str, Visitor]]]:
    """A (two rounds with responses) and B (one), a board account for each, an admin, a
    consultant's token on A, and a respondent half-way through A's shared link."""
    questionnaire = catalog.require(Q_SLUG, Q_VERSION)
    a = make_institution(session, "Hogeschool Alfa")
    b = make_institution(session, "ROC Beta")
    a_unit, b_unit = make_unit(session, a, A_UNIT), make_unit(session, b, "Practoraat Beta")
    a_closed = make_round(session, catalog, a, state="closed")
    a_round = make_round(session, catalog, a, network_map=True)
    b_round = make_round(session, catalog, b)
    for i in range(10):  # two role groups of k = 5, so the roles chart has something to show
        stored_response(session, questionnaire, a_round, a_unit,
                        answers=all_answers(questionnaire, 2 + i % 3),
                        role=("practor", "docent_onderzoeker")[i % 2])
    for i in range(5):
        stored_response(session, questionnaire, a_closed, a_unit,
                        answers=all_answers(questionnaire, 1 + i % 4))
        stored_response(session, questionnaire, b_round, b_unit)
    links = {name: invitations.ensure_shared(session=session, secret_key=settings.secret_key,
                                             round_=round_, unit=unit)
             for name, round_, unit in (("a_link", a_round, a_unit), ("b_link", b_round, b_unit))}
    consultant = tokens.create_token(session=session, name="Onderzoeksbureau Alfa",
                                     scopes=["read", "import"], institutions=[a])[1]
    b_token = tokens.create_token(session=session, name="Onderzoeksbureau Beta",
                                  scopes=["read"], institutions=[b])[0]
    account_ids, made = {}, {}
    for email, role, granted in (("bestuur@alfa.nl", AccountRole.bestuur, [a]),
                                 ("bestuur@beta.nl", AccountRole.bestuur, [b]),
                                 ("coordinator@alfa.nl", AccountRole.coordinator, [a]),
                                 ("admin@kennisster.nl", AccountRole.admin, [])):
        made[email] = accounts.create_account(
            session=session, email=email, password=PASSWORD, role=role, institutions=granted)
        account_ids[email] = made[email].id
    a_action, b_action = (plan.build_action(
        session=session, catalog=catalog, institution=inst, actor=None,
        data=plan.ActionInput(round=round_.id, knob="beloningen", title="Vier resultaten"))
        for inst, round_ in ((a, a_closed), (b, b_round)))
    a_map, b_map = (workshops.save_map(
        session=session, actor=made["admin@kennisster.nl"], institution=inst, unit=unit,
        title="Teamkaart", held_on=date(2026, 11, 30), notes="", marks={})
        for inst, unit in ((a, a_unit), (b, b_unit)))
    a_hook, b_hook = (webhook_endpoints.register(
        session=session, settings=settings, actor=None, institution=inst,
        url=f"https://93.184.216.34/{inst.slug}", chosen_events=["round.closed"]).endpoint
        for inst in (a, b))
    session.commit()  # no open transaction (SQLite: no write lock) while the app works

    values = {"A": a.slug, "B": b.slug, "a_round": str(a_round.id), "a_closed": str(a_closed.id),
              "b_round": str(b_round.id), "a_unit": str(a_unit.id), "b_unit": str(b_unit.id),
              "board_b_account": str(account_ids["bestuur@beta.nl"]), "b_token": str(b_token.id),
              "a_action": str(a_action.id), "b_action": str(b_action.id),
              "a_map": str(a_map.id), "b_map": str(b_map.id),
              "a_hook": str(a_hook.id), "b_hook": str(b_hook.id),
              **links}
    visitors = {role: Visitor(TestClient(app)) for role in ROLES}
    respondent = visitors["respondent"].client
    assert respondent.get(f"/s/{links['a_link']}").status_code == 200
    started = respondent.post(f"/s/{links['a_link']}", data={
        "csrf_token": csrf_of(respondent), "role": "docent_onderzoeker"}, follow_redirects=False)
    assert started.status_code == 303 and respondent.cookies.get("ks_draft")
    log_in(visitors["board_a"].client, "bestuur@alfa.nl")
    log_in(visitors["board_b"].client, "bestuur@beta.nl")
    log_in(visitors["coordinator_a"].client, "coordinator@alfa.nl")
    log_in(visitors["admin"].client, "admin@kennisster.nl")
    visitors["consultant"].client.headers["Authorization"] = f"Bearer {consultant}"
    for visitor in visitors.values():
        visitor.keep()
    yield values, visitors
    for visitor in visitors.values():
        visitor.client.close()


# --- running the matrix -------------------------------------------------------------------------


def outcome(response, values: dict[str, str]) -> str:
    """"200", "404", … or "303→where" in words a reader of the table knows."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return str(response.status_code)
    path = urlsplit(response.headers.get("location", "")).path
    parts = path.split("/")
    slugs = {values["A"]: "A", values["B"]: "B"}
    if path == "/login":
        where = "login"
    elif path == "/dashboard":
        where = "dashboards"
    elif len(parts) == 3 and parts[1] == "dashboard":
        where = f"dash {slugs.get(parts[2], parts[2])}"
    elif len(parts) >= 3 and parts[1] == "beheer":  # "admin A", "admin A/eenheden"
        where = " ".join(["admin", slugs.get(parts[2], parts[2])]) + "".join(
            f"/{part}" for part in parts[3:])
    elif len(parts) >= 3 and parts[1] == "s":
        rest = parts[3:]
        where = ("intro" if not rest else f"knob {rest[1]}" if rest[0] == "k" else
                 {"afronden": "finish", "bedankt": "thanks"}.get(rest[0], path))
    else:
        where = path
    return f"{response.status_code}→{where}"


def send(row: Row, client: TestClient, values: dict[str, str]):
    url = row.url.format(**values)
    if row.form is not None:
        form = {name: value.format(**values) if value.startswith("{") else value
                for name, value in row.form.items()}  # "{a_closed}": an id of the world
        data = {"csrf_token": csrf_of(client), **form}
        return client.post(url, data=data, follow_redirects=False)
    if row.json is not None:
        return client.post(url, json=row.json, follow_redirects=False)
    return client.request(row.method, url, follow_redirects=False)


def table(results: dict[tuple[str, str], str]) -> str:
    """The whole matrix; a cell that is not as expected reads "✗ got (want …)"."""
    lines = []
    for row in MATRIX:
        cells = []
        for role in ROLES:
            got, want = results[(row.label, role)], row.expected[role]
            cells.append(got if got == want else f"✗ {got} (want {want})")
        lines.append([row.label, *cells])
    header = ["request", *HEADINGS]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    render = [" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
              for line in [header, *lines]]
    render.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(render)


def test_every_route_as_every_visitor_gets_the_expected_status(world):
    values, visitors = world
    assert len({row.label for row in MATRIX}) == len(MATRIX), "every request once"
    results: dict[tuple[str, str], str] = {}
    for row in MATRIX:
        assert set(row.expected) == set(ROLES), row.label
        for role in ROLES:
            visitor = visitors[role]
            visitor.reset()
            results[(row.label, role)] = outcome(send(row, visitor.client, values), values)
    wrong = [(label, role) for (label, role), got in results.items()
             if got != next(r for r in MATRIX if r.label == label).expected[role]]
    assert not wrong, f"{len(wrong)} cell(s) of the tenancy matrix differ:\n\n{table(results)}\n"

# The sector benchmark (branch sector): the opt-in page of /beheer, and the API's benchmark of a
# round, which A never opts in to (403 for its own token); B's choice is made by the admin only.
SECTOR_PAGE = "/beheer/{slug}/sectorbenchmark"
MATRIX += [
    Row("GET", SECTOR_PAGE, "/beheer/{A}/sectorbenchmark", ADMIN_A),
    Row("GET", SECTOR_PAGE, "/beheer/{B}/sectorbenchmark", ADMIN_B),
    Row("POST", SECTOR_PAGE, "/beheer/{A}/sectorbenchmark", ADMIN_A_FORM,
        form={"versie": "galbraith-star/9.9", "keuze": "in"}),
    Row("POST", SECTOR_PAGE, "/beheer/{B}/sectorbenchmark",
        but(NO_SESSION, board_a="404", board_b="404", coordinator_a="404",
            admin="303→admin B/sectorbenchmark"),
        form={"versie": "galbraith-star/1.0", "keuze": "in"}),
    Row("GET", "/api/v1/rounds/{round_id}/benchmark", "/api/v1/rounds/{a_round}/benchmark",
        but("401", consultant="403")),
    Row("GET", "/api/v1/rounds/{round_id}/benchmark", "/api/v1/rounds/{b_round}/benchmark",
        API_B),
]
