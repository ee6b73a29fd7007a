"""Helpers shared by the /api/v1 tests (imported as `tests.api.v1.support`)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session, func, select

from api.platform.models import Institution, Response, Round, Unit, UnitKind
from api.platform.questionnaires import Catalog, Questionnaire
from api.results import releases, scoring
from api.setup import institutions
from api.survey import invitations
from api.survey.responses import record_response
from tests.builders import (  # noqa: F401  (make_token and empty_tables are used through support)
    empty_tables,
    make_institution,
    make_round,
    make_token,
    make_unit,
)

Q_SLUG, Q_VERSION = "galbraith-star", "1.0"
Q_REF = f"{Q_SLUG}/{Q_VERSION}"
KNOBS = ("strategie", "structuur", "processen", "beloningen", "mensen")
ROLES = ("practor", "docent_onderzoeker", "lector_onderzoeksleider", "leidinggevende_bestuur",
         "anders")
PROBLEM = "application/problem+json"


# --- small helpers ------------------------------------------------------------------------------


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}




def varied_answers(questionnaire: Questionnaire, i: int) -> dict[str, int | None]:
    """A different but fixed set of answers for respondent i, now and then a "weet niet" (at most
    one per knob, so every knob is still scored)."""
    answers: dict[str, int | None] = {}
    for j, item in enumerate(questionnaire.items):
        answers[item.id] = None if (i + j) % 11 == 0 else 1 + (i * 7 + j * 3 + i * j) % 5
    return answers


def respond(session: Session, questionnaire: Questionnaire, round_: Round, unit: Unit,
            answers: dict[str, int | None], role: str = "practor") -> Response:
    """One response stored as the survey stores it: not yet released (see `release`)."""
    return record_response(session=session, round_=round_, unit_id=unit.id, role=role,
                           questionnaire=questionnaire, answers=answers, open_answers={},
                           submission_key=f"v1-{uuid.uuid4().hex}")


def release(session: Session, round_: Round, default_k: int = 5) -> None:
    """Publish what the release rule allows of the round's waiting responses, and commit."""
    releases.release_due(session=session, round_id=round_.id, default_k=default_k)
    session.commit()


def released_ids(session: Session, round_: Round) -> set[int]:
    return set(session.exec(select(Response.id).where(Response.round_id == round_.id,
                                                      Response.release_id.is_not(None))))


def expected(questionnaire: Questionnaire, answer_sets: Iterable[dict]) -> dict[str, scoring.Summary]:
    """Per knob, the statistics `api.scoring` gives for these respondents' answers."""
    per_response = [scoring.knob_scores(a, questionnaire) for a in answer_sets]
    return {knob.key: scoring.summarize([s[knob.key] for s in per_response
                                         if s[knob.key] is not None])
            for knob in questionnaire.knobs}


def count(session: Session, model, *where) -> int:
    """Rows in a table, read in a short transaction of its own: the test session must not hold
    SQLite's write lock while the app handles a request."""
    found = session.exec(select(func.count()).select_from(model).where(*where)).one()
    session.commit()
    return found


def fetch(session: Session, statement) -> list:
    """All rows of a query, in a short transaction of its own (see `count`)."""
    found = list(session.exec(statement).all())
    session.commit()
    return found


def assert_problem(response, status: int, *fragments: str) -> dict:
    """An RFC 9457 problem with a human message; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10
    assert body.get("type", "about:blank")
    for fragment in fragments:
        assert fragment in body["detail"], body
    return body


def csv_table(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows, "a CSV download has at least its header row"
    header = rows[0]
    assert all(len(row) == len(header) for row in rows)
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def num(text: str) -> float | None:
    return None if text == "" else float(text)


def assert_two_decimals(text: str) -> None:
    """A number in a CSV file is written with at most the two decimals the gate publishes."""
    assert "." not in text or len(text.split(".", 1)[1]) <= 2, text


def assert_csv_matches_group(row: dict[str, str], group: dict) -> None:
    """One CSV row holds exactly the numbers of one JSON group, with two decimals."""
    assert row["group_type"] == group["group"]["type"]
    assert row["group_id"] == ("" if group["group"]["id"] is None else str(group["group"]["id"]))
    assert row["group_name"] == group["group"]["name"]
    assert row["suppressed"] == ("true" if group["suppressed"] else "false")
    if group["suppressed"]:
        numbers = ["n", "weakest", "strongest", "spread"] + [
            f"{knob}_{part}" for knob in KNOBS
            for part in ("n", "mean", "sd", "ci_low", "ci_high", "band", "difference")]
        assert all(row.get(key, "") == "" for key in numbers), row
        return
    assert int(row["n"]) == group["n"]
    for knob in KNOBS:
        stats = (group["knobs"] or {}).get(knob)
        if stats is None:  # a hidden cell: all its columns empty
            assert all(row[f"{knob}_{part}"] == ""
                       for part in ("n", "mean", "sd", "ci_low", "ci_high", "band")), row
            continue
        assert int(row[f"{knob}_n"]) == stats["n"]
        for part in ("mean", "sd", "ci_low", "ci_high"):
            if stats[part] is None:
                assert row[f"{knob}_{part}"] == ""
            else:
                assert_two_decimals(row[f"{knob}_{part}"])
                assert num(row[f"{knob}_{part}"]) == stats[part]
        assert row[f"{knob}_band"] == stats["band"]
    assert row["weakest"] == (group["weakest"] or "")
    assert row["strongest"] == (group["strongest"] or "")
    if group["spread"] is not None:
        assert_two_decimals(row["spread"])
        assert num(row["spread"]) == group["spread"]


def assert_published(value: float | None, exact: float | None, *, slack: float = 0.0) -> None:
    """A published number is the exact one rounded to two decimals (`slack` for a number the
    app computes from numbers that were rounded already, such as a difference of two means)."""
    if exact is None:
        assert value is None
        return
    assert value is not None and round(value, 2) == value, value
    assert abs(value - exact) <= 0.005 + slack + 1e-9, (value, exact)


def assert_stats(stats: dict | None, summary: scoring.Summary, bands) -> None:
    """A knob's JSON statistics equal the scoring module's summary to the two published
    decimals, with the band of the mean as published."""
    assert stats is not None
    assert stats["n"] == summary.n
    for part in ("mean", "sd", "ci_low", "ci_high"):
        assert_published(stats[part], getattr(summary, part))
    assert stats["band"] == scoring.band_for(stats["mean"], bands).key


def assert_no_numbers(group: dict) -> None:
    """A suppressed group: its name and `suppressed: true`, no number of any kind."""
    assert group["suppressed"] is True
    for key in ("n", "knobs", "weakest", "strongest", "spread", "difference"):
        assert group.get(key) is None, (key, group)




# --- a world of two institutions ----------------------------------------------------------------


@dataclass
class World:
    """Institution A (k = 5, the default) with a department and its practoraten and two rounds;
    institution B with one unit and one round; tokens of every kind.

    Each round's responses are stored and then released together, as far as the release rule
    allows. In the latest round small's 2 wait and middle's 6 and large's 10 are published; in
    the first round large's 3 wait and middle's 5 are published. Every unit × role cell that is
    published holds at least 5 respondents."""

    a: Institution
    b: Institution
    centre: Unit  # an afdeling, parent of small, middle and large
    small: Unit  # 2 responses in the latest round (a practor and a docent-onderzoeker): waiting
    middle: Unit  # 6 docent-onderzoekers in the latest round, 5 practors in the first
    large: Unit  # 10 in the latest round (5 practors, 5 docent-onderzoekers); 3 waiting in the first
    loose: Unit  # a top-level practoraat without responses
    b_unit: Unit
    first: Round  # A's earlier, closed round
    latest: Round  # A's open round
    b_round: Round  # 5 responses, all published
    latest_rows: list[tuple[Unit, str, dict]] = field(default_factory=list)  # (unit, role, answers)
    first_rows: list[tuple[Unit, str, dict]] = field(default_factory=list)
    latest_waiting: list[tuple[Unit, str, dict]] = field(default_factory=list)
    first_waiting: list[tuple[Unit, str, dict]] = field(default_factory=list)
    read_a: str = ""
    read_b: str = ""
    read_ab: str = ""
    import_a: str = ""
    all_a: str = ""

    def answers(self, *, unit: Unit | None = None, role: str | None = None,
                first: bool = False) -> list[dict]:
        """The answers of the published respondents."""
        return [a for u, r, a in (self.first_rows if first else self.latest_rows)
                if (unit is None or u.id == unit.id) and (role is None or r == role)]


LATEST = (("small", "practor", 1), ("small", "docent_onderzoeker", 1),
          ("middle", "docent_onderzoeker", 6),
          ("large", "practor", 5), ("large", "docent_onderzoeker", 5))
FIRST = (("middle", "practor", 5), ("large", "practor", 3))


def build_world(session: Session, catalog: Catalog, questionnaire: Questionnaire) -> World:
    a = make_institution(session, "Hogeschool Alfastad")
    b = make_institution(session, "ROC Betadorp")
    centre = institutions.create_unit(session=session, institution=a, name="Kenniscentrum",
                                      kind=UnitKind.afdeling)
    small, middle, large = (institutions.create_unit(session=session, institution=a, name=name,
                                                     parent=centre)
                            for name in ("Practoraat Klein", "Practoraat Midden",
                                         "Practoraat Groot"))
    loose = make_unit(session, a, "Practoraat Los")
    b_unit = make_unit(session, b, "Practoraat Beta")
    first = make_round(session, catalog, a, state="closed")
    latest = make_round(session, catalog, a, state="open")
    b_round = make_round(session, catalog, b, state="open")
    world = World(a=a, b=b, centre=centre, small=small, middle=middle, large=large, loose=loose,
                  b_unit=b_unit, first=first, latest=latest, b_round=b_round)
    units = {"small": small, "middle": middle, "large": large}
    for round_, plan, seed, published, waiting in (
            (latest, LATEST, 0, world.latest_rows, world.latest_waiting),
            (first, FIRST, 100, world.first_rows, world.first_waiting)):
        stored, i = [], 0
        for name, role, n in plan:
            # the unit's respondents were invited personally (a few did not answer)
            invitations.create_personal(session=session, round_=round_, unit=units[name],
                                        count=n + 2)
            for _ in range(n):
                answers = varied_answers(questionnaire, seed + i)
                response = respond(session, questionnaire, round_, units[name], answers, role=role)
                stored.append((response.id, (units[name], role, answers)))
                i += 1
        release(session, round_)
        done = released_ids(session, round_)
        for response_id, row in stored:
            (published if response_id in done else waiting).append(row)
    for j in range(5):
        respond(session, questionnaire, b_round, b_unit, varied_answers(questionnaire, 200 + j))
    release(session, b_round)
    world.read_a = make_token(session, [a])
    world.read_b = make_token(session, [b])
    world.read_ab = make_token(session, [a, b])
    world.import_a = make_token(session, [a], scopes=("import",))
    world.all_a = make_token(session, [a], scopes=("read", "import"))
    return world


def use_shared_world() -> tuple:
    """`client`, `session` and `world` fixtures of a read-mostly module, on the module's world.

    Usage at the top of a module: `client, session, world = use_shared_world()`.
    """

    @pytest.fixture
    def client(shared_client):
        return shared_client

    @pytest.fixture
    def session(shared_session):
        return shared_session

    @pytest.fixture
    def world(shared_world):
        return shared_world

    return client, session, world
