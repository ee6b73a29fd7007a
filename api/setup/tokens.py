"""Bearer tokens of consultants and researchers for `/api/v1`.

A token is shown once when it is made; only its SHA-256 is stored. Each token is scoped to one or
more institutions and to `read` and/or `import`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, select

from api.platform.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from api.platform.models import (
    ApiToken,
    ApiTokenInstitution,
    Institution,
    Round,
    TokenScope,
    utcnow,
)
from api.setup.institutions import checked_name
from api.survey.invitations import hash_token

PREFIX = "ks_"
SCOPES = {scope.value for scope in TokenScope}
SLUG = re.compile(r"[a-z0-9-]{1,60}")


@dataclass(frozen=True)
class TokenGrant:
    """What the token in a request may do."""

    token: ApiToken
    institution_ids: frozenset[int]
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token has no {scope!r} scope.")


def issue_token(*, session: Session, name: str, scopes: list[str],
                institutions: list[Institution]) -> tuple[ApiToken, str]:
    """The building block: a new token, flushed only (the use case commits)."""
    try:
        name = checked_name(name, "A token")
    except InvalidInput as exc:
        exc.params["field"] = "name"
        raise
    unknown = set(scopes) - SCOPES
    if not scopes or unknown:
        raise InvalidInput(f"Scopes must be one or more of: {', '.join(sorted(SCOPES))}.",
                           code="token_scopes_invalid", field="scopes")
    if not institutions:
        raise InvalidInput("A token needs at least one institution.")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(plain), scopes=" ".join(sorted(set(scopes))))
    session.add(token)
    session.flush()
    session.add_all(ApiTokenInstitution(token_id=token.id, institution_id=inst.id)
                    for inst in institutions)
    session.flush()
    return token, plain


def create_token(*, session: Session, name: str, scopes: list[str],
                 institutions: list[Institution]) -> tuple[ApiToken, str]:
    """A new token, committed (for tests and scripts; people use `token_admin.create`)."""
    made = issue_token(session=session, name=name, scopes=scopes, institutions=institutions)
    session.commit()
    return made


def token_institutions(*, session: Session, token: ApiToken) -> list[Institution]:
    return list(session.exec(select(Institution).join(
        ApiTokenInstitution, ApiTokenInstitution.institution_id == Institution.id).where(
        ApiTokenInstitution.token_id == token.id).order_by(Institution.slug)))


def list_tokens(*, session: Session) -> list[tuple[ApiToken, list[Institution]]]:
    result = []
    for token in session.exec(select(ApiToken).order_by(ApiToken.id)):
        result.append((token, token_institutions(session=session, token=token)))
    return result


def withdraw(*, session: Session, token: ApiToken) -> ApiToken:
    """The building block: the token answers 401 from now on (flushed only)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.flush()
    return token


def revoke_token(*, session: Session, token_id: int) -> ApiToken:
    """Revoke and commit (for tests and scripts; people use `token_admin.revoke`)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token {token_id}.")
    withdraw(session=session, token=token)
    session.commit()
    return token


# One indexed query, built once (every API request runs it): the token by its unique hash, with
# each of its institutions.
_GRANT = select(ApiToken, ApiTokenInstitution.institution_id).outerjoin(
    ApiTokenInstitution, ApiTokenInstitution.token_id == ApiToken.id).where(
    ApiToken.token_hash == bindparam("token_hash"))


def authenticate(*, session: Session, plain: str | None) -> TokenGrant:
    """The grant behind the bearer token of a request, or 401."""
    if not plain or not plain.strip():
        raise Unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
    rows = session.execute(_GRANT, {"token_hash": hash_token(plain.strip())}).all()
    token = rows[0][0] if rows else None
    if token is None or token.revoked_at is not None:
        raise Unauthorized("This API token is unknown or has been revoked.")
    return TokenGrant(token=token, institution_ids=frozenset(i for _, i in rows if i is not None),
                      scopes=frozenset(token.scopes.split()))


# --- what a grant may read ----------------------------------------------------------------------
# Outside the scope is answered with 404, the same as what does not exist: a token cannot even
# learn that another institution, or its rounds, exist.


def institutions_in_scope(*, session: Session, grant: TokenGrant,
                          slugs: Sequence[str] = ()) -> list[Institution]:
    """The institutions named by `slugs`, in that order, or all of the grant's by slug; 404 for
    a slug outside the scope."""
    if slugs:
        return [institution_in_scope(session=session, grant=grant, slug=slug) for slug in slugs]
    return list(session.exec(select(Institution).where(
        Institution.id.in_(grant.institution_ids)).order_by(Institution.slug)))


def institution_in_scope(*, session: Session, grant: TokenGrant, slug: str) -> Institution:
    """The institution of a URL's slug, or 404 when it is not within the grant's scope."""
    institution = (session.exec(select(Institution).where(Institution.slug == slug)).first()
                   if SLUG.fullmatch(slug) else None)
    if institution is None or institution.id not in grant.institution_ids:
        raise NotFound(f"No institution {slug!r} within this token's scope.")
    return institution


_ROUND_AND_INSTITUTION = select(Round, Institution).join(
    Institution, Institution.id == Round.institution_id).where(Round.id == bindparam("round_id"))


def round_in_scope(*, session: Session, grant: TokenGrant, round_id: int,
                   ) -> tuple[Round, Institution]:
    """A round and its institution in one query (every import asks it; the statement is built
    once), or 404 when the round does not exist or lies outside the grant's scope, so a token
    cannot learn that it exists."""
    found = session.execute(_ROUND_AND_INSTITUTION, {"round_id": round_id}).first()
    if found is None or found[0].institution_id not in grant.institution_ids:
        raise NotFound(f"No round {round_id} within this token's scope.")
    return found[0], found[1]
