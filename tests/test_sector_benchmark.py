"""The sector benchmark: "how do we compare with the sector?", answered without naming anyone.

Six institutions take part with released results: each board sees its star beside the sector's
band on the dashboard, in the report and through the API. With four it says "not available yet".
An institution that did not opt in sees why, and its token is told so. Sector numbers are
published in sector releases that differ from each other by at least k institutions.
"""

from __future__ import annotations

import io
import itertools
import threading

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlmodel import select

from api.platform.db import session_scope
from api.platform.models import Round, SectorContribution, SectorOptIn, SectorRelease, Unit
from api.results import gate, sector
from tests.builders import (
    benchmarked_institution,
    empty_tables,
    make_account,
    make_institution,
    make_round,
    make_token,
    make_unit,
    sector_choice,
    tallied_release,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"
OTHERS = ["Hogeschool Noord", "Hogeschool Oost", "Hogeschool Zuid", "Hogeschool West",
          "Hogeschool Centrum"]


def _sector_section(client, slug: str) -> BeautifulSoup:
    page = client.get(f"/dashboard/{slug}")
    assert page.status_code == 200
    return BeautifulSoup(page.text, "html.parser")


def _api(client, token: str, round_id: int):
    return client.get(f"/api/v1/rounds/{round_id}/benchmark",
                      headers={"Authorization": f"Bearer {token}"})


def test_with_six_opted_in_institutions_the_board_sees_its_star_beside_the_sector(
        client, session, catalog):
    main, round_ = benchmarked_institution(session, catalog, "Hogeschool Midden", seed=0)
    for seed, name in enumerate(OTHERS[:3], start=1):
        benchmarked_institution(session, catalog, name, seed=seed)
    make_account(session, "bestuur@midden.test", "bestuur", [main])
    web_login(client, "bestuur@midden.test", PASSWORD)
    token = make_token(session, [main])

    # four take part: not available yet, on the page, in the API (and the page is now cached)
    soup = _sector_section(client, main.slug)
    assert "nog niet beschikbaar" in soup.select_one("#sector-unavailable").text
    assert "5 instellingen" in soup.select_one("#sector-unavailable").text
    assert soup.select_one("#sector-table") is None
    refused = _api(client, token, round_.id)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "not available yet" in refused.json()["detail"]

    # a fifth joins with released results: a sector release; the cached page follows
    benchmarked_institution(session, catalog, OTHERS[3], seed=4)
    soup = _sector_section(client, main.slug)
    table = soup.select_one("#sector-table")
    assert table is not None, soup.select_one("#sector")
    assert "5 instellingen" in soup.select_one("#sector-summary").text
    # a sixth: one institution apart from the shown release is fewer than k, so it stays
    benchmarked_institution(session, catalog, OTHERS[4], seed=5)
    soup = _sector_section(client, main.slug)
    table = soup.select_one("#sector-table")
    assert "5 instellingen" in soup.select_one("#sector-summary").text
    positions = {row["data-position"] for row in table.select("tbody tr")}
    assert positions <= {"above", "middle", "below"} and positions
    words = {row.select_one(".position").text for row in table.select("tbody tr")}
    assert words <= {"boven het kwart", "rond het midden", "onder het kwart"}
    assert soup.select_one("#sector svg") is not None  # the star beside the band
    page_text = soup.get_text()
    assert not any(name in page_text for name in OTHERS)  # no other institution named

    found = _api(client, token, round_.id)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["institutions"] == 5 and body["period"] == sector.period_of(round_.opens_at)
    for knob in body["knobs"]:
        assert knob["q1"] <= knob["mean"] <= knob["q3"] or knob["q1"] <= knob["q3"]
        assert knob["position"] == gate.position_of(knob["own"], knob["q1"], knob["q3"])
    assert set(body) == {"round_id", "questionnaire", "version", "period", "institutions",
                         "sector_release", "published_at", "knobs"}
    assert not any(name in found.text for name in OTHERS)

    pdf = client.get(f"/dashboard/{main.slug}/rounds/{round_.id}/report.pdf")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Vergelijking met de sector" in text and "5 instellingen" in text
    assert not any(name in text for name in OTHERS)


def test_an_institution_that_did_not_opt_in_sees_why_and_its_token_is_refused(
        client, session, catalog):
    for seed, name in enumerate(OTHERS, start=1):
        benchmarked_institution(session, catalog, name, seed=seed)
    outside, round_ = benchmarked_institution(session, catalog, "Hogeschool Buiten", seed=9,
                                              opt_in=False)
    make_account(session, "coordinator@buiten.test", "coordinator", [outside])
    web_login(client, "coordinator@buiten.test", PASSWORD)

    soup = _sector_section(client, outside.slug)
    assert "doet niet mee" in soup.select_one("#sector-unavailable").text
    link = soup.select_one("#sector a")
    assert link["href"].endswith(f"/beheer/{outside.slug}/sectorbenchmark")
    refused = _api(client, make_token(session, [outside]), round_.id)
    assert refused.status_code == 403
    assert "does not take part" in refused.json()["detail"]

    # the coordinator opts in on the admin page: audited; the benchmark shows the last sector
    # release (five), since one more institution is fewer than k apart from it
    admin = client.get(link["href"])
    form = BeautifulSoup(admin.text, "html.parser").select_one(
        'form:has(input[name="versie"][value="galbraith-star/1.0"])')
    fields = {i["name"]: i.get("value", "") for i in form.select("input")}
    done = client.post(form["action"], data=fields, follow_redirects=True)
    assert "doet nu mee" in done.text
    soup = _sector_section(client, outside.slug)
    assert soup.select_one("#sector-table") is not None
    assert "5 instellingen" in soup.select_one("#sector-summary").text
    audit = client.get(f"/beheer/{outside.slug}/logboek").text
    assert "Doet mee aan de sectorbenchmark" in audit

    # an unknown version is refused with a message, nothing stored
    bad = client.post(form["action"], data={**fields, "versie": "galbraith-star/9.9"})
    assert bad.status_code == 422 and "geen vragenlijstversie" in bad.text


def test_the_positions_words():
    assert gate.position_of(3.9, 3.0, 3.5) == "above"
    assert gate.position_of(3.5, 3.0, 3.5) == "middle"
    assert gate.position_of(3.0, 3.0, 3.5) == "middle"
    assert gate.position_of(2.9, 3.0, 3.5) == "below"
    assert gate.position_of(None, 3.0, 3.5) is None
    from web.i18n import translate
    assert [translate("nl", f"sector.position_{p}") for p in ("above", "middle", "below")] == [
        "boven het kwart", "rond het midden", "onder het kwart"]
    assert [translate("en", f"sector.position_{p}") for p in ("above", "middle", "below")] == [
        "above the quarter", "around the middle", "below the quarter"]


def test_the_study_year_runs_from_august_to_july_in_amsterdam():
    from datetime import UTC, datetime
    assert sector.period_of(datetime(2026, 9, 1, tzinfo=UTC)) == "2026-2027"
    assert sector.period_of(datetime(2027, 7, 31, 12, tzinfo=UTC)) == "2026-2027"
    # 1 August 00:30 in Amsterdam is still 31 July in UTC
    assert sector.period_of(datetime(2027, 7, 31, 22, 30, tzinfo=UTC)) == "2027-2028"


# --- the rule for every sequence of joins, new releases and opt-outs ---------------------------

EVENTS = st.lists(st.tuples(st.sampled_from(["release", "in", "out"]), st.integers(0, 7),
                            st.integers(1, 5)), min_size=1, max_size=14)


@pytest.fixture
def world(session, catalog, engine):
    knobs = [knob.key for knob in catalog.require("galbraith-star", "1.0").knobs]

    def build():
        session.rollback()  # end the session's transaction, so the tables can be emptied
        empty_tables(engine)
        session.expire_all()
        places = []
        for _ in range(8):
            institution = make_institution(session)
            unit = make_unit(session, institution)
            round_ = make_round(session, catalog, institution)
            # each has released results already, so a few opt-ins reach five
            tallied_release(session, round_, unit, n=5, score=3.0, knobs=knobs)
            places.append((institution, unit, round_))
        return places
    return build


@hsettings(max_examples=25, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(events=EVENTS)
def test_two_sector_releases_never_differ_by_fewer_than_k_institutions(
        events, world, session, catalog):
    places = world()
    knobs = [knob.key for knob in catalog.require("galbraith-star", "1.0").knobs]
    k = 5
    for kind, which, score in events:
        institution, unit, round_ = places[which]
        if kind == "release":
            tallied_release(session, round_, unit, n=5, score=float(score), knobs=knobs)
        else:
            sector_choice(session, catalog, institution, take_part=kind == "in")
        made = session.exec(select(SectorRelease).order_by(SectorRelease.number)).all()
        sets = {r.id: {c.institution_id: c.release_id for c in session.exec(
            select(SectorContribution).where(SectorContribution.sector_release_id == r.id))}
            for r in made}
        for a, b in itertools.combinations(made, 2):
            assert sector.distance(sets[a.id], sets[b.id]) >= k
        for release in made:
            assert release.institutions >= 5 and len(sets[release.id]) == release.institutions
        shown = made[-1] if made and made[-1].withdrawn_at is None else None
        if shown is not None:  # never with someone who opted out since
            opted = set(session.exec(select(SectorOptIn.institution_id)))
            assert set(sets[shown.id]) <= opted
            view = gate.sector_benchmark(session=session, institution=institution,
                                         round_=round_, k=k)
            if view.opted_in:
                assert view.available and view.institutions >= 5


def test_two_institutions_releasing_at_once_make_one_sector_release_and_no_error(
        session, catalog, engine):
    """Four institutions take part; the fifth and the sixth release their results at the same
    moment. The sixth's release waits for the fifth's to commit, then counts the sector with
    it: one sector release of five (the sixth is one apart), no duplicate key in anyone's
    submit. (PostgreSQL runs them side by side; SQLite one after the other.)"""
    knobs = [knob.key for knob in catalog.require("galbraith-star", "1.0").knobs]
    for seed in range(4):
        benchmarked_institution(session, catalog, seed=seed)
    places = []
    for _ in range(2):
        institution = make_institution(session)
        unit, round_ = make_unit(session, institution), make_round(session, catalog, institution)
        sector_choice(session, catalog, institution)
        places.append((institution.id, unit.id, round_.id))
    assert session.exec(select(SectorRelease)).all() == []
    session.commit()  # the test's own reading ends here: the two releases write

    def release(own, place) -> None:
        _, unit_id, round_id = place
        tallied_release(own, own.get(Round, round_id), own.get(Unit, unit_id), n=5, score=3.5,
                        knobs=knobs, commit=False)

    outcome: list = []

    def sixth() -> None:
        try:
            with session_scope(engine, write=True) as own:
                release(own, places[1])
                own.commit()
            outcome.append("done")
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            outcome.append(exc)

    with session_scope(engine, write=True) as own:
        release(own, places[0])
        thread = threading.Thread(target=sixth)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # it waits for the fifth's transaction
        own.commit()
    thread.join(timeout=30)
    assert outcome == ["done"]
    session.expire_all()
    made = session.exec(select(SectorRelease)).all()
    assert [(r.number, r.institutions) for r in made] == [(1, 5)]
