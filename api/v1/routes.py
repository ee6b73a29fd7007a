"""Routes of /api/v1: parse, check the token's scope, call a service, return a public shape.

Every number comes from the services of `api.results` (dashboard, trend, comparison), the same
code path (and anonymity rules) as the board's dashboard; no route builds a query
(tests/api/test_no_queries_in_routes.py checks). Tables also come as CSV with `?format=csv`.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, ValidationError
from sqlmodel import Session

from api.plans import progress
from api.platform import own_items as own_item_data
from api.platform import questionnaire_status
from api.platform.body_limits import IMPORT_MAX_BYTES
from api.platform.db import SessionDep, begin_read
from api.platform.deps import CatalogDep, SettingsDep
from api.platform.errors import PayloadTooLarge, UnsupportedMediaType
from api.platform.models import Institution, Round
from api.platform.parsing import plain_int
from api.platform.questionnaires import Catalog
from api.platform.settings import Settings
from api.platform.text import check_json
from api.results import comparison, exports, gate, network_dashboard, sector, tables
from api.results import trend as trends
from api.results.dashboard import Dashboard, build_dashboard
from api.results.own_block import own_block
from api.setup import institutions as setup_institutions
from api.setup import questionnaire_versions, tokens
from api.survey import imports
from api.v1 import present, schemas
from web import release_pages

bearer = HTTPBearer(auto_error=False, description="A token from `kennisster token create`.")
PROBLEMS = {status: {"model": schemas.Problem} for status in (401, 403, 404, 422)}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=PROBLEMS)
Format = Annotated[Literal["json", "csv"], Query(description="`csv` for a CSV download.")]
Limit = Annotated[int, Query(ge=1, le=200)]
MAX_ID = 2**31 - 1  # PostgreSQL's integer; a larger id can name nothing
RoundId = Annotated[int, Path(ge=1, le=MAX_ID, description="A round id.")]
Slug = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,60}$", description="An institution's slug.")]
Offset = Annotated[int, Query(ge=0)]
MAX_IMPORT_BYTES = IMPORT_MAX_BYTES  # also refused before reading by BodyLimit


def grant(session: SessionDep,
          credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
          ) -> tokens.TokenGrant:
    begin_read(session)  # a read: no BEGIN IMMEDIATE for the lookup of a POST's token
    token = tokens.authenticate(session=session,
                                plain=credentials.credentials if credentials else None)
    # End this transaction now: it holds a pooled connection while the body is still being read;
    # the route starts its own (write) transaction in its own thread.
    session.commit()
    return token


def read_grant(token: Annotated[tokens.TokenGrant, Depends(grant)]) -> tokens.TokenGrant:
    token.require("read")
    return token


ReadGrant = Annotated[tokens.TokenGrant, Depends(read_grant)]


def _institution(session: Session, token: tokens.TokenGrant, slug: str) -> Institution:
    """In scope or 404: a token cannot even learn that another institution exists."""
    return tokens.institution_in_scope(session=session, grant=token, slug=slug)


def _round(session: Session, token: tokens.TokenGrant, round_id: int) -> tuple[Round, Institution]:
    return tokens.round_in_scope(session=session, grant=token, round_id=round_id)


def _dashboard(session: Session, catalog: Catalog, settings: Settings, institution: Institution,
               round_id: int | None, *, lang: str = "en", details: bool = False) -> Dashboard:
    return build_dashboard(session=session, catalog=catalog, institution=institution,
                           round_id=round_id, default_k=settings.anonymity_k, lang=lang,
                           details=details)


def _k(settings: Settings, institution: Institution) -> int:
    return gate.threshold(default_k=settings.anonymity_k, institution=institution)


def _csv(name: str, table: tables.Table) -> Response:
    return Response(exports.to_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _page(request: Request, items: list, total: int, limit: int, offset: int, response: Response):
    if offset + limit < total:
        next_url = request.url.include_query_params(limit=limit, offset=offset + limit)
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _csv_response(**columns: list[tables.Column]) -> dict:
    return {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                  "description": "JSON, or " + tables.described(**columns)}}


CSV_RESPONSE = _csv_response()


VERSION_PATTERN = r"^\d{1,4}\.\d{1,4}$"


@router.get("/questionnaires", response_model=schemas.Page[schemas.QuestionnaireSummary],
            summary="Questionnaire versions with their status (draft, published, archived)")
def list_questionnaires(request: Request, response: Response, session: SessionDep,
                        token: ReadGrant, catalog: CatalogDep, limit: Limit = 50,
                        offset: Offset = 0):
    everything = questionnaire_status.all_states(session=session, catalog=catalog)
    items = [present.questionnaire_summary(s) for s in everything[offset:offset + limit]]
    return _page(request, items, len(everything), limit, offset, response)


@router.get("/questionnaires/{slug}/diff", response_model=schemas.QuestionnaireDiffOut,
            summary="What changed between two versions: items added, removed, reworded")
def diff_questionnaire(slug: Slug, session: SessionDep, token: ReadGrant, catalog: CatalogDep,
                       from_: Annotated[str, Query(alias="from", pattern=VERSION_PATTERN,
                                                   description="The older version, e.g. 1.0.")],
                       to: Annotated[str, Query(pattern=VERSION_PATTERN,
                                                description="The newer version, e.g. 1.1.")]):
    found, before, after = questionnaire_versions.version_diff(
        session=session, catalog=catalog, slug=slug, old=from_, new=to)
    return present.questionnaire_diff_out(found, before, after)


@router.get("/questionnaires/{slug}/{version}", response_model=schemas.QuestionnaireOut,
            summary="One questionnaire version with its status: knobs, items, scale, bands, "
                    "suggestions")
def get_questionnaire(slug: Slug, version: str, session: SessionDep, token: ReadGrant,
                      catalog: CatalogDep):
    return present.questionnaire_out(questionnaire_status.version_state(
        session=session, catalog=catalog, slug=slug, version=version))


@router.get("/questionnaires/{slug}/{version}/reliability", response_model=schemas.ScaleEvidenceOut,
            summary="Evidence that the scale holds: alpha with its interval, item–rest "
                    "correlations and alpha if an item is deleted, per knob, sector-wide")
def questionnaire_reliability(slug: Slug, version: str, session: SessionDep, token: ReadGrant,
                              catalog: CatalogDep, settings: SettingsDep):
    """Any `read` token: the numbers span every institution using the version and name none."""
    questionnaire = questionnaire_status.version_state(
        session=session, catalog=catalog, slug=slug, version=version).questionnaire
    return present.evidence_out(gate.scale_evidence(session=session, questionnaire=questionnaire,
                                                    default_k=settings.anonymity_k))


@router.get("/institutions", response_model=schemas.Page[schemas.InstitutionOut],
            summary="Institutions within the token's scope")
def list_institutions(request: Request, response: Response, session: SessionDep,
                      token: ReadGrant, settings: SettingsDep, limit: Limit = 50,
                      offset: Offset = 0):
    institutions = tokens.institutions_in_scope(session=session, grant=token)
    items = [present.institution_out(i, _k(settings, i))
             for i in institutions[offset:offset + limit]]
    return _page(request, items, len(institutions), limit, offset, response)


@router.get("/institutions/{slug}", response_model=schemas.InstitutionOut)
def get_institution(slug: Slug, session: SessionDep, token: ReadGrant, settings: SettingsDep):
    institution = _institution(session, token, slug)
    return present.institution_out(institution, _k(settings, institution))


@router.get("/institutions/{slug}/units", response_model=schemas.Page[schemas.UnitOut],
            summary="Units as a tree: top-level units with their children")
def list_units(slug: Slug, request: Request, response: Response, session: SessionDep,
               token: ReadGrant, limit: Limit = 50, offset: Offset = 0):
    institution = _institution(session, token, slug)
    roots = present.unit_tree(setup_institutions.list_units(session=session,
                                                            institution=institution))
    return _page(request, roots[offset:offset + limit], len(roots), limit, offset, response)


@router.get("/institutions/{slug}/rounds", response_model=schemas.Page[schemas.RoundOut],
            summary="Rounds, oldest first, with their response counts")
def list_rounds(slug: Slug, request: Request, response: Response, session: SessionDep,
                token: ReadGrant, limit: Limit = 50, offset: Offset = 0):
    institution = _institution(session, token, slug)
    found = gate.rounds_of(session=session, institution=institution)
    shown = [r for r, _ in found[offset:offset + limit]]
    states = gate.release_states(session=session, rounds=shown)
    items = [present.round_out(r, states[r.id]) for r in shown]
    return _page(request, items, len(found), limit, offset, response)


@router.get("/institutions/{slug}/actions", response_model=schemas.Page[schemas.ActionOut],
            summary="The action plan, each action with its change up to the latest round")
def list_actions(slug: Slug, request: Request, response: Response, session: SessionDep,
                 token: ReadGrant, catalog: CatalogDep, settings: SettingsDep,
                 limit: Limit = 50, offset: Offset = 0):
    institution = _institution(session, token, slug)
    view = progress.plan_view(session=session, catalog=catalog, institution=institution,
                              shown=None, default_k=settings.anonymity_k, latest=True)
    items = [present.action_out(item, view.round) for item in view.items[offset:offset + limit]]
    return _page(request, items, len(view.items), limit, offset, response)


@router.get("/rounds/{round_id}/scores", response_model=schemas.ScoresOut,
            responses=CSV_RESPONSE, summary="Scores of a round per unit, per role or in total")
def round_scores(round_id: RoundId, session: SessionDep, token: ReadGrant, catalog: CatalogDep,
                 settings: SettingsDep,
                 group_by: Literal["institution", "unit", "role"] = "institution",
                 format: Format = "json"):
    round_, institution = _round(session, token, round_id)
    dash = _dashboard(session, catalog, settings, institution, round_id)
    views = {"institution": [dash.total], "unit": dash.units, "role": dash.roles}[group_by]
    groups = [present.group_out(v, group_by) for v in views]
    knobs = [k.key for k in dash.questionnaire.knobs]
    if format == "csv":
        return _csv(f"kennisster-round-{round_id}-{group_by}",
                    tables.groups_table([(v, group_by) for v in views], knobs))
    return schemas.ScoresOut(round=present.round_out(round_, dash.release),
                             questionnaire=dash.questionnaire.ref, k=dash.k, group_by=group_by,
                             groups=groups)


OWN_CSV_RESPONSE = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                          "description": "JSON, or CSV with format=csv: one row per own statement "
                                         "and group (" + ", ".join(
                                             c.key for c in tables.own_items_columns([1, 2, 3, 4, 5]))
                                         + ")."}}


@router.get("/rounds/{round_id}/own-items", response_model=schemas.OwnItemsOut,
            responses=OWN_CSV_RESPONSE,
            summary="The institution's own statements and open questions of a round")
def round_own_items(round_id: RoundId, session: SessionDep, token: ReadGrant,
                    catalog: CatalogDep, settings: SettingsDep, format: Format = "json"):
    """Apart from the knob scores, under the same release and k rule as every number."""
    round_, institution = _round(session, token, round_id)
    dash = _dashboard(session, catalog, settings, institution, round_id, details=True)
    block = own_block(dash)
    if format == "csv":
        return _csv(f"kennisster-round-{round_id}-own-items",
                    tables.own_items_table(block, list(dash.questionnaire.scale.labels)))
    return present.own_items_out(round_, dash.release, block)


PDF_RESPONSE = {200: {"content": {"application/pdf": {"schema": {"type": "string",
                                                                   "format": "binary"}}},
                      "description": "The round's report as an A4 PDF"}}


@router.get("/rounds/{round_id}/report.pdf", response_class=Response, responses=PDF_RESPONSE,
            summary="The round's PDF report, the same the board downloads from its dashboard")
def round_report(round_id: RoundId, session: SessionDep, token: ReadGrant, catalog: CatalogDep,
                 settings: SettingsDep,
                 lang: Annotated[Literal["nl", "en"] | None, Query(
                     description="Language of the report; default the institution's.")] = None):
    round_, institution = _round(session, token, round_id)
    lang = lang or (institution.default_language if institution.default_language in ("nl", "en")
                    else "nl")
    drawn = release_pages.report(session=session, catalog=catalog, settings=settings,
                                 institution=institution, round_id=round_id, lang=lang)
    name = f"kennisster-{institution.slug}-{round_id}-stand{drawn.release_number}-{lang}.pdf"
    return Response(drawn.body, media_type="application/pdf", background=drawn.keep,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/rounds/{round_id}/compare", response_model=schemas.CompareOut,
            responses=_csv_response(extra=present.difference_columns(["<knob>"])),
            summary="Units × knobs with each unit's difference from the institution")
def compare_units(round_id: RoundId, session: SessionDep, token: ReadGrant, catalog: CatalogDep,
                  settings: SettingsDep,
                  unit: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]],
                                  Query(description="Limit to these unit ids.")] = [],  # noqa: B006
                  format: Format = "json"):
    _, institution = _round(session, token, round_id)
    found = comparison.compare_units(session=session, catalog=catalog, institution=institution,
                                     round_id=round_id, default_k=settings.anonymity_k,
                                     unit_ids=unit)
    if format == "csv":
        return _csv(f"kennisster-round-{round_id}-compare", present.compare_table(found))
    return present.compare_out(found)


@router.get("/compare/institutions", response_model=schemas.InstitutionsCompareOut,
            responses=_csv_response(lead=present.INSTITUTION_COLUMNS),
            summary="Institution-level scores of several institutions, latest round of each")
def compare_institutions(
    session: SessionDep, token: ReadGrant, catalog: CatalogDep, settings: SettingsDep,
    institution: Annotated[list[str], Query(description="Institution slugs; default: all in scope.")] = [],  # noqa: B006,E501
    questionnaire: Annotated[str, Query(description="Questionnaire slug.")] = "galbraith-star",
    format: Format = "json",
):
    chosen = tokens.institutions_in_scope(session=session, grant=token, slugs=institution)
    found = comparison.compare_institutions(session=session, catalog=catalog, institutions=chosen,
                                            questionnaire=questionnaire,
                                            default_k=settings.anonymity_k)
    if format == "csv":
        return _csv("kennisster-institutions", present.institutions_compare_table(found))
    return present.institutions_compare_out(found)


@router.get("/institutions/{slug}/trend", response_model=schemas.TrendOut, responses={
    **_csv_response(lead=present.ROUND_COLUMNS, extra=present.TREND_EXTRA), 409: {
        "model": schemas.Problem,
        "description": "A version the rounds use shares no comparable knob with the latest "
                       "round's"}},
    summary="Scores across rounds of one questionnaire, for the institution or one unit")
def trend(slug: Slug, session: SessionDep, token: ReadGrant, catalog: CatalogDep,
          settings: SettingsDep,
          unit: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                            description="A unit id; default the whole institution.")] = None,
          questionnaire: Annotated[str | None, Query(
              description="slug or slug/version; default the latest round's questionnaire.")] = None,
          format: Format = "json"):
    found = trends.institution_trend(session=session, catalog=catalog,
                                     institution=_institution(session, token, slug),
                                     default_k=settings.anonymity_k, unit_id=unit,
                                     questionnaire=questionnaire)
    if format == "csv":
        return _csv(f"kennisster-{slug}-trend", present.trend_table(found))
    return present.trend_out(found)


async def import_body(request: Request) -> tuple[str, bytes]:
    """The raw upload and its media type, refused when larger than the limit."""
    length = request.headers.get("content-length")
    if (plain_int(length) or 0) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"An import may be at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_IMPORT_BYTES:
            raise PayloadTooLarge(
                f"An import may be at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media, bytes(body)


IMPORT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/ImportIn"}},
    "text/csv": {"schema": {"type": "string"}, "example": (
        "unit,role,str1,str2,str3,open_strategie\n"
        "Practoraat Zorg en Welzijn,practor,4,3,dk,Meer gezamenlijke thema's\n")}}}}


@router.post("/rounds/{round_id}/responses", status_code=201, response_model=schemas.ImportResult,
             openapi_extra=IMPORT_BODY,
             summary="Import responses collected elsewhere, as JSON or CSV; all or nothing",
             responses={409: {"model": schemas.Problem, "description": "The round's questionnaire "
                                   "version is archived or a draft: it takes no answers"},
                        410: {"model": schemas.Problem, "description": "The round is closed"},
                        413: {"model": schemas.Problem}, 415: {"model": schemas.Problem}})
def import_responses(
    round_id: RoundId, session: SessionDep, catalog: CatalogDep, settings: SettingsDep,
    token: Annotated[tokens.TokenGrant, Depends(grant)],
    upload: Annotated[tuple[str, bytes], Depends(import_body)],
    idempotency_key: Annotated[str | None, Header(
        max_length=200, description="Retrying with the same key stores nothing twice.")] = None,
):
    token.require("import")
    round_, institution = tokens.round_in_scope(session=session, grant=token, round_id=round_id)
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    # an archived version says so before any row is read (the service checks again)
    questionnaire_status.require_fillable(session=session, questionnaire=questionnaire)
    media, body = upload
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise imports.ImportRejected("The upload is not UTF-8 text.",
                                     [imports.RowProblem(0, None, str(exc))]) from exc
    if media == "text/csv":
        rows = imports.rows_from_csv(text, questionnaire)
    elif media == "application/json":
        rows = _json_rows(text)
    else:
        raise UnsupportedMediaType("Send the import as application/json or text/csv.")
    units = imports.units_of(session=session, institution_id=institution.id)
    checked = imports.check_rows(rows, questionnaire=questionnaire, units=units,
                                 own_items=own_item_data.of_round(session=session,
                                                                  round_id=round_.id))
    count, replayed = imports.import_responses(
        session=session, round_=round_, questionnaire=questionnaire, rows=checked,
        default_k=settings.anonymity_k, idempotency_key=idempotency_key, scope=str(token.token.id))
    return schemas.ImportResult(round_id=round_.id, imported=count, replayed=replayed)


def _json_rows(text: str) -> list[dict]:
    """JSON rows in the form the CSV reader gives; a row of the wrong shape is kept with its
    problems, so every other row is still checked and named in the same answer."""
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise imports.ImportRejected("The body is not valid JSON.",
                                     [imports.RowProblem(0, None, str(exc))]) from exc
    check_json(payload)  # the one text rule of every way in (api.platform.text)
    if not isinstance(payload, dict) or set(payload) != {"responses"} or not isinstance(
            payload["responses"], list) or not payload["responses"]:
        raise imports.ImportRejected(
            'The JSON must be an object {"responses": [...]} with at least one response.',
            [imports.RowProblem(0, "responses", "missing, empty or not a list")])
    rows = []
    for number, raw in enumerate(payload["responses"], start=1):
        try:
            response = schemas.ImportResponse.model_validate(raw)
        except ValidationError as exc:
            rows.append({"_row": number, "_problems": [
                (".".join(str(p) for p in error["loc"]) or None, error["msg"])
                for error in exc.errors()]})
            continue
        rows.append({"_row": number, **response.model_dump()})
    return rows


@router.get("/rounds/{round_id}/network-map", response_model=schemas.NetworkMapOut,
            summary="The round's network map per respondent unit and for the institution")
def network_map(round_id: RoundId, session: SessionDep, token: ReadGrant, settings: SettingsDep):
    """Shares of released respondents per target, for groups of at least k (as on the page)."""
    round_, institution = _round(session, token, round_id)
    found = network_dashboard.round_maps(session=session, round_=round_, institution=institution,
                                         default_k=settings.anonymity_k)
    return present.network_map_out(found)


@router.get("/rounds/{round_id}/benchmark", response_model=schemas.SectorBenchmarkOut,
            responses={409: {"model": schemas.Problem,
                             "description": "No sector benchmark may be shown yet for the "
                                            "round's version and study year"}},
            summary="The sector benchmark beside a round: the sector's band and where it stands")
def round_benchmark(round_id: RoundId, session: SessionDep, token: ReadGrant,
                    settings: SettingsDep):
    """Per knob the sector's mean and interquartile range over at least five opted-in
    institutions (never named), and the round's own mean and position. 403 when the institution
    does not take part for this version."""
    round_, institution = _round(session, token, round_id)
    view = sector.benchmark_of_round(session=session, round_=round_, institution=institution,
                                     default_k=settings.anonymity_k)
    return present.sector_benchmark_out(round_id, view)
