"""The audit log: who did which administrative action when — never what anyone answered.

Every use case of the admin pages and the command line writes one event in its own transaction
(flush only: the use case commits). Events are shown to administrators and to the coordinators of
the institution they concern.
"""

from __future__ import annotations

from sqlmodel import Session, select

from api.platform.models import Account, AuditEvent, Institution

CLI_ACTOR = "cli"
DETAIL_MAX = 500


def record(*, session: Session, actor: Account | None, action: str,
           institution: Institution | int | None = None, detail: str = "") -> AuditEvent:
    """`actor` None is the command line (someone with a shell on the server)."""
    institution_id = institution.id if isinstance(institution, Institution) else institution
    event = AuditEvent(account_id=actor.id if actor else None,
                       actor=actor.email if actor else CLI_ACTOR, institution_id=institution_id,
                       action=action, detail=detail[:DETAIL_MAX])
    session.add(event)
    session.flush()
    return event


def events(*, session: Session, institution: Institution | None = None, limit: int = 200,
           offset: int = 0) -> list[AuditEvent]:
    """Newest first; `institution` None is every event (for administrators only)."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if institution is not None:
        query = query.where(AuditEvent.institution_id == institution.id)
    return list(session.exec(query.offset(offset).limit(limit)))
