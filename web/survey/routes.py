"""Pages of the practor's survey: intro and role, one page per knob, review, thank-you."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, FormFields, SettingsDep
from api.results import gate
from api.survey import answering as survey
from api.survey import own_items as own_answers
from api.survey.answering import SurveyContext
from web.pages import language, render, url_for
from web.star import survey_star
from web.survey import network_map as network_step
from web.survey import steps as pages

router = APIRouter(prefix="/s", tags=["survey"], include_in_schema=False)
DRAFT_COOKIE = "ks_draft"
DRAFT_COOKIE_AGE = 60 * 24 * 3600


def _steps(ctx: SurveyContext) -> list[str]:
    return [knob.key for knob in ctx.questionnaire.knobs]


def _redirect(request: Request, name: str, **params: str) -> RedirectResponse:
    return RedirectResponse(url_for(request, name, **params), status_code=303)


def redirect_to(request: Request, token: str, page: pages.Page) -> RedirectResponse:
    """To one page of the step sequence (`web.survey.steps`)."""
    name, params = page
    return _redirect(request, name, token=token, **params)


def _keep_draft_cookie(page, token: str, key: str, ctx: SurveyContext) -> None:
    if not ctx.personal:
        page.set_cookie(DRAFT_COOKIE, key, max_age=DRAFT_COOKIE_AGE, path=f"/s/{token}",
                        httponly=True, samesite="lax")


def _key(request: Request, session, ctx: SurveyContext, token: str) -> str:
    key, _ = survey.draft_key(session=session, ctx=ctx, token=token,
                              cookie_key=request.cookies.get(DRAFT_COOKIE))
    return key


@router.get("/{token}", name="survey_intro", response_class=HTMLResponse)
def intro(token: str, request: Request, session: SessionDep, catalog: CatalogDep):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    key = _key(request, session, ctx, token)
    if not ctx.personal and survey.was_submitted(session=session, ctx=ctx, key=key):
        key, _ = survey.draft_key(session=session, ctx=ctx, token=token, cookie_key=None)
        # a new respondent on a browser that already answered
    draft = survey.get_draft(session=session, ctx=ctx, key=key)
    page = render(request, "survey/intro.html", {
        "ctx": ctx, "q": ctx.questionnaire, "token": token, "draft": draft,
        "role": draft.role if draft else None, "errors": {},
        "progress": survey.progress(ctx.questionnaire, draft.answers) if draft else None,
        "resume_knob": _resume_knob(ctx, draft),
    })
    _keep_draft_cookie(page, token, key, ctx)
    return page


def _resume_knob(ctx: SurveyContext, draft) -> str:
    """The first knob with an unanswered statement, so a returning respondent lands there."""
    answered = draft.answers if draft else {}
    for knob in ctx.questionnaire.knobs:
        if any(item.id not in answered for item in ctx.questionnaire.items_of(knob.key)):
            return knob.key
    return ctx.questionnaire.knobs[-1].key


@router.post("/{token}", name="survey_start")
def start(token: str, request: Request, session: SessionDep, catalog: CatalogDep,
          form: FormFields):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    key = _key(request, session, ctx, token)
    step = survey.parse_step(ctx.questionnaire, form, knob=None, expect_role=True)
    if step.errors:
        draft = survey.get_draft(session=session, ctx=ctx, key=key)
        return render(request, "survey/intro.html", {
            "ctx": ctx, "q": ctx.questionnaire, "token": token, "draft": draft,
            "role": step.role, "errors": step.errors, "progress": None,
            "resume_knob": _resume_knob(ctx, draft),
        }, status_code=422)
    draft = survey.save_draft(session=session, ctx=ctx, key=key, step=step)
    page = _redirect(request, "survey_knob", token=token, knob=_resume_knob(ctx, draft))
    _keep_draft_cookie(page, token, key, ctx)
    return page


def _knob_page(request: Request, ctx: SurveyContext, token: str, knob: str, *,
               values: dict, open_values: dict, errors: dict, status_code: int = 200,
               saved: bool = False):
    steps = _steps(ctx)
    this = ("survey_knob", {"knob": knob})
    return render(request, "survey/knob.html", {
        "ctx": ctx, "q": ctx.questionnaire, "token": token,
        "knob": ctx.questionnaire.knob_by_key[knob],
        "items": ctx.questionnaire.items_of(knob),
        "open_questions": ctx.questionnaire.open_questions_of(knob),
        "values": values, "open_values": open_values, "errors": errors,
        "step": pages.number(ctx, this), "steps": pages.total(ctx),
        "previous": steps[steps.index(knob) - 1] if steps.index(knob) > 0 else None,
        "saved": saved, "link": str(request.url_for("survey_intro", token=token)),
    }, status_code=status_code)


def _known_knob(ctx: SurveyContext, knob: str) -> bool:
    return knob in ctx.questionnaire.knob_by_key


@router.get("/{token}/k/{knob}", name="survey_knob", response_class=HTMLResponse)
def knob_page(token: str, knob: str, request: Request, session: SessionDep, catalog: CatalogDep):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    draft = survey.get_draft(session=session, ctx=ctx, key=_key(request, session, ctx, token))
    if draft is None or draft.role is None or not _known_knob(ctx, knob):
        return _redirect(request, "survey_intro", token=token)
    values = {item_id: ("dk" if v is None else str(v)) for item_id, v in draft.answers.items()}
    # ?saved=1: back from "save and continue later", the page says the answers are kept
    return _knob_page(request, ctx, token, knob, values=values,
                      open_values=dict(draft.open_answers), errors={},
                      saved=request.query_params.get("saved") == "1")


@router.post("/{token}/k/{knob}", name="survey_knob_save")
def knob_save(token: str, knob: str, request: Request, session: SessionDep,
              catalog: CatalogDep, form: FormFields):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    key = _key(request, session, ctx, token)
    draft = survey.get_draft(session=session, ctx=ctx, key=key)
    if draft is None or draft.role is None or not _known_knob(ctx, knob):
        return _redirect(request, "survey_intro", token=token)
    step = survey.parse_step(ctx.questionnaire, form, knob=knob, expect_role=False)
    if step.errors:
        submitted = dict(form)
        values = {name[5:]: value for name, value in submitted.items()
                  if name.startswith("item-")}
        open_values = {name[5:]: value for name, value in submitted.items()
                       if name.startswith("open-")}
        return _knob_page(request, ctx, token, knob, values=values, open_values=open_values,
                          errors=step.errors, status_code=422)
    survey.save_draft(session=session, ctx=ctx, key=key, step=step, knob=knob)
    this = ("survey_knob", {"knob": knob})
    action = dict(form).get("action", "next")
    if action == "back":
        return redirect_to(request, token, pages.before(ctx, this))
    if action == "save":
        saved = request.url_for("survey_knob", token=token, knob=knob).include_query_params(saved=1)
        return RedirectResponse(saved, status_code=303)
    return redirect_to(request, token, pages.after(ctx, this))


@router.get("/{token}/afronden", name="survey_finish", response_class=HTMLResponse)
def finish(token: str, request: Request, session: SessionDep, catalog: CatalogDep):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token)
    draft = survey.get_draft(session=session, ctx=ctx, key=_key(request, session, ctx, token))
    if draft is None or draft.role is None:
        return _redirect(request, "survey_intro", token=token)
    last_name, last_params = pages.last(ctx)
    return render(request, "survey/finish.html", {
        "ctx": ctx, "q": ctx.questionnaire, "token": token, "draft": draft,
        "progress": survey.progress(ctx.questionnaire, draft.answers),
        "steps": pages.total(ctx), "last_knob": _steps(ctx)[-1],
        "back_url": url_for(request, last_name, token=token, **last_params),
        "own_review": own_answers.review(ctx.own_items, draft),
        "network_review": network_step.review(session, ctx, draft),
    })


@router.post("/{token}/afronden", name="survey_submit", response_class=HTMLResponse)
def submit(token: str, request: Request, session: SessionDep, catalog: CatalogDep,
           settings: SettingsDep, form: FormFields):
    """The thank-you page with the respondent's own star is the answer to this POST and is
    never stored: after it, the link shows only the published group stars."""
    # allow_used: a double click arrives after the first click used the personal token
    ctx = survey.open_survey(session=session, catalog=catalog, token=token, allow_used=True)
    done = survey.submit(session=session, ctx=ctx, key=_key(request, session, ctx, token),
                         default_k=settings.anonymity_k)
    return _thanks_page(request, session, settings, ctx, token, own=done.own,
                        counted=done.counted, first=done.first, secret=done.results_secret)


@router.get("/{token}/bedankt", name="survey_thanks", response_class=HTMLResponse)
def thanks(token: str, request: Request, session: SessionDep, catalog: CatalogDep,
           settings: SettingsDep):
    ctx = survey.open_survey(session=session, catalog=catalog, token=token, allow_used=True)
    if not survey.was_submitted(session=session, ctx=ctx, key=_key(request, session, ctx, token)):
        return _redirect(request, "survey_intro", token=token)
    return _thanks_page(request, session, settings, ctx, token, own={}, counted=None, first=False)


def _thanks_page(request: Request, session, settings, ctx: SurveyContext, token: str, *,
                 own: dict[str, float], counted: bool | None, first: bool,
                 secret: str | None = None):
    k = gate.threshold(default_k=settings.anonymity_k, institution=ctx.institution)
    unit = gate.unit_total(session=session, round_id=ctx.round.id, unit_id=ctx.unit.id, k=k)
    total = gate.round_total(session=session, round_id=ctx.round.id, k=k)
    release = gate.release_state(session=session, round_=ctx.round)
    # End the transaction before drawing: after a submit this request's session writes, and on
    # SQLite a writing session's transaction holds the database's one write lock.
    session.commit()
    star = survey_star(questionnaire=ctx.questionnaire, unit_name=ctx.unit.name,
                       institution_name=ctx.institution.name, own=own, unit=unit, total=total,
                       lang=language(request))
    page = render(request, "survey/thanks.html", {
        "ctx": ctx, "q": ctx.questionnaire, "token": token, "own": own, "star": star, "k": k,
        "counted": counted, "first": first, "release": release,
        # the host the respondent reached, as every other link on the page
        "results_url": str(request.url_for("own_result", secret=secret)) if secret else None,
        "secret": secret,
    })
    if secret:  # the page holds the private link: no cache may keep it
        page.headers["Cache-Control"] = "no-store"
    return page
