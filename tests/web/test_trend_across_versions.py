"""A board member whose institution moved from galbraith-star 1.0 to 1.1 opens the dashboard of
the 1.1 round: the trend of strategie, structuur and mensen crosses both rounds, processen and
beloningen show only 1.1 and the page says why, in Dutch and in English; the action plan measures
an action on a crossing knob and explains why one on beloningen cannot be measured."""

from __future__ import annotations

import pytest

from api.platform.models import Institution
from api.results.dashboard import build_dashboard
from tests.builders import make_institution, make_unit, planned_action, released_round
from tests.web.test_dashboard import login, make_account, nl, page, text

CROSSING = ("strategie", "structuur", "mensen")
REFUSED = ("processen", "beloningen")


@pytest.fixture
def moved(session, catalog):
    institution = make_institution(session, "Hogeschool Overstap")
    unit = make_unit(session, institution, "Practoraat Overstap")
    old, _ = released_round(session, catalog, institution, unit, version="1.0", state="closed",
                            seed=10)
    new, _ = released_round(session, catalog, institution, unit, version="1.1", state="open",
                            seed=20)
    planned_action(session, catalog, institution, old, "mensen", "Elkaar vaker opzoeken")
    planned_action(session, catalog, institution, old, "beloningen", "Bijdragen erkennen")
    session.commit()
    board = make_account(session, "bestuur@overstap.nl", institutions=[institution])
    return {"id": institution.id, "slug": institution.slug, "old": old, "new": new,
            "board": board}


def test_the_dashboard_trend_crosses_versions_for_comparable_knobs_and_says_why_not_for_others(
        client, session, catalog, settings, moved):
    login(client, moved["board"])
    html = page(client.get(f"/dashboard/{moved['slug']}?round={moved['new'].id}"))
    dash = build_dashboard(session=session, catalog=catalog,
                           institution=session.get(Institution, moved["id"]),
                           round_id=moved["new"].id, default_k=settings.anonymity_k)
    session.rollback()
    old_point, new_point = dash.trend  # the published numbers the page must show

    assert html.select_one(".chart.trend svg") is not None  # two points: a chart
    rows = html.select("#trend-table tbody tr")
    assert [text(r.select_one("th")) for r in rows] == [moved["old"].name, moved["new"].name]
    for knob in CROSSING:
        for row, point in zip(rows, (old_point, new_point), strict=True):
            cell = text(row.select_one(f"td[data-knob={knob}]"))
            assert cell.startswith(nl(point.group.cells[knob].mean)), (knob, cell)
    for knob in REFUSED:
        assert text(rows[0].select_one(f"td[data-knob={knob}]")) == "niet vergelijkbaar"
        assert text(rows[1].select_one(f"td[data-knob={knob}]")).startswith(
            nl(new_point.group.cells[knob].mean))

    reasons = catalog.require("galbraith-star", "1.1").declared_comparability("1.0")
    refused = html.select("#trend-refused li")
    assert [li["data-knob"] for li in refused] == list(REFUSED)
    for li in refused:
        assert li["data-version"] == "1.0"
        assert reasons.not_comparable[li["data-knob"]].nl in text(li)
    # the changes since the previous round only name knobs that cross
    assert {li["data-knob"] for li in html.select("#changes li")} <= set(CROSSING)

    english = page(client.get(f"/dashboard/{moved['slug']}?round={moved['new'].id}&lang=en"))
    assert "not comparable" in text(english.select_one(
        "#trend-table tbody tr td[data-knob=processen]"))
    assert reasons.not_comparable["beloningen"].en in text(
        english.select_one("#trend-refused li[data-knob=beloningen]"))


def test_the_action_plan_measures_a_crossing_knob_and_gives_the_reason_for_a_refused_one(
        client, catalog, moved):
    login(client, moved["board"])
    html = page(client.get(f"/dashboard/{moved['slug']}?round={moved['new'].id}"))
    verdicts = {text(li.select_one(".action-title")).split(" ")[0]: li
                for li in html.select("li.action-item")}
    mensen, beloningen = verdicts["Elkaar"], verdicts["Bijdragen"]
    assert mensen["data-verdict"] in ("up", "down", "noise")
    assert beloningen["data-verdict"] == "not_comparable"
    reason = catalog.require("galbraith-star", "1.1").declared_comparability("1.0")
    assert reason.not_comparable["beloningen"].nl in text(beloningen.select_one(".action-progress"))
    # the 1.0 round's own dashboard reads its plan against itself: not yet measurable
    old = page(client.get(f"/dashboard/{moved['slug']}?round={moved['old'].id}"))
    assert {li["data-verdict"] for li in old.select("li.action-item")} == {"not_yet"}
