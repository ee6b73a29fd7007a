"""Admin pages: the API tokens of an institution — for consultants who read scores or import
responses through `/api/v1` — made and revoked in the browser, without a shell.

A new token is shown once, on the page that answers the form (never stored, never cached).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs
from api.platform.errors import DomainError, NotFound
from api.setup import access, token_admin
from api.setup.tokens import SCOPES
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()

PRIVATE = {"Cache-Control": "private, no-store"}
SCOPE_ORDER = tuple(sorted(SCOPES, key=("read", "import", "webhooks").index))


def _page(request: Request, session, account, institution, *, values: dict | None = None,
          errors: dict | None = None, problem: DomainError | None = None,
          created: tuple | None = None, revoke_errors: dict | None = None,
          status_code: int = 200):
    done = request.query_params.get("done")
    page = render(request, "admin/tokens.html", {
        "institution": institution, "section": "tokens",
        "tokens": token_admin.tokens_of(session=session, actor=account, institution=institution),
        "scopes": SCOPE_ORDER, "is_admin": access.is_admin(account),
        "values": values or {"name": "", "scopes": ["read"]},
        "errors": errors or {}, "revoke_errors": revoke_errors or {}, "problem": problem,
        "created": created, "flash_code": "revoked" if done == "revoked" else None,
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/tokens", name="admin_tokens", response_class=HTMLResponse)
def tokens_page(request: Request, slug: str, session: SessionDep, account: ManagerAccount):
    institution = managed(session, account, slug)
    return _page(request, session, account, institution)


@router.post("/{slug}/tokens", name="admin_tokens_create", response_class=HTMLResponse)
def create(request: Request, slug: str, session: SessionDep, account: ManagerAccount,
           form: FormPairs):
    institution = managed(session, account, slug)
    name = dict(form).get("name", "")[:300]
    scopes = [value for key, value in form if key == "scopes"][:5]
    values = {"name": name, "scopes": scopes}
    try:
        token, plain = token_admin.create(session=session, actor=account, name=name,
                                          scopes=scopes, institutions=[institution])
    except DomainError as exc:
        session.rollback()
        field = exc.params.get("field", "name")
        return _page(request, session, account, institution, values=values,
                     errors={field: (exc.code, exc.params)}, status_code=422)
    return _page(request, session, account, institution, created=(token, plain))


@router.post("/{slug}/tokens/{token_id}/intrekken", name="admin_tokens_revoke",
             response_class=HTMLResponse)
def revoke(request: Request, slug: str, token_id: int, session: SessionDep,
           account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    confirmed = dict(form).get("confirm") == "yes"
    try:
        if not confirmed:
            # still 404 for a token that is not this institution's, before asking to confirm
            listed = token_admin.tokens_of(session=session, actor=account,
                                           institution=institution)
            if token_id not in {row.token.id for row in listed}:
                raise NotFound(f"No token {token_id} here.")
            return _page(request, session, account, institution,
                         revoke_errors={token_id: ("token_confirm_revoke", {})}, status_code=422)
        token_admin.revoke(session=session, actor=account, token_id=token_id,
                           institution=institution)
    except token_admin.TokenNotAllowed as exc:
        session.rollback()
        return _page(request, session, account, institution, problem=exc,
                     status_code=exc.status_code)
    return RedirectResponse(request.url_for("admin_tokens", slug=slug).include_query_params(
        done="revoked"), status_code=303)
