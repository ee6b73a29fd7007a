"""The action plan's pages: make an action from a suggestion (or in one's own words), edit it,
change its status, delete it, and download the plan. Who may do so: `access.plannable_institution`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.plans import actions as plan
from api.plans import progress
from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, FormFields, SettingsDep
from api.platform.errors import NotFound
from api.platform.models import Institution
from api.platform.parsing import plain_int
from api.setup import access
from api.setup.institutions import InvalidFields
from web import spreadsheets
from web.access import CurrentAccount
from web.admin.institution import field_errors
from web.i18n import translate
from web.pages import language, render

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
MAX_ID = 2**31 - 1
ActionId = Annotated[int, Path(ge=1, le=MAX_ID)]
PRIVATE = {"Cache-Control": "private, no-store"}
FIELD_MAX = 4000  # longer than any field may be; the service names the real limit


def _form(pairs: list[tuple[str, str]]) -> dict[str, str]:
    data = dict(pairs)
    return {name: data.get(name, "")[:FIELD_MAX] for name in plan.FIELDS}


def _page(request: Request, session, catalog, institution: Institution, *, form: dict,
          action_id: int | None = None, errors: dict | None = None, status_code: int = 200,
          back_round: str | None = None):
    rounds = plan.rounds_of(session=session, institution=institution)
    chosen = next((r for r in rounds if str(r.id) == form.get("round")), None)
    questionnaire = plan.questionnaire_of(catalog=catalog, round_=chosen or rounds[0]) if rounds \
        else None
    suggestion = next((s for s in questionnaire.suggestions if s.id == form.get("suggestion")),
                      None) if questionnaire else None
    return render(request, "dashboard/actions/form.html", {
        "institution": institution, "rounds": rounds, "q": questionnaire,
        "units": plan.units_of(session=session, institution=institution),
        "statuses": plan.STATUSES, "suggestion": suggestion, "form": form,
        "action_id": action_id, "errors": errors or {}, "back_round": back_round or "",
        "back": _back(request, institution, back_round or form.get("round")),
    }, status_code=status_code)


def _back(request: Request, institution: Institution, round_id: str | None) -> str:
    url = request.url_for("dashboard", slug=institution.slug)
    if plain_int(round_id or "") is not None:
        url = url.include_query_params(round=plain_int(round_id))
    return f"{url}#actieplan"


@router.get("/{slug}/acties/nieuw", name="action_new", response_class=HTMLResponse)
def action_new(
    slug: str, request: Request, session: SessionDep, catalog: CatalogDep,
    account: CurrentAccount,
    knob: Annotated[str, Query(max_length=40)] = "",
    unit: Annotated[str, Query(max_length=12)] = "",
    suggestion: Annotated[str, Query(max_length=40)] = "",
    round: Annotated[str, Query(max_length=12)] = "",
):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    rounds = plan.rounds_of(session=session, institution=institution)
    if not rounds:
        raise NotFound("This institution has no rounds yet.", code="no_rounds")
    chosen = next((r for r in rounds if str(r.id) == round), None)
    latest = progress.latest_round(session=session, institution=institution)
    form = {name: "" for name in plan.FIELDS} | {
        "round": str((chosen or latest).id), "knob": knob, "unit": unit,
        "suggestion": suggestion, "status": "gepland"}
    questionnaire = plan.questionnaire_of(catalog=catalog, round_=chosen or latest)
    found = next((s for s in questionnaire.suggestions if s.id == suggestion), None)
    if found is not None:
        form["knob"] = form["knob"] or found.knob
        form["title"] = found.title.get(language(request))
    return _page(request, session, catalog, institution, form=form, back_round=round)


@router.post("/{slug}/acties", name="action_create")
def action_create(slug: str, request: Request, session: SessionDep, catalog: CatalogDep,
                  account: CurrentAccount, pairs: FormFields):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    form = _form(pairs)
    try:
        plan.create_action(session=session, catalog=catalog, actor=account,
                           institution=institution, data=plan.ActionInput(**form))
    except InvalidFields as exc:
        session.rollback()
        return _page(request, session, catalog, institution, form=form,
                     errors=field_errors(exc), status_code=422,
                     back_round=dict(pairs).get("back_round", "")[:12])
    return RedirectResponse(_back(request, institution, dict(pairs).get("back_round")
                                  or form["round"]), status_code=303)


@router.get("/{slug}/acties/{action_id}", name="action_edit", response_class=HTMLResponse)
def action_edit(slug: str, action_id: ActionId, request: Request, session: SessionDep,
                catalog: CatalogDep, account: CurrentAccount,
                round: Annotated[str, Query(max_length=12)] = ""):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    action = plan.get_action(session=session, institution=institution, action_id=action_id)
    return _page(request, session, catalog, institution, form=plan.form_values(action),
                 action_id=action.id, back_round=round)


@router.post("/{slug}/acties/{action_id}", name="action_save")
def action_save(slug: str, action_id: ActionId, request: Request, session: SessionDep,
                catalog: CatalogDep, account: CurrentAccount, pairs: FormFields):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    form = _form(pairs)
    try:
        plan.update_action(session=session, catalog=catalog, actor=account,
                           institution=institution, action_id=action_id,
                           data=plan.ActionInput(**form))
    except InvalidFields as exc:
        session.rollback()
        return _page(request, session, catalog, institution, form=form, action_id=action_id,
                     errors=field_errors(exc), status_code=422,
                     back_round=dict(pairs).get("back_round", "")[:12])
    return RedirectResponse(_back(request, institution, dict(pairs).get("back_round")),
                            status_code=303)


@router.post("/{slug}/acties/{action_id}/status", name="action_status")
def action_status(slug: str, action_id: ActionId, request: Request, session: SessionDep,
                  account: CurrentAccount, pairs: FormFields):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    data = dict(pairs)
    plan.change_status(session=session, actor=account, institution=institution,
                       action_id=action_id, status=data.get("status", "")[:20])
    return RedirectResponse(_back(request, institution, data.get("back_round")), status_code=303)


@router.get("/{slug}/acties/{action_id}/verwijderen", name="action_delete_confirm",
            response_class=HTMLResponse)
def action_delete_confirm(slug: str, action_id: ActionId, request: Request,
                          session: SessionDep, account: CurrentAccount,
                          round: Annotated[str, Query(max_length=12)] = ""):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    action = plan.get_action(session=session, institution=institution, action_id=action_id)
    return render(request, "dashboard/actions/delete.html", {
        "institution": institution, "action": action, "back_round": round,
        "back": _back(request, institution, round)})


@router.post("/{slug}/acties/{action_id}/verwijderen", name="action_delete")
def action_delete(slug: str, action_id: ActionId, request: Request, session: SessionDep,
                  account: CurrentAccount, pairs: FormFields):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    plan.delete_action(session=session, actor=account, institution=institution,
                       action_id=action_id)
    return RedirectResponse(_back(request, institution, dict(pairs).get("back_round")),
                            status_code=303)


@router.get("/{slug}/acties.{fmt}", name="actions_download")
def actions_download(slug: str, fmt: Literal["csv", "xlsx"], request: Request,
                     session: SessionDep, catalog: CatalogDep, settings: SettingsDep,
                     account: CurrentAccount,
                     round: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None):
    institution = access.plannable_institution(session=session, account=account, slug=slug)
    lang = language(request)
    shown, table = progress.plan_table(
        session=session, catalog=catalog, institution=institution, round_id=round,
        default_k=settings.anonymity_k, lang=lang)
    name = f"kennisster-{institution.slug}-actieplan" + (f"-{shown.id}" if shown else "")
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"', **PRIVATE}
    if fmt == "csv":
        return Response(spreadsheets.csv_for(table, lang), media_type="text/csv; charset=utf-8",
                        headers=disposition)
    title = translate(lang, "actions.download_title", institution=institution.name,
                      round=shown.name if shown else "–")
    return Response(spreadsheets.xlsx_for(table, lang, title=title, sheet="actions.sheet"),
                    media_type=spreadsheets.XLSX, headers=disposition)
