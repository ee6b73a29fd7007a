"""Migrations: one head, upgrade from empty to head, down and up again step by step, and the
models match what the migrations build — on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pytest_alembic.config import Config
from pytest_alembic.tests import (  # noqa: F401  (collected as tests here)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

from api.platform.settings import ROOT
from tests.backends import BACKENDS, create_scratch_database, drop_scratch_database


@pytest.fixture
def alembic_config() -> Config:
    return Config(config_options={"file": str(ROOT / "alembic.ini"),
                                  "script_location": str(ROOT / "migrations")})


@pytest.fixture(params=BACKENDS)
def alembic_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
    else:
        url = create_scratch_database("migrations")
        request.addfinalizer(lambda: drop_scratch_database(url))
        engine = sa.create_engine(url)
    yield engine
    engine.dispose()


# --- 0005 releases: what happens to the responses already stored -------------------------------

KNOBS = ("strategie", "structuur", "processen", "beloningen", "mensen")


def _tallies(engine) -> tuple[dict, dict]:
    with engine.connect() as conn:
        responses = {(unit, role): n for unit, role, n in conn.execute(sa.text(
            "SELECT unit_id, role, n FROM response_tally"))}
        knobs = {(unit, knob): (n, total) for unit, knob, n, total in conn.execute(sa.text(
            "SELECT unit_id, knob, n, total FROM knob_tally"))}
    return responses, knobs


def test_responses_stored_before_releases_wait_until_the_rule_releases_them(
    alembic_runner, alembic_engine
):
    """Before 0005 the tallies counted every stored response. 0005 empties them and leaves every
    response unreleased; the release the app then makes (at start-up and in `kennisster migrate`)
    publishes what the rule allows: the 5 of Groot, not the 2 of Klein. Going back down to 0004
    counts every response again."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from api.results import releases

    alembic_runner.migrate_up_to("0003")
    meta = sa.MetaData()
    meta.reflect(alembic_engine)
    t = meta.tables
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    with alembic_engine.begin() as conn:
        conn.execute(t["institution"].insert().values(id=1, name="Hogeschool Oud", slug="oud",
                                                      created_at=now))
        conn.execute(t["unit"].insert(), [{"id": 1, "institution_id": 1, "name": "Groot",
                                           "kind": "practoraat"},
                                          {"id": 2, "institution_id": 1, "name": "Klein",
                                           "kind": "practoraat"}])
        conn.execute(t["round"].insert().values(
            id=1, institution_id=1, name="Meting", questionnaire_slug="galbraith-star",
            questionnaire_version="1.0", opens_at=now, created_at=now))
        for rid, unit in enumerate([1] * 5 + [2] * 2, start=1):
            conn.execute(t["response"].insert().values(
                id=rid, round_id=1, unit_id=unit, role="practor",
                questionnaire_slug="galbraith-star", questionnaire_version="1.0",
                questionnaire_hash="0" * 64, submission_key=f"oud-{rid}", submitted_at=now))
            conn.execute(t["knob_score"].insert(), [
                {"response_id": rid, "knob": knob, "round_id": 1, "unit_id": unit,
                 "role": "practor", "score": 4.0 if unit == 1 else 1.0} for knob in KNOBS])

    alembic_runner.migrate_up_to("0004")  # the tallies count every response
    responses, knobs = _tallies(alembic_engine)
    assert responses == {(1, "practor"): 5, (2, "practor"): 2}
    assert knobs[(2, "strategie")] == (2, 2.0)

    alembic_runner.migrate_up_to("0005")
    assert _tallies(alembic_engine) == ({}, {})
    with alembic_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM response WHERE release_id IS NULL")
                            ).scalar_one() == 7
    alembic_runner.migrate_up_to("heads")  # the release runs with today's models
    with Session(alembic_engine) as session:
        assert releases.release_all_due(session=session, default_k=5) == 1
    responses, knobs = _tallies(alembic_engine)
    assert responses == {(1, "practor"): 5}  # Klein's 2 wait
    assert knobs == {(1, knob): (5, 20.0) for knob in KNOBS}
    with alembic_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT number, responses FROM release")).all() == [(1, 5)]
        assert sorted(conn.execute(sa.text(
            "SELECT unit_id FROM response WHERE release_id IS NULL")).scalars()) == [2, 2]

    alembic_runner.migrate_down_to("0004")  # before releases: every response counts again
    responses, knobs = _tallies(alembic_engine)
    assert responses == {(1, "practor"): 5, (2, "practor"): 2}
    assert knobs[(1, "mensen")] == (5, 20.0) and knobs[(2, "mensen")] == (2, 2.0)
    with alembic_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM response")).scalar_one() == 7


# --- 0006 voters apart from votes: stored responses lose their way back to an invitation ------


def test_stored_responses_get_random_ids_and_keys_and_keep_every_answer(
    alembic_runner, alembic_engine
):
    """Before 0006 a response named its invitation, its moment, a personal key equal to the
    invitation's token hash, and an id in insertion order. After it: none of that, and every
    answer, knob score and open answer still belongs to the same response."""
    from datetime import UTC, datetime

    alembic_runner.migrate_up_to("0005")
    meta = sa.MetaData()
    meta.reflect(alembic_engine)
    t = meta.tables
    now = datetime(2026, 11, 1, 9, 41, 17, tzinfo=UTC)
    with alembic_engine.begin() as conn:
        conn.execute(t["institution"].insert().values(id=1, name="Hogeschool Oud", slug="oud",
                                                      created_at=now))
        conn.execute(t["unit"].insert().values(id=1, institution_id=1, name="Groot",
                                               kind="practoraat"))
        conn.execute(t["round"].insert().values(
            id=1, institution_id=1, name="Meting", questionnaire_slug="galbraith-star",
            questionnaire_version="1.0", opens_at=now, created_at=now))
        for rid in (1, 2, 3):
            conn.execute(t["invitation"].insert().values(
                id=rid, round_id=1, unit_id=1, kind="personal", token_hash=f"{rid}" * 64,
                created_at=now, used_at=now))
            conn.execute(t["response"].insert().values(
                id=rid, round_id=1, unit_id=1, invitation_id=rid, role="practor",
                questionnaire_slug="galbraith-star", questionnaire_version="1.0",
                questionnaire_hash="0" * 64, submission_key=f"{rid}" * 64, submitted_at=now))
            conn.execute(t["answer"].insert().values(response_id=rid, item_id="str1", value=rid))
            conn.execute(t["knob_score"].insert().values(
                response_id=rid, knob="strategie", round_id=1, unit_id=1, role="practor",
                score=float(rid)))
            conn.execute(t["open_answer"].insert().values(response_id=rid, question_id="open_strategie",
                                                          text=f"antwoord {rid}"))
        conn.execute(t["response"].insert().values(
            id=4, round_id=1, unit_id=1, role="practor", questionnaire_slug="galbraith-star",
            questionnaire_version="1.0", questionnaire_hash="0" * 64, submission_key="imp-abc-0",
            submitted_at=now))

    alembic_runner.migrate_up_to("0006")
    with alembic_engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT r.id, r.submission_key, a.value, k.score, o.text FROM response r "
            "LEFT JOIN answer a ON a.response_id = r.id "
            "LEFT JOIN knob_score k ON k.response_id = r.id "
            "LEFT JOIN open_answer o ON o.response_id = r.id")).all()
        used = conn.execute(sa.text("SELECT used_on FROM invitation ORDER BY id")).scalars().all()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("response")}
    assert len(rows) == 4
    assert not {1, 2, 3, 4} & {row.id for row in rows}
    answered = sorted((row.value, row.score, row.text) for row in rows if row.value is not None)
    assert answered == [(1, 1.0, "antwoord 1"), (2, 2.0, "antwoord 2"), (3, 3.0, "antwoord 3")]
    keys = {row.submission_key for row in rows}
    assert "imp-abc-0" in keys and not keys & {f"{rid}" * 64 for rid in (1, 2, 3)}
    assert [str(day)[:10] for day in used] == ["2026-11-01"] * 3
    assert not {"invitation_id", "submitted_at"} & columns

    alembic_runner.migrate_down_to("0005")
    with alembic_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM answer")).scalar_one() == 3
        assert conn.execute(sa.text("SELECT count(*) FROM invitation WHERE used_at IS NOT NULL")
                            ).scalar_one() == 3
