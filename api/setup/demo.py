"""Demo data: a fictional mbo institution with six practoraten, three rounds and ~210 responses.

Each practoraat has its own knob profile, leaders see things a little brighter than practors, and
the second round shows movement, so every part of the dashboard has something to show. The board
made an action plan after the first round (`ACTIONS`), so the second round's dashboard shows
progress lines: one clear rise for a practoraat, one for the institution, one within the noise,
and one for a practoraat too small in round 2 to show. The newest round runs galbraith-star 1.1:
its trend crosses to the 1.0 rounds for the knobs 1.1 declares comparable and says why not for
the others, and so does its action plan.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from api.plans import actions as plan
from api.platform import questionnaire_status
from api.platform.errors import Conflict
from api.platform.models import Account, AccountRole, Institution, Invitation, InvitationKind, UnitKind
from api.platform.questionnaires import Catalog
from api.results import releases
from api.setup import accounts, institutions, questionnaire_versions, rounds
from api.survey import invitations
from api.survey.responses import record_response

DEMO_INSTITUTION = "ROC Rivierenland (demo)"
DEMO_BOARD_EMAIL = "bestuur@rivierenland.demo"
DEMO_COORDINATOR_EMAIL = "coordinator@rivierenland.demo"
DEMO_PASSWORD = "sterrenkijker-2026"  # demo data only; printed by `kennisster up`
DEMO_BOARD_PASSWORD = DEMO_PASSWORD
QUESTIONNAIRE = ("galbraith-star", "1.0")
SEED = 20261123


@dataclass(frozen=True)
class Profile:
    name: str
    # latent knob levels on 1–5: strategie, structuur, processen, beloningen, mensen
    round1: tuple[float, float, float, float, float]
    round2: tuple[float, float, float, float, float]
    respondents: tuple[int, int]


PROFILES = [
    Profile("Practoraat Duurzame Techniek", (3.1, 4.0, 3.4, 2.0, 3.3), (3.3, 4.1, 3.6, 2.6, 3.4),
            (14, 15)),
    Profile("Practoraat Zorg en Welzijn", (2.1, 3.0, 3.0, 3.4, 4.3), (2.8, 3.1, 3.1, 3.5, 4.3),
            (13, 14)),
    Profile("Practoraat Digitale Vaardigheden", (3.3, 3.2, 4.1, 3.0, 2.2), (3.4, 3.3, 4.1, 3.1, 2.4),
            (12, 13)),
    Profile("Practoraat Kansengelijkheid", (3.8, 3.6, 3.7, 3.5, 3.9), (3.9, 3.8, 3.8, 3.7, 4.0),
            (11, 12)),
    Profile("Practoraat Ondernemerschap", (2.2, 2.0, 2.4, 1.9, 2.6), (2.5, 2.4, 2.6, 2.2, 2.8),
            (12, 11)),
    Profile("Practoraat Leven Lang Ontwikkelen", (4.1, 2.1, 3.2, 3.0, 3.5), (4.0, 2.5, 3.3, 3.1, 3.6),
            (10, 3)),
]
ROLES = [("practor", 0.25), ("docent_onderzoeker", 0.45), ("lector_onderzoeksleider", 0.1),
         ("leidinggevende_bestuur", 0.12), ("anders", 0.08)]
ROLE_OPTIMISM = {"leidinggevende_bestuur": 0.5, "lector_onderzoeksleider": 0.2}
OPEN_TEXTS = {
    "open_strategie": ["Een gedeelde ambitie voor kennisdeling, uitgesproken door het college.",
                       "Vaker met elkaar bespreken wat we van elkaar verwachten."],
    "open_structuur": ["Een vaste ontmoetingsplek voor alle practoren.",
                       "Een coördinator die practoraten aan elkaar koppelt."],
    "open_processen": ["Samen aan één thema werken, met een duidelijk doel en einde.",
                       "Minder losse projecten, meer gezamenlijke vraagstukken."],
    "open_beloningen": ["Zichtbaar maken wat collega's voor elkaar betekenen.",
                        "Tijd in de taakverdeling voor kennisdeling."],
    "open_mensen": ["Meer ruimte om fouten te bespreken.",
                    "Elkaar beter leren kennen, ook buiten de projecten."],
}


# (unit name or None for the institution, knob, suggestion, status, owner, notes), made after round 1
ACTIONS = [
    ("Practoraat Duurzame Techniek", "beloningen", "bel_s1", "klaar", "Practor Duurzame Techniek",
     "In elk teamoverleg noemen we wie wat voor een ander deed."),
    (None, "structuur", "stu_s4", "bezig", "Onderzoeksleider",
     "Maandelijkse kennislunch voor alle practoraten, sinds mei."),
    (None, "beloningen", "bel_s4", "gepland", "College van bestuur",
     "Uren voor kennisdeling opnemen in de taakverdeling van 2027."),
    ("Practoraat Leven Lang Ontwikkelen", "structuur", "stu_s2", "gestopt", "",
     "Gestopt: de verbinder vertrok na twee maanden."),
]


def load_demo(*, session: Session, catalog: Catalog, secret_key: str, default_k: int,
              advance: Callable[[int], None] = lambda _: None) -> Institution | None:
    """Create the demo institution once; returns None when it already exists (idempotent).

    One transaction: an interrupted load leaves nothing, and the next run loads it whole.
    """
    existing = session.exec(select(Institution).where(Institution.name == DEMO_INSTITUTION)).first()
    if existing is not None:
        return None
    rng = random.Random(SEED)
    institution = institutions.create_institution(session=session, name=DEMO_INSTITUTION)
    for email, role, name in ((DEMO_BOARD_EMAIL, AccountRole.bestuur, "Demo bestuur"),
                              (DEMO_COORDINATOR_EMAIL, AccountRole.coordinator,
                               "Demo coördinator")):
        if not session.exec(select(Account).where(Account.email == email)).first():
            accounts.create_account(session=session, email=email, password=DEMO_PASSWORD,
                                    role=role, name=name, institutions=[institution])
    centre = institutions.create_unit(session=session, institution=institution,
                                      name="Kenniscentrum Praktijkonderzoek", kind=UnitKind.afdeling)
    units = [institutions.create_unit(session=session, institution=institution, name=p.name,
                                      parent=centre) for p in PROFILES]
    # two rounds on 1.0, then the newest on 1.1: its trend crosses to 1.0 for the knobs 1.1
    # declares comparable and says why for the others
    round_specs = [
        ("Nulmeting voorjaar 2026", datetime(2026, 3, 2, 8, tzinfo=UTC),
         datetime(2026, 4, 3, 17, tzinfo=UTC), "1.0"),
        ("Meting najaar 2026", datetime(2026, 10, 5, 8, tzinfo=UTC),
         datetime(2026, 11, 6, 17, tzinfo=UTC), "1.0"),
        ("Meting winter 2026", datetime(2026, 11, 16, 8, tzinfo=UTC), None,
         "1.1"),
    ]
    for r_index, (name, opens_at, closes_at, version) in enumerate(round_specs):
        questionnaire = catalog.require(QUESTIONNAIRE[0], version)
        round_ = rounds.open_round(session=session, catalog=catalog, institution=institution,
                                   name=name, slug=questionnaire.slug,
                                   version=questionnaire.version, opens_at=opens_at,
                                   closes_at=closes_at)
        for unit, profile in zip(units, PROFILES, strict=True):
            invitations.ensure_shared(session=session, secret_key=secret_key, round_=round_,
                                      unit=unit)
            count = profile.respondents[min(r_index, 1)]
            invited = count + rng.randint(2, 6)
            invitations.create_personal(session=session, round_=round_, unit=unit, count=invited)
            personal = session.exec(select(Invitation).where(
                Invitation.round_id == round_.id, Invitation.unit_id == unit.id,
                Invitation.kind == InvitationKind.personal)).all()
            levels = (profile.round1, profile.round2,
                      tuple(level + 0.15 for level in profile.round2))[r_index]
            for n in range(count):
                invitation = personal[n]
                role = rng.choices([r for r, _ in ROLES], weights=[w for _, w in ROLES])[0]
                answers = _answers(rng, questionnaire, levels, ROLE_OPTIMISM.get(role, 0.0))
                open_answers = {qid: rng.choice(texts) for qid, texts in OPEN_TEXTS.items()
                                if rng.random() < 0.15}
                record_response(
                    session=session, round_=round_, unit_id=unit.id, role=role,
                    questionnaire=questionnaire, answers=answers, open_answers=open_answers,
                    submission_key=f"s-{secrets.token_urlsafe(24)}")
                invitation.used_on = opens_at.replace(day=min(28, opens_at.day + 1 + n % 20)).date()
                session.add(invitation)
                advance(1)
        # the round's numbers are published by the same rule as live responses: a practoraat
        # with fewer than k respondents waits (the second round shows what that looks like)
        releases.release_due(session=session, round_id=round_.id, default_k=default_k)
        if r_index == 0:
            _action_plan(session=session, catalog=catalog, institution=institution,
                         round_=round_, units=[centre, *units])
    _scan_round(session=session, catalog=catalog, institution=institution, units=units,
                secret_key=secret_key, default_k=default_k, advance=advance)
    _sector(session=session, catalog=catalog, institution=institution, secret_key=secret_key,
            default_k=default_k, advance=advance)
    _archive_the_first_star(session=session, catalog=catalog)
    session.commit()
    return institution


def _archive_the_first_star(*, session: Session, catalog: Catalog) -> None:
    """1.1 replaced 1.0: archive 1.0, so a new user sees an archived version whose rounds stay
    readable. Left alone where the installation still runs a 1.0 round of its own (archiving is
    refused then) or an administrator already archived it."""
    state = questionnaire_status.version_state(session=session, catalog=catalog,
                                               slug=QUESTIONNAIRE[0], version="1.0")
    if state.status != questionnaire_status.VersionStatus.published:
        return
    try:  # the refusal comes before anything is written
        questionnaire_versions.archive(session=session, catalog=catalog, slug=QUESTIONNAIRE[0],
                                       version="1.0")
    except Conflict:
        return


def _action_plan(*, session: Session, catalog: Catalog, institution: Institution, round_,
                 units) -> None:
    """The board's plan after the first round, from the questionnaire's suggestions."""
    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    by_name = {unit.name: unit for unit in units}
    suggestions = {s.id: s for s in questionnaire.suggestions}
    for unit_name, knob, suggestion, status, owner, notes in ACTIONS:
        plan.build_action(session=session, catalog=catalog, institution=institution, actor=None,
                          data=plan.ActionInput(
                              round=round_.id, knob=knob,
                              unit=by_name[unit_name].id if unit_name else "",
                              title=suggestions[suggestion].title.get("nl"),
                              suggestion=suggestion, owner=owner, status=status, notes=notes,
                              due_on=datetime(2026, 9, 1, tzinfo=UTC).date()))


def demo_size() -> int:
    """Responses in the demo: the star's round 1, round 2 and the 1.1 round (as many as round 2),
    and the knowledge-workplace scan's round."""
    return (sum(p.respondents[0] + 2 * p.respondents[1] for p in PROFILES)
            + sum(n for _, n in SCAN_PROFILES.values())
            + len(SECTOR_PROFILES) * SECTOR_UNITS * SECTOR_RESPONDENTS)


def _answers(rng: random.Random, questionnaire, levels, optimism: float) -> dict[str, int | None]:
    person = {knob.key: levels[i] + optimism + rng.gauss(0, 0.45)
              for i, knob in enumerate(questionnaire.knobs)}
    answers: dict[str, int | None] = {}
    for item in questionnaire.items:
        if rng.random() < 0.05:
            answers[item.id] = None  # weet niet / n.v.t.
            continue
        value = min(5, max(1, round(person[item.knob] + rng.gauss(0, 0.6))))
        answers[item.id] = 6 - value if item.reverse else value
    return answers


SCAN = ("kenniswerkplaats-scan", "1.0")
# latent levels per success factor, in the scan's order (belang, praktijkvragen, thema,
# gemeenschap, coordinator, draagvlak, voorlopers, tijd, lange_adem), and respondents per unit
SCAN_PROFILES = {
    "Practoraat Duurzame Techniek": ((3.9, 4.1, 3.4, 3.6, 3.8, 2.9, 3.5, 2.1, 3.0), 11),
    "Practoraat Zorg en Welzijn": ((3.6, 4.3, 3.8, 4.0, 2.4, 3.4, 3.1, 2.4, 2.6), 10),
    "Practoraat Digitale Vaardigheden": ((3.2, 3.0, 2.9, 3.1, 3.6, 2.6, 3.9, 2.0, 2.8), 9),
    "Practoraat Kansengelijkheid": ((4.0, 3.8, 3.5, 3.9, 3.7, 3.6, 3.4, 2.9, 3.3), 8),
}
# roles in turn, so each role the scan shows has at least k respondents (none waits)
SCAN_ROLES = ["docent_onderzoeker", "student", "practor", "docent_onderzoeker", "werkveldpartner",
              "student", "practor"]


def _scan_round(*, session: Session, catalog: Catalog, institution: Institution, units,
                secret_key: str, default_k: int, advance: Callable[[int], None]) -> None:
    """One answered and released round of the knowledge-workplace scan, between the star's two
    rounds (so the dashboard still opens on the star's latest round): a new user finds the
    scan's view in the round picker. Only flushes; the demo's one commit keeps it."""
    rng = random.Random(SEED + 1)
    questionnaire = catalog.require(*SCAN)
    opens_at = datetime(2026, 5, 11, 8, tzinfo=UTC)
    round_ = rounds.open_round(session=session, catalog=catalog, institution=institution,
                               name="Scan kenniswerkplaatsen 2026", slug=questionnaire.slug,
                               version=questionnaire.version, opens_at=opens_at,
                               closes_at=datetime(2026, 6, 12, 17, tzinfo=UTC))
    answered = 0
    for unit in units:
        if unit.name not in SCAN_PROFILES:
            continue
        levels, count = SCAN_PROFILES[unit.name]
        invitations.ensure_shared(session=session, secret_key=secret_key, round_=round_, unit=unit)
        invitations.create_personal(session=session, round_=round_, unit=unit, count=count + 3)
        personal = session.exec(select(Invitation).where(
            Invitation.round_id == round_.id, Invitation.unit_id == unit.id,
            Invitation.kind == InvitationKind.personal)).all()
        for n in range(count):
            role = SCAN_ROLES[(answered := answered + 1) % len(SCAN_ROLES)]
            personal[n].used_on = opens_at.replace(day=opens_at.day + 1 + n).date()
            session.add(personal[n])
            record_response(
                session=session, round_=round_, unit_id=unit.id, role=role,
                questionnaire=questionnaire, answers=_answers(rng, questionnaire, levels, 0.0),
                open_answers={}, submission_key=f"s-{secrets.token_urlsafe(24)}")
            advance(1)
    releases.release_due(session=session, round_id=round_.id, default_k=default_k)


# --- the sector benchmark: five small institutions beside the demo's, on the star 1.1 -------------

SECTOR = ("galbraith-star", "1.1")
# anonymous names; latent knob levels (strategie, structuur, processen, beloningen, mensen)
SECTOR_PROFILES = {
    "Hogeschool Noord (demo)": (3.0, 3.2, 3.1, 2.6, 3.4),
    "Hogeschool Oost (demo)": (3.6, 3.4, 3.5, 3.2, 3.8),
    "Hogeschool Zuid (demo)": (2.6, 2.9, 2.8, 2.4, 3.0),
    "ROC Westland (demo)": (3.3, 2.8, 3.6, 3.0, 3.5),
    "ROC Midden (demo)": (3.9, 3.7, 3.3, 3.4, 3.9),
}
SECTOR_UNITS = 2
SECTOR_RESPONDENTS = 6  # per unit: above the default k, so every unit's numbers are released


def _sector(*, session: Session, catalog: Catalog, institution: Institution, secret_key: str,
            default_k: int, advance: Callable[[int], None]) -> None:
    """Five small institutions with one released 1.1 round each in the study year of the demo's
    newest round, and all six opted in to the sector benchmark together, so its first sector
    release counts six (one at a time, the fifth would make it and the sixth, fewer than k
    apart, would wait). Only flushes; the demo's one commit keeps it."""
    from api.platform.models import SectorOptIn
    from api.platform.settings import get_settings
    from api.results import sector
    from api.setup import audit

    rng = random.Random(SEED + 2)
    questionnaire = catalog.require(*SECTOR)
    opens_at = datetime(2026, 11, 9, 8, tzinfo=UTC)
    taking_part = [institution]
    for name, levels in SECTOR_PROFILES.items():
        other = institutions.create_institution(session=session, name=name)
        round_ = rounds.open_round(session=session, catalog=catalog, institution=other,
                                   name="Meting najaar 2026", slug=questionnaire.slug,
                                   version=questionnaire.version, opens_at=opens_at,
                                   closes_at=datetime(2026, 11, 27, 17, tzinfo=UTC))
        for u in range(SECTOR_UNITS):
            unit = institutions.create_unit(session=session, institution=other,
                                            name=f"Practoraat {u + 1}")
            invitations.ensure_shared(session=session, secret_key=secret_key, round_=round_,
                                      unit=unit)
            for _ in range(SECTOR_RESPONDENTS):
                record_response(
                    session=session, round_=round_, unit_id=unit.id,
                    role="docent_onderzoeker", questionnaire=questionnaire,
                    answers=_answers(rng, questionnaire, levels, 0.0), open_answers={},
                    submission_key=f"s-{secrets.token_urlsafe(24)}")
                advance(1)
        releases.release_due(session=session, round_id=round_.id, default_k=default_k)
        taking_part.append(other)
    for member in taking_part:
        session.add(SectorOptIn(institution_id=member.id, questionnaire_slug=SECTOR[0],
                                questionnaire_version=SECTOR[1]))
        audit.record(session=session, actor=None, institution=member, action="sector_opt_in",
                     detail=questionnaire.ref)
    session.flush()
    sector.consider(session=session, slug=SECTOR[0], version=SECTOR[1],
                    period=sector.period_of(opens_at), default_k=default_k,
                    minimum=get_settings().sector_min_institutions)
