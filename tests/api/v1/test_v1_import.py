"""Import of responses collected elsewhere, as CSV or JSON, all or nothing.

A bad file is answered with every bad row and column named and nothing is stored; the same file
without its bad rows is accepted and scored exactly like a survey response."""

from __future__ import annotations

import csv
import io
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.platform.models import Answer, KnobScore, OpenAnswer, Response
from api.setup import tokens
from api.survey import imports
from api.survey.responses import record_response
from tests.api.v1.support import (
    KNOBS,
    assert_problem,
    assert_stats,
    bearer,
    count,
    expected,
    fetch,
    varied_answers,
)

TABLES = (Response, Answer, KnobScore, OpenAnswer)


def stored(session) -> dict[str, int]:
    return {model.__name__: count(session, model) for model in TABLES}


def response_ids(session) -> set[int]:
    """The ids stored so far: ids are random, so "new" is what was not there before."""
    found = set(session.exec(select(Response.id)).all())
    session.commit()
    return found


def new_responses(session, before: set[int]) -> list[Response]:
    session.expire_all()
    ids = response_ids(session) - before
    return fetch(session, select(Response).where(Response.id.in_(ids))) if ids else []


def post(client, world, body: str | bytes, media: str, *, token: str | None = None, **headers):
    return client.post(f"/api/v1/rounds/{world.latest.id}/responses",
                       content=body.encode() if isinstance(body, str) else body,
                       headers={**bearer(token or world.import_a), "Content-Type": media,
                                **headers})


def to_csv(questionnaire, rows: list[tuple[str, str, dict]], extra: dict | None = None) -> str:
    """A CSV as another survey tool would export it: one column per item id; None as "dk"."""
    out = io.StringIO()
    writer = csv.writer(out)
    item_ids = [item.id for item in questionnaire.items]
    writer.writerow(["unit", "role", *item_ids, *(extra or {})])
    for unit, role, answers in rows:
        writer.writerow([unit, role, *("dk" if answers.get(i) is None else answers[i]
                                       for i in item_ids), *(extra or {}).values()])
    return out.getvalue()


def scores_of(client, world, group_by="institution") -> dict:
    response = client.get(f"/api/v1/rounds/{world.latest.id}/scores", params={"group_by": group_by},
                          headers=bearer(world.read_a))
    assert response.status_code == 200
    return {g["group"]["id"]: g for g in response.json()["groups"]}


def error_cells(body: dict) -> set[tuple[int, str | None]]:
    return {(e["row"], e["column"]) for e in body["errors"]}


# --- a bad file is refused whole; the good file is stored and scored --------------------------


def test_a_bad_csv_names_every_bad_row_and_column_and_stores_nothing_then_the_good_one_counts(
    client, session, world, questionnaire
):
    """Five practors of Practoraat Groot filled in a paper form; the file has two bad rows.
    Without them, the five are stored and released together: the scores move by exactly them."""
    good = [varied_answers(questionnaire, 900 + i) for i in range(5)]
    bad_value = dict(good[0], str1=7)
    bad_text = dict(good[1], pro3="veel")
    rows = [("Practoraat Groot", "practor", good[0]),
            ("Practoraat Groot", "baas", bad_value),  # row 2: role and str1
            ("Practoraat Groot", "practor", good[1]),
            ("Practoraat Onbekend", "anders", bad_text),  # row 4: unit and pro3
            (str(world.large.id), "practor", good[2]),  # a unit named by its id
            ("Practoraat Groot", "practor", good[3]),
            ("Practoraat Groot", "practor", good[4])]
    before, scores_before = stored(session), scores_of(client, world)

    refused = post(client, world, to_csv(questionnaire, rows), "text/csv")
    body = assert_problem(refused, 422, "nothing was imported")
    assert error_cells(body) == {(2, "role"), (2, "str1"), (4, "unit"), (4, "pro3")}
    messages = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert "'7'" in messages[(2, "str1")] and "baas" in messages[(2, "role")]
    assert "Practoraat Onbekend" in messages[(4, "unit")] and "veel" in messages[(4, "pro3")]
    assert stored(session) == before
    assert scores_of(client, world) == scores_before

    fixed = [row for i, row in enumerate(rows, start=1) if i not in (2, 4)]
    accepted = post(client, world, to_csv(questionnaire, fixed), "text/csv")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"round_id": world.latest.id, "imported": 5, "replayed": False}
    assert stored(session)["Response"] == before["Response"] + 5

    after = scores_of(client, world)[None]
    assert after["n"] == 21
    summaries = expected(questionnaire, world.answers() + good)
    for knob in KNOBS:
        assert_stats(after["knobs"][knob], summaries[knob], questionnaire.bands)
    assert after["knobs"] != scores_before[None]["knobs"]
    large = scores_of(client, world, "unit")[world.large.id]
    assert large["n"] == len(world.answers(unit=world.large)) + 5
    rounds = client.get(f"/api/v1/institutions/{world.a.slug}/rounds",
                        headers=bearer(world.read_a)).json()["items"]
    assert rounds[-1]["responses"] == 21
    assert rounds[-1]["release"]["number"] == 2 and rounds[-1]["release"]["pending"] == 2


def test_imported_rows_too_few_for_their_groups_wait_for_a_later_release(
    client, session, world, questionnaire
):
    """Three imported practors of Practoraat Midden wait; two more in a later file make five,
    and the five are released together."""
    first = [varied_answers(questionnaire, 800 + i) for i in range(3)]
    later = [varied_answers(questionnaire, 810 + i) for i in range(2)]
    before = scores_of(client, world, "unit")
    accepted = post(client, world, to_csv(questionnaire, [("Practoraat Midden", "practor", a)
                                                          for a in first]), "text/csv")
    assert accepted.status_code == 201, accepted.text
    assert scores_of(client, world, "unit") == before
    rounds = client.get(f"/api/v1/institutions/{world.a.slug}/rounds",
                        headers=bearer(world.read_a)).json()["items"]
    assert (rounds[-1]["responses"], rounds[-1]["release"]["pending"]) == (16, 2 + 3)

    post(client, world, to_csv(questionnaire, [("Practoraat Midden", "practor", a)
                                               for a in later]), "text/csv")
    middle = scores_of(client, world, "unit")[world.middle.id]
    assert middle["n"] == len(world.answers(unit=world.middle)) + 5
    summaries = expected(questionnaire, world.answers(unit=world.middle) + first + later)
    for knob in KNOBS:
        assert_stats(middle["knobs"][knob], summaries[knob], questionnaire.bands)
    rounds = client.get(f"/api/v1/institutions/{world.a.slug}/rounds",
                        headers=bearer(world.read_a)).json()["items"]
    assert (rounds[-1]["responses"], rounds[-1]["release"]["pending"]) == (21, 2)


def test_a_bad_json_import_names_every_bad_row_and_field_and_stores_nothing(
    client, session, world, questionnaire
):
    good = {"unit": "Practoraat Groot", "role": "practor",
            "answers": varied_answers(questionnaire, 950),
            "open_answers": {"open_strategie": "Meer gezamenlijke thema's"}}
    bad = [
        dict(good, unit=world.b_unit.id),  # row 2: a unit of another institution
        dict(good, role="rector", answers={"str1": 0, "str9": 3}),  # row 3
        dict(good, answers={"men2": "zes"}, open_answers={"open_onbekend": "x"}),  # row 4
    ]
    before = stored(session)
    body = assert_problem(post(client, world, json.dumps({"responses": [good, *bad]}),
                               "application/json"), 422)
    assert error_cells(body) == {(2, "unit"), (3, "role"), (3, "str1"), (3, "str9"),
                                 (4, "men2"), (4, "open_onbekend")}
    assert stored(session) == before

    before_ids = response_ids(session)
    second = dict(good, unit=world.middle.id, role="lector_onderzoeksleider",
                  answers=varied_answers(questionnaire, 951), open_answers={})
    accepted = post(client, world, json.dumps({"responses": [good, second]}), "application/json")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["imported"] == 2
    # the order of rows says nothing (random ids): the first upload row is the large unit's
    new = sorted(new_responses(session, before_ids), key=lambda r: r.unit_id != world.large.id)
    assert [(r.unit_id, r.role, r.round_id) for r in new] == [
        (world.large.id, "practor", world.latest.id),
        (world.middle.id, "lector_onderzoeksleider", world.latest.id)]
    # imports keep their own `imp-` keys (their idempotency); nothing names a person or a link
    assert all(r.questionnaire_version == "1.0" and r.submission_key.startswith("imp-")
               for r in new)
    texts = fetch(session, select(OpenAnswer.question_id, OpenAnswer.text).where(
        OpenAnswer.response_id == new[0].id))
    assert texts == [("open_strategie", "Meer gezamenlijke thema's")]
    # one new respondent in each of two units: both wait, and no number has moved
    assert all(r.release_id is None for r in new)
    large = scores_of(client, world, "unit")[world.large.id]
    summaries = expected(questionnaire, world.answers(unit=world.large))
    for knob in KNOBS:
        assert_stats(large["knobs"][knob], summaries[knob], questionnaire.bands)


def test_imported_rows_are_scored_like_survey_responses_reverse_items_mirrored(
    client, session, world, questionnaire
):
    """strategie: str1..str5 = 5, 4, 3, 2, 1 and str6 = 2; str6 is reverse-coded, so it counts
    as 6 − 2 = 4 and the knob scores (5 + 4 + 3 + 2 + 1 + 4) / 6 = 19/6. structuur: four of six
    statements "weet niet", fewer than half answered, so no score. processen: one "weet niet"
    and one left empty: the mean of the other four."""
    assert questionnaire.item_by_id["str6"].reverse and not questionnaire.item_by_id["str1"].reverse
    header = ["unit", "role", "str1", "str2", "str3", "str4", "str5", "str6",
              "stu1", "stu2", "stu3", "stu4", "stu5", "stu6",
              "pro1", "pro2", "pro3", "pro4", "pro5", "pro6"]
    values = ["Practoraat Groot", "practor", "5", "4", "3", "2", "1", "2",
              "dk", "weet niet", "n.v.t.", "DK", "3", "4",
              "4", "", "dk", "2", "5", "3"]
    before_ids = response_ids(session)
    response = post(client, world, ",".join(header) + "\n" + ",".join(values) + "\n", "text/csv")
    assert response.status_code == 201, response.text
    [new] = new_responses(session, before_ids)
    scores = {s.knob: s.score for s in fetch(session, select(KnobScore).where(
        KnobScore.response_id == new.id))}
    assert scores["strategie"] == pytest.approx(19 / 6)
    assert "structuur" not in scores
    # pro5 is reverse-coded: 6 − 5 = 1; pro2 empty and pro3 "dk" are missing
    assert questionnaire.item_by_id["pro5"].reverse
    assert scores["processen"] == pytest.approx((4 + 2 + 1 + 3) / 4)
    assert set(scores) == {"strategie", "processen"}
    answers = dict(fetch(session, select(Answer.item_id, Answer.value).where(
        Answer.response_id == new.id)))
    assert answers["str6"] == 2  # stored raw, mirrored only when scored
    assert answers["stu1"] is None and answers["stu4"] is None and answers["pro3"] is None
    assert "pro2" not in answers
    knob_rows = fetch(session, select(KnobScore).where(KnobScore.response_id == new.id))
    assert {(k.round_id, k.unit_id, k.role) for k in knob_rows} == {
        (world.latest.id, world.large.id, "practor")}


def test_an_import_and_a_survey_response_with_the_same_answers_score_the_same(
    client, session, world, questionnaire
):
    from tests.builders import stored_response

    answers = varied_answers(questionnaire, 77)
    answers.update({"str2": None, "bel6": None, "men1": None})
    survey = stored_response(session, questionnaire, world.latest, world.large, answers=answers)
    before_ids = response_ids(session)
    response = post(client, world, json.dumps({"responses": [
        {"unit": world.large.id, "role": "practor", "answers": answers}]}), "application/json")
    assert response.status_code == 201
    [imported] = new_responses(session, before_ids)

    def knob_scores(response_id):
        return {s.knob: s.score for s in fetch(session, select(KnobScore).where(
            KnobScore.response_id == response_id))}

    assert knob_scores(imported.id) == knob_scores(survey.id)
    assert len(knob_scores(imported.id)) == 5


# --- refusals of the file as a whole ------------------------------------------------------------


def test_an_unknown_or_missing_column_in_the_csv_header_is_named(client, session, world):
    before = stored(session)
    body = assert_problem(post(client, world, "unit,role,str1,strategie,str99\n"
                                              "Practoraat Groot,practor,4,3,2\n", "text/csv"), 422)
    assert error_cells(body) == {(0, "strategie"), (0, "str99")}
    assert all(e["message"] == "unknown column" for e in body["errors"])
    body = assert_problem(post(client, world, "unit,str1,str1\nPractoraat Groot,4,4\n",
                               "text/csv"), 422)
    assert error_cells(body) == {(0, "role"), (0, "str1")}
    assert stored(session) == before


def test_a_csv_row_with_too_many_or_too_few_cells_is_named(client, session, world):
    before = stored(session)
    body = assert_problem(post(client, world, "unit,role,str1\nPractoraat Groot,practor,4\n"
                                              "Practoraat Groot,practor\n"
                                              "Practoraat Groot,practor,4,4\n", "text/csv"), 422)
    assert {e["row"] for e in body["errors"]} == {2, 3}
    assert stored(session) == before


def test_semicolon_separated_csv_from_a_dutch_spreadsheet_is_read(client, session, world):
    before = stored(session)
    response = post(client, world, "unit;role;str1;open_strategie\r\n"
                                   "Practoraat Groot;practor;4;Meer overleg, minder eilanden\r\n",
                    "text/csv; charset=utf-8")
    assert response.status_code == 201, response.text
    assert stored(session)["OpenAnswer"] == before["OpenAnswer"] + 1


def test_another_content_type_is_refused_with_415(client, session, world):
    before = stored(session)
    for media in ("text/plain", "application/xml", "multipart/form-data",
                  "application/x-www-form-urlencoded", None):
        headers = {**bearer(world.import_a)}
        if media:
            headers["Content-Type"] = media
        response = client.post(f"/api/v1/rounds/{world.latest.id}/responses",
                               content=b"unit,role,str1\nPractoraat Groot,practor,4\n",
                               headers=headers)
        assert_problem(response, 415, "application/json", "text/csv")
    assert stored(session) == before


def test_a_body_over_5_mb_is_refused_with_413_whether_or_not_its_length_is_announced(
    client, session, world
):
    before = stored(session)
    line = "Practoraat Groot,practor,4\n"
    big = "unit,role,str1\n" + line * (5 * 1024 * 1024 // len(line) + 1)
    assert len(big.encode()) > 5 * 1024 * 1024
    assert_problem(post(client, world, big, "text/csv"), 413, "5 MB")

    def chunks():  # no Content-Length: the server must count while reading
        data = big.encode()
        for start in range(0, len(data), 256 * 1024):
            yield data[start:start + 256 * 1024]

    response = client.post(f"/api/v1/rounds/{world.latest.id}/responses", content=chunks(),
                           headers={**bearer(world.import_a), "Content-Type": "text/csv"})
    assert_problem(response, 413)
    assert stored(session) == before


def test_malformed_json_or_the_wrong_shape_is_a_422_problem(client, session, world):
    before = stored(session)
    body = assert_problem(post(client, world, '{"responses": [{"unit": ', "application/json"),
                          422, "not valid JSON")
    assert body["errors"]
    for shape in ('[]', '{"rows": []}', '{"responses": []}', '{"responses": "alles"}',
                  '{"responses": [{"unit": "Practoraat Groot"}]}'):
        assert_problem(post(client, world, shape, "application/json"), 422)
    body = assert_problem(post(client, world, json.dumps({"responses": [
        {"unit": "Practoraat Groot", "role": "practor", "answers": {"str1": 4}},
        {"unit": "Practoraat Groot", "role": "practor", "answers": {"str1": 4}, "naam": "Jan"},
    ]}), "application/json"), 422)
    assert error_cells(body) == {(2, "naam")}
    assert_problem(post(client, world, b"\xff\xfe\x00u", "text/csv"), 422, "UTF-8")
    assert stored(session) == before


def test_an_empty_csv_or_one_without_rows_is_refused(client, session, world):
    before = stored(session)
    assert_problem(post(client, world, "", "text/csv"), 422)
    assert_problem(post(client, world, "unit,role,str1\n", "text/csv"), 422)
    assert_problem(post(client, world, "unit,role,str1\n\n,,\n", "text/csv"), 422)
    assert stored(session) == before


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_stores_nothing_twice(client, session, world):
    body = "unit,role,str1,str2,str3\nPractoraat Groot,practor,4,3,2\nPractoraat Klein,anders,2,2,5\n"
    before = stored(session)
    first = post(client, world, body, "text/csv", **{"Idempotency-Key": "upload-2026-11-01"})
    assert first.status_code == 201
    assert first.json() == {"round_id": world.latest.id, "imported": 2, "replayed": False}
    after_first = stored(session)
    assert after_first["Response"] == before["Response"] + 2

    retry = post(client, world, body, "text/csv", **{"Idempotency-Key": "upload-2026-11-01"})
    assert retry.status_code in (200, 201)
    assert retry.json() == {"round_id": world.latest.id, "imported": 2, "replayed": True}
    assert stored(session) == after_first

    other = post(client, world, body, "text/csv", **{"Idempotency-Key": "upload-2026-11-02"})
    assert other.json()["replayed"] is False
    assert stored(session)["Response"] == before["Response"] + 4
    # without a key, every upload is stored
    post(client, world, body, "text/csv")
    post(client, world, body, "text/csv")
    assert stored(session)["Response"] == before["Response"] + 8


def test_a_refused_upload_does_not_use_up_its_idempotency_key(client, session, world):
    before = stored(session)
    key = {"Idempotency-Key": "poging-1"}
    assert post(client, world, "unit,role,str1\nPractoraat Groot,baas,4\n", "text/csv",
                **key).status_code == 422
    accepted = post(client, world, "unit,role,str1\nPractoraat Groot,practor,4\n", "text/csv", **key)
    assert accepted.json() == {"round_id": world.latest.id, "imported": 1, "replayed": False}
    assert stored(session)["Response"] == before["Response"] + 1


def test_a_retry_racing_the_first_upload_is_a_replay_not_an_error(app, session, world,
                                                                   questionnaire):
    """The usual reason to retry: the first upload is still being stored when the client, tired
    of waiting, sends it again. Here the first upload's rows are written but not yet committed
    when the retry arrives; once they are committed, the retry must be answered as a replay."""
    token, plain = tokens.create_token(session=session, name="Herhaler", scopes=["import"],
                                       institutions=[world.a])
    body = "unit,role,str1,str2\nPractoraat Groot,practor,4,3\nPractoraat Groot,anders,2,2\n"
    key = "upload-met-haast"
    before = count(session, Response)
    answer = {}
    # the server is up (its start-up releases what waits, and needs the write lock for that)
    # before the first upload begins
    with TestClient(app, raise_server_exceptions=False) as retry_client:
        first_upload = Session(app.state.engine.execution_options(sqlite_immediate=True))
        for submission_key in imports._submission_keys(2, key, f"{token.id}:{world.latest.id}"):
            record_response(session=first_upload, round_=world.latest, unit_id=world.large.id,
                            role="practor", questionnaire=questionnaire,
                            answers={"str1": 4, "str2": 3}, open_answers={},
                            submission_key=submission_key)
        first_upload.flush()
        retry = threading.Thread(target=lambda: answer.update(response=retry_client.post(
            f"/api/v1/rounds/{world.latest.id}/responses", content=body.encode(),
            headers={**bearer(plain), "Content-Type": "text/csv", "Idempotency-Key": key})))
        try:
            retry.start()
            time.sleep(1.0)
            waited = retry.is_alive()  # for the first upload: a lock, or the unique key
        finally:
            first_upload.commit()
            first_upload.close()
        retry.join(timeout=30)
    assert waited
    response = answer["response"]
    assert response.status_code in (200, 201), response.text
    assert response.json()["replayed"] is True
    assert count(session, Response) == before + 2


# --- odd values -------------------------------------------------------------------------------


@pytest.mark.parametrize("media,body", [
    ("text/csv", "unit,role,str1,str2\nPractoraat Groot,practor,²,3\n"),
    ("application/json", '{"responses": [{"unit": "Practoraat Groot", "role": "practor", '
                         '"answers": {"str1": "²", "str2": 3}}]}'),
])
def test_a_superscript_digit_is_refused_as_a_bad_value(app, session, world, media, body):
    """'²' passes str.isdigit() but is no number: a 422 naming the cell, not a crash."""
    before = stored(session)
    with TestClient(app, raise_server_exceptions=False) as plain_client:
        response = post(plain_client, world, body, media)
    refused = assert_problem(response, 422)
    assert error_cells(refused) == {(1, "str1")}
    assert stored(session) == before


def test_a_json_boolean_answer_is_refused(client, session, world):
    before = stored(session)
    response = post(client, world, json.dumps({"responses": [
        {"unit": "Practoraat Groot", "role": "practor", "answers": {"str1": True, "str2": 3}}]}),
        "application/json")
    refused = assert_problem(response, 422)
    assert {e["row"] for e in refused["errors"]} == {1}
    assert all("str1" in (e["column"] or "") for e in refused["errors"])
    assert stored(session) == before


# --- known bugs: every bad row named, whatever the first problem ------------------------------


def test_a_json_file_with_a_shape_error_and_a_value_error_names_both_rows(client, session, world):
    before = stored(session)
    body = assert_problem(post(client, world, json.dumps({"responses": [
        {"unit": "Practoraat Groot", "role": "practor", "answers": {"str1": 4}, "naam": "Jan"},
        {"unit": "Practoraat Onbekend", "role": "practor", "answers": {"str1": 4}},
    ]}), "application/json"), 422)
    assert error_cells(body) == {(1, "naam"), (2, "unit")}
    assert stored(session) == before


def test_a_csv_with_a_short_row_and_a_bad_value_names_both_rows(client, session, world):
    before = stored(session)
    body = assert_problem(post(client, world, "unit,role,str1\nPractoraat Groot,practor\n"
                                              "Practoraat Groot,baas,4\n", "text/csv"), 422)
    assert {e["row"] for e in body["errors"]} == {1, 2}
    assert (2, "role") in error_cells(body)
    assert stored(session) == before


def test_a_closed_round_takes_no_more_imports_so_what_waited_stays_out(
    client, session, world, questionnaire
):
    """Closing made the final release; the two who waited are never counted, so three more for
    their unit may not arrive afterwards and carry them into a new release."""
    from api.setup import rounds

    round_ = session.get(type(world.latest), world.latest.id)
    rounds.close_round(session=session, round_=round_, default_k=5)
    before = stored(session)
    session.commit()
    refused = post(client, world, to_csv(questionnaire, [
        ("Practoraat Klein", "practor", varied_answers(questionnaire, 900 + i)) for i in range(3)]),
        "text/csv")
    assert refused.status_code == 410
    assert "closed" in refused.json()["detail"]
    assert stored(session) == before
    latest = client.get(f"/api/v1/institutions/{world.a.slug}/rounds",
                        headers=bearer(world.read_a)).json()["items"][-1]
    assert latest["status"] == "closed" and latest["release"]["pending"] == 2
