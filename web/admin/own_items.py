"""Admin pages: the round's own statements and open questions, on the round's page.

Routes parse the form, call one use case (`api.setup.own_items`) and go back to the round's
page; a refused form comes back with status 422, the message next to the field and what was
typed kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, SettingsDep
from api.platform.errors import DomainError
from api.setup import own_items
from web.access import ManagerAccount
from web.admin.rounds import Id, _round, _round_page

router = APIRouter()
FIELDS = ("kind", "statement_nl", "statement_en", "knob")


def _back(request: Request, slug: str, round_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(str(request.url_for("admin_round", slug=slug, round_id=round_id))
                            + f"?done={done}#own-items", status_code=303)


@router.post("/{slug}/metingen/{round_id}/eigen-vragen", name="admin_own_item_add")
def add(slug: str, round_id: Id, request: Request, session: SessionDep, settings: SettingsDep,
        account: ManagerAccount, pairs: FormPairs):
    institution, round_ = _round(session, account, slug, round_id)
    data = dict(pairs)
    form = {name: data.get(name, "")[:2000] for name in FIELDS}
    try:
        own_items.add_item(session=session, actor=account, round_=round_,
                           questionnaire=request.app.state.catalog.require(
                               round_.questionnaire_slug, round_.questionnaire_version),
                           kind=form["kind"], statement_nl=form["statement_nl"],
                           statement_en=form["statement_en"], knob=form["knob"])
    except DomainError as exc:
        session.rollback()
        field = f"own_{exc.params.get('field', 'statement_nl')}"
        return _round_page(request, session, settings, institution, round_, own_form=form,
                           errors={field: (exc.code, _params(exc))}, status_code=422)
    return _back(request, slug, round_id, "own_added")


@router.post("/{slug}/metingen/{round_id}/eigen-vragen/{item_id}", name="admin_own_item_change")
def change(slug: str, round_id: Id, item_id: Id, request: Request, session: SessionDep,
           settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    """One form per item: save its texts and knob, move it up or down, or remove it."""
    institution, round_ = _round(session, account, slug, round_id)
    data = dict(pairs)
    action = data.get("action", "save")
    form = {name: data.get(name, "")[:2000] for name in FIELDS[1:]}
    try:
        if action in ("up", "down"):
            own_items.move_item(session=session, actor=account, round_=round_, item_id=item_id,
                                up=action == "up")
            done = "own_moved"
        elif action == "remove":
            own_items.remove_item(session=session, actor=account, round_=round_, item_id=item_id)
            done = "own_removed"
        else:
            own_items.edit_item(session=session, actor=account, round_=round_,
                                questionnaire=request.app.state.catalog.require(
                                    round_.questionnaire_slug, round_.questionnaire_version),
                                item_id=item_id, statement_nl=form["statement_nl"],
                                statement_en=form["statement_en"], knob=form["knob"])
            done = "own_saved"
    except DomainError as exc:
        session.rollback()
        field = f"own-{item_id}-{exc.params.get('field', 'statement_nl')}"
        return _round_page(request, session, settings, institution, round_,
                           own_edit={item_id: form},
                           errors={field: (exc.code, _params(exc))}, status_code=422)
    return _back(request, slug, round_id, done)


def _params(exc: DomainError) -> dict:
    return {name: value for name, value in exc.params.items() if name != "field"}
