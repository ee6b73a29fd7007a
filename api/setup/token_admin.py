"""Use cases of API tokens: create, list and revoke, for the admin page and the command line.

Each is one user action: it checks who may do it, composes the building blocks of `tokens`,
records one audit event (the name and scopes, never the token) and commits once. `actor` None is
the command line. A coordinator makes tokens for its own institution only, sees the tokens that
cover it, and may revoke those that cover nothing else; a token that also covers other
institutions is revoked by an administrator (or the command line).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from api.platform.errors import DomainError, NotFound
from api.platform.models import Account, ApiToken, ApiTokenInstitution, Institution
from api.setup import access, audit, tokens


class TokenNotAllowed(DomainError):
    """A token this account may not revoke (it covers other institutions too)."""

    status_code = 403
    code = "token_not_allowed"


@dataclass(frozen=True)
class Listed:
    token: ApiToken
    institutions: list[Institution]
    revocable: bool  # by the account that asked


def _detail(token: ApiToken, institutions: list[Institution]) -> str:
    return f"{token.name} ({token.scopes}; {', '.join(i.slug for i in institutions)})"


def _log_institution(institutions: list[Institution]) -> Institution | None:
    """Where the event is logged: the one institution, or None (administrators) for several."""
    return institutions[0] if len(institutions) == 1 else None


def _may_revoke(actor: Account | None, institutions: list[Institution]) -> bool:
    return actor is None or access.is_admin(actor) or len(institutions) == 1


def tokens_of(*, session: Session, actor: Account, institution: Institution) -> list[Listed]:
    """The tokens whose institutions include this one, newest first."""
    access.managed_institution(session=session, account=actor, slug=institution.slug)
    rows = session.exec(select(ApiToken).join(
        ApiTokenInstitution, ApiTokenInstitution.token_id == ApiToken.id).where(
        ApiTokenInstitution.institution_id == institution.id).order_by(ApiToken.id.desc()))
    listed = []
    for token in rows.all():
        insts = tokens.token_institutions(session=session, token=token)
        listed.append(Listed(token=token, institutions=insts,
                             revocable=_may_revoke(actor, insts)))
    return listed


def create(*, session: Session, actor: Account | None, name: str, scopes: list[str],
           institutions: list[Institution]) -> tuple[ApiToken, str]:
    """A new token; the plain token is returned once and never stored. From the web page
    (`actor` a coordinator or administrator) a token covers only the page's institution."""
    if actor is not None:
        if len(institutions) != 1:
            raise TokenNotAllowed("A token made on the page covers its one institution.")
        access.managed_institution(session=session, account=actor, slug=institutions[0].slug)
    token, plain = tokens.issue_token(session=session, name=name, scopes=scopes,
                                      institutions=institutions)
    audit.record(session=session, actor=actor, action="token.created",
                 institution=_log_institution(institutions), detail=_detail(token, institutions))
    session.commit()
    return token, plain


def revoke(*, session: Session, actor: Account | None, token_id: int,
           institution: Institution | None = None) -> ApiToken:
    """Revoke a token: it answers 401 from now on. `institution` is the page it was done on: a
    token that does not cover it is 404 there."""
    if actor is not None:
        if institution is None:
            raise NotFound(f"No token {token_id}.")
        access.managed_institution(session=session, account=actor, slug=institution.slug)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token {token_id}.")
    insts = tokens.token_institutions(session=session, token=token)
    if institution is not None and institution.id not in {i.id for i in insts}:
        raise NotFound(f"No token {token_id} here.")
    if not _may_revoke(actor, insts):
        raise TokenNotAllowed("This token also covers other institutions; only an administrator "
                              "can revoke it.")
    tokens.withdraw(session=session, token=token)
    audit.record(session=session, actor=actor, action="token.revoked",
                 institution=institution or _log_institution(insts),
                 detail=_detail(token, insts))
    session.commit()
    return token
