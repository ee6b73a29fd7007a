"""Admin pages: the admin home (the institutions this account runs) and an institution's page
(an overview and its settings)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, SettingsDep
from api.platform.errors import NotFound
from api.platform.models import Account, Institution
from api.setup import access, institutions, sign_in_policy
from api.setup.institutions import InvalidFields
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()
DONE = {"created", "saved", "unchanged", "sign_in_saved"}


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


def _sign_in_form(session, institution: Institution) -> dict:
    policy = sign_in_policy.policy_of(session=session, institution=institution)
    return {"sso_domains": "\n".join(sign_in_policy.domains_of(session=session,
                                                               institution=institution)),
            "sso_role": policy.sso_role, "password_off": policy.password_off}


def _institution_page(request: Request, session, settings, institution: Institution, *,
                      form: dict | None = None, errors: dict | None = None,
                      sign_in: dict | None = None, status_code: int = 200):
    done = request.query_params.get("done")
    account = getattr(request.state, "account", None)
    return render(request, "admin/institution.html", {
        "sign_in": sign_in or _sign_in_form(session, institution),
        "may_edit_sign_in": account is not None and access.is_admin(account),
        "oidc_on": settings.oidc_configured, "oidc_name": settings.oidc_display_name,
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


@router.post("/{slug}/inloggen", name="admin_sign_in_save")
def sign_in_save(slug: str, request: Request, session: SessionDep, settings: SettingsDep,
                 account: ManagerAccount, form: FormPairs):
    """Who may come in through the institution's provider, and whether passwords still work:
    an administrator's decision (a coordinator sees it), since a domain grants accounts."""
    institution = managed(session, account, slug)
    if not access.is_admin(account):
        raise NotFound("No such page.")
    data = dict(form)
    values = {"sso_domains": data.get("sso_domains", "")[:20_000],
              "sso_role": data.get("sso_role", "")[:20],
              "password_off": data.get("password_off") == "1"}
    try:
        sign_in_policy.save_policy(session=session, actor=account, institution=institution,
                                   domains=values["sso_domains"], sso_role=values["sso_role"],
                                   password_off=values["password_off"])
    except InvalidFields as exc:
        session.rollback()
        return _institution_page(request, session, settings, institution, sign_in=values,
                                 errors=field_errors(exc), status_code=422)
    return RedirectResponse(str(request.url_for("admin_institution", slug=institution.slug))
                            + "?done=sign_in_saved#sign-in-title", status_code=303)
