"""How an institution's people sign in: which institution claim values (domains) belong to it
for sign-in through OpenID Connect, the role an account made on its first sign-in gets, and
whether the password form is switched off for its accounts.

Password sign-in is off for an account only when every institution it is granted has switched
it off; an administrator (the installation's) and an account without institutions always keep
their password, so nobody locks the installation out of itself.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from api.platform.errors import Conflict, DomainError, InvalidInput
from api.platform.models import (
    Account,
    AccountInstitution,
    AccountRole,
    Institution,
    SignInPolicy,
    SsoDomain,
    utcnow,
)
from api.setup import audit
from api.setup.institutions import InvalidFields

GRANTABLE_ROLES = (AccountRole.bestuur.value, AccountRole.coordinator.value)  # never admin
MAX_DOMAINS = 50
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise_domain(value: str) -> str:
    return value.strip().lower().rstrip(".")


def policy_of(*, session: Session, institution: Institution) -> SignInPolicy:
    """The institution's policy; not stored yet: the defaults (board members, password on)."""
    return session.get(SignInPolicy, institution.id) or SignInPolicy(
        institution_id=institution.id)


def domains_of(*, session: Session, institution: Institution) -> list[str]:
    return list(session.exec(select(SsoDomain.domain).where(
        SsoDomain.institution_id == institution.id).order_by(SsoDomain.domain)))


def institution_for_domain(*, session: Session, domain: str) -> Institution | None:
    """The institution a claim value (or an e-mail address's domain) belongs to, if any."""
    row = session.get(SsoDomain, normalise_domain(domain)[:253])
    return session.get(Institution, row.institution_id) if row else None


def password_allowed(*, session: Session, account: Account) -> bool:
    """Whether this account may sign in with its password (see the module's docstring)."""
    if account.role == AccountRole.admin:
        return True
    granted = session.exec(select(AccountInstitution.institution_id).where(
        AccountInstitution.account_id == account.id)).all()
    if not granted:
        return True
    off = session.exec(select(SignInPolicy.institution_id).where(
        SignInPolicy.institution_id.in_(granted), SignInPolicy.password_off)).all()
    return len(set(off)) < len(set(granted))


def _checked_domains(session: Session, institution: Institution, text: str) -> list[str]:
    values = sorted({normalise_domain(line) for line in re.split(r"[\n,;]+", text)
                     if line.strip()})
    if len(values) > MAX_DOMAINS:
        raise InvalidInput(f"At most {MAX_DOMAINS} domains.", code="sso_too_many_domains",
                           maximum=MAX_DOMAINS)
    wrong = [value for value in values if not _DOMAIN.match(value)]
    if wrong:
        raise InvalidInput(f"Not a domain: {wrong[0]!r}.", code="sso_domain_invalid",
                           domain=wrong[0][:80])
    taken = session.exec(select(SsoDomain.domain).where(
        SsoDomain.domain.in_(values), SsoDomain.institution_id != institution.id)).first()
    if taken:
        raise Conflict(f"{taken} belongs to another institution.", code="sso_domain_taken",
                       domain=taken)
    return values


def save_policy(*, session: Session, actor: Account, institution: Institution, domains: str,
                sso_role: str, password_off: bool) -> list[str]:
    """Use case: save the institution's sign-in settings; returns what changed (one audit event
    when anything did; commits)."""
    errors: dict[str, DomainError] = {}
    try:
        wanted = _checked_domains(session, institution, domains[:20_000])
    except DomainError as exc:
        errors["sso_domains"] = exc
    if sso_role not in GRANTABLE_ROLES:
        errors["sso_role"] = InvalidInput("The role is bestuur or coordinator.",
                                          code="sso_role_invalid")
    if errors:
        raise InvalidFields(errors)
    policy = policy_of(session=session, institution=institution)
    current = domains_of(session=session, institution=institution)
    changes = []
    if wanted != current:
        for domain in set(current) - set(wanted):
            session.delete(session.get(SsoDomain, domain))
        session.add_all(SsoDomain(domain=domain, institution_id=institution.id)
                        for domain in set(wanted) - set(current))
        changes.append(f"domains {', '.join(wanted) or '–'}")
    if sso_role != policy.sso_role:
        changes.append(f"role on first sign-in {policy.sso_role} → {sso_role}")
        policy.sso_role = sso_role
    if password_off != policy.password_off:
        changes.append("password sign-in " + ("off" if password_off else "on"))
        policy.password_off = password_off
    if changes:
        policy.updated_at = utcnow()
        session.add(policy)
        session.flush()
        audit.record(session=session, actor=actor, action="sign_in_policy.updated",
                     institution=institution, detail="; ".join(changes))
        session.commit()
    return changes
