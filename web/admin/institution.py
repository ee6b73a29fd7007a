"""Admin pages: the admin home (the institutions this account runs) and an institution's page
(an overview and its settings)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, SettingsDep
from api.platform.errors import NotFound
from api.platform.models import Account, Institution
from api.setup import access, institutions
from api.setup.institutions import InvalidFields
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()
DONE = {"created", "saved", "unchanged"}


def field_errors(exc: InvalidFields) -> dict[str, tuple[str, dict]]:
    """What `_errors.html` and the fields show: field → (message code, its parameters)."""
    return {name: (error.code, dict(error.params)) for name, error in exc.fields.items()}


def _home(request: Request, session, account: Account, *, form: dict | None = None,
          errors: dict | None = None, status_code: int = 200):
    return render(request, "admin/home.html", {
        "default_k": request.app.state.settings.anonymity_k,
        "institution": None, "section": "home",
        "institutions": access.managed_institutions(session=session,
                                                                         account=account),
        "may_create": access.is_admin(account), "form": form or {"default_language": "nl"},
        "errors": errors or {}}, status_code=status_code)


@router.get("", name="admin_home", response_class=HTMLResponse)
def admin_home(request: Request, session: SessionDep, account: ManagerAccount):
    runs = access.managed_institutions(session=session, account=account)
    if not access.is_admin(account) and len(runs) == 1:
        return RedirectResponse(request.url_for("admin_institution", slug=runs[0].slug),
                                status_code=303)
    return _home(request, session, account)


@router.post("", name="admin_institution_create")
def institution_create(request: Request, session: SessionDep, account: ManagerAccount,
                       form: FormPairs):
    if not access.is_admin(account):
        raise NotFound("No such page.")
    data = dict(form)
    values = {key: data.get(key, "") for key in ("name", "anonymity_k", "default_language")}
    try:
        created = institutions.add_institution(session=session, actor=account, **values)
    except InvalidFields as exc:
        session.rollback()
        return _home(request, session, account, form=values, errors=field_errors(exc),
                     status_code=422)
    return RedirectResponse(str(request.url_for("admin_institution", slug=created.slug))
                            + "?done=created", status_code=303)


def _institution_page(request: Request, session, settings, institution: Institution, *,
                      form: dict | None = None, errors: dict | None = None,
                      status_code: int = 200):
    done = request.query_params.get("done")
    return render(request, "admin/institution.html", {
        "institution": institution, "section": "institution",
        "counts": institutions.overview(session=session, institution=institution),
        "default_k": settings.anonymity_k,
        "form": form or {"name": institution.name,
                         "anonymity_k": str(institution.anonymity_k or settings.anonymity_k),
                         "default_language": institution.default_language},
        "errors": errors or {},
        "done": done if done in DONE else None,
    }, status_code=status_code)


@router.get("/{slug}", name="admin_institution", response_class=HTMLResponse)
def institution_page(slug: str, request: Request, session: SessionDep, settings: SettingsDep,
                     account: ManagerAccount):
    return _institution_page(request, session, settings, managed(session, account, slug))


@router.post("/{slug}", name="admin_institution_save")
def institution_save(slug: str, request: Request, session: SessionDep, settings: SettingsDep,
                     account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    data = dict(form)
    values = {key: data.get(key, "")[:300] for key in ("name", "anonymity_k", "default_language")}
    try:
        changes = institutions.update_institution(session=session, actor=account,
                                                  institution=institution,
                                                  default_k=settings.anonymity_k, **values)
    except InvalidFields as exc:
        session.rollback()
        return _institution_page(request, session, settings, institution, form=values,
                                 errors=field_errors(exc), status_code=422)
    return RedirectResponse(str(request.url_for("admin_institution", slug=institution.slug))
                            + f"?done={'saved' if changes else 'unchanged'}", status_code=303)
