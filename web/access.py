"""Who is visiting: the signed session cookie of board members, coordinators and administrators.

Every page that needs a login depends on `CurrentAccount`; what the account may see is decided in
`api.setup.access`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from api.platform.db import SessionDep
from api.platform.errors import LoginRequired, NotFound
from api.platform.models import Account, Institution
from api.setup import access, accounts

SESSION_COOKIE = "ks_session"
SESSION_MAX_AGE = 12 * 3600


def serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="ks-session")


def current_account(request: Request, session: SessionDep) -> Account | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = serializer(request).loads(raw, max_age=SESSION_MAX_AGE)
        claim = accounts.SessionClaim(account_id=int(data["a"]), version=int(data["v"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    account = accounts.account_for_claim(session=session, claim=claim)
    request.state.account = account
    return account


def require_account(request: Request,
                    account: Annotated[Account | None, Depends(current_account)]) -> Account:
    if account is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired("Log in to see this page.", next=target)
    return account


CurrentAccount = Annotated[Account, Depends(require_account)]


def require_manager(request: Request, account: CurrentAccount) -> Account:
    """Coordinators and administrators; a board member gets 404, as if the area did not exist."""
    if not access.may_run_rounds(account):
        raise NotFound("No such page.")
    return account


ManagerAccount = Annotated[Account, Depends(require_manager)]


def managed(session: Session, account: Account, slug: str) -> Institution:
    """The institution of an admin URL, checked on the server for every request."""
    return access.managed_institution(session=session, account=account, slug=slug)
