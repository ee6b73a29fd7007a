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
from api.platform.errors import LoginRequired, NotFound, TwoFactorRequired
from api.platform.models import Account, Institution
from api.setup import access, accounts, two_factor

SESSION_COOKIE = "ks_session"
SESSION_MAX_AGE = 12 * 3600


def serializer(request: Request, salt: str = "ks-session") -> URLSafeTimedSerializer:
    """Signed cookies; each kind its own salt, so one can never be replayed as another."""
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt=salt)


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
    request.state.signed_in_via = data.get("m", "password")
    return account


def require_account(request: Request,
                    account: Annotated[Account | None, Depends(current_account)]) -> Account:
    if account is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired("Log in to see this page.", next=target)
    return account


CurrentAccount = Annotated[Account, Depends(require_account)]


def require_manager(request: Request, account: CurrentAccount, session: SessionDep) -> Account:
    """Coordinators and administrators; a board member gets 404, as if the area did not exist.
    A role that must use two-factor sign-in is sent to enrol first (the one place it is
    enforced for the admin area), unless this session began at the institution's OpenID
    provider, which is where its multi-factor sign-in is done."""
    if not access.may_run_rounds(account):
        raise NotFound("No such page.")
    if (two_factor.required_for(account, request.app.state.settings.two_factor_required_roles)
            and getattr(request.state, "signed_in_via", "password") != "oidc"  # its IdP's MFA
            and not two_factor.is_enrolled(session=session, account=account)):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise TwoFactorRequired("Switch on two-factor sign-in first.", next=target)
    return account


ManagerAccount = Annotated[Account, Depends(require_manager)]


def managed(session: Session, account: Account, slug: str) -> Institution:
    """The institution of an admin URL, checked on the server for every request."""
    return access.managed_institution(session=session, account=account, slug=slug)
