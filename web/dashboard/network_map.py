"""The board's network-map page of a round: a unit's or the institution's circle model, the units ×
units matrix and the reflection questions. Every number comes from `api.results.network_dashboard`
(through the gate); the page is drawn per request and kept by nobody (private)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.platform.db import SessionDep
from api.platform.deps import SettingsDep
from api.results import network_dashboard
from api.setup import access
from web import network_charts
from web.access import CurrentAccount
from web.pages import language, render

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
PRIVATE = {"Cache-Control": "private, no-store"}
MAX_ID = 2**31 - 1


@router.get("/{slug}/netwerkkaart", name="dashboard_network", response_class=HTMLResponse)
def network_page(
    slug: str, request: Request, session: SessionDep, settings: SettingsDep,
    account: CurrentAccount,
    round: Annotated[int | None, Query(alias="round", ge=1, le=MAX_ID)] = None,
    unit: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
):
    institution = access.readable_institution(session=session, account=account, slug=slug)
    found = network_dashboard.build(session=session, institution=institution, round_id=round,
                                    unit_id=unit, default_k=settings.anonymity_k)
    session.commit()  # read only; end the transaction before drawing
    lang = language(request)
    table = network_charts.rows(found.view, found.targets, lang) if found.view.shown else []
    page = render(request, "dashboard/network_map.html", {
        "net": found, "table": table, "map": found.view,
        "svg": network_charts.circle_svg(table, lang) if found.view.shown else None,
        "summary": network_charts.summary(table, lang) if found.view.shown else "",
    })
    page.headers.update(PRIVATE)
    return page
