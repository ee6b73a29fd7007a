"""Tried as a new user would: the README's story of a consultant, end to end, on the demo data.

Make a token, list the practoraten, compare them all for the latest round, fetch the trend,
download the table as CSV, import responses from paper: first a file with one bad row (refused,
nothing stored), then the same file without it (accepted, and with the three respondents of
Leven Lang Ontwikkelen who were waiting they make five: released, and the scores move)."""

from __future__ import annotations

import csv
import io

from api.platform.models import Response
from api.setup import tokens
from api.setup.demo import load_demo
from tests.api.v1.support import KNOBS, assert_csv_matches_group, count, csv_table

LLO = "Practoraat Leven Lang Ontwikkelen"


def test_a_consultant_follows_the_readme_from_token_to_import(client, session, catalog, settings):
    demo = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                     default_k=settings.anonymity_k)
    _, plain = tokens.create_token(session=session, name="Onderzoeksbureau",
                                   scopes=["read", "import"], institutions=[demo])
    api = _Api(client, plain)

    # which institution, which practoraten, which rounds
    [institution] = api.get("/institutions")["items"]
    slug = institution["slug"]
    assert slug == "roc-rivierenland-demo" and institution["anonymity_k"] == 5
    [centre] = api.get(f"/institutions/{slug}/units")["items"]
    practoraten = {u["name"]: u["id"] for u in centre["children"]}
    assert len(practoraten) == 6 and LLO in practoraten
    rounds = [r for r in api.get(f"/institutions/{slug}/rounds")["items"]
              if r["questionnaire"].startswith("galbraith-star/")]  # the star's, not the scan's
    latest = rounds[-1]
    assert latest["status"] == "open" and latest["responses"] == latest["release"]["counted"]
    waiting = latest["release"]["pending"]
    assert latest["responses"] + waiting == 68 and waiting >= 3

    # compare all practoraten of the latest round
    compared = api.get(f"/rounds/{latest['id']}/compare", unit=list(practoraten.values()))
    rows = {r["group"]["name"]: r for r in compared["units"]}
    assert set(rows) == set(practoraten)
    assert rows[LLO]["suppressed"] and rows[LLO]["n"] is None  # its 3 respondents wait
    shown = [r for r in rows.values() if not r["suppressed"]]
    assert len(shown) == 5  # no other practoraat is hidden beside it: nothing subtracts
    assert sum(r["n"] for r in shown) == compared["institution"]["n"] == latest["responses"]
    for row in shown:
        for knob in KNOBS:
            assert abs(row["difference"][knob] - (row["knobs"][knob]["mean"]
                                                  - compared["institution"]["knobs"][knob]["mean"])
                       ) < 1e-9

    # the trend of the institution
    trend = api.get(f"/institutions/{slug}/trend")
    assert [p["round"]["id"] for p in trend["points"]] == [r["id"] for r in rounds]
    # the newest round runs 1.1: the knobs it declares comparable with 1.0 change, the others
    # are named with their reason
    assert trend["versions"] == ["1.0", "1.1"]
    refused = {r["knob"] for r in trend["not_comparable"]}
    assert refused == {"processen", "beloningen"}
    assert set(trend["points"][-1]["change"]) == set(KNOBS) - refused

    # the same table as a CSV file
    downloaded = client.get(f"/api/v1/rounds/{latest['id']}/compare", params={"format": "csv"},
                            headers=api.headers)
    table = csv_table(downloaded)
    assert_csv_matches_group(table[0], compared["institution"])
    for line in table[1:]:
        assert_csv_matches_group(line, rows[line["group_name"]])

    # responses of two more practors of LLO collected on paper: the file has one bad row
    slug_, version = latest["questionnaire"].split("/")
    questionnaire = catalog.require(slug_, version)
    items = len(questionnaire.items)
    paper = [[LLO, "practor", *["4"] * items], [LLO, "practor", *["2"] * items],
             [LLO, "practorr", *["3"] * items]]
    before = count(session, Response)
    refused = api.post_csv(f"/rounds/{latest['id']}/responses", _csv(questionnaire, paper))
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(3, "role")]
    assert count(session, Response) == before
    assert api.get(f"/rounds/{latest['id']}/compare", unit=list(practoraten.values())) == compared

    accepted = api.post_csv(f"/rounds/{latest['id']}/responses", _csv(questionnaire, paper[:2]))
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"round_id": latest["id"], "imported": 2, "replayed": False}
    assert count(session, Response) == before + 2

    # every response is counted or waits for its groups (the release rule): in the demo's
    # newest round (1.1) LLO's 3 and some of other roles wait, so 2 from paper need not be
    # enough for a release; nothing is lost and nothing below k is shown
    after = api.get(f"/rounds/{latest['id']}/compare")
    release = after["round"]["release"]
    assert release["counted"] + release["pending"] == latest["responses"] + waiting + 2
    now = {r["group"]["name"]: r for r in after["units"]}
    assert all(r["suppressed"] or r["n"] >= 5 for r in now.values())
    if release["number"] > latest["release"]["number"]:
        assert not now[LLO]["suppressed"] and now[LLO]["n"] >= 5
    else:
        assert after["institution"] == compared["institution"]
    counted = release["counted"]
    assert api.get(f"/institutions/{slug}/rounds")["items"][-1]["responses"] == counted
    assert api.get(f"/institutions/{slug}/trend")["points"][-1]["scores"]["n"] == counted


class _Api:
    """What the README's httpx client does, on the test client."""

    def __init__(self, client, plain: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {plain}"}

    def get(self, path: str, **params) -> dict:
        response = self.client.get(f"/api/v1{path}", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def post_csv(self, path: str, text: str):
        return self.client.post(f"/api/v1{path}", content=text.encode(),
                                headers={**self.headers, "Content-Type": "text/csv"})


def _csv(questionnaire, rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", "role", *(item.id for item in questionnaire.items)])
    writer.writerows(rows)
    return out.getvalue()
