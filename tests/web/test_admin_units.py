"""The admin home, the institution page and the units page, as a coordinator and an administrator
use them: through the real app, HTML read with a parser."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from openpyxl import Workbook
from sqlmodel import select

from api.platform.models import AccountRole, AuditEvent, Institution, Unit
from api.setup import accounts
from api.setup.unit_tree import example_csv
from api.survey import invitations
from tests.builders import (
    csrf_of,
    make_institution,
    make_round,
    make_unit,
    stored_response,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"


def account(session, email: str, role: str, *granted: Institution) -> str:
    accounts.create_account(session=session, email=email, password=PASSWORD, role=role,
                            institutions=list(granted))
    session.commit()
    return email


def logged_in(client, session, role: str, *granted: Institution) -> None:
    web_login(client, account(session, f"{role}@kennisster.test", role, *granted), PASSWORD)


def post(client, url: str, data: dict | None = None, **kwargs):
    return client.post(url, data={"csrf_token": csrf_of(client), **(data or {})},
                       follow_redirects=False, **kwargs)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def followed(client, response) -> BeautifulSoup:
    assert response.status_code == 303, response.text
    return page(client.get(response.headers["location"]))


def notice(soup: BeautifulSoup) -> str:
    return soup.select_one(".notice[role=status]").get_text(strip=True)


def unit_named(session, institution: Institution, name: str) -> Unit:
    """The unit as stored now; the read's transaction is ended, so the app may write next."""
    unit = session.exec(select(Unit).where(Unit.institution_id == institution.id,
                                           Unit.name == name)
                        .execution_options(populate_existing=True)).one()
    session.commit()
    return unit


def reread(session, obj):
    session.refresh(obj)
    session.commit()  # no open (on SQLite: write-locking) transaction while the app works
    return obj


def tree_lines(soup: BeautifulSoup) -> list[str]:
    """Each unit of the tree as "name (kind) < parent", nested lists read as parents."""
    lines = []
    for item in soup.select("ul.unit-tree:not(.archived) li"):
        name = item.select_one(".unit-name").get_text(strip=True)
        kind = item.select_one(".unit-kind").get_text(strip=True)
        parent = item.find_parent("li")
        lines.append(f"{name} ({kind})" + (
            f" < {parent.select_one('.unit-name').get_text(strip=True)}" if parent else ""))
    return lines


def csv_file(text: str, name: str = "eenheden.csv", encoding: str = "utf-8"):
    return {"file": (name, text.encode(encoding), "text/csv")}


# --- the admin home -------------------------------------------------------------------------------


def test_a_coordinator_of_one_institution_is_taken_straight_to_it(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    response = client.get("/beheer", follow_redirects=False)
    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == f"/beheer/{alfa.slug}"


def test_a_coordinator_of_two_institutions_chooses_and_may_not_create_one(client, session):
    alfa, beta = make_institution(session, "Hogeschool Alfa"), make_institution(session, "ROC Beta")
    make_institution(session, "Elders")
    logged_in(client, session, AccountRole.coordinator, alfa, beta)
    soup = page(client.get("/beheer"))
    assert [a.get_text() for a in soup.select("main ul.links a")] == ["Hogeschool Alfa", "ROC Beta"]
    assert soup.select_one("form input#name") is None  # no form to create an institution
    assert post(client, "/beheer", {"name": "Nieuw", "default_language": "nl"}).status_code == 404


def test_a_board_member_finds_no_admin_area(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.bestuur, alfa)
    assert client.get("/beheer").status_code == 404
    assert client.get(f"/beheer/{alfa.slug}").status_code == 404
    assert client.get(f"/beheer/{alfa.slug}/eenheden").status_code == 404


def test_an_administrator_creates_an_institution_and_a_bad_form_comes_back_with_its_values(
    client, session
):
    make_institution(session, "ROC Beta")
    logged_in(client, session, AccountRole.admin)
    refused = post(client, "/beheer", {"name": "ROC Beta", "anonymity_k": "2",
                                       "default_language": "en"})
    assert refused.status_code == 422
    soup = page(refused)
    assert soup.select_one("#name")["value"] == "ROC Beta"
    assert soup.select_one("#anonymity_k")["value"] == "2"
    assert soup.select_one("#default_language option[selected]")["value"] == "en"
    assert "minstens 3" in soup.select_one("#anonymity_k-error").get_text()
    assert len(soup.select(".error-summary li a")) == 1  # k first: the name is checked after

    created = post(client, "/beheer", {"name": "Hogeschool Gamma", "anonymity_k": "7",
                                       "default_language": "en"})
    soup = followed(client, created)
    assert soup.select_one("h1").get_text() == "Hogeschool Gamma"
    assert notice(soup) == "De instelling is toegevoegd."
    gamma = session.exec(select(Institution).where(Institution.name == "Hogeschool Gamma")).one()
    assert (gamma.anonymity_k, gamma.default_language) == (7, "en")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "institution.created")).one()
    assert event.actor == "admin@kennisster.test" and event.institution_id == gamma.id


# --- the institution page --------------------------------------------------------------------


def test_the_institution_page_counts_units_and_rounds_and_links_to_every_area(
    client, session, catalog
):
    alfa = make_institution(session, "Hogeschool Alfa")
    make_unit(session, alfa, "Practoraat Een")
    make_unit(session, alfa, "Practoraat Twee")
    make_round(session, catalog, alfa)
    logged_in(client, session, AccountRole.coordinator, alfa)
    soup = page(client.get(f"/beheer/{alfa.slug}"))
    counts = [li.get_text(" ", strip=True) for li in soup.select(".admin-counts li")]
    assert counts[:2] == ["2 eenheden in gebruik", "1 metingen"]
    links = {a["href"] for a in soup.select(".admin-counts a")}
    assert {f"http://testserver/beheer/{alfa.slug}/eenheden",
            f"http://testserver/dashboard/{alfa.slug}"} <= links
    assert soup.select_one("#anonymity_k")["value"] == "5"  # the installation's default


def test_k_may_be_lowered_before_the_first_release_and_only_raised_after_it(
    client, session, catalog
):
    alfa = make_institution(session, "Hogeschool Alfa", k=6)
    logged_in(client, session, AccountRole.coordinator, alfa)
    url = f"/beheer/{alfa.slug}"
    saved = post(client, url, {"name": "Hogeschool Alfa", "anonymity_k": "4",
                               "default_language": "nl"})
    assert notice(followed(client, saved)) == "De instellingen zijn opgeslagen."
    reread(session, alfa)
    assert alfa.anonymity_k == 4

    unit = make_unit(session, alfa, "Practoraat Een")
    round_ = make_round(session, catalog, alfa)
    questionnaire = catalog.require("galbraith-star", "1.0")
    for _ in range(4):  # k = 4: a release
        stored_response(session, questionnaire, round_, unit, default_k=4)
    refused = post(client, url, {"name": "Alfa Hogeschool", "anonymity_k": "3",
                                 "default_language": "en"})
    assert refused.status_code == 422
    soup = page(refused)
    assert "niet lager dan 4" in soup.select_one("#anonymity_k-error").get_text()
    assert soup.select_one("#name")["value"] == "Alfa Hogeschool"  # what was typed, kept
    reread(session, alfa)
    assert (alfa.name, alfa.anonymity_k, alfa.default_language) == ("Hogeschool Alfa", 4, "nl")

    raised = post(client, url, {"name": "Hogeschool Alfa", "anonymity_k": "8",
                                "default_language": "nl"})
    assert raised.status_code == 303
    reread(session, alfa)
    assert alfa.anonymity_k == 8
    details = [e.detail for e in session.exec(select(AuditEvent).where(
        AuditEvent.action == "institution.updated").order_by(AuditEvent.id))]
    assert details == ["k 6 → 4", "k 4 → 8"]


def test_saving_unchanged_settings_records_nothing(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    unchanged = post(client, f"/beheer/{alfa.slug}", {"name": "Hogeschool Alfa",
                                                      "anonymity_k": "5", "default_language": "nl"})
    assert notice(followed(client, unchanged)) == "Er was niets veranderd; er is niets opgeslagen."
    assert session.exec(select(AuditEvent)).all() == []


# --- the units page: the story ----------------------------------------------------------------


def test_a_coordinator_builds_the_tree_renames_moves_and_is_offered_archive_for_a_unit_with_responses(
    client, session, catalog
):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    url = f"/beheer/{alfa.slug}/eenheden"
    assert page(client.get(url)).select_one("ul.unit-tree") is None

    # adds a practoraat
    added = post(client, url, {"name": "Practoraat Zorg", "kind": "practoraat", "parent": ""})
    assert notice(followed(client, added)) == "De eenheid is toegevoegd."

    # imports two more from a CSV as Dutch Excel saves it: ";" and Windows-1252
    imported = post(client, f"{url}/upload", files=csv_file(
        "naam;soort;bovenliggende\r\nTeam Één;team;Afdeling Techniek\r\n"
        "Afdeling Techniek;afdeling;\r\n", encoding="cp1252"))
    soup = followed(client, imported)
    assert notice(soup) == "2 eenheden toegevoegd."
    assert tree_lines(soup) == ["Afdeling Techniek (afdeling)", "Team Één (team) < Afdeling Techniek",
                                "Practoraat Zorg (practoraat)"]

    # renames one, and moves it under the afdeling
    zorg = unit_named(session, alfa, "Practoraat Zorg")
    renamed = post(client, f"{url}/{zorg.id}/naam", {"name": "Practoraat Zorgtechnologie"})
    assert notice(followed(client, renamed)) == "De naam is gewijzigd."
    techniek = unit_named(session, alfa, "Afdeling Techniek")
    moved = post(client, f"{url}/{zorg.id}/verplaatsen", {"parent": str(techniek.id)})
    soup = followed(client, moved)
    assert notice(soup) == "De eenheid is verplaatst."
    assert "Practoraat Zorgtechnologie (practoraat) < Afdeling Techniek" in tree_lines(soup)

    # tries to delete it once it has responses: refused, explained, archive offered
    round_ = make_round(session, catalog, alfa)
    stored_response(session, catalog.require("galbraith-star", "1.0"), round_, zorg)
    refused = post(client, f"{url}/{zorg.id}/verwijderen")
    assert refused.status_code == 409
    soup = page(refused)
    box = soup.select_one("#refusal")
    assert "heeft al reacties" in box.get_text()
    offer = box.select_one("form")
    assert offer["action"].endswith(f"/eenheden/{zorg.id}/archiveren")
    assert unit_named(session, alfa, "Practoraat Zorgtechnologie")  # still there
    assert "heeft reacties" in soup.select_one(f"#unit-{zorg.id} .unit-line").get_text()

    # takes the offer: archived, shown apart, and no new invitations for it
    archived = post(client, urlsplit(offer["action"]).path)
    soup = followed(client, archived)
    assert notice(soup) == "De eenheid is gearchiveerd."
    apart = soup.select("ul.unit-tree.archived .unit-name")
    assert [n.get_text() for n in apart] == ["Practoraat Zorgtechnologie"]
    assert soup.select_one("ul.unit-tree.archived .unit-parent").get_text() == "onder Afdeling Techniek"
    with pytest.raises(Exception, match="archived") as refused_invite:
        invitations.create_personal(session=session, round_=round_,
                                    unit=unit_named(session, alfa, "Practoraat Zorgtechnologie"),
                                    count=1)
    assert refused_invite.value.code == "unit_archived"
    session.rollback()

    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["unit.created", "unit.imported", "unit.renamed", "unit.moved", "unit.archived"]


def test_an_unused_unit_is_deleted_and_an_archived_one_is_put_back(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    spare = make_unit(session, alfa, "Practoraat Reserve")
    kept = make_unit(session, alfa, "Practoraat Blijft")
    logged_in(client, session, AccountRole.coordinator, alfa)
    url = f"/beheer/{alfa.slug}/eenheden"
    assert notice(followed(client, post(client, f"{url}/{spare.id}/verwijderen"))) == (
        "De eenheid is verwijderd.")
    assert post(client, f"{url}/{kept.id}/archiveren").status_code == 303
    soup = followed(client, post(client, f"{url}/{kept.id}/terugzetten"))
    assert notice(soup) == "De eenheid is weer in gebruik."
    assert tree_lines(soup) == ["Practoraat Blijft (practoraat)"]
    assert session.get(Unit, spare.id, populate_existing=True) is None


def test_a_unit_with_children_or_invitations_is_not_deleted(client, session, catalog):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    url = f"/beheer/{alfa.slug}/eenheden"
    post(client, f"{url}/upload", files=csv_file("naam,soort,bovenliggende\nTechniek,afdeling,\n"
                                                 "Team A,team,Techniek\n"))
    techniek, team = unit_named(session, alfa, "Techniek"), unit_named(session, alfa, "Team A")
    refused = post(client, f"{url}/{techniek.id}/verwijderen")
    assert refused.status_code == 409
    assert "Verplaats die eerst" in page(refused).select_one("#refusal").get_text()
    round_ = make_round(session, catalog, alfa)
    invitations.create_personal(session=session, round_=round_, unit=team, count=2)
    session.commit()
    refused = post(client, f"{url}/{team.id}/verwijderen")
    assert refused.status_code == 409
    assert "2 uitnodiging(en)" in page(refused).select_one("#refusal").get_text()
    assert len(session.exec(select(Unit).where(Unit.institution_id == alfa.id)).all()) == 2


def test_a_unit_never_moves_under_itself_or_its_own_descendants(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    url = f"/beheer/{alfa.slug}/eenheden"
    post(client, f"{url}/upload", files=csv_file(
        "name,kind,parent\nTechniek,department,\nPracticum,practorate,Techniek\n"
        "Team A,team,Practicum\n"))
    techniek, team = unit_named(session, alfa, "Techniek"), unit_named(session, alfa, "Team A")
    soup = page(client.get(url))
    choices = [o.get_text() for o in soup.select(f"#parent-{techniek.id} option")]
    assert choices == ["(bovenaan, geen bovenliggende eenheid)"]  # nothing else is allowed
    for target in (team, techniek):  # a tampered form
        refused = post(client, f"{url}/{techniek.id}/verplaatsen", {"parent": str(target.id)})
        assert refused.status_code == 422
        soup = page(refused)
        assert soup.select_one(f"#unit-{techniek.id} details")["open"] is not None
        assert "kan niet onder" in soup.select_one(f"#parent-{techniek.id}-error").get_text()
    assert unit_named(session, alfa, "Techniek").parent_id is None


def test_a_bad_unit_form_comes_back_with_the_field_named_and_the_value_kept(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    taken = make_unit(session, alfa, "Practoraat Zorg")
    other = make_unit(session, alfa, "Practoraat Anders")
    logged_in(client, session, AccountRole.coordinator, alfa)
    url = f"/beheer/{alfa.slug}/eenheden"
    refused = post(client, url, {"name": "practoraat  zorg", "kind": "club", "parent": "999999"})
    assert refused.status_code == 422
    soup = page(refused)
    assert [a["href"] for a in soup.select(".error-summary li a")] == ["#name", "#kind", "#parent"]
    assert soup.select_one("#name")["value"] == "practoraat  zorg"
    assert soup.select_one("#name")["aria-invalid"] == "true"

    refused = post(client, f"{url}/{other.id}/naam", {"name": "Practoraat\tZorg"})
    assert refused.status_code == 422
    soup = page(refused)
    assert soup.select_one(f"#name-{other.id}")["value"] == "Practoraat\tZorg"
    assert "stuurtekens" in soup.select_one(f"#name-{other.id}-error").get_text()
    assert unit_named(session, alfa, "Practoraat Anders").id == other.id
    assert taken.id != other.id
    assert session.exec(select(AuditEvent)).all() == []


def test_another_institutions_unit_is_not_found_through_this_institutions_url(client, session):
    alfa, beta = make_institution(session, "Hogeschool Alfa"), make_institution(session, "ROC Beta")
    theirs = make_unit(session, beta, "Practoraat Beta")
    make_unit(session, alfa, "Practoraat Alfa")
    logged_in(client, session, AccountRole.admin)
    for action, data in (("naam", {"name": "Overgenomen"}), ("archiveren", {}),
                         ("verwijderen", {})):
        assert post(client, f"/beheer/{alfa.slug}/eenheden/{theirs.id}/{action}",
                    data).status_code == 404
    alfa_unit = unit_named(session, alfa, "Practoraat Alfa")
    refused = post(client, f"/beheer/{alfa.slug}/eenheden/{alfa_unit.id}/verplaatsen",
                   {"parent": str(theirs.id)})
    assert refused.status_code == 422  # B's unit is no parent A can choose
    assert unit_named(session, beta, "Practoraat Beta").name == "Practoraat Beta"


# --- the import ---------------------------------------------------------------------------------


def test_a_bad_file_stores_nothing_and_shows_every_problem_with_the_file_name(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    make_unit(session, alfa, "Practoraat Zorg")
    logged_in(client, session, AccountRole.coordinator, alfa)
    refused = post(client, f"/beheer/{alfa.slug}/eenheden/upload", files=csv_file(
        "\ufeffnaam,soort,bovenliggende\n"
        "Techniek,afdeling,\n"          # row 2: fine
        ",team,Techniek\n"              # row 3: no name
        "Team A,club,Techniek\n"        # row 4: unknown kind
        "Practoraat Zorg,practoraat,\n"  # row 5: exists already
        "techniek,team,\n"              # row 6: twice in the file
        "Team B,team,Bestaat niet\n"    # row 7: unknown parent
        "Team C,team,Team D\nTeam D,team,Team C\n",  # rows 8, 9: a circle
        name="structuur.csv"))
    assert refused.status_code == 422
    soup = page(refused)
    assert "structuur.csv is niet geïmporteerd" in soup.select_one("#import-problems").get_text()
    rows = [[td.get_text(strip=True) for td in tr.select("td")]
            for tr in soup.select("table.import-problems tbody tr")]
    assert [(row, column) for row, column, _ in rows] == [
        ("3", "naam"), ("4", "soort"), ("5", "naam"), ("6", "naam"), ("7", "bovenliggende"),
        ("8", "bovenliggende"), ("9", "bovenliggende")]
    assert rows[3][2] == "‘techniek’ staat al in rij 2."
    assert rows[5][2] == "De bovenliggende eenheden gaan in een kring rond: Team C → Team D → Team C."
    assert [u.name for u in session.exec(select(Unit))] == ["Practoraat Zorg"]
    assert session.exec(select(AuditEvent)).all() == []


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("leeg.csv", b"", "Het bestand is leeg."),
    ("alleen-kop.csv", b"naam;soort\n", "Het bestand is leeg."),
    ("foto.png", b"\x89PNG\r\n\x1a\n\x00\x00", "Dit is geen CSV- of XLSX-bestand."),
    ("kapot.xlsx", b"PK\x03\x04 geen werkmap", "Dit is geen CSV- of XLSX-bestand."),
    ("binair.csv", b"naam;soort\x00\n", "Dit is geen CSV- of XLSX-bestand."),
    ("groot.csv", ("naam;soort\n" + "".join(f"Team {i};team\n" for i in range(1001))).encode(),
     "Het bestand heeft meer dan 1000 rijen."),
    ("kop.csv", b"eenheid;soort\nTeam A;team\n", "Deze kolom ontbreekt in de kopregel"),
])
def test_a_file_that_is_no_unit_table_is_refused_in_words(client, session, name, content, problem):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    refused = post(client, f"/beheer/{alfa.slug}/eenheden/upload",
                   files={"file": (name, content, "application/octet-stream")})
    assert refused.status_code == 422
    assert problem in page(refused).select_one("table.import-problems tbody").get_text()
    assert session.exec(select(Unit)).all() == []


def test_an_upload_without_a_file_asks_for_one(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    refused = post(client, f"/beheer/{alfa.slug}/eenheden/upload")
    assert refused.status_code == 422
    assert page(refused).select_one("#file-error").get_text() == "Kies een bestand."


def test_an_xlsx_workbook_is_imported_with_english_headers_and_words(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    make_unit(session, alfa, "Bestaand")
    workbook = Workbook()
    sheet = workbook.active
    for row in (["Name", "Kind", "Parent"], ["Lab 2030", "Team", "Care"], [None, None, None],
                ["Care", "Department", "Bestaand"], [2031, "research group", None]):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    logged_in(client, session, AccountRole.coordinator, alfa)
    imported = post(client, f"/beheer/{alfa.slug}/eenheden/upload", files={"file": (
        "units.xlsx", buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    soup = followed(client, imported)
    assert notice(soup) == "3 eenheden toegevoegd."
    assert tree_lines(soup) == ["2031 (practoraat)", "Bestaand (practoraat)",
                                "Care (afdeling) < Bestaand", "Lab 2030 (team) < Care"]


def test_the_example_file_downloads_and_imports_as_it_is(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    logged_in(client, session, AccountRole.coordinator, alfa)
    soup = page(client.get(f"/beheer/{alfa.slug}/eenheden"))
    link = soup.find("a", string="Download een voorbeeldbestand (CSV)")
    example = client.get(link["href"])
    assert example.status_code == 200 and example.content == example_csv()
    assert example.headers["content-type"].startswith("text/csv")
    assert 'filename="eenheden-voorbeeld.csv"' in example.headers["content-disposition"]
    imported = post(client, f"/beheer/{alfa.slug}/eenheden/upload",
                    files={"file": ("eenheden-voorbeeld.csv", example.content, "text/csv")})
    assert notice(followed(client, imported)) == "5 eenheden toegevoegd."


def test_the_units_page_speaks_english_when_asked(client, session):
    alfa = make_institution(session, "Hogeschool Alfa")
    make_unit(session, alfa, "Practoraat Zorg")
    logged_in(client, session, AccountRole.coordinator, alfa)
    soup = page(client.get(f"/beheer/{alfa.slug}/eenheden?lang=en"))
    assert soup.select_one("h1").get_text() == "Units"
    assert soup.select_one(".unit-kind").get_text() == "practorate"
