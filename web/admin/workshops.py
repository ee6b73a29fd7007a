"""Workshop maps (`/beheer/{slug}/netwerkkaarten`): a coordinator opens a map for a team, the team
fills it in together with the same form as the survey's step, saves it and sees its circle model
at once. A team artefact, not anonymous answers; several per unit over time; editable, deletable.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs
from api.platform.errors import DomainError
from api.platform.models import today
from api.setup import workshops
from api.setup.institutions import list_units
from api.survey import network_map
from web import network_charts
from web.access import ManagerAccount, managed
from web.pages import language, render
from web.survey.network_map import error_targets

router = APIRouter()
MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PRIVATE = {"Cache-Control": "private, no-store"}
FIELDS = ("title", "held_on", "notes")
DONE = {"saved", "deleted"}


def _list_page(request: Request, session, institution, *, errors: dict | None = None,
               status_code: int = 200):
    page = render(request, "admin/workshops.html", {
        "institution": institution, "section": "workshops",
        "maps": workshops.list_maps(session=session, institution=institution),
        "units": [u for u in list_units(session=session, institution=institution)
                  if u.archived_at is None],
        "errors": errors or {},
        "done": request.query_params.get("done") if request.query_params.get("done") in DONE
        else None,
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/netwerkkaarten", name="admin_workshops", response_class=HTMLResponse)
def workshop_list(slug: str, request: Request, session: SessionDep, account: ManagerAccount):
    institution = managed(session, account, slug)
    return _list_page(request, session, institution)


def _form_page(request: Request, institution, unit, targets, *, form: dict, values: dict,
               errors: dict, map_id: int | None = None, status_code: int = 200):
    page = render(request, "admin/workshop_form.html", {
        "institution": institution, "section": "workshops", "unit": unit, "targets": targets,
        "form": form, "values": values, "errors": errors, "errors_targets": error_targets(errors),
        "map_id": map_id,
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/netwerkkaarten/nieuw", name="admin_workshop_new", response_class=HTMLResponse)
def workshop_new(slug: str, request: Request, session: SessionDep, account: ManagerAccount,
                 unit: Annotated[int, Query(ge=1, le=MAX_ID)]):
    institution = managed(session, account, slug)
    found = workshops.unit_of(session=session, institution=institution, unit_id=unit)
    targets = workshops.targets_for(session=session, unit=found)
    form = {"title": "", "held_on": today().isoformat(), "notes": ""}
    return _form_page(request, institution, found, targets, form=form, values={}, errors={})


def _save(request: Request, session, account, slug: str, unit_id: int, pairs, map_id=None):
    institution = managed(session, account, slug)
    unit = workshops.unit_of(session=session, institution=institution, unit_id=unit_id)
    targets = workshops.targets_for(session=session, unit=unit)
    data = dict(pairs)
    form = {name: data.get(name, "")[:4000] for name in FIELDS}
    marks = network_map.parse_marks([(k, v) for k, v in pairs if k not in (*FIELDS, "unit")],
                                    targets)
    errors = dict(marks.errors)
    try:
        title, held_on, notes = workshops.checked_fields(form["title"], form["held_on"],
                                                         form["notes"])
    except DomainError as exc:
        field = {"workshop_day": "held_on", "text_too_long": "notes"}.get(exc.code, "title")
        errors = {field: (exc.code, exc.params), **errors}
    if errors:
        return _form_page(request, institution, unit, targets, form=form, values=marks.values,
                          errors=errors, map_id=map_id, status_code=422)
    saved = workshops.save_map(session=session, actor=account, institution=institution,
                               unit=unit, title=title, held_on=held_on, notes=notes,
                               marks=marks.marks, map_id=map_id)
    return RedirectResponse(str(request.url_for("admin_workshop", slug=slug, map_id=saved.id))
                            + "?done=saved", status_code=303)


@router.post("/{slug}/netwerkkaarten", name="admin_workshop_create")
def workshop_create(slug: str, request: Request, session: SessionDep, account: ManagerAccount,
                    pairs: FormPairs, unit: Annotated[int, Query(ge=1, le=MAX_ID)]):
    return _save(request, session, account, slug, unit, pairs)


@router.get("/{slug}/netwerkkaarten/{map_id}", name="admin_workshop", response_class=HTMLResponse)
def workshop_view(slug: str, map_id: Id, request: Request, session: SessionDep,
                  account: ManagerAccount):
    institution = managed(session, account, slug)
    found = workshops.get_map(session=session, institution=institution, map_id=map_id)
    session.commit()
    lang = language(request)
    table = network_charts.rows(found.view, found.targets, lang)
    done = request.query_params.get("done")
    page = render(request, "admin/workshop.html", {
        "institution": institution, "section": "workshops", "workshop": found, "table": table,
        "map": found.view, "svg": network_charts.circle_svg(table, lang),
        "summary": network_charts.summary(table, lang), "done": done if done in DONE else None,
        "errors": {},
    })
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/netwerkkaarten/{map_id}/bewerken", name="admin_workshop_edit",
            response_class=HTMLResponse)
def workshop_edit(slug: str, map_id: Id, request: Request, session: SessionDep,
                  account: ManagerAccount):
    institution = managed(session, account, slug)
    found = workshops.get_map(session=session, institution=institution, map_id=map_id)
    form = {"title": found.map.title, "held_on": found.map.held_on.isoformat(),
            "notes": found.map.notes}
    values = {key: {"f": m.frequency, "k": sorted(m.forms)} for key, m in found.marks.items()}
    return _form_page(request, institution, found.unit, found.targets, form=form, values=values,
                      errors={}, map_id=map_id)


@router.post("/{slug}/netwerkkaarten/{map_id}", name="admin_workshop_save")
def workshop_save(slug: str, map_id: Id, request: Request, session: SessionDep,
                  account: ManagerAccount, pairs: FormPairs):
    institution = managed(session, account, slug)
    found = workshops.get_map(session=session, institution=institution, map_id=map_id)
    return _save(request, session, account, slug, found.unit.id, pairs, map_id=map_id)


@router.post("/{slug}/netwerkkaarten/{map_id}/verwijderen", name="admin_workshop_delete")
def workshop_delete(slug: str, map_id: Id, request: Request, session: SessionDep,
                    account: ManagerAccount, pairs: FormPairs):
    institution = managed(session, account, slug)
    if dict(pairs).get("confirm") != "yes":
        found = workshops.get_map(session=session, institution=institution, map_id=map_id)
        lang = language(request)
        table = network_charts.rows(found.view, found.targets, lang)
        return render(request, "admin/workshop.html", {
            "institution": institution, "section": "workshops", "workshop": found,
            "table": table, "map": found.view, "svg": network_charts.circle_svg(table, lang),
            "summary": network_charts.summary(table, lang), "done": None,
            "errors": {"confirm": ("workshop_confirm_delete", {})}}, status_code=422)
    workshops.delete_map(session=session, actor=account, institution=institution, map_id=map_id)
    return RedirectResponse(str(request.url_for("admin_workshops", slug=slug)) + "?done=deleted",
                            status_code=303)
