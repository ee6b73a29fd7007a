"""The demo is loaded in one transaction: `kennisster up` interrupted half-way leaves nothing, and
the next run loads the whole demo, with a board and a coordinator login."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from api.platform.models import Account, AccountRole, Institution, Response
from api.setup import access
from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_COORDINATOR_EMAIL, demo_size, load_demo


class Interrupted(Exception):
    pass


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_an_interrupted_demo_leaves_nothing_and_the_next_run_loads_it_whole(session, catalog,
                                                                           settings):
    seen = 0

    def stop_half_way(n: int) -> None:
        nonlocal seen
        seen += n
        if seen >= demo_size() // 2:
            raise Interrupted  # as a Ctrl-C or a killed process would, mid-load

    with pytest.raises(Interrupted):
        load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                  default_k=settings.anonymity_k, advance=stop_half_way)
    session.rollback()
    assert (_count(session, Institution), _count(session, Response), _count(session, Account)) == (
        0, 0, 0)

    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    assert institution is not None
    assert _count(session, Response) == demo_size()
    roles = dict(session.exec(select(Account.email, Account.role)).all())
    assert roles == {DEMO_BOARD_EMAIL: AccountRole.bestuur,
                     DEMO_COORDINATOR_EMAIL: AccountRole.coordinator}
    coordinator = session.exec(select(Account).where(Account.email == DEMO_COORDINATOR_EMAIL)).one()
    assert [i.id for i in access.managed_institutions(session=session, account=coordinator)] == [
        institution.id]
    # a second run changes nothing
    assert load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                     default_k=settings.anonymity_k) is None
    assert _count(session, Response) == demo_size()


def test_the_demo_boards_action_plan_meets_the_second_round_with_progress_lines(session, catalog,
                                                                              settings):
    """Four actions made after the first round: a practoraat's clear rise, the institution's
    clear rise, one within the noise, and one for a practoraat too small in round 2 to show."""
    from api.plans import progress
    from api.platform.models import Action

    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    first, second, newest = [r for r, _ in progress.gate.rounds_of(session=session,
                                                                   institution=institution)
                             if r.questionnaire_slug == "galbraith-star"]  # the scan's is apart
    assert progress.latest_round(session=session, institution=institution).id == newest.id
    lines = progress.progress(session=session, catalog=catalog, institution=institution,
                              shown=second, default_k=settings.anonymity_k)
    assert {line.action.round_id for line in lines} == {first.id}
    assert [line.verdict for line in lines] == ["up", "up", "noise", "hidden"]
    assert {line.action.status for line in lines} == {"gepland", "bezig", "klaar", "gestopt"}
    assert [line.action.unit_id is None for line in lines] == [False, True, True, False]
    assert lines[3].change is None
    assert _count(session, Action) == 4


def test_the_demos_newest_round_runs_1_1_and_its_trend_crosses_to_1_0_where_knobs_compare(
        session, catalog, settings):
    """A new user opens the newest round: on galbraith-star 1.1, after two rounds on 1.0; the
    trend has all three rounds for the comparable knobs and the reason for the others, and the
    plan's actions on beloningen say why they cannot be measured against it."""
    from api.plans import progress
    from api.results.dashboard import build_dashboard

    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    dash = build_dashboard(session=session, catalog=catalog, institution=institution,
                           round_id=None, default_k=settings.anonymity_k)
    assert (dash.round.questionnaire_version, [p.round.questionnaire_version
                                               for p in dash.trend]) == ("1.1", ["1.0", "1.0", "1.1"])
    assert all(p.group.shown for p in dash.trend)
    assert [(version, knob) for version, knob, _ in dash.refusals] == [
        ("1.0", "processen"), ("1.0", "beloningen")]
    for point in dash.trend[:2]:
        assert point.group.cells["processen"].summary is None
        assert point.group.cells["mensen"].summary is not None
    lines = progress.progress(session=session, catalog=catalog, institution=institution,
                              shown=dash.round, default_k=settings.anonymity_k)
    by_knob = {line.action.knob: line.verdict for line in lines}
    assert by_knob["beloningen"] == "not_comparable" and by_knob["structuur"] != "not_comparable"
    assert all(line.reason is not None for line in lines if line.verdict == "not_comparable")


def test_the_demo_shows_the_sector_benchmark_of_six_institutions_on_its_newest_round(
        session, catalog, settings):
    from api.results import gate
    from api.results.dashboard import build_dashboard

    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                            default_k=settings.anonymity_k)
    dash = build_dashboard(session=session, catalog=catalog, institution=institution,
                           round_id=None, default_k=settings.anonymity_k)
    assert dash.round.questionnaire_version == "1.1"
    view = dash.sector
    assert view.available and view.institutions == 6, view
    assert {k.position for k in view.knobs} <= {gate.ABOVE, gate.MIDDLE, gate.BELOW}
