"""The survey page "Vragen van je eigen instelling": the round's own statements and open
questions, after the knob pages and before the review, asked only when the round has them.

Its place in the sequence is one line in `web.survey.steps.EXTRA`; the answers go to the draft's
own part (`api.survey.own_items`), never to the knob answers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, FormFields
from api.platform.models import OwnItemKind
from api.survey import answering as survey
from api.survey import own_items as own
from api.survey.answering import SurveyContext
from web.pages import render
from web.survey import steps as pages
from web.survey.routes import _key, _redirect, redirect_to

router = APIRouter(prefix="/s", tags=["survey"], include_in_schema=False)
THIS: pages.Page = ("survey_own", {})


def _page(request: Request, ctx: SurveyContext, token: str, *, values: dict[str, str],
          errors: dict, status_code: int = 200, saved: bool = False) -> HTMLResponse:
    return render(request, "survey/own_items.html", {
        "ctx": ctx, "q": ctx.questionnaire, "token": token,
        "statements": [i for i in ctx.own_items if i.kind == OwnItemKind.likert],
        "open_questions": [i for i in ctx.own_items if i.kind == OwnItemKind.open],
        "values": values, "errors": errors, "saved": saved,
        "step": pages.number(ctx, THIS), "steps": pages.total(ctx),
        "link": str(request.url_for("survey_intro", token=token)),
    }, status_code=status_code)


@router.get("/{token}/eigen", name="survey_own", response_class=HTMLResponse)
def own_page(token: str, request: Request, session: SessionDep, catalog: CatalogDep):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    draft = survey.get_draft(session=session, ctx=ctx, key=_key(request, session, ctx, token))
    if draft is None or draft.role is None or not ctx.own_items:
        return _redirect(request, "survey_intro", token=token)
    return _page(request, ctx, token, values=own.form_values(draft), errors={},
                 saved=request.query_params.get("saved") == "1")


@router.post("/{token}/eigen", name="survey_own_save")
def own_save(token: str, request: Request, session: SessionDep, catalog: CatalogDep,
             form: FormFields):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    draft = survey.get_draft(session=session, ctx=ctx, key=_key(request, session, ctx, token))
    if draft is None or draft.role is None or not ctx.own_items:
        return _redirect(request, "survey_intro", token=token)
    step = own.parse_own_step(ctx.questionnaire, ctx.own_items, form)
    if step.errors:
        values = {name: value for name, value in form if name.startswith("own-")}
        return _page(request, ctx, token, values=values, errors=step.errors, status_code=422)
    own.save_own(session=session, draft=draft, step=step)
    action = dict(form).get("action", "next")
    if action == "back":
        return redirect_to(request, token, pages.before(ctx, THIS))
    if action == "save":
        saved = request.url_for("survey_own", token=token).include_query_params(saved=1)
        return RedirectResponse(saved, status_code=303)
    return redirect_to(request, token, pages.after(ctx, THIS))
