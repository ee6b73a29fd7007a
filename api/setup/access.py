"""Who may do what: the one place that decides, for every page and command, which institutions an
account may read and which it may run.

- `admin` (the installation) reads and runs everything;
- `coordinator` reads and runs the institutions granted to it;
- `bestuur` only reads the institutions granted to it, and makes its action plan.

An institution the account may not reach is answered with 404, the same as one that does not
exist, so a URL never tells an outsider which institutions are here.
"""

from __future__ import annotations

from sqlmodel import Session, select

from api.platform.errors import NotFound
from api.platform.models import Account, AccountInstitution, AccountRole, Institution


def is_admin(account: Account) -> bool:
    return account.role == AccountRole.admin


def may_run_rounds(account: Account) -> bool:
    """Whether the account has an admin area at all (coordinators and admins)."""
    return account.role in (AccountRole.admin, AccountRole.coordinator)


def readable_institutions(*, session: Session, account: Account) -> list[Institution]:
    """Everything for an administrator; the granted institutions for everyone else."""
    query = select(Institution).order_by(Institution.name)
    if not is_admin(account):
        query = query.join(AccountInstitution,
                           AccountInstitution.institution_id == Institution.id).where(
            AccountInstitution.account_id == account.id)
    return list(session.exec(query))


def managed_institutions(*, session: Session, account: Account) -> list[Institution]:
    """The institutions whose rounds, units, invitations and accounts this account runs."""
    if not may_run_rounds(account):
        return []
    return readable_institutions(session=session, account=account)


def readable_institution(*, session: Session, account: Account, slug: str) -> Institution:
    """The institution behind a dashboard URL, or 404 — the same answer whether it exists or not."""
    for institution in readable_institutions(session=session, account=account):
        if institution.slug == slug:
            return institution
    raise NotFound("No such dashboard.")


def managed_institution(*, session: Session, account: Account, slug: str) -> Institution:
    """The institution behind an admin URL, or 404 for anyone who may not run it."""
    for institution in managed_institutions(session=session, account=account):
        if institution.slug == slug:
            return institution
    raise NotFound("No such institution.")


def plannable_institution(*, session: Session, account: Account, slug: str) -> Institution:
    """The institution whose action plan this account makes, or 404.

    The plan is the board's own (it decides what to do after a round) and the coordinators'
    (they carry it out), so admin, the institution's coordinators and its bestuur may make it.
    """
    if account.role not in (AccountRole.admin, AccountRole.coordinator, AccountRole.bestuur):
        raise NotFound("No such action plan.")
    for institution in readable_institutions(session=session, account=account):
        if institution.slug == slug:
            return institution
    raise NotFound("No such action plan.")
