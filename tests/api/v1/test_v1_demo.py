"""The API gives the board's dashboard numbers: for the demo data, every unit and knob the page
shows equals the API's mean (both published with 2 decimals), and the units the API suppresses
are exactly the page's "te weinig reacties" rows. The board member logs in through the real
login form."""

from __future__ import annotations

from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_BOARD_PASSWORD, load_demo
from tests.api.v1.support import KNOBS, ROLES, bearer, make_token

TOO_FEW = "te weinig reacties"


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def login(client, email: str, password: str, next: str) -> None:
    """GET /login for the form token, POST /login with it, as a browser would."""
    token = page(client.get("/login")).select_one('input[name="csrf_token"]')["value"]
    response = client.post("/login", data={"csrf_token": token, "email": email,
                                           "password": password, "next": next},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    assert urlsplit(response.headers["location"]).path == next


def nl(value: float) -> str:
    """A score as the Dutch page shows it: two decimals, decimal comma."""
    return f"{value:.2f}".replace(".", ",")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def test_api_numbers_equal_the_dashboard_for_the_demo_data(client, session, catalog, settings):
    institution = load_demo(session=session, catalog=catalog, secret_key=settings.secret_key,
                     default_k=settings.anonymity_k)
    slug = institution.slug
    headers = bearer(make_token(session, [institution]))
    rounds = [r for r in client.get(f"/api/v1/institutions/{slug}/rounds",
                                    headers=headers).json()["items"]
              if r["questionnaire"].startswith("galbraith-star/")]  # the scan's has its own test
    assert len(rounds) == 3  # two on galbraith-star 1.0, the newest on 1.1
    login(client, DEMO_BOARD_EMAIL, DEMO_BOARD_PASSWORD, f"/dashboard/{slug}")

    for round_ in rounds[-1:]:  # the latest round: the page renders its charts, which is slow
        api = client.get(f"/api/v1/rounds/{round_['id']}/scores", params={"group_by": "unit"},
                         headers=headers).json()
        html = page(client.get(f"/dashboard/{slug}", params={"round": round_["id"],
                                                             "lang": "nl"}))
        rows = {int(tr["data-unit"]): tr for tr in html.select("#units-table tbody tr[data-unit]")}
        groups = {g["group"]["id"]: g for g in api["groups"]}
        assert set(rows) == set(groups) and len(groups) == 6

        suppressed_api = {unit_id for unit_id, g in groups.items() if g["suppressed"]}
        suppressed_page = {unit_id for unit_id, tr in rows.items()
                           if (cell := tr.select_one("td.suppressed")) and text(cell) == TOO_FEW}
        assert suppressed_api == suppressed_page
        assert all(TOO_FEW not in text(tr) for unit_id, tr in rows.items()
                   if unit_id not in suppressed_page)
        shown = set(groups) - suppressed_api
        assert len(shown) >= 4
        for unit_id in shown:
            group, tr = groups[unit_id], rows[unit_id]
            assert text(tr.select_one("th")) == group["group"]["name"]
            assert text(tr.select("td")[0]) == str(group["n"])
            for knob in KNOBS:
                cell = text(tr.select_one(f'td[data-knob="{knob}"]'))
                stats = group["knobs"][knob]
                assert cell == (nl(stats["mean"]) if stats else "–"), (unit_id, knob)

        # the whole institution and the roles agree too
        [total] = client.get(f"/api/v1/rounds/{round_['id']}/scores",
                             headers=headers).json()["groups"]
        for tr in html.select("#institution-table tbody tr[data-knob]"):
            assert text(tr.select_one("td.mean")) == nl(total["knobs"][tr["data-knob"]]["mean"])
        assert len(html.select("#institution-table tbody tr[data-knob]")) == 5
        roles = {g["group"]["id"]: g for g in client.get(
            f"/api/v1/rounds/{round_['id']}/scores", params={"group_by": "role"},
            headers=headers).json()["groups"]}
        role_rows = {tr["data-role"]: tr for tr in html.select("#roles-table tbody tr[data-role]")}
        assert set(role_rows) == set(roles) and set(roles) <= set(ROLES)
        for key, group in roles.items():
            if group["suppressed"]:
                assert text(role_rows[key].select_one("td.suppressed")) == TOO_FEW
                continue
            for knob in KNOBS:
                cell = text(role_rows[key].select_one(f'td[data-knob="{knob}"]'))
                stats = group["knobs"][knob]
                assert cell == (nl(stats["mean"]) if stats else "–"), (key, knob)

    # in the latest round Leven Lang Ontwikkelen has 3 respondents: they wait for their release,
    # so the practoraat is hidden, and no other beside it: the shown units add up to the total,
    # which holds none of the 3, so nothing is left to subtract
    latest = client.get(f"/api/v1/rounds/{rounds[-1]['id']}/scores", params={"group_by": "unit"},
                        headers=headers).json()
    hidden = sorted(g["group"]["name"] for g in latest["groups"] if g["suppressed"])
    assert hidden == ["Practoraat Leven Lang Ontwikkelen"]
    [total] = client.get(f"/api/v1/rounds/{rounds[-1]['id']}/scores",
                         headers=headers).json()["groups"]
    assert sum(g["n"] for g in latest["groups"] if not g["suppressed"]) == total["n"]
    assert total["n"] == latest["round"]["responses"]
    assert latest["round"]["release"]["pending"] >= 3
