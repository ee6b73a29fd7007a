"""The practor's survey through the real HTTP app and a real database."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from api.platform.models import Answer, Draft, Invitation, KnobScore, OpenAnswer, Response, today
from tests.builders import (
    all_answers,
    make_institution,
    make_round,
    make_unit,
    personal_link,
    stored_response,
    stored_responses,
)

Q_SLUG, Q_VERSION = "galbraith-star", "1.0"


@pytest.fixture
def questionnaire(catalog):
    return catalog.require(Q_SLUG, Q_VERSION)


@pytest.fixture
def setting(session, catalog):
    """An institution with one practoraat and an open round."""
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    return institution, unit, round_


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def csrf(client) -> str:
    """The form token of this browser, read from a page with a form, as a browser would."""
    return page(client.get("/login")).select_one('input[name="csrf_token"]')["value"]


def post(client, url: str, data: dict | None = None, **kwargs):
    """A form post carrying the page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def start(client, token: str, role: str = "practor"):
    return post(client, f"/s/{token}", {"role": role}, follow_redirects=False)


def answer_knob(client, token: str, knob: str, values: dict, *, action: str = "next", extra=None):
    data = {f"item-{item}": str(v) for item, v in values.items()}
    data.update(extra or {})
    data["action"] = action
    return post(client, f"/s/{token}/k/{knob}", data, follow_redirects=False)


def complete(client, questionnaire, token: str, answers: dict, role: str = "practor"):
    assert start(client, token, role).status_code == 303
    for knob in questionnaire.knobs:
        values = {item.id: answers[item.id] for item in questionnaire.items_of(knob.key)
                  if item.id in answers}
        assert answer_knob(client, token, knob.key, values).status_code == 303
    return post(client, f"/s/{token}/afronden", follow_redirects=False)


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_practor_completes_the_survey_and_the_stored_knob_scores_match_a_hand_computation(
    client, session, setting, questionnaire
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    answers = {item.id: 4 for item in questionnaire.items}
    # strategie: str1..str6 answered 5,4,3,2,1 and str6 (reverse-coded) answered 2 → 6-2 = 4
    answers.update({"str1": 5, "str2": 4, "str3": 3, "str4": 2, "str5": 1, "str6": 2})
    # structuur: only stu1 (4) and stu2 (2) and stu3 (reverse, 1 → 5) answered: 3 of 6 = half
    for item in ("stu4", "stu5", "stu6"):
        answers[item] = "dk"
    response = complete(client, questionnaire, token, answers)
    assert response.status_code == 200  # the thank-you page is the submit's own answer
    thanks = page(response)
    assert thanks.select_one("#own-once") is not None
    assert thanks.select_one("figure.chart svg") is not None
    own = thanks.select_one('td[data-knob="strategie"][data-series="own"]').text
    assert own == "3,2"  # 19/6 = 3.17, Dutch decimal comma

    stored = session.exec(select(Response)).one()
    assert (stored.round_id, stored.unit_id, stored.role) == (round_.id, unit.id, "practor")
    assert stored.questionnaire_hash == questionnaire.content_hash
    scores = {row.knob: row.score for row in
              session.exec(select(KnobScore).where(KnobScore.response_id == stored.id))}
    assert scores["strategie"] == pytest.approx((5 + 4 + 3 + 2 + 1 + 4) / 6)
    reverse = {item.id for item in questionnaire.items if item.reverse}
    stu = [6 - answers[i] if i in reverse else answers[i] for i in ("stu1", "stu2", "stu3")]
    assert scores["structuur"] == pytest.approx(sum(stu) / 3)
    assert count(session, Answer) == 30
    # the draft became the response: only its mark is left, none of the answers
    [draft] = session.exec(select(Draft)).all()
    assert draft.submitted and draft.answers == {} and draft.open_answers == {}
    assert draft.role is None
    invitation = session.get(Invitation, draft.invitation_id)
    assert invitation.used_on == today()

    # afterwards the link shows the published group stars only: the own star is stored nowhere
    again = client.get(f"/s/{token}/bedankt")
    assert again.status_code == 200
    assert not page(again).select('td[data-series="own"]')
    assert page(again).select_one("#own-once") is None


def test_a_practor_who_answers_fewer_than_half_of_a_knob_gets_no_score_for_it_and_is_warned(
    client, session, setting, questionnaire
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    answers = all_answers(questionnaire)
    for item in ("men1", "men2", "men3", "men4"):  # 2 of 6 answered: fewer than half
        del answers[item]
    start(client, token)
    for knob in questionnaire.knobs:
        answer_knob(client, token, knob.key, {i.id: answers[i.id]
                                              for i in questionnaire.items_of(knob.key)
                                              if i.id in answers})
    review = page(client.get(f"/s/{token}/afronden"))
    warned = [a.text for a in review.select(".notice.warn li a")]
    assert warned == ["Mensen"]
    post(client, f"/s/{token}/afronden")
    knobs = set(session.exec(select(KnobScore.knob)).all())
    assert knobs == {"strategie", "structuur", "processen", "beloningen"}


def test_answers_are_kept_and_restored_when_the_practor_comes_back_to_the_link(
    client, session, setting, questionnaire
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    start(client, token, role="docent_onderzoeker")
    answer_knob(client, token, "strategie", {"str1": 2, "str2": "dk"}, action="save")

    client.cookies.clear()  # a new browser session: only the link is the same
    intro = page(client.get(f"/s/{token}"))
    assert "Welkom terug" in intro.select_one(".notice").text
    assert intro.select_one('input[name="role"][value="docent_onderzoeker"]').has_attr("checked")
    knob = page(client.get(f"/s/{token}/k/strategie"))
    assert knob.select_one('input[name="item-str1"][value="2"]').has_attr("checked")
    assert knob.select_one('input[name="item-str2"][value="dk"]').has_attr("checked")


@pytest.mark.parametrize("bad", [
    {"item-str1": "7"}, {"item-str1": "0"}, {"item-str1": "abc"}, {"item-str1": ""},
])
def test_an_answer_off_the_scale_is_named_back_and_the_other_answers_are_kept(
    client, session, setting, bad
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    start(client, token)
    response = post(client, f"/s/{token}/k/strategie",
                           data={"item-str2": "5", "open-open_strategie": "Meer overleg", **bad})
    assert response.status_code == 422
    html = page(response)
    assert html.select_one("#item-str1 .field-error").text.startswith("Kies een antwoord van 1")
    assert html.select_one('input[name="item-str2"][value="5"]').has_attr("checked")
    assert html.select_one("#open-open_strategie").text == "Meer overleg"
    session.expire_all()
    assert session.exec(select(Draft)).one().answers == {}  # nothing of this page was stored


@pytest.mark.parametrize("tampered", [
    {"item-zzz9": "3"},  # an item that does not exist
    {"item-men1": "3"},  # an item of another knob
    {"role": "practor"},  # a field this page does not ask
    {"open-open_mensen": "x"},  # another knob's open question
])
def test_a_tampered_form_is_refused_with_the_unknown_question_named(
    client, session, setting, tampered
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    start(client, token)
    response = post(client, f"/s/{token}/k/strategie", {"item-str1": "4", **tampered})
    assert response.status_code == 422
    summary = page(response).select_one(".error-summary").text
    assert next(iter(tampered)) in summary
    session.expire_all()
    assert session.exec(select(Draft)).one().answers == {}


def test_a_question_answered_twice_in_one_form_is_refused(client, session, setting):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    start(client, token)
    response = client.post(f"/s/{token}/k/strategie",
                           content=f"csrf_token={csrf(client)}&item-str1=4&item-str1=5",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422
    assert "meer dan één keer" in page(response).select_one(".error-summary").text


@pytest.mark.parametrize("role, message", [(None, "Kies je rol."),
                                           ("rector", "Kies een van de genoemde rollen.")])
def test_a_practor_must_choose_a_known_role_before_starting(client, session, setting, role,
                                                            message):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    response = post(client, f"/s/{token}", {"role": role} if role else {})
    assert response.status_code == 422
    assert page(response).select_one("#role .field-error").text == message
    assert count(session, Draft) == 0


@pytest.mark.parametrize("text", ["nul\x00byte", "bell\x07", "x" * 2001])
def test_open_answers_with_control_characters_or_too_long_are_refused_alike_on_every_database(
    client, session, setting, text
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    start(client, token)
    response = post(client, f"/s/{token}/k/strategie", {"open-open_strategie": text})
    assert response.status_code == 422
    assert page(response).select_one(".question.open .field-error") is not None


def test_open_answers_are_stored_trimmed(client, session, setting, questionnaire):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    start(client, token)
    answer_knob(client, token, "strategie", {"str1": 3},
                extra={"open-open_strategie": "  <b>Meer</b> tijd\nvoor elkaar  "})
    post(client, f"/s/{token}/afronden")
    assert session.exec(select(OpenAnswer.text)).one() == "<b>Meer</b> tijd\nvoor elkaar"


@pytest.mark.parametrize("path, method", [("", "get"), ("", "post"), ("/k/strategie", "post"),
                                          ("/afronden", "post")])
def test_an_unknown_link_gets_its_own_page_and_nothing_is_stored(client, session, path, method):
    url = f"/s/doesnotexist12345678{path}"
    response = client.get(url) if method == "get" else post(client, url)
    assert response.status_code == 404
    assert page(response).h1.text == "Deze link werkt niet"
    assert count(session, Draft) == 0 and count(session, Response) == 0


@pytest.mark.parametrize("state, status, title", [
    ("not_open", 403, "De meting is nog niet begonnen"),
    ("closed", 410, "De meting is gesloten"),
])
def test_a_round_not_yet_open_or_already_closed_gets_its_own_page_and_nothing_is_stored(
    client, session, catalog, state, status, title
):
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution, state=state)
    token = personal_link(session, round_, unit)
    for response in (client.get(f"/s/{token}"), start(client, token),
                     post(client, f"/s/{token}/afronden")):
        assert response.status_code == status
        assert page(response).h1.text == title
    assert count(session, Draft) == 0 and count(session, Response) == 0


def test_a_used_personal_link_gets_its_own_page_and_cannot_store_a_second_response(
    client, session, setting, questionnaire
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    complete(client, questionnaire, token, all_answers(questionnaire))
    client.cookies.clear()
    for response in (client.get(f"/s/{token}"), start(client, token),
                     answer_knob(client, token, "strategie", {"str1": 1})):
        assert response.status_code == 409
        assert page(response).h1.text == "Deze link is al gebruikt"
    assert count(session, Response) == 1


def test_a_double_clicked_submit_stores_one_response(client, session, setting, questionnaire):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    first = complete(client, questionnaire, token, all_answers(questionnaire))
    second = post(client, f"/s/{token}/afronden", follow_redirects=False)
    assert first.status_code == second.status_code == 200
    assert page(first).select_one("#own-once") is not None
    assert page(second).select_one("#already-received") is not None
    assert not page(second).select('td[data-series="own"]')  # the own star is not kept
    assert count(session, Response) == 1
    assert count(session, Answer) == len(questionnaire.items)


def test_submitting_before_any_answer_is_saved_is_refused(client, session, setting):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    response = post(client, f"/s/{token}/afronden")
    assert response.status_code == 422
    assert page(response).h1.text == "Niets om te versturen"
    assert count(session, Response) == 0


def test_colleagues_on_a_shared_link_each_get_their_own_draft_and_response(
    app, session, setting, questionnaire
):
    from fastapi.testclient import TestClient

    from api.survey import invitations

    _, unit, round_ = setting
    token = invitations.ensure_shared(session=session, secret_key=app.state.settings.secret_key,
                                      round_=round_, unit=unit)
    session.commit()  # ensure_shared only flushes: the app must see the link (and get the lock)
    with TestClient(app) as anna, TestClient(app) as bram:
        start(anna, token, "practor")
        start(bram, token, "lector_onderzoeksleider")
        answer_knob(anna, token, "strategie", {"str1": 1})
        answer_knob(bram, token, "strategie", {"str1": 5})
        knob = page(anna.get(f"/s/{token}/k/strategie"))
        assert knob.select_one('input[name="item-str1"][value="1"]').has_attr("checked")
        for browser, value, role in ((anna, 2, "practor"), (bram, 5, "lector_onderzoeksleider")):
            done = complete(browser, questionnaire, token, all_answers(questionnaire, value),
                            role=role)
            assert done.status_code == 200
            assert page(done).select_one("#own-once") is not None  # a first submit, each
    roles = sorted(session.exec(select(Response.role)).all())
    assert roles == ["lector_onderzoeksleider", "practor"]


def test_the_practoraat_star_appears_only_once_k_colleagues_answered(
    client, session, setting, questionnaire
):
    _, unit, round_ = setting
    for _ in range(3):
        stored_response(session, questionnaire, round_, unit)
    token = personal_link(session, round_, unit)
    complete(client, questionnaire, token, all_answers(questionnaire, 2))
    thanks = page(client.get(f"/s/{token}/bedankt"))
    assert not thanks.select('td[data-series="unit"]')  # 4 respondents < k = 5
    assert "minstens 5" in thanks.select_one("p.note").text

    stored_response(session, questionnaire, round_, unit)
    thanks = page(client.get(f"/s/{token}/bedankt"))
    unit_cell = thanks.select_one('tr:first-child td[data-series="unit"]').text
    # 4 colleagues answered 4 everywhere (reverse items become 2), the practor answered 2
    expected = sum((4 if not i.reverse else 2) * 4 + (2 if not i.reverse else 4)
                   for i in questionnaire.items_of("strategie")) / (6 * 5)
    assert unit_cell == f"{expected:.1f}".replace(".", ",")
    assert thanks.select('td[data-series="institution"]')  # institution = this unit: rest is 0


def test_a_small_other_unit_waits_so_the_institution_line_never_gives_it_away(
    client, session, setting, questionnaire
):
    """4 colleagues and the practor in the practoraat, 2 in another one. The practor's submit
    releases the practoraat's 5; the other's 2 would add 2 to their unit, so they wait. The
    institution's line is therefore exactly the practoraat's, with nothing of the 2 in it: no
    subtraction of the two lines can tell anything about them."""
    institution, unit, round_ = setting
    other = make_unit(session, institution)
    stored_responses(session, questionnaire, round_, unit, 4)
    stored_responses(session, questionnaire, round_, other, 2, answers=all_answers(questionnaire, 1))
    token = personal_link(session, round_, unit)
    thanks = page(complete(client, questionnaire, token, all_answers(questionnaire)))
    own = [td.text for td in thanks.select('td[data-series="own"]')]
    unit_line = [td.text for td in thanks.select('td[data-series="unit"]')]
    institution_line = [td.text for td in thanks.select('td[data-series="institution"]')]
    assert len(own) == 5
    assert unit_line == institution_line == own  # all five in the practoraat answered alike
    state = " ".join(thanks.select_one("p#release-state").get_text().split())
    assert "5 reacties verwerkt; 2 wachten tot hun groep groot genoeg is." in state


def test_the_survey_speaks_english_when_asked_and_remembers_it(client, session, setting):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    intro = page(client.get(f"/s/{token}?lang=en"))
    assert intro.html["lang"] == "en"
    assert intro.select_one("#role legend").text == "What is your role?"
    start(client, token)
    knob = page(client.get(f"/s/{token}/k/strategie"))
    assert knob.h1.text == "Strategy"


def test_a_form_posted_without_its_csrf_token_is_refused_and_nothing_is_stored(
    client, session, setting
):
    _, unit, round_ = setting
    token = personal_link(session, round_, unit)
    csrf(client)  # the browser has the cookie, but another site cannot read it
    for data in ({"role": "practor"}, {"role": "practor", "csrf_token": "forged"}):
        response = client.post(f"/s/{token}", data=data)
        assert response.status_code == 403
        assert page(response).h1.text == "Formulier verlopen"
    assert count(session, Draft) == 0


def test_the_own_star_on_the_thank_you_page_shows_the_rings_bands_labels_legend_and_each_score(
    client, session, setting, questionnaire
):
    """The star is drawn in two parts (what no answer changes, kept; the stars, per respondent):
    the page still gets one chart with everything the star shows, each score told to a screen
    reader once, and the chart is the same for the next respondent's other scores."""
    _, unit, round_ = setting
    drawn = []
    for value in (4, 2):
        token = personal_link(session, round_, unit)
        thanks = page(complete(client, questionnaire, token,
                               {item.id: value for item in questionnaire.items}))
        svgs = thanks.select("figure.chart svg")
        assert len(svgs) == 1
        svg = svgs[0]
        texts = [t.get_text() for t in svg.select("text")]
        for knob in questionnaire.knobs:
            assert knob.name.get("nl") in texts
        assert {"1", "2", "3", "4", "5"} <= set(texts)  # the ring values
        assert any(band.name.get("nl") in text for text in texts for band in questionnaire.bands[1:])
        assert "Jij" in texts  # the legend
        labels = [p["aria-label"] for p in svg.select("[aria-label]") if "Jij," in p["aria-label"]]
        assert len(labels) == len(questionnaire.knobs)
        assert all(re.search(r": \d\.\d\d$", label) for label in labels), labels
        drawn.append(svg)
    assert drawn[0].get("width") == drawn[1].get("width")
    assert drawn[0].get("height") == drawn[1].get("height")
    assert drawn[0].select("[aria-label]") != drawn[1].select("[aria-label]")  # other scores
