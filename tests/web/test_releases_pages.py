"""Releases as the pages tell them: which release the numbers reflect, what waits, and whether a
respondent's own answers are counted yet.

The dashboard and the thank-you page both carry p#release-state ("Stand van … — N reacties
verwerkt; M wachten …"), in Dutch and English; the thank-you page says whether the respondent's
answers are counted, and its lines for the practoraat and the institution are the dashboard's
numbers for the same round, because both come from the same gate over released responses only.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from api.platform.models import Release, Response, utcnow
from api.setup import rounds
from api.setup.accounts import create_account
from tests.builders import (
    SLUG,
    VERSION,
    all_answers,
    complete_survey,
    make_institution,
    make_round,
    make_unit,
    personal_link,
    stored_response,
    stored_responses,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"
K = 5  # the test app's default k
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}
YOURS_WAITING = {
    "nl": "Je antwoorden tellen mee in de cijfers van je practoraat en instelling zodra genoeg "
          "collega's uit dezelfde groepen hebben geantwoord. Tot dan zie je alleen de stand "
          "zonder jouw antwoorden.",
    "en": "Your answers count in the numbers of your practorate and institution once enough "
          "colleagues in the same groups have answered. Until then you see the numbers without "
          "your answers.",
}
YOURS_COUNTED = {"nl": "Je antwoorden zijn verwerkt in de stand hieronder.",
                 "en": "Your answers are counted in the numbers below."}
NONE_YET = {
    "nl": "Nog geen tussenstand: de eerste cijfers verschijnen zodra elke groep er minstens 5 "
          "reacties bij krijgt.",
    "en": "No results yet: the first numbers appear once every group gains at least 5 "
          "responses.",
}


@pytest.fixture
def questionnaire(catalog):
    return catalog.require(SLUG, VERSION)


def page(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def release_state(html: BeautifulSoup) -> str:
    found = html.select("p#release-state")
    assert len(found) == 1
    return text(found[0])


def notice(html: BeautifulSoup) -> str:
    return text(html.select_one("main p.notice, p.notice"))


def stand(session, round_id: int, lang: str) -> str:
    """When the round's latest release was published, as a reader in the Netherlands reads it."""
    session.expire_all()
    release = session.exec(select(Release).where(Release.round_id == round_id)
                           .order_by(Release.number.desc())).first()
    local = release.published_at.astimezone(AMSTERDAM)
    return f"{local.day} {MONTHS[lang][local.month - 1]} {local.year} {local:%H:%M}"


def board(client, session, institution, email: str) -> None:
    session.commit()
    create_account(session=session, email=email, password=PASSWORD, role="bestuur",
                   institutions=[institution])
    session.commit()  # create_account only flushes: the app must see the account
    web_login(client, email, PASSWORD)


def one_decimal(dutch: str) -> str:
    """A number the dashboard shows with two decimals, as the thank-you page shows it: one."""
    return f"{float(dutch.replace(',', '.')):.1f}".replace(".", ",")


def varied(questionnaire, i: int) -> dict[str, int]:
    return {item.id: 1 + (i * 7 + j * 3 + i * j) % 5 for j, item in enumerate(questionnaire.items)}


def point_descriptions(svg) -> dict[str, str]:
    """What the star's points tell a screen reader: "series, knob: score" by "series, knob"."""
    found = {}
    for node in svg.select("[aria-label]"):
        label = node["aria-label"]
        if ": " in label and ", " in label:
            where, _, score = label.rpartition(": ")
            found[where] = score
    return found


# --- the dashboard ------------------------------------------------------------------------------


def test_the_dashboard_says_which_release_it_shows_and_that_a_small_units_respondents_wait(
    client, session, catalog, questionnaire
):
    """5 practors of Techniek are published together; the 3 of Zorg would add 3 to Zorg, so they
    wait: the dashboard lists Zorg without numbers, shows the institution's 5 and says 3 wait."""
    institution = make_institution(session, "Hogeschool Tussenstand")
    techniek = make_unit(session, institution, "Practoraat Techniek")
    zorg = make_unit(session, institution, "Practoraat Zorg")
    round_ = make_round(session, catalog, institution)
    stored_responses(session, questionnaire, round_, techniek, 5)
    stored_responses(session, questionnaire, round_, zorg, 3, answers=all_answers(questionnaire, 1))
    board(client, session, institution, "bestuur@tussenstand.nl")

    html = page(client.get(f"/dashboard/{institution.slug}"))
    assert release_state(html) == (f"Stand van {stand(session, round_.id, 'nl')} — 5 reacties "
                                   f"verwerkt; 3 wachten tot hun groep groot genoeg is.")
    explained = [text(p) for p in html.select("p.note") if "tussenstanden" in text(p)]
    assert explained == ["Cijfers worden in tussenstanden gepubliceerd: een tussenstand voegt aan "
                         "elke groep (de instelling, elk practoraat, elke rol) nul of minstens 5 "
                         "reacties toe, zodat niemand te herleiden is door twee standen met "
                         "elkaar te vergelijken."]
    zorg_row = html.select_one(f'#units-table tr[data-unit="{zorg.id}"]')
    assert text(zorg_row.select_one("td.suppressed")) == "te weinig reacties"
    assert zorg_row.select("td[data-knob]") == []
    assert text(html.select_one("#kpi-n")) == "5"
    # all of Techniek answered 4 everywhere; Zorg's 1s are nowhere in the institution's numbers
    four = {knob.key: text(html.select_one(
        f'#units-table tr[data-unit="{techniek.id}"] td[data-knob="{knob.key}"]'))
        for knob in questionnaire.knobs}
    for knob in questionnaire.knobs:
        assert text(html.select_one(f'#institution-table tr[data-knob="{knob.key}"] td.mean')) == (
            four[knob.key])

    english = page(client.get(f"/dashboard/{institution.slug}", params={"lang": "en"}))
    assert release_state(english) == (f"As of {stand(session, round_.id, 'en')} — 5 responses "
                                      f"counted; 3 waiting until their group is large enough.")
    assert any(text(p).startswith("Numbers are published in releases: each release adds to every "
                                  "group") for p in english.select("p.note"))

    # two more colleagues of Zorg: the 5 of Zorg are published together, and nothing waits
    stored_responses(session, questionnaire, round_, zorg, 2, answers=all_answers(questionnaire, 1))
    html = page(client.get(f"/dashboard/{institution.slug}", params={"lang": "nl"}))
    assert release_state(html) == (f"Stand van {stand(session, round_.id, 'nl')} — 10 reacties "
                                   f"verwerkt.")
    assert text(html.select(f'#units-table tr[data-unit="{zorg.id}"] td')[0]) == "5"
    assert text(html.select_one("#kpi-n")) == "10"


def test_before_the_first_release_the_dashboard_says_no_numbers_yet(
    client, session, catalog, questionnaire
):
    institution = make_institution(session, "Hogeschool Nog Niets")
    unit = make_unit(session, institution, "Practoraat Nog Niets")
    round_ = make_round(session, catalog, institution)
    board(client, session, institution, "bestuur@nogniets.nl")
    html = page(client.get(f"/dashboard/{institution.slug}"))
    assert release_state(html) == NONE_YET["nl"]  # nothing stored, nothing waits

    stored_responses(session, questionnaire, round_, unit, 3)
    html = page(client.get(f"/dashboard/{institution.slug}"))
    assert release_state(html) == f"{NONE_YET['nl']} 3 wachten tot hun groep groot genoeg is."
    assert html.select_one("#kpi-n") is None
    english = page(client.get(f"/dashboard/{institution.slug}", params={"lang": "en"}))
    assert release_state(english) == f"{NONE_YET['en']} 3 waiting until their group is large enough."


def test_a_closed_round_says_which_responses_were_never_counted(
    client, session, catalog, questionnaire
):
    """At the close the last release is made; what still waits then is never counted."""
    institution = make_institution(session, "Hogeschool Gesloten")
    unit = make_unit(session, institution, "Practoraat Groot")
    small = make_unit(session, institution, "Practoraat Klein")
    round_ = make_round(session, catalog, institution)
    for unit_ in (unit, small):  # per unit: 5 published together, the 6th waits
        stored_responses(session, questionnaire, round_, unit_, 6)
    session.expire_all()
    assert len(session.exec(select(Response.id).where(Response.release_id.is_(None))).all()) == 2
    rounds.close_round(session=session, round_=round_, default_k=K,
                       at=utcnow() - timedelta(seconds=1))
    board(client, session, institution, "bestuur@gesloten.nl")

    html = page(client.get(f"/dashboard/{institution.slug}"))
    assert release_state(html) == (f"Stand van {stand(session, round_.id, 'nl')} — 10 reacties "
                                   f"verwerkt; 2 reacties niet meegeteld: hun groep is te klein.")
    assert text(html.select_one("#kpi-n")) == "10"
    english = page(client.get(f"/dashboard/{institution.slug}", params={"lang": "en"}))
    assert release_state(english) == (f"As of {stand(session, round_.id, 'en')} — 10 responses "
                                      f"counted; 2 responses not counted: their group is too small.")


def test_an_open_answer_appears_on_the_dashboard_only_once_its_response_is_released(
    client, session, catalog, questionnaire
):
    institution = make_institution(session, "Hogeschool Open Stand")
    unit = make_unit(session, institution, "Practoraat Open Stand")
    round_ = make_round(session, catalog, institution)
    for i in range(5):
        stored_response(session, questionnaire, round_, unit,
                        open_answers={"open_strategie": f"Idee uit de eerste stand {i}"})
    stored_response(session, questionnaire, round_, unit,
                    open_answers={"open_strategie": "Idee dat nog wacht"})
    board(client, session, institution, "bestuur@openstand.nl")

    def shown() -> list[str]:
        html = page(client.get(f"/dashboard/{institution.slug}"))
        return [li.get_text() for li in
                html.select('details.open-answers[data-knob="strategie"] li')]

    first = shown()
    first_arrivals = [f"Idee uit de eerste stand {i}" for i in range(5)]
    assert sorted(first) == first_arrivals  # the sixth waits, its idea with it
    for i in range(4):
        stored_response(session, questionnaire, round_, unit,
                        open_answers={"open_strategie": f"Idee uit de tweede stand {i}"})
    second = shown()
    assert sorted(second) == sorted(first + ["Idee dat nog wacht"] +
                                    [f"Idee uit de tweede stand {i}" for i in range(4)])
    # in no order a reader could trace back: neither by arrival nor by the alphabet
    arrival = first_arrivals + ["Idee dat nog wacht"] + [
        f"Idee uit de tweede stand {i}" for i in range(4)]
    assert second != arrival
    assert second != sorted(second)


# --- the thank-you page -------------------------------------------------------------------------


def test_a_respondent_whose_answers_wait_is_told_so_and_later_that_they_count(
    client, session, catalog, questionnaire
):
    """The submit's own answer says whether the answers count yet: that notice exists only
    there, since afterwards nothing leads from the link to its response. Later the link shows
    the published stand, and once a colleague's submit releases the group, it counts them (and
    that colleague is told their answers count)."""
    institution = make_institution(session, "Hogeschool Wachtkamer")
    unit = make_unit(session, institution, "Practoraat Wachtkamer")
    round_ = make_round(session, catalog, institution)
    stored_responses(session, questionnaire, round_, unit, 3)
    token, colleague = personal_link(session, round_, unit), personal_link(session, round_, unit)
    session.commit()
    client.get(f"/s/{token}", params={"lang": "en"})  # this browser reads English
    done = complete_survey(client, questionnaire, token, all_answers(questionnaire, 2))
    assert done.status_code == 200
    english = page(done)
    assert notice(english) == YOURS_WAITING["en"]  # 4 respondents: one short of a release
    assert release_state(english) == f"{NONE_YET['en']} 4 waiting until their group is large enough."
    assert english.select('td[data-series="unit"], td[data-series="institution"]') == []

    thanks = page(client.get(f"/s/{token}/bedankt", params={"lang": "nl"}))
    assert thanks.select_one("p.notice") is None  # whose answers they were is kept nowhere
    assert release_state(thanks) == f"{NONE_YET['nl']} 4 wachten tot hun groep groot genoeg is."
    assert thanks.select('td[data-series="unit"], td[data-series="institution"]') == []

    # the fifth, through the survey too: all five are published, and the colleague is told so
    fifth = page(complete_survey(client, questionnaire, colleague, all_answers(questionnaire)))
    assert notice(fifth) == YOURS_COUNTED["nl"]
    thanks = page(client.get(f"/s/{token}/bedankt", params={"lang": "nl"}))
    assert release_state(thanks) == (f"Stand van {stand(session, round_.id, 'nl')} — 5 reacties "
                                     f"verwerkt.")
    assert len(thanks.select('td[data-series="unit"]')) == 5
    assert len(thanks.select('td[data-series="institution"]')) == 5
    english = page(client.get(f"/s/{token}/bedankt", params={"lang": "en"}))
    assert release_state(english) == f"As of {stand(session, round_.id, 'en')} — 5 responses counted."


def test_the_thank_you_page_shows_the_dashboards_numbers_for_unit_and_institution(
    client, session, catalog, questionnaire
):
    """Both pages read the same gate: the practoraat's and the institution's numbers on the
    thank-you page are those on the dashboard, from released responses only, while the
    respondent's own answers (they would add 1 to the practoraat) wait."""
    institution = make_institution(session, "Hogeschool Eén Poort")
    unit = make_unit(session, institution, "Practoraat Poort")
    other = make_unit(session, institution, "Practoraat Elders")
    round_ = make_round(session, catalog, institution)
    for i in range(5):
        stored_response(session, questionnaire, round_, unit, answers=varied(questionnaire, i))
        stored_response(session, questionnaire, round_, other,
                        answers=varied(questionnaire, i + 5))
    token = personal_link(session, round_, unit)
    session.commit()
    done = complete_survey(client, questionnaire, token, all_answers(questionnaire, 1))
    assert done.status_code == 200
    thanks = page(done)  # the submit's answer: the only page with the respondent's own star
    assert notice(thanks) == YOURS_WAITING["nl"]
    board(client, session, institution, "bestuur@eenpoort.nl")
    dashboard = page(client.get(f"/dashboard/{institution.slug}",
                                params={"round": round_.id, "compare": unit.id}))
    assert release_state(thanks) == release_state(dashboard)
    assert "10 reacties verwerkt; 1 wachten" in release_state(thanks)

    thanks_points = point_descriptions(thanks.select_one("figure.chart svg"))
    dashboard_points = point_descriptions(
        dashboard.select_one('section[aria-labelledby="star-title"] div.svg svg'))
    for knob in questionnaire.knobs:
        row = thanks.select_one(f'td[data-knob="{knob.key}"][data-series="own"]').parent
        on_dashboard = {
            "unit": text(dashboard.select_one(
                f'#units-table tr[data-unit="{unit.id}"] td[data-knob="{knob.key}"]')),
            "institution": text(dashboard.select_one(
                f'#institution-table tr[data-knob="{knob.key}"] td.mean')),
        }
        for series, name in (("unit", unit.name), ("institution", institution.name)):
            shown = text(row.select_one(f'td[data-series="{series}"]'))
            assert shown == one_decimal(on_dashboard[series]), (knob.key, series)
            # and to the dashboard's two decimals in what each star's points say
            where = f"{name}, {knob.name.get('nl')}"
            assert thanks_points[where] == on_dashboard[series].replace(",", "."), where
        assert dashboard_points[f"{unit.name}, {knob.name.get('nl')}"] == (
            on_dashboard["unit"].replace(",", "."))
