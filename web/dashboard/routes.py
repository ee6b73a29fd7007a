"""The board's dashboard pages and downloads; every route checks who may see the institution."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.plans import progress
from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, SettingsDep
from api.platform.models import Account
from api.results.dashboard import Dashboard, build_dashboard
from api.results.tables import units_table
from api.setup import access
from web import charts, spreadsheets
from web.access import CurrentAccount
from web.dashboard_charts import CHARTS, download_title, trend_rows, unit_star_svg
from web.i18n import translate
from web.pages import language, local_time, render
from web.report.pdf import report_pdf

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
SORTABLE = {"name", "n", "spread"}
PRIVATE = {"Cache-Control": "private, no-store"}
MAX_ID = 2**31 - 1  # PostgreSQL's integer; a larger id can name nothing
RoundId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _dashboard(request: Request, session, catalog, settings, account: Account, slug: str,
               round_id: int | None) -> Dashboard:
    institution = access.readable_institution(session=session, account=account, slug=slug)
    return build_dashboard(session=session, catalog=catalog, institution=institution,
                           round_id=round_id, default_k=settings.anonymity_k,
                           lang=language(request))


@router.get("", name="dashboards", response_class=HTMLResponse)
def dashboards(request: Request, session: SessionDep, account: CurrentAccount):
    visible = access.readable_institutions(session=session, account=account)
    if len(visible) == 1:
        return RedirectResponse(request.url_for("dashboard", slug=visible[0].slug), status_code=303)
    return render(request, "dashboard/list.html", {"institutions": visible})


def _stand(dash: Dashboard) -> str:
    """The release a download reflects, in its file name: two downloads of the same release
    carry the same name, and a later release a new one."""
    return f"stand{dash.release.number}"


def overlay_query(compare: list[int], previous: bool) -> str:
    """The star's overlay as the download route reads it: `compare` repeated per unit,
    `previous=1` only when set ('' when neither); a list or None in one parameter is a 422."""
    pairs = [("compare", unit_id) for unit_id in compare] + ([("previous", "1")] if previous else [])
    return "?" + urlencode(pairs) if pairs else ""


def _sorted_units(dash: Dashboard, sort: str, descending: bool):
    """Shown units by the chosen column; units without that number, then hidden units, last."""
    knob_keys = {knob.key for knob in dash.questionnaire.knobs}
    if sort in knob_keys:
        def value(u):
            return u.cells[sort].mean
    elif sort == "n":
        def value(u):
            return u.n
    elif sort == "spread":
        def value(u):
            return u.alignment.spread if u.alignment else None
    else:
        def value(u):
            return u.label.lower()
    shown = [u for u in dash.units if u.shown]
    valued = sorted((u for u in shown if value(u) is not None), key=value, reverse=descending)
    return valued + [u for u in shown if value(u) is None] + [u for u in dash.units if not u.shown]


@router.get("/{slug}", name="dashboard", response_class=HTMLResponse)
def dashboard(
    slug: str, request: Request, session: SessionDep, catalog: CatalogDep, settings: SettingsDep,
    account: CurrentAccount,
    round: Annotated[int | None, Query(alias="round", ge=1, le=MAX_ID)] = None,
    compare: Annotated[list[int], Query()] = [],  # noqa: B006 (FastAPI copies the default)
    previous: bool = False,
    sort: str = "name",
    order: Literal["asc", "desc"] = "asc",
):
    dash = _dashboard(request, session, catalog, settings, account, slug, round)
    lang = language(request)
    knob_keys = [knob.key for knob in dash.questionnaire.knobs]
    sort = sort if sort in SORTABLE or sort in knob_keys else "name"
    compare = [unit_id for unit_id in compare if (u := dash.unit(unit_id)) and u.shown]
    chart_query = overlay_query(compare, previous)
    svgs = {
        "star": charts.render_svg(CHARTS["star"](dash, lang, compare=compare, previous=previous)),
        "roles": charts.render_svg(CHARTS["roles"](dash, lang)) if any(
            r.shown for r in dash.roles) else None,
        "trend": charts.render_svg(CHARTS["trend"](dash, lang)) if sum(
            p.group.shown for p in dash.trend) > 1 else None,
    }
    unit_stars = [(unit, unit_star_svg(dash, lang, unit.key)) for unit in dash.units]
    page = render(request, "dashboard/index.html", {
        "dash": dash, "q": dash.questionnaire, "svgs": svgs, "units": _sorted_units(
            dash, sort, order == "desc"), "sort": sort, "order": order, "compare": compare,
        "previous": previous, "chart_query": chart_query, "unit_stars": unit_stars,
        "trend_rows": trend_rows(dash, lang) if svgs["trend"] else [],
        "plan": progress.plan_view(session=session, catalog=catalog, institution=dash.institution,
                                   shown=dash.round, default_k=settings.anonymity_k),
    })
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/rounds/{round_id}/charts/{chart}.{fmt}", name="dashboard_chart")
def chart_download(
    slug: str, round_id: RoundId, chart: Literal["star", "roles", "trend"],
    fmt: Literal["svg", "png"], request: Request, session: SessionDep, catalog: CatalogDep,
    settings: SettingsDep, account: CurrentAccount,
    compare: Annotated[list[int], Query()] = [],  # noqa: B006
    previous: bool = False,
):
    dash = _dashboard(request, session, catalog, settings, account, slug, round_id)
    lang = language(request)
    title = download_title(dash, lang)  # a file travels without the page that names it
    if chart == "star":
        spec = CHARTS["star"](dash, lang, compare=compare, previous=previous, title=title)
    else:
        spec = CHARTS[chart](dash, lang, title=title)
    name = f"kennisster-{dash.institution.slug}-{round_id}-{_stand(dash)}-{chart}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE}
    if fmt == "svg":
        return Response(charts.render_svg(spec), media_type="image/svg+xml", headers=headers)
    return Response(charts.render_png(spec), media_type="image/png", headers=headers)


@router.get("/{slug}/rounds/{round_id}/units.{fmt}", name="dashboard_table")
def table_download(
    slug: str, round_id: RoundId, fmt: Literal["csv", "xlsx"], request: Request,
    session: SessionDep, catalog: CatalogDep, settings: SettingsDep, account: CurrentAccount,
):
    dash = _dashboard(request, session, catalog, settings, account, slug, round_id)
    lang = language(request)
    table = units_table(dash)
    name = f"kennisster-{dash.institution.slug}-{round_id}-{_stand(dash)}-units.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE}
    if fmt == "csv":
        return Response(spreadsheets.csv_for(table, lang, dash.questionnaire),
                        media_type="text/csv; charset=utf-8", headers=disposition)
    title = f"{dash.institution.name} — {dash.round.name} — " + translate(
        lang, "release.as_of", counted=dash.release.counted,
        when=local_time(dash.release.published_at, lang))
    return Response(spreadsheets.xlsx_for(table, lang, dash.questionnaire, title=title),
                    media_type=spreadsheets.XLSX, headers=disposition)


@router.get("/{slug}/rounds/{round_id}/report.pdf", name="dashboard_report")
def report_download(
    slug: str, round_id: RoundId, request: Request, session: SessionDep, catalog: CatalogDep,
    settings: SettingsDep, account: CurrentAccount,
):
    """The round's whole report as a PDF, in the reader's language (`?lang=en` overrides)."""
    dash = _dashboard(request, session, catalog, settings, account, slug, round_id)
    lang = language(request)
    name = (f"kennisster-{dash.institution.slug}-{round_id}-{_stand(dash)}-"
            f"{translate(lang, 'report.file_name')}.pdf")
    plan = progress.plan_view(session=session, catalog=catalog, institution=dash.institution,
                              shown=dash.round, default_k=settings.anonymity_k)
    return Response(report_pdf(dash, lang, plan=plan), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE})
