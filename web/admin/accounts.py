"""Admin pages: the accounts of an institution — who may read its dashboards or run it — with
invitations by e-mail and revoking access."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, SettingsDep
from api.platform.errors import DomainError
from api.setup import access, account_admin, two_factor
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()

DONE = ("invited", "granted", "restored", "revoked", "blocked", "two_factor_reset")


def _page(request: Request, session, account, institution, *, values: dict | None = None,
          errors: dict | None = None, problem: DomainError | None = None, status_code: int = 200):
    done = request.query_params.get("done")
    return render(request, "admin/accounts.html", {
        "institution": institution, "section": "accounts",
        "members": account_admin.members(session=session, institution=institution),
        "roles": account_admin.INVITABLE_ROLES, "is_admin": access.is_admin(account),
        "values": values or {"email": "", "name": "", "role": "bestuur"},
        "errors": errors or {}, "problem": problem,
        "mail_configured": request.app.state.settings.mail_configured,
        "flash_code": done if done in DONE else None,
    }, status_code=status_code)


@router.get("/{slug}/accounts", name="admin_accounts", response_class=HTMLResponse)
def accounts_page(request: Request, slug: str, session: SessionDep, account: ManagerAccount):
    institution = managed(session, account, slug)
    return _page(request, session, account, institution)


@router.post("/{slug}/accounts", name="admin_accounts_invite")
def invite(request: Request, slug: str, session: SessionDep, account: ManagerAccount,
           form: FormPairs, settings: SettingsDep):
    institution = managed(session, account, slug)
    data = dict(form)
    values = {"email": data.get("email", "")[:300], "name": data.get("name", "")[:300],
              "role": data.get("role", "")}
    try:
        result = account_admin.invite(session=session, actor=account, institution=institution,
                                      email=values["email"], role=values["role"],
                                      name=values["name"], secret_key=settings.secret_key)
    except DomainError as exc:
        session.rollback()
        field = exc.params.get("field", "email")
        return _page(request, session, account, institution, values=values,
                     errors={field: (exc.code, exc.params)}, status_code=422)
    done = "restored" if result.existing and result.token else (
        "granted" if result.existing else "invited")
    target = request.url_for("admin_accounts", slug=slug).include_query_params(done=done)
    return RedirectResponse(target, status_code=303)


def _refusal(request, session, account, institution, exc: DomainError):
    session.rollback()
    return _page(request, session, account, institution, problem=exc,
                 status_code=exc.status_code)


@router.post("/{slug}/accounts/{account_id}/intrekken", name="admin_accounts_revoke")
def revoke(request: Request, slug: str, account_id: int, session: SessionDep,
           account: ManagerAccount):
    institution = managed(session, account, slug)
    try:
        account_admin.revoke_grant(session=session, actor=account,
                                            institution=institution, account_id=account_id)
    except account_admin.NotAllowed as exc:
        return _refusal(request, session, account, institution, exc)
    return RedirectResponse(request.url_for("admin_accounts", slug=slug).include_query_params(
        done="revoked"), status_code=303)


@router.post("/{slug}/accounts/{account_id}/blokkeren", name="admin_accounts_block")
def block(request: Request, slug: str, account_id: int, session: SessionDep,
          account: ManagerAccount):
    institution = managed(session, account, slug)
    try:
        account_admin.revoke_account(session=session, actor=account,
                                              account_id=account_id, institution=institution)
    except account_admin.NotAllowed as exc:
        return _refusal(request, session, account, institution, exc)
    return RedirectResponse(request.url_for("admin_accounts", slug=slug).include_query_params(
        done="blocked"), status_code=303)


@router.post("/{slug}/accounts/{account_id}/tweestaps-herstellen", name="admin_accounts_two_factor_reset")
def reset_two_factor(request: Request, slug: str, account_id: int, session: SessionDep,
                     account: ManagerAccount):
    """Someone lost their authenticator app: an administrator lets them enrol again."""
    institution = managed(session, account, slug)
    try:
        two_factor.reset(session=session, actor=account, account_id=account_id,
                         institution=institution)
    except DomainError as exc:
        return _refusal(request, session, account, institution, exc)
    session.commit()
    return RedirectResponse(request.url_for("admin_accounts", slug=slug).include_query_params(
        done="two_factor_reset"), status_code=303)
