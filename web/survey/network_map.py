"""The survey's optional network-map step, after the knob pages (and the own items) when the
round has the map.

Its own module and template; its place in the sequence is one line in `web.survey.steps`, and
the review page calls `review` here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, FormFields
from api.survey import answering as survey
from api.survey import network_map
from api.survey.answering import SurveyContext
from web.pages import render, url_for
from web.survey import steps

router = APIRouter(prefix="/s", tags=["survey"], include_in_schema=False)
PAGE: steps.Page = ("survey_network", {})
DRAFT_COOKIE = "ks_draft"  # web.survey.routes.DRAFT_COOKIE (which imports this module)


@dataclass(frozen=True)
class Review:
    marked: int
    skipped: bool


def review(session, ctx: SurveyContext, draft) -> Review | None:
    """What the review page says of the map; None when the round has none."""
    if not ctx.round.network_map:
        return None
    marks, skipped = network_map.draft_marks(session=session, draft=draft,
                                             targets=_targets(session, ctx))
    return Review(marked=len(marks), skipped=bool(skipped))


def _targets(session, ctx: SurveyContext):
    return network_map.map_targets(session=session, institution_id=ctx.institution.id,
                                   own_unit_id=ctx.unit.id)


def _redirect(request: Request, name: str, **params: str) -> RedirectResponse:
    return RedirectResponse(url_for(request, name, **params), status_code=303)


def _go(request: Request, token: str, page: steps.Page) -> RedirectResponse:
    name, params = page
    return _redirect(request, name, token=token, **params)


def error_targets(errors: dict) -> set[str]:
    return {field[4:] for field in errors if field.startswith("net-")}


def _page(request: Request, ctx: SurveyContext, token: str, targets, *, values: dict,
          errors: dict, skipped: bool = False, saved: bool = False, status_code: int = 200):
    return render(request, "survey/network_map.html", {
        "ctx": ctx, "q": ctx.questionnaire, "token": token, "targets": targets,
        "values": values, "errors": errors, "errors_targets": error_targets(errors),
        "skipped": skipped, "saved": saved, "step": steps.number(ctx, PAGE), "steps": steps.total(ctx),
        "link": str(request.url_for("survey_intro", token=token)),
    }, status_code=status_code)


def _open(request: Request, session, catalog, token: str):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    key, _ = survey.draft_key(session=session, ctx=ctx, token=token,
                              cookie_key=request.cookies.get(DRAFT_COOKIE))
    draft = survey.get_draft(session=session, ctx=ctx, key=key)
    return ctx, draft


@router.get("/{token}/netwerk", name="survey_network", response_class=HTMLResponse)
def network_page(token: str, request: Request, session: SessionDep, catalog: CatalogDep):
    ctx, draft = _open(request, session, catalog, token)
    if draft is None or draft.role is None:
        return _redirect(request, "survey_intro", token=token)
    if not ctx.round.network_map:
        return _redirect(request, "survey_finish", token=token)
    targets = _targets(session, ctx)
    marks, skipped = network_map.draft_marks(session=session, draft=draft, targets=targets)
    values = {key: {"f": m.frequency, "k": sorted(m.forms)} for key, m in marks.items()}
    return _page(request, ctx, token, targets, values=values, errors={}, skipped=bool(skipped),
                 saved=request.query_params.get("saved") == "1")


@router.post("/{token}/netwerk", name="survey_network_save")
def network_save(token: str, request: Request, session: SessionDep, catalog: CatalogDep,
                 form: FormFields):
    ctx, draft = _open(request, session, catalog, token)
    if draft is None or draft.role is None:
        return _redirect(request, "survey_intro", token=token)
    if not ctx.round.network_map:
        return _redirect(request, "survey_finish", token=token)
    action = dict(form).get("action", "next")
    targets = _targets(session, ctx)
    if action == "skip":
        network_map.save_marks(session=session, draft=draft, marks={}, skipped=True)
        return _go(request, token, steps.after(ctx, PAGE))
    step = network_map.parse_marks(form, targets)
    if step.errors:
        return _page(request, ctx, token, targets, values=step.values, errors=step.errors,
                     status_code=422)
    network_map.save_marks(session=session, draft=draft, marks=step.marks, skipped=False)
    if action == "back":
        return _go(request, token, steps.before(ctx, PAGE))
    if action == "save":
        saved = request.url_for("survey_network", token=token).include_query_params(saved=1)
        return RedirectResponse(saved, status_code=303)
    return _go(request, token, steps.after(ctx, PAGE))
