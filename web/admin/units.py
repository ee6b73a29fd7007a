"""Admin pages: the units of an institution (the tree, its forms, the import of a CSV or XLSX)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, UploadDep
from api.platform.errors import Conflict
from api.platform.models import Institution, UnitKind
from api.platform.parsing import plain_int
from api.setup import units
from api.setup.institutions import InvalidFields
from api.setup.unit_tree import MAX_ROWS, UnitImportRefused, example_csv
from web.access import ManagerAccount, managed
from web.admin.institution import field_errors
from web.i18n import translate
from web.pages import language, render

router = APIRouter()
UnitId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DONE = {"created", "renamed", "moved", "archived", "unarchived", "deleted", "imported",
        "unchanged"}


def _page(request: Request, session, institution: Institution, *, status_code: int = 200,
          **state):
    """The units page; `state` carries what a refused form needs to come back as it was sent:
    `form` (the create form), `unit_form` and `open_unit` (one unit's forms), `errors`,
    `refusal` (a delete that was refused), `problems` and `filename` (a refused import)."""
    done = request.query_params.get("done")
    n = plain_int(request.query_params.get("n", "")) or 0
    return render(request, "admin/units.html", {
        "institution": institution, "section": "units",
        "tree": units.unit_tree(session=session, institution=institution),
        "kinds": list(UnitKind), "max_rows": MAX_ROWS,
        "form": {"name": "", "kind": UnitKind.practoraat, "parent": ""}, "unit_form": {},
        "open_unit": None, "errors": {}, "refusal": None, "problems": None, "filename": "",
        "done": done if done in DONE else None, "done_n": n,
        **state,
    }, status_code=status_code)


def _back(request: Request, institution: Institution, done: str, **params: object):
    query = "&".join([f"done={done}", *(f"{key}={value}" for key, value in params.items())])
    return RedirectResponse(f"{request.url_for('admin_units', slug=institution.slug)}?{query}",
                            status_code=303)


def _unit_state(unit_id: int, values: dict[str, str], exc: InvalidFields) -> dict:
    return {"unit_form": values, "open_unit": unit_id,
            "errors": {f"{name}-{unit_id}": error for name, error in field_errors(exc).items()}}


@router.get("/{slug}/eenheden", name="admin_units", response_class=HTMLResponse)
def units_page(slug: str, request: Request, session: SessionDep, account: ManagerAccount):
    return _page(request, session, managed(session, account, slug))


@router.post("/{slug}/eenheden", name="admin_unit_create")
def unit_create(slug: str, request: Request, session: SessionDep, account: ManagerAccount,
                form: FormPairs):
    institution = managed(session, account, slug)
    data = dict(form)
    values = {key: data.get(key, "")[:300] for key in ("name", "kind", "parent")}
    try:
        units.add_unit(session=session, actor=account, institution=institution,
                       name=values["name"], kind=values["kind"], parent=values["parent"])
    except InvalidFields as exc:
        session.rollback()
        return _page(request, session, institution, status_code=422, form=values,
                     errors=field_errors(exc))
    return _back(request, institution, "created")


@router.post("/{slug}/eenheden/{unit_id}/naam", name="admin_unit_rename")
def unit_rename(slug: str, unit_id: UnitId, request: Request, session: SessionDep,
                account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    unit = units.unit_of(session=session, institution=institution, unit_id=unit_id)
    values = {"name": dict(form).get("name", "")[:300]}
    before = unit.name
    try:
        units.rename_unit(session=session, actor=account, unit=unit, name=values["name"])
    except InvalidFields as exc:
        session.rollback()
        return _page(request, session, institution, status_code=422,
                     **_unit_state(unit_id, values, exc))
    return _back(request, institution, "renamed" if unit.name != before else "unchanged")


@router.post("/{slug}/eenheden/{unit_id}/verplaatsen", name="admin_unit_move")
def unit_move(slug: str, unit_id: UnitId, request: Request, session: SessionDep,
              account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    unit = units.unit_of(session=session, institution=institution, unit_id=unit_id)
    values = {"parent": dict(form).get("parent", "")[:20]}
    before = unit.parent_id
    try:
        units.move_unit(session=session, actor=account, unit=unit, parent=values["parent"])
    except InvalidFields as exc:
        session.rollback()
        return _page(request, session, institution, status_code=422,
                     **_unit_state(unit_id, values, exc))
    return _back(request, institution, "moved" if unit.parent_id != before else "unchanged")


@router.post("/{slug}/eenheden/{unit_id}/archiveren", name="admin_unit_archive")
def unit_archive(slug: str, unit_id: UnitId, request: Request, session: SessionDep,
                 account: ManagerAccount):
    institution = managed(session, account, slug)
    unit = units.unit_of(session=session, institution=institution, unit_id=unit_id)
    units.archive_unit(session=session, actor=account, unit=unit)
    return _back(request, institution, "archived")


@router.post("/{slug}/eenheden/{unit_id}/terugzetten", name="admin_unit_unarchive")
def unit_unarchive(slug: str, unit_id: UnitId, request: Request, session: SessionDep,
                   account: ManagerAccount):
    institution = managed(session, account, slug)
    unit = units.unit_of(session=session, institution=institution, unit_id=unit_id)
    units.unarchive_unit(session=session, actor=account, unit=unit)
    return _back(request, institution, "unarchived")


@router.post("/{slug}/eenheden/{unit_id}/verwijderen", name="admin_unit_delete")
def unit_delete(slug: str, unit_id: UnitId, request: Request, session: SessionDep,
                account: ManagerAccount):
    institution = managed(session, account, slug)
    unit = units.unit_of(session=session, institution=institution, unit_id=unit_id)
    try:
        units.delete_unit(session=session, actor=account, unit=unit)
    except Conflict as exc:
        session.rollback()
        return _page(request, session, institution, status_code=409, open_unit=unit_id,
                     refusal={"unit": unit, "code": exc.code, "params": dict(exc.params)})
    return _back(request, institution, "deleted")


@router.post("/{slug}/eenheden/upload", name="admin_units_upload")
def units_upload(slug: str, request: Request, session: SessionDep, account: ManagerAccount,
                 upload: UploadDep):
    institution = managed(session, account, slug)
    if upload is None:
        return _page(request, session, institution, status_code=422, errors={
            "file": ("units_file_missing", {})})
    try:
        made = units.import_units(session=session, actor=account, institution=institution,
                                  filename=upload.filename, content=upload.content)
    except UnitImportRefused as exc:
        session.rollback()
        return _page(request, session, institution, status_code=422, problems=exc.problems,
                     problems_total=exc.total, filename=upload.filename[:200])
    return _back(request, institution, "imported", n=len(made))


@router.get("/{slug}/eenheden/voorbeeld.csv", name="admin_units_example")
def units_example(slug: str, request: Request, session: SessionDep, account: ManagerAccount):
    managed(session, account, slug)
    name = translate(language(request), "units.example_filename")
    return Response(example_csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
