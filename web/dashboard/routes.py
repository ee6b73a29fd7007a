"""The board's dashboard pages and downloads; every route checks who may see the institution
first, and only then asks `web.release_pages` for what the release drew."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, SettingsDep
from api.setup import access
from web import release_pages
from web.access import CurrentAccount
from web.i18n import translate
from web.pages import language, render

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
PRIVATE = {"Cache-Control": "private, no-store"}
MAX_ID = 2**31 - 1  # PostgreSQL's integer; a larger id can name nothing
RoundId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", name="dashboards", response_class=HTMLResponse)
def dashboards(request: Request, session: SessionDep, account: CurrentAccount):
    visible = access.readable_institutions(session=session, account=account)
    if len(visible) == 1:
        return RedirectResponse(request.url_for("dashboard", slug=visible[0].slug), status_code=303)
    return render(request, "dashboard/list.html", {"institutions": visible})


def _stand(release_number: int) -> str:
    """The release a download reflects, in its file name: two downloads of the same release
    carry the same name, and a later release a new one."""
    return f"stand{release_number}"


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
    """The round's page from the release's cache, after the access check; the reader's own
    bits (form tokens, e-mail) are filled in per request."""
    institution = access.readable_institution(session=session, account=account, slug=slug)
    page = release_pages.dashboard_page(
        request=request, session=session, catalog=catalog, settings=settings,
        institution=institution, account=account, round_id=round, compare=compare,
        previous=previous, sort=sort, order=order)
    page.headers.update(PRIVATE)
    return page


def _download(download: release_pages.Download, name: str) -> Response:
    return Response(download.body, media_type=download.media_type, background=download.keep,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE})


@router.get("/{slug}/rounds/{round_id}/charts/{chart}.{fmt}", name="dashboard_chart")
def chart_download(
    slug: str, round_id: RoundId, chart: Literal["star", "roles", "trend"],
    fmt: Literal["svg", "png"], request: Request, session: SessionDep, catalog: CatalogDep,
    settings: SettingsDep, account: CurrentAccount,
    compare: Annotated[list[int], Query()] = [],  # noqa: B006
    previous: bool = False,
):
    institution = access.readable_institution(session=session, account=account, slug=slug)
    drawn = release_pages.chart(session=session, catalog=catalog, settings=settings,
                                institution=institution, round_id=round_id,
                                lang=language(request), chart=chart, fmt=fmt, compare=compare,
                                previous=previous)
    return _download(drawn, f"kennisster-{institution.slug}-{round_id}-"
                            f"{_stand(drawn.release_number)}-{chart}.{fmt}")


@router.get("/{slug}/rounds/{round_id}/units.{fmt}", name="dashboard_table")
def table_download(
    slug: str, round_id: RoundId, fmt: Literal["csv", "xlsx"], request: Request,
    session: SessionDep, catalog: CatalogDep, settings: SettingsDep, account: CurrentAccount,
):
    institution = access.readable_institution(session=session, account=account, slug=slug)
    drawn = release_pages.units_download(session=session, catalog=catalog, settings=settings,
                                         institution=institution, round_id=round_id,
                                         lang=language(request), fmt=fmt)
    return _download(drawn, f"kennisster-{institution.slug}-{round_id}-"
                            f"{_stand(drawn.release_number)}-units.{fmt}")


@router.get("/{slug}/rounds/{round_id}/own-items.{fmt}", name="dashboard_own_table")
def own_items_download(
    slug: str, round_id: RoundId, fmt: Literal["csv", "xlsx"], request: Request,
    session: SessionDep, catalog: CatalogDep, settings: SettingsDep, account: CurrentAccount,
):
    """The institution's own statements, apart from the knob scores."""
    institution = access.readable_institution(session=session, account=account, slug=slug)
    drawn = release_pages.own_items_download(session=session, catalog=catalog,
                                             settings=settings, institution=institution,
                                             round_id=round_id, lang=language(request), fmt=fmt)
    return _download(drawn, f"kennisster-{institution.slug}-{round_id}-"
                            f"{_stand(drawn.release_number)}-own-items.{fmt}")


@router.get("/{slug}/rounds/{round_id}/report.pdf", name="dashboard_report")
def report_download(
    slug: str, round_id: RoundId, request: Request, session: SessionDep, catalog: CatalogDep,
    settings: SettingsDep, account: CurrentAccount,
):
    """The round's whole report as a PDF, in the reader's language (`?lang=en` overrides)."""
    institution = access.readable_institution(session=session, account=account, slug=slug)
    lang = language(request)
    drawn = release_pages.report(session=session, catalog=catalog, settings=settings,
                                 institution=institution, round_id=round_id, lang=lang)
    return _download(drawn, f"kennisster-{institution.slug}-{round_id}-"
                            f"{_stand(drawn.release_number)}-"
                            f"{translate(lang, 'report.file_name')}.pdf")
