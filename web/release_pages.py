"""Pages from the release: the dashboard page, its charts, downloads and PDF report,
drawn once per release, language and option set and then read back from `rendered`.

Authorization comes first: every caller has already passed the institution's access check
(`access.readable_institution` on the web, the token's grant in the API) and hands over only
the institution it was allowed to read; the stamp then finds the round among that
institution's rounds, so an entry is never looked up for a round its reader could not see.

What is cached holds published numbers, names and the action plan, never one reader's own bits:
the page is rendered with holes for the reader's form token (CSRF) and e-mail address, filled
per request (`web.pages.serve_shared`), and keyed on the role, whose header links differ. The
key holds everything the bytes depend on: the round's stamp (release, names, k, dates,
invitations, what waits), the action plan's fingerprint (board members edit it between
releases), the kind, language and options, the URL the links point to, and this code's version
(a deploy draws anew).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.background import BackgroundTask

from api.plans import actions as plan_actions
from api.plans import progress
from api.platform.models import Account, Institution
from api.platform.questionnaires import Catalog, Questionnaire
from api.platform.settings import ROOT, Settings
from api.results import rendered_cache
from api.results.dashboard import Dashboard, build_dashboard
from api.results.own_block import own_block
from api.results.rendered_cache import Entry, Stamp
from api.results.tables import own_items_table, units_table
from web import charts, spreadsheets
from web.dashboard_charts import (
    CHARTS,
    download_title,
    sector_svg,
    trend_rows,
    unit_star_svg,
)
from web.i18n import translate
from web.pages import language, local_time, render_shared, serve_shared
from web.report.pdf import report_pdf

SORTABLE = {"name", "n", "spread"}
RENDERS: Counter[str] = Counter()  # drawings per kind in this process (tests and bench read it)
_CODE_PARTS = ("web", "questionnaires", "api/results", "api/plans")
_code_version: str | None = None


def code_version() -> str:
    """A hash of the code and texts that draw (templates, messages, charts, the report's
    template, questionnaires), taken once per process: a deploy that changes how a page looks
    makes new keys instead of serving the old drawing."""
    global _code_version
    if _code_version is None:
        digest = hashlib.sha256()
        for part in _CODE_PARTS:
            for path in sorted((ROOT / part).rglob("*")):
                if path.is_file() and path.suffix in {".py", ".html", ".json", ".yaml", ".yml",
                                                      ".typ", ".txt", ".css", ".js"}:
                    digest.update(str(path.relative_to(ROOT)).encode())
                    digest.update(path.read_bytes())
        _code_version = digest.hexdigest()[:16]
    return _code_version


@dataclass(frozen=True)
class Drawn:
    body: bytes
    media_type: str
    storable: bool = True  # False for a request whose options are not the canonical ones


@dataclass(frozen=True)
class Fetched:
    entry: Entry
    keep: BackgroundTask | None = None  # storing a new drawing, after the response is sent


def fetch(*, session: Session, settings: Settings, stamp: Stamp, kind: str, lang: str,
          options: dict, draw: Callable[[], Drawn], extra: object = None) -> Fetched:
    """The rendering of `kind` for this stamp, language and options: read from `rendered`, or
    drawn now, with the task that keeps it. The task runs after the response is sent, in a
    transaction of its own: a busy database delays no reader, and a failure fails no request.

    The caller has checked access; `extra` is what else the bytes depend on (the plan)."""
    key = rendered_cache.digest([code_version(), stamp.digest, kind, lang, options, extra])
    if settings.render_cache:
        found = rendered_cache.read(session=session, key=key)
        if found is not None:
            return Fetched(found)
    drawn = draw()
    RENDERS[kind] += 1
    entry = Entry(body=drawn.body, media_type=drawn.media_type)
    if not (settings.render_cache and drawn.storable):
        return Fetched(entry)
    generation = rendered_cache.digest([stamp.digest, extra]) if extra is not None else None
    return Fetched(entry, BackgroundTask(
        rendered_cache.keep, engine=session.get_bind(), key=key, stamp=stamp, kind=kind,
        lang=lang, entry=entry, generation=generation))


def stamp_of(*, session: Session, settings: Settings, institution: Institution,
             round_id: int | None) -> Stamp:
    """The stamp of a round of an institution the caller may read (NotFound otherwise)."""
    return rendered_cache.round_stamp(session=session, institution=institution,
                                      round_id=round_id, default_k=settings.anonymity_k)


def _dashboard(session: Session, catalog: Catalog, settings: Settings, institution: Institution,
               stamp: Stamp, lang: str) -> Dashboard:
    return build_dashboard(session=session, catalog=catalog, institution=institution,
                           round_id=stamp.round.id, default_k=settings.anonymity_k, lang=lang)


# --- the dashboard page -------------------------------------------------------------------


def canonical_sort(sort: str, questionnaire: Questionnaire) -> str:
    return sort if sort in SORTABLE or sort in {k.key for k in questionnaire.knobs} else "name"


def sorted_units(dash: Dashboard, sort: str, descending: bool):
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


def overlay_query(compare: list[int], previous: bool) -> str:
    """The star's overlay as the download route reads it: `compare` repeated per unit,
    `previous=1` only when set ('' when neither); a list or None in one parameter is a 422."""
    pairs = [("compare", unit_id) for unit_id in compare] + ([("previous", "1")] if previous else [])
    return "?" + urlencode(pairs) if pairs else ""


def dashboard_page(*, request: Request, session: Session, catalog: Catalog, settings: Settings,
                   institution: Institution, account: Account, round_id: int | None,
                   compare: list[int], previous: bool, sort: str, order: str) -> HTMLResponse:
    """The dashboard of a round, drawn once per release, plan, language, role and URL (options
    and host included) and filled per request with this reader's form token and e-mail."""
    stamp = stamp_of(session=session, settings=settings, institution=institution,
                     round_id=round_id)
    lang = language(request)
    questionnaire = catalog.require(stamp.round.questionnaire_slug,
                                    stamp.round.questionnaire_version)
    sort = canonical_sort(sort, questionnaire)
    # the header's links differ by role; the URL holds host, path and every query parameter,
    # which the language links repeat
    options = {"url": str(request.url), "role": account.role, "compare": compare,
               "previous": previous, "sort": sort, "order": order}

    def draw() -> Drawn:
        dash = _dashboard(session, catalog, settings, institution, stamp, lang)
        shown_compare = [unit_id for unit_id in compare if (u := dash.unit(unit_id)) and u.shown]
        svgs = {
            "star": charts.render_svg(CHARTS["star"](dash, lang, compare=shown_compare,
                                                     previous=previous)),
            "roles": charts.render_svg(CHARTS["roles"](dash, lang)) if any(
                r.shown for r in dash.roles) else None,
            "trend": charts.render_svg(CHARTS["trend"](dash, lang)) if sum(
                p.group.shown for p in dash.trend) > 1 else None,
        }
        html = render_shared(request, "dashboard/index.html", {
            "dash": dash, "q": dash.questionnaire, "svgs": svgs,
            "units": sorted_units(dash, sort, order == "desc"), "sort": sort, "order": order,
            "compare": shown_compare, "previous": previous,
            "chart_query": overlay_query(shown_compare, previous),
            "unit_stars": [(unit, unit_star_svg(dash, lang, unit.key)) for unit in dash.units],
            "trend_rows": trend_rows(dash, lang) if svgs["trend"] else [],
            "trend_refused": {order: set(p.refused) for order, p in enumerate(dash.trend)},
            "plan": progress.plan_view(session=session, catalog=catalog,
                                       institution=institution, shown=dash.round,
                                       default_k=settings.anonymity_k),
            "own": own_block(dash),
            "sector_svg": sector_svg(dash, lang),
        }, role=account.role)
        return Drawn(html.encode(), "text/html; charset=utf-8",
                     storable=shown_compare == list(compare))

    fetched = fetch(session=session, settings=settings, stamp=stamp, kind="page", lang=lang,
                    options=options, draw=draw,
                    extra=plan_actions.fingerprint(session=session, institution=institution))
    page = serve_shared(request, fetched.entry.body)
    page.background = fetched.keep
    return page


# --- downloads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    body: bytes
    media_type: str
    release_number: int  # for the file name: a later release, a new name
    keep: BackgroundTask | None = None  # the response's background: store a new drawing


def chart(*, session: Session, catalog: Catalog, settings: Settings, institution: Institution,
          round_id: int, lang: str, chart: str, fmt: str, compare: list[int],
          previous: bool) -> Download:
    """A dashboard chart as SVG or PNG, with the title a file needs away from its page."""
    stamp = stamp_of(session=session, settings=settings, institution=institution,
                     round_id=round_id)

    def draw() -> Drawn:
        dash = _dashboard(session, catalog, settings, institution, stamp, lang)
        title = download_title(dash, lang)
        if chart == "star":
            spec = CHARTS["star"](dash, lang, compare=compare, previous=previous, title=title)
        else:
            spec = CHARTS[chart](dash, lang, title=title)
        if fmt == "svg":
            return Drawn(charts.render_svg(spec).encode(), "image/svg+xml")
        return Drawn(charts.render_png(spec), "image/png")

    options = {"chart": chart, "fmt": fmt,
               "compare": compare if chart == "star" else [],
               "previous": previous if chart == "star" else False}
    fetched = fetch(session=session, settings=settings, stamp=stamp, kind="chart", lang=lang,
                  options=options, draw=draw)
    return Download(fetched.entry.body, fetched.entry.media_type, stamp.release_number,
                    fetched.keep)


def units_download(*, session: Session, catalog: Catalog, settings: Settings,
                   institution: Institution, round_id: int, lang: str, fmt: str) -> Download:
    """The units × knobs table as CSV or XLSX in the reader's language."""
    stamp = stamp_of(session=session, settings=settings, institution=institution,
                     round_id=round_id)

    def draw() -> Drawn:
        dash = _dashboard(session, catalog, settings, institution, stamp, lang)
        table = units_table(dash)
        if fmt == "csv":
            return Drawn(spreadsheets.csv_for(table, lang, dash.questionnaire).encode(),
                         "text/csv; charset=utf-8")
        title = f"{dash.institution.name} — {dash.round.name} — " + translate(
            lang, "release.as_of", counted=dash.release.counted,
            when=local_time(dash.release.published_at, lang))
        return Drawn(spreadsheets.xlsx_for(table, lang, dash.questionnaire, title=title),
                     spreadsheets.XLSX)

    fetched = fetch(session=session, settings=settings, stamp=stamp, kind="table", lang=lang,
                  options={"fmt": fmt}, draw=draw)
    return Download(fetched.entry.body, fetched.entry.media_type, stamp.release_number,
                    fetched.keep)


def own_items_download(*, session: Session, catalog: Catalog, settings: Settings,
                       institution: Institution, round_id: int, lang: str, fmt: str) -> Download:
    """The own statements' table (one row per statement and group) as CSV or XLSX."""
    stamp = stamp_of(session=session, settings=settings, institution=institution,
                     round_id=round_id)

    def draw() -> Drawn:
        dash = _dashboard(session, catalog, settings, institution, stamp, lang)
        table = own_items_table(own_block(dash), list(dash.questionnaire.scale.labels))
        if fmt == "csv":
            return Drawn(spreadsheets.csv_for(table, lang, dash.questionnaire).encode(),
                         "text/csv; charset=utf-8")
        title = f"{dash.institution.name} — {dash.round.name} — " + translate(
            lang, "own_items.report_title")
        return Drawn(spreadsheets.xlsx_for(table, lang, dash.questionnaire, title=title),
                     spreadsheets.XLSX)

    fetched = fetch(session=session, settings=settings, stamp=stamp, kind="table", lang=lang,
                    options={"fmt": fmt, "table": "own_items"}, draw=draw)
    return Download(fetched.entry.body, fetched.entry.media_type, stamp.release_number,
                    fetched.keep)


def report(*, session: Session, catalog: Catalog, settings: Settings, institution: Institution,
           round_id: int, lang: str) -> Download:
    """The round's PDF report with its action plan, shared by the dashboard and the API: the
    same release, language and plan give the same bytes (and ETag)."""
    stamp = stamp_of(session=session, settings=settings, institution=institution,
                     round_id=round_id)

    def draw() -> Drawn:
        dash = _dashboard(session, catalog, settings, institution, stamp, lang)
        plan = progress.plan_view(session=session, catalog=catalog, institution=institution,
                                  shown=dash.round, default_k=settings.anonymity_k)
        return Drawn(report_pdf(dash, lang, plan=plan), "application/pdf")

    fetched = fetch(session=session, settings=settings, stamp=stamp, kind="report", lang=lang,
                  options={}, draw=draw,
                  extra=plan_actions.fingerprint(session=session, institution=institution))
    return Download(fetched.entry.body, fetched.entry.media_type, stamp.release_number,
                    fetched.keep)

