"""Property-based fuzzing of the JSON API under /api/v1 with schemathesis.

Issue: "Fuzzing: schemathesis against the /api/v1 OpenAPI document with a valid token: no server
errors, every response matches its schema." Runs on SQLite, and on PostgreSQL too when
TEST_DATABASE_URL is set (the `app` fixture of tests/conftest.py).

What is checked
  * `test_fuzz_every_operation`: every operation of the document the app serves, over the demo
    data (`api.demo.load_demo`) and a token with `read` + `import` scope for the demo institution
    only. Per operation one Hypothesis run mixes three sources of requests: schemathesis' positive
    data, its negative data (invalid parameters and bodies, a missing or wrong token), and positive
    data pinned to things that exist: the demo institution, its rounds and units, the catalog's
    questionnaires, the documented import examples, and a second institution the token may not
    see. The import POST is fuzzed too and stores rows when the data happens to be valid. Every
    response must pass `not_a_server_error`, `status_code_conformance`, `content_type_conformance`,
    `response_schema_conformance` and `response_headers_conformance`, and two checks of this file:
    `problem_details` (a 4xx is application/problem+json, its body valid against the document's
    `Problem` schema, `status` equal to the HTTP status, a Bearer challenge on 401; the document
    gives problem+json no schema, so schemathesis alone never looks at error bodies) and
    `out_of_scope_hidden` (the other institution never gets a 2xx, a valid request about it is a
    404, no 2xx body mentions it).
  * `test_documented_error_responses`: every 4xx the document declares per operation, provoked on
    purpose and checked the same way. `UNREACHABLE` lists the declared statuses no request can
    get; `test_every_documented_error_is_exercised` keeps both in step with the document.
  * `test_hostile_request`: one fixed request per server error fuzzing found and per operation it
    hits, plus inputs that once crashed the import.

Why this shape
  The fixtures are function-scoped (a new app per test, rows deleted afterwards), so there is no
  schema at collection time for `schema.parametrize()`, and loading the demo takes about 1 s on
  SQLite and 5 s on PostgreSQL, too slow to repeat per operation. `schemathesis.pytest.
  from_fixture` solves the first but generates with schemathesis' own settings only, without the
  pinned ids and the mix of modes. So one test per backend loads the demo once, builds the schema
  from the real ASGI app (`schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)`) and runs
  `@given(st.one_of(operation.as_strategy(...), ...))` per operation in a pytest subtest, so each
  operation passes or fails on a line of its own. The `@given` function takes no fixtures (token
  and ids are closed over), so the function-scoped-fixture health check cannot arise;
  `deadline=None` and suppressed health checks keep slow database calls and filtering
  from failing a run; `database=None` keeps no example database (Hypothesis still caches
  constants in .hypothesis/, which git-ignores itself). Before its fuzzing, each operation must
  answer one valid request with a 2xx, so a broken token or an empty world cannot let the
  fuzzing pass vacuously. The single-request tests share one small world per test through
  subtests.

  One adaptation: the ASGI transport re-raises
  an app's exception after its 500 has gone out, which would end the run with a bare traceback;
  `_answer_crashes_with_500` lets the 500 stand (and logs the traceback), so `not_a_server_error`
  reports it with a curl command.

Bugs it found (all fixed; the hostile requests below keep them fixed)
  ids beyond the database's integer range were a 500 (now 422), a NUL in a slug was a 500 on
  PostgreSQL (now 404), errors were documented as application/json (now problem+json), the
  import's JSON schema was missing from the document, and '²' crashed the import (now 422).

Examples per operation: KENNISSTER_FUZZ_EXAMPLES (default 30). Hypothesis prints the seed of a
failure; rerun with `--hypothesis-seed=<seed>`.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import select

from api.platform import questionnaire_status
from api.platform.models import Institution, Round, Unit, utcnow
from api.platform.questionnaires import load_catalog
from api.platform.settings import ROOT
from api.platform.text import bad_character
from api.setup import questionnaire_versions, rounds, tokens
from api.setup.demo import load_demo
from api.webhooks import endpoints as webhook_endpoints
from tests.builders import SCAN, make_institution, make_round, make_unit, sector_choice

log = logging.getLogger(__name__)

OPENAPI = "/api/v1/openapi.json"
PROBLEM_JSON = "application/problem+json"
MAX_EXAMPLES = int(os.environ.get("KENNISSTER_FUZZ_EXAMPLES", "30"))
OUT_OF_SCOPE = "Buiten Bereik"  # in the name of everything of the institution the token may not see
IMPORT = ("POST", "/api/v1/rounds/{round_id}/responses")
IMPORT_MEDIA_TYPES = ("application/json", "text/csv")
TOO_BIG = 2**63  # beyond SQLite's INTEGER and PostgreSQL's integer and bigint
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
_INT = TypeAdapter(int)  # parses a parameter the way FastAPI does


# --- the world the requests run against -----------------------------------------------------------


@dataclass
class World:
    schema: Any  # schemathesis' OpenApiSchema of `document`
    document: dict  # the OpenAPI document the app serves
    backend: str  # "sqlite" or "postgresql"
    tokens: dict[str, str]  # "full" (read + import), "read", "import" → plain token
    slug: str  # the institution in the token's scope
    round_ids: list[int]  # the open rounds first: a valid import needs one
    closed_round_id: int  # a round of the institution that is closed: it takes no imports
    archived_round_id: int | None  # a round on an archived version (the demo's 1.0): 409
    unit_ids: list[int]
    other_slug: str  # an institution outside the token's scope
    other_round_id: int
    other_unit_id: int
    questionnaires: list[tuple[str, str]]
    hook_id: int = 0  # a webhook of the institution (deleted by the last operation fuzzed)
    off_hook_id: int = 0  # one switched off: its test event is 409

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.tokens["full"])

    def headers_for(self, operation) -> dict[str, str]:
        """The webhooks operations take a token with that scope; the rest the `full` one."""
        return bearer(self.tokens["hooks"]) if "/webhooks" in operation.path else self.headers

    def operation(self, method: str, path: str):
        return self.schema[path][method]


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def _answer_crashes_with_500(app):
    """The app as ASGI callable whose crashes end as the 500 Starlette already sent."""

    async def asgi(scope, receive, send):
        try:
            await app(scope, receive, send)
        except Exception:
            if scope["type"] != "http":
                raise
            log.exception("%s %s crashed; the client got a 500", scope["method"], scope["path"])

    return asgi


def _make_world(app, session, catalog, settings, *, demo: bool) -> World:
    if demo:
        mine = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                     default_k=settings.anonymity_k)
    else:
        mine = make_institution(session, "Hogeschool Binnen Bereik")
        make_unit(session, mine, "Practoraat Zorg en Welzijn")  # the unit the import examples name
        make_round(session, catalog, mine)
        sector_choice(session, catalog, mine)  # alone in the sector benchmark: 409 there
        make_round(session, catalog, mine, state="closed")
        # a round on a version an administrator archived since: it takes no imports (409)
        make_round(session, catalog, mine, state="closed", questionnaire=SCAN)
        questionnaire_versions.archive(session=session, catalog=catalog, slug=SCAN[0],
                                       version=SCAN[1])
        session.commit()
    other = make_institution(session, f"Hogeschool {OUT_OF_SCOPE}")
    other_unit = make_unit(session, other, f"Practoraat {OUT_OF_SCOPE}")
    other_round = rounds.open_round(session=session, catalog=catalog, institution=other,
                                    name=f"Meting {OUT_OF_SCOPE}", slug="galbraith-star",
                                    version="1.1")  # the demo archived 1.0
    plain = {}
    for name, scopes in (("full", ["read", "import"]), ("read", ["read"]), ("import", ["import"]),
                         ("hooks", ["webhooks"])):
        _, plain[name] = tokens.create_token(session=session, name=f"Fuzz {name}", scopes=scopes,
                                             institutions=[mine])
    now = utcnow()
    found = session.exec(select(Round).where(Round.institution_id == mine.id)
                         .order_by(Round.id)).all()
    round_ids = [r.id for r in sorted(found, key=lambda r: r.status(now) != "open")]
    def archived(r: Round) -> bool:
        return questionnaire_status.version_state(
            session=session, catalog=catalog, slug=r.questionnaire_slug,
            version=r.questionnaire_version).status == questionnaire_status.VersionStatus.archived

    # closed on a version that is still published (410); the demo archives 1.0 (409)
    closed_round_id = next(r.id for r in found if r.status(now) == "closed" and not archived(r))
    archived_round_id = next((r.id for r in found if archived(r)), None)
    for round_ in found:  # the network map's read needs a round that has the map
        round_.network_map = round_.status(now) == "open"
        session.add(round_)
    unit_ids = list(session.exec(select(Unit.id).where(Unit.institution_id == mine.id)
                                 .order_by(Unit.id)))
    hook, off_hook = (webhook_endpoints.register(
        session=session, settings=settings, actor=None, institution=mine,
        url="https://93.184.216.34/fuzz", chosen_events=["round.closed"]).endpoint
        for _ in range(2))
    webhook_endpoints.switch(session=session, actor=None, endpoint=off_hook, on=False)
    session.commit()  # end the read transaction: on SQLite it would hold the write lock
    asgi = _answer_crashes_with_500(app)
    served = schemathesis.openapi.from_asgi(OPENAPI, asgi).raw_schema
    schema = schemathesis.openapi.from_dict(copy.deepcopy(served))
    schema.app, schema.location = asgi, OPENAPI  # what from_asgi() sets
    return World(schema=schema, document=schema.raw_schema,
                 backend="sqlite" if settings.is_sqlite else "postgresql", tokens=plain,
                 slug=mine.slug, round_ids=round_ids, closed_round_id=closed_round_id,
                 archived_round_id=archived_round_id,
                 unit_ids=unit_ids, other_slug=other.slug,
                 other_round_id=other_round.id, other_unit_id=other_unit.id,
                 questionnaires=[(q.slug, q.version) for q in catalog], hook_id=hook.id,
                 off_hook_id=off_hook.id)


@pytest.fixture
def demo_world(app, session, catalog, settings) -> World:
    """The demo data, a second institution and tokens: the world the fuzzing runs in."""
    return _make_world(app, session, catalog, settings, demo=True)


@pytest.fixture
def small_world(app, session, catalog, settings) -> World:
    """One institution with one unit, an open and a closed round, a second one, tokens: for
    single requests."""
    return _make_world(app, session, catalog, settings, demo=False)


# --- checks of this file (schemathesis check signature: ctx, response, case) ---------------------


def _header(response, name: str) -> str:
    for key, values in response.headers.items():
        if key.lower() == name:
            return values[0] if isinstance(values, list) else values
    return ""


def problem_details_check(world: World) -> Callable:
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Problem",
                                             "components": world.document["components"]})

    def problem_details(ctx, response, case):
        if not 400 <= response.status_code < 500:
            return None  # a 5xx is `not_a_server_error`'s
        media = _header(response, "content-type").split(";")[0].strip()
        assert media == PROBLEM_JSON, f"an error answered as {media!r}, not {PROBLEM_JSON}"
        try:
            body = response.json()
        except ValueError as exc:
            raise AssertionError(f"an error body that is not JSON: {exc}") from exc
        errors = [error.message for error in validator.iter_errors(body)]
        assert not errors, f"the body is not the documented Problem: {errors}"
        assert body["status"] == response.status_code, "Problem.status differs from the status"
        if response.status_code == 401:
            assert _header(response, "www-authenticate").startswith("Bearer"), \
                "a 401 without a Bearer challenge"
        return None

    return problem_details


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _path_parameters(case) -> dict[str, str]:
    return {name: unquote(str(value)) for name, value in (case.path_parameters or {}).items()}


def _targets_other(case, world: World) -> bool:
    path = _path_parameters(case)
    query = case.query or {}
    slugs = [] if "version" in path else [path.get("slug")]
    slugs += _as_list(query.get("institution"))
    rounds_ = [path.get("round_id")]
    units = _as_list(query.get("unit"))
    return (world.other_slug in slugs or str(world.other_round_id) in map(str, rounds_)
            or str(world.other_unit_id) in map(str, units))


def _has_control_character(case) -> bool:
    """A parameter with a control character is refused first (422, `api.platform.text`), the
    same for every institution: such a request is not a valid one about another institution."""
    values = [*_path_parameters(case).values(), *(case.query or {}).values()]
    return any(bad_character(str(item)) is not None for value in values
               for item in _as_list(value))


def out_of_scope_check(world: World) -> Callable:
    def out_of_scope_hidden(ctx, response, case):
        targets_other = _targets_other(case, world)
        if 200 <= response.status_code < 300:
            assert not targets_other, "answered 2xx about an institution outside the token's scope"
            text = response.content.decode("utf-8", "replace")
            assert OUT_OF_SCOPE not in text and world.other_slug not in text, \
                "a 2xx body mentions an institution outside the token's scope"
        elif targets_other and case.meta is not None and \
                case.meta.generation.mode == GenerationMode.POSITIVE and \
                not _has_control_character(case):
            assert response.status_code == 404, \
                "a valid request about another institution must be a 404, as if it did not exist"
        return None

    return out_of_scope_hidden


# --- what to pin the generated requests to ----------------------------------------------------------


def _resolve(document: dict, schema: dict) -> dict:
    """The schema a local `$ref` points to (the schema itself when it is none)."""
    while "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _operation_document(world: World, operation) -> dict:
    return world.document["paths"][operation.path][operation.method.lower()]


def _body_examples(world: World, operation) -> list[dict]:
    """The request body examples the document gives, as as_strategy/Case keyword arguments."""
    content = _operation_document(world, operation).get("requestBody", {}).get("content", {})
    found = []
    for media_type, entry in content.items():
        examples = [entry["example"]] if "example" in entry else []
        examples += _resolve(world.document, entry.get("schema", {})).get("examples", [])
        found += [{"body": example, "media_type": media_type} for example in examples]
    return found


def _pins(world: World, operation) -> list[dict]:
    """Keyword arguments for `operation.as_strategy()`: positive requests about existing things.

    The first one is a request in the token's scope that must succeed.
    """
    names = set(re.findall(r"{(\w+)}", operation.path))
    if names == {"slug", "version"}:
        paths = [{"slug": s, "version": v} for s, v in world.questionnaires]
        paths.append({"slug": world.questionnaires[0][0], "version": "0.0"})
    elif operation.path.endswith("/diff"):  # a questionnaire's slug and two of its versions
        slug, version = world.questionnaires[0]
        return [{"path_parameters": {"slug": slug}, "query": {"from": version, "to": version}},
                {"path_parameters": {"slug": slug}, "query": {"from": "0.0", "to": version}}]
    elif "webhook_id" in names:
        paths = [{"slug": world.slug, "webhook_id": world.hook_id},
                 {"slug": world.other_slug, "webhook_id": world.hook_id}]
    elif "slug" in names:
        paths = [{"slug": world.slug}, {"slug": world.other_slug}]
    elif "round_id" in names:
        paths = [{"round_id": r} for r in world.round_ids] + [{"round_id": world.other_round_id}]
    else:
        paths = [{}]
    pins = [{"path_parameters": p} if p else {} for p in paths]
    mine = pins[0]
    bodies = _body_examples(world, operation)
    if bodies:
        pins = [{**pin, **body} for pin in pins for body in bodies]
    parameters = {p["name"]: p.get("schema", {}) for p in
                  _operation_document(world, operation).get("parameters", []) if p["in"] == "query"}
    if "unit" in parameters:
        array = parameters["unit"].get("type") == "array"
        pins += [{**mine, "query": {"unit": [u] if array else u}}
                 for u in [*world.unit_ids[:3], world.other_unit_id]]
    if "institution" in parameters:
        pins += [{"query": {"institution": slugs}} for slugs in
                 ([world.slug], [world.other_slug], [world.slug, world.other_slug])]
    return pins


# --- the fuzzing ------------------------------------------------------------------------------------


def _fuzz(world: World, operation, checks: list[Callable]) -> Counter:
    pins = _pins(world, operation)
    headers = world.headers_for(operation)
    happy = operation.Case(**pins[0]).call_and_validate(headers=headers, checks=checks)
    assert 200 <= happy.status_code < 300, f"a valid request answered {happy.status_code}"
    statuses: Counter = Counter()
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        st.one_of([operation.as_strategy(GenerationMode.POSITIVE, **pin) for pin in pins]),
    )

    @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def fuzz(case):
        response = case.call_and_validate(headers=headers, checks=checks)
        statuses[response.status_code] += 1

    fuzz()
    return statuses


def test_fuzz_every_operation(demo_world, subtests):
    world = demo_world
    checks = [*CHECKS, problem_details_check(world), out_of_scope_check(world)]
    results = list(world.schema.get_all_operations())
    operations = [result.ok() for result in results]
    assert len(operations) == sum(len(ops) for ops in world.document["paths"].values())
    answered = {}
    for operation in operations:
        with subtests.test(msg=operation.label):
            answered[operation.label] = _fuzz(world, operation, checks)
    for label, statuses in answered.items():  # shown with -s or -rP
        print(f"{label}: {dict(sorted(statuses.items()))}")


# --- every documented error response ------------------------------------------------------------------

Q = ("GET", "/api/v1/questionnaires")
Q_ONE = ("GET", "/api/v1/questionnaires/{slug}/{version}")
Q_RELIABILITY = ("GET", "/api/v1/questionnaires/{slug}/{version}/reliability")
Q_DIFF = ("GET", "/api/v1/questionnaires/{slug}/diff")
INSTITUTIONS = ("GET", "/api/v1/institutions")
INSTITUTION = ("GET", "/api/v1/institutions/{slug}")
UNITS = ("GET", "/api/v1/institutions/{slug}/units")
ROUNDS = ("GET", "/api/v1/institutions/{slug}/rounds")
TREND = ("GET", "/api/v1/institutions/{slug}/trend")
ACTIONS = ("GET", "/api/v1/institutions/{slug}/actions")
SCORES = ("GET", "/api/v1/rounds/{round_id}/scores")
COMPARE = ("GET", "/api/v1/rounds/{round_id}/compare")
COMPARE_INSTITUTIONS = ("GET", "/api/v1/compare/institutions")
SLUG_OPERATIONS = (INSTITUTION, UNITS, ROUNDS, TREND, ACTIONS)
REPORT = ("GET", "/api/v1/rounds/{round_id}/report.pdf")
NETWORK = ("GET", "/api/v1/rounds/{round_id}/network-map")
OWN_ITEMS = ("GET", "/api/v1/rounds/{round_id}/own-items")
HOOKS = ("GET", "/api/v1/institutions/{slug}/webhooks")
HOOK_CREATE = ("POST", "/api/v1/institutions/{slug}/webhooks")
HOOK_ONE = "/api/v1/institutions/{slug}/webhooks/{webhook_id}"
HOOK_DELETE = ("DELETE", HOOK_ONE)
HOOK_SECRET = ("POST", HOOK_ONE + "/secret")
HOOK_DELIVERIES = ("GET", HOOK_ONE + "/deliveries")
HOOK_TEST = ("POST", HOOK_ONE + "/test")
HOOK_ID_OPERATIONS = (HOOK_DELETE, HOOK_SECRET, HOOK_DELIVERIES, HOOK_TEST)
HOOK_OPERATIONS = (HOOKS, HOOK_CREATE, *HOOK_ID_OPERATIONS)
HOOK_JSON = {"url": "https://93.184.216.34/fuzz", "events": ["round.closed"]}
BENCHMARK = ("GET", "/api/v1/rounds/{round_id}/benchmark")
ROUND_OPERATIONS = (SCORES, COMPARE, REPORT, NETWORK, OWN_ITEMS, BENCHMARK)

IMPORT_JSON = {"responses": [{"unit": "Practoraat Zorg en Welzijn", "role": "practor",
                              "answers": {"str1": 4, "str2": 3, "str3": "dk"}}]}


def valid_request(world: World, endpoint: tuple[str, str]) -> dict:
    """Case keyword arguments of a request that succeeds with the `full` token."""
    if endpoint in (Q_ONE, Q_RELIABILITY):
        slug, version = world.questionnaires[0]
        return {"path_parameters": {"slug": slug, "version": version}}
    if endpoint == Q_DIFF:
        slug, version = world.questionnaires[0]
        return {"path_parameters": {"slug": slug}, "query": {"from": version, "to": version}}
    if endpoint in SLUG_OPERATIONS:
        return {"path_parameters": {"slug": world.slug}}
    if endpoint in ROUND_OPERATIONS:
        return {"path_parameters": {"round_id": world.round_ids[0]}}
    if endpoint == IMPORT:
        return {"path_parameters": {"round_id": world.round_ids[0]}, "body": IMPORT_JSON,
                "media_type": "application/json"}
    if endpoint == HOOKS:
        return {"path_parameters": {"slug": world.slug}}
    if endpoint == HOOK_CREATE:
        return {"path_parameters": {"slug": world.slug}, "body": HOOK_JSON,
                "media_type": "application/json"}
    if endpoint in HOOK_ID_OPERATIONS:
        return {"path_parameters": {"slug": world.slug, "webhook_id": world.hook_id}}
    return {}


def _with(endpoint: tuple[str, str], **change) -> Callable[[World], dict]:
    """A valid request with some parts changed: parameters are merged, the body is replaced.

    Values may be functions of the world.
    """

    def build(world: World) -> dict:
        request = valid_request(world, endpoint)
        for key, value in change.items():
            value = value(world) if callable(value) else value
            merge = key in ("path_parameters", "query")
            request[key] = {**request.get(key, {}), **value} if merge else value
        return request

    return build


@dataclass(frozen=True)
class Trigger:
    """A request that must get `status`, a documented error of `endpoint`."""

    endpoint: tuple[str, str]
    status: int
    name: str
    build: Callable[[World], dict]
    token: str = "full"  # a key of World.tokens, or a token the app does not know
    two_versions: bool = False  # needs a round of a version that is not comparable

    @property
    def label(self) -> str:
        return f"{self.endpoint[0]} {self.endpoint[1]} {self.status} {self.name}"


def _triggers() -> list[Trigger]:
    every = [Q, Q_ONE, Q_RELIABILITY, Q_DIFF, INSTITUTIONS, *SLUG_OPERATIONS, *ROUND_OPERATIONS,
             COMPARE_INSTITUTIONS,
             IMPORT]
    return [
        *[Trigger(e, 401, "unknown token", _with(e), token="ks_unknown") for e in every],
        *[Trigger(e, 403, "missing scope", _with(e), token="import" if e != IMPORT else "read")
          for e in every],
        Trigger(Q_ONE, 404, "unknown version", _with(Q_ONE, path_parameters={"version": "0.0"})),
        Trigger(Q_RELIABILITY, 404, "unknown version", _with(Q_RELIABILITY, path_parameters={
            "version": "0.0"})),
        Trigger(Q_DIFF, 404, "unknown version", _with(Q_DIFF, query=lambda w: {
            "from": "0.0", "to": w.questionnaires[0][1]})),
        Trigger(Q_DIFF, 422, "not a version", _with(Q_DIFF, query={"from": "eerste",
                                                                   "to": "1.0"})),
        *[Trigger(e, 404, "other institution", _with(e, path_parameters=lambda w: {
            "slug": w.other_slug})) for e in SLUG_OPERATIONS],
        *[Trigger(e, 404, "other institution's round", _with(e, path_parameters=lambda w: {
            "round_id": w.other_round_id})) for e in (*ROUND_OPERATIONS, IMPORT)],
        Trigger(COMPARE_INSTITUTIONS, 404, "other institution", _with(
            COMPARE_INSTITUTIONS, query=lambda w: {"institution": [w.other_slug]})),
        *[Trigger(e, 422, "limit 0", _with(e, query={"limit": 0}))
          for e in (Q, INSTITUTIONS, UNITS, ROUNDS, ACTIONS)],
        Trigger(SCORES, 422, "unknown group_by", _with(SCORES, query={"group_by": "everything"})),
        Trigger(COMPARE, 422, "round id not a number", _with(COMPARE, path_parameters={
            "round_id": "first"})),
        Trigger(NETWORK, 422, "round id too big", _with(NETWORK, path_parameters={
            "round_id": 2**31})),
        Trigger(OWN_ITEMS, 422, "unknown format", _with(OWN_ITEMS, query={"format": "xml"})),
        Trigger(COMPARE_INSTITUTIONS, 422, "unknown format", _with(COMPARE_INSTITUTIONS, query={
            "format": "xml"})),
        Trigger(TREND, 422, "unit not a number", _with(TREND, query={"unit": "all"})),
        Trigger(REPORT, 422, "unknown language", _with(REPORT, query={"lang": "de"})),
        Trigger(IMPORT, 422, "no rows", _with(IMPORT, body={"responses": []})),
        Trigger(IMPORT, 422, "unknown unit and item", _with(IMPORT, body={"responses": [
            {"unit": "Nergens", "role": "practor", "answers": {"xyz": 9}}]})),
        Trigger(IMPORT, 410, "closed round", _with(IMPORT, path_parameters=lambda w: {
            "round_id": w.closed_round_id})),
        Trigger(IMPORT, 409, "archived version", _with(IMPORT, path_parameters=lambda w: {
            "round_id": w.archived_round_id})),
        Trigger(IMPORT, 413, "more than 5 MB", _with(
            IMPORT, body="unit,role\n" + "x" * 5 * 2**20, media_type="text/csv")),
        Trigger(IMPORT, 415, "XML", _with(IMPORT, body={"responses": []},
                                          media_type="application/xml")),
        Trigger(TREND, 409, "versions not comparable", lambda w: valid_request(w, TREND),
                two_versions=True),
        # webhooks: a token with the `webhooks` scope; none of these succeeds, so none changes
        *[Trigger(e, 401, "unknown token", _with(e), token="ks_unknown") for e in HOOK_OPERATIONS],
        *[Trigger(e, 403, "missing scope", _with(e)) for e in HOOK_OPERATIONS],
        *[Trigger(e, 404, "other institution", _with(e, path_parameters=lambda w: {
            "slug": w.other_slug}), token="hooks") for e in HOOK_OPERATIONS],
        Trigger(HOOKS, 422, "limit 0", _with(HOOKS, query={"limit": 0}), token="hooks"),
        Trigger(HOOK_CREATE, 422, "private address", _with(HOOK_CREATE, body={
            **HOOK_JSON, "url": "https://10.0.0.1/x"}), token="hooks"),
        *[Trigger(e, 422, "webhook id too big", _with(e, path_parameters={"webhook_id": 2**31}),
                  token="hooks") for e in HOOK_ID_OPERATIONS],
        Trigger(HOOK_TEST, 409, "switched off", _with(HOOK_TEST, path_parameters=lambda w: {
            "webhook_id": w.off_hook_id}), token="hooks"),
        # the small world's institution opted in alone: fewer than five take part
        Trigger(BENCHMARK, 409, "sector benchmark not available", _with(BENCHMARK)),
        Trigger(BENCHMARK, 422, "round id not a number", _with(BENCHMARK, path_parameters={
            "round_id": "latest"})),
    ]


TRIGGERS = _triggers()
# Declared for every operation by the router's `responses=PROBLEMS`, but no request can get them:
# these operations have no query parameters and only string path parameters, or list everything.
UNREACHABLE = {(Q, 404), (INSTITUTIONS, 404), (Q_ONE, 422), (Q_RELIABILITY, 422),
               (INSTITUTION, 422)}


def _provoke(world: World, trigger: Trigger) -> None:
    case = world.operation(*trigger.endpoint).Case(**trigger.build(world))
    headers = bearer(world.tokens.get(trigger.token, trigger.token))
    response = case.call_and_validate(headers=headers,
                                      checks=[*CHECKS, problem_details_check(world)])
    assert response.status_code == trigger.status, response.content[:500]


def test_documented_error_responses(small_world, subtests):
    """Every documented error that needs no world of its own, one world for all (subtests)."""
    for trigger in TRIGGERS:
        if not trigger.two_versions:
            with subtests.test(msg=trigger.label):
                _provoke(small_world, trigger)


def _two_versions(app, session, world: World, tmp_path: Path) -> None:
    """Give the institution a round of a version 2.0 with other items, not comparable to 1.0."""
    folder = tmp_path / "questionnaires" / "galbraith-star"
    folder.mkdir(parents=True)
    original = (ROOT / "questionnaires" / "galbraith-star" / "1.0.yaml").read_text("utf-8")
    (folder / "1.0.yaml").write_text(original, "utf-8")
    (folder / "2.0.yaml").write_text(original.replace('version: "1.0"', 'version: "2.0"')
                                     .replace("- id: str6", "- id: str7"), "utf-8")
    catalog = load_catalog(folder.parent)
    app.state.catalog = catalog  # the lifespan has run: it checked the published versions already
    first = session.get(Round, world.round_ids[0])
    rounds.open_round(session=session, catalog=catalog,
                      institution=session.get(Institution, first.institution_id),
                      name="Meting versie 2", slug="galbraith-star", version="2.0")
    session.commit()


@pytest.mark.parametrize("trigger", [pytest.param(t, id=t.label) for t in TRIGGERS
                                     if t.two_versions])
def test_documented_error_response_of_incomparable_versions(small_world, app, session, tmp_path,
                                                            trigger):
    _two_versions(app, session, small_world, tmp_path)
    _provoke(small_world, trigger)


def test_every_documented_error_is_exercised(app):
    documented = {((method.upper(), path), int(status))
                  for path, operations in app.openapi()["paths"].items()
                  for method, operation in operations.items()
                  for status in operation["responses"] if status.startswith("4")}
    triggered = {(t.endpoint, t.status) for t in TRIGGERS}
    assert not documented - triggered - UNREACHABLE, "documented errors nobody provokes"
    assert not (triggered | UNREACHABLE) - documented, "provoked or listed errors not documented"


def test_served_document_resolves(app):
    document = app.openapi()
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    missing = sorted(refs - set(document["components"]["schemas"]))
    assert not missing, f"$refs to schemas the document does not define: {missing}"


# --- hostile requests: the server errors fuzzing found, and inputs that once crashed ---------------

HOSTILE = [
    *[pytest.param(e, _with(e, path_parameters={"round_id": TOO_BIG}),
                   id=f"int overflow {e[0]} {e[1]}") for e in (*ROUND_OPERATIONS, IMPORT)],
    pytest.param(TREND, _with(TREND, query={"unit": TOO_BIG}),
                 id=f"int overflow {TREND[0]} {TREND[1]}?unit="),
    *[pytest.param(e, _with(e, path_parameters={"slug": "rivier\x00land"}),
                   id=f"NUL in slug {e[0]} {e[1]}") for e in SLUG_OPERATIONS],
    pytest.param(COMPARE_INSTITUTIONS, _with(COMPARE_INSTITUTIONS, query={
        "institution": ["rivier\x00land"]}), id="NUL in slug GET /api/v1/compare/institutions"),
    # str.isdigit() is true for '²', int() refuses it: these crashed check_rows() until api/parsing.py
    pytest.param(IMPORT, _with(IMPORT, body={"responses": [
        {"unit": "\u00b2", "role": "practor", "answers": {"str1": 4}}]}),
        id="superscript digit as JSON unit"),
    pytest.param(IMPORT, _with(IMPORT, body=(
        "unit,role,str1\nPractoraat Zorg en Welzijn,practor,\u00b2\n"), media_type="text/csv"),
        id="superscript digit as CSV answer"),
]


@pytest.mark.parametrize(("endpoint", "build"), HOSTILE)
def test_hostile_request(small_world, endpoint, build):
    """Requests that once crashed the server must get a documented 4xx."""
    world = small_world
    case = world.operation(*endpoint).Case(**build(world))
    response = case.call_and_validate(headers=world.headers,
                                      checks=[*CHECKS, problem_details_check(world)])
    assert 400 <= response.status_code < 500
