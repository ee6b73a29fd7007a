"""The respondent's private results link: their own star beside what is published for their
groups, reachable by its own secret only (never by the invitation link)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, SettingsDep
from api.survey import own_results
from web import charts
from web.i18n import translate
from web.pages import language, render
from web.star import render as render_own
from web.star import survey_spec, survey_star

router = APIRouter(prefix="/mijn", tags=["survey"], include_in_schema=False)
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex"}


@router.get("/{secret}", name="own_result", response_class=HTMLResponse)
def own_result(secret: str, request: Request, session: SessionDep, catalog: CatalogDep,
               settings: SettingsDep):
    view = own_results.own_view(session=session, catalog=catalog, secret=secret,
                                default_k=settings.anonymity_k)
    session.commit()  # read only; end the transaction before drawing
    lang = language(request)
    star = survey_star(questionnaire=view.questionnaire, unit_name=view.unit.name,
                       institution_name=view.institution.name, own=view.own,
                       unit=view.unit_published, total=view.total_published, lang=lang)
    page = render(request, "survey/own.html", {"view": view, "q": view.questionnaire,
                                                "star": star, "secret": secret, "k": view.k,
                                                "release": view.release})
    page.headers.update(PRIVATE)
    return page


@router.get("/{secret}/ster.{fmt}", name="own_star")
def own_star(secret: str, fmt: Literal["svg", "png"], request: Request, session: SessionDep,
             catalog: CatalogDep, settings: SettingsDep):
    view = own_results.own_view(session=session, catalog=catalog, secret=secret,
                                default_k=settings.anonymity_k)
    session.commit()
    lang = language(request)
    title = translate(lang, "own.chart_title", view.questionnaire.vocabulary, unit=view.unit.name,
                      round=view.round.name)
    spec, _, _ = survey_spec(questionnaire=view.questionnaire, unit_name=view.unit.name,
                             institution_name=view.institution.name, own=view.own,
                             unit=view.unit_published, total=view.total_published, lang=lang,
                             title=title)
    headers = {"Content-Disposition": f'attachment; filename="kennisster-mijn-ster.{fmt}"',
               **PRIVATE}
    if fmt == "svg":
        return Response(render_own(spec, view.questionnaire), media_type="image/svg+xml",
                        headers=headers)
    return Response(charts.render_png(spec), media_type="image/png", headers=headers)
