"""A respondent's own star, behind a private link of its own.

Whoever generated or mailed a personal invitation holds that link too, so the invitation can
never show a respondent's own scores once submitted. At submit the respondent gets a second,
private link whose secret is random, shown once and kept only as a hash; nothing ties it to
the invitation, the draft or the stored response.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from api.platform.errors import NotFound
from api.platform.models import Institution, OwnResult, Round, Unit
from api.platform.questionnaires import Catalog, Questionnaire
from api.results import gate
from api.results.releases import ReleaseState

SECRET_BYTES = 24


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def keep(*, session: Session, round_: Round, unit_id: int, own: dict[str, float]) -> str:
    """Store the own scores under a new secret and return the secret (flushes, never commits:
    it is part of the submit)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(OwnResult(secret_hash=_hash(secret), round_id=round_.id, unit_id=unit_id,
                          scores={knob: round(score, 2) for knob, score in own.items()}))
    session.flush()
    return secret


def find(*, session: Session, secret: str) -> tuple[OwnResult, Round, Unit]:
    """The own result behind a private link, with its round and unit; 404 for anything else."""
    if not 20 <= len(secret) <= 64:
        raise NotFound("This results link does not exist.", code="own_result_unknown")
    found = session.exec(select(OwnResult, Round, Unit)
                         .join(Round, Round.id == OwnResult.round_id)
                         .join(Unit, Unit.id == OwnResult.unit_id)
                         .where(OwnResult.secret_hash == _hash(secret))).first()
    if found is None:
        raise NotFound("This results link does not exist.", code="own_result_unknown")
    return found


@dataclass(frozen=True)
class OwnView:
    """What the private link shows: the own scores beside what the release rule publishes for
    the respondent's practoraat and institution, now (also after the round has closed)."""

    round: Round
    unit: Unit
    institution: Institution
    questionnaire: Questionnaire
    own: dict[str, float]
    unit_published: gate.Published
    total_published: gate.Published
    release: ReleaseState
    k: int


def own_view(*, session: Session, catalog: Catalog, secret: str, default_k: int) -> OwnView:
    result, round_, unit = find(session=session, secret=secret)
    institution = session.get(Institution, round_.institution_id)
    k = gate.threshold(default_k=default_k, institution=institution)
    return OwnView(
        round=round_, unit=unit, institution=institution,
        questionnaire=catalog.require(round_.questionnaire_slug, round_.questionnaire_version),
        own=dict(result.scores),
        unit_published=gate.unit_total(session=session, round_id=round_.id, unit_id=unit.id, k=k),
        total_published=gate.round_total(session=session, round_id=round_.id, k=k),
        release=gate.release_state(session=session, round_=round_), k=k)
