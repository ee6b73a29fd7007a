"""Taking part in the sector benchmark: an institution opts in (or out) per questionnaire
version, from /beheer or the command line. Each choice is one use case: one audit event, the
sector releases it allows or withdraws (`api.results.sector`), one commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from api.platform.errors import InvalidInput
from api.platform.models import Account, Institution, SectorOptIn
from api.platform.questionnaires import Catalog, Questionnaire
from api.results import sector
from api.setup import audit


@dataclass(frozen=True)
class Choice:
    questionnaire: Questionnaire
    opted_in: bool


def choices(*, session: Session, institution: Institution, catalog: Catalog) -> list[Choice]:
    """Every questionnaire version of the catalog, with whether the institution takes part."""
    opted = {(slug, version) for slug, version in session.exec(
        select(SectorOptIn.questionnaire_slug, SectorOptIn.questionnaire_version)
        .where(SectorOptIn.institution_id == institution.id))}
    return [Choice(questionnaire=q, opted_in=(q.slug, q.version) in opted) for q in catalog]


def opted_in(*, session: Session, institution: Institution, slug: str, version: str) -> bool:
    return session.get(SectorOptIn, (institution.id, slug, version)) is not None


def set_opt_in(*, session: Session, actor: Account | None, institution: Institution,
               catalog: Catalog, ref: str, take_part: bool, default_k: int,
               minimum: int) -> bool:
    """Opt in or out of one version ('slug/version'); True when something changed.

    Opting in may let a sector release be made at once; opting out withdraws the shown sector
    release the institution is in, and then the rule decides whether a new one may be made."""
    slug, _, version = ref.strip().partition("/")
    questionnaire = catalog.get(slug, version)
    if questionnaire is None:
        raise InvalidInput(f"There is no questionnaire version {ref!r}.",
                           code="sector_version_unknown", ref=ref[:60])
    sector.lock_version(session=session, slug=slug, version=version)  # a release may be running
    current = session.get(SectorOptIn, (institution.id, slug, version))
    if take_part == (current is not None):
        return False
    if take_part:
        session.add(SectorOptIn(institution_id=institution.id, questionnaire_slug=slug,
                                questionnaire_version=version))
        session.flush()
    else:
        session.delete(current)
        session.flush()
        sector.withdraw_with(session=session, institution_id=institution.id, slug=slug,
                             version=version)
    for period in sector.periods_of(session=session, institution_id=institution.id, slug=slug,
                                    version=version):
        sector.consider(session=session, slug=slug, version=version, period=period,
                        default_k=default_k, minimum=minimum)
    audit.record(session=session, actor=actor, institution=institution,
                 action="sector_opt_in" if take_part else "sector_opt_out",
                 detail=questionnaire.ref)
    session.commit()
    return True
