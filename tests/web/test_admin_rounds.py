"""The coordinator runs rounds in the browser: opens one in Dutch time, closes or extends it,
hands out personal links, the shared link with its QR code and poster, and watches who took part
— as counts per unit, never who."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
import segno
import sqlalchemy as sa
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlmodel import select

from api.platform.models import AccountRole, AuditEvent, Invitation, Round, utcnow
from api.setup import accounts
from api.setup.institutions import list_units
from api.survey import invitations
from tests.api.test_cli import kennisster, runner  # noqa: F401  (the command line, as a fixture)
from tests.builders import (
    all_answers,
    complete_survey,
    csrf_of,
    make_institution,
    make_round,
    make_unit,
    web_login,
)

PASSWORD = "een-lang-wachtwoord-42"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def alfa(session):
    institution = make_institution(session, "Hogeschool Alfa")
    make_unit(session, institution, "Practoraat Data")
    make_unit(session, institution, "Practoraat Zorg")
    accounts.create_account(session=session, email="coordinator@alfa.nl", password=PASSWORD,
                            role=AccountRole.coordinator, institutions=[institution])
    session.commit()
    return institution


@pytest.fixture
def coordinator(client, alfa):
    web_login(client, "coordinator@alfa.nl", PASSWORD)
    return client


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def post(client, url: str, data: dict, **kwargs):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, follow_redirects=False,
                       **kwargs)


def opened_round(session, institution, catalog) -> Round:
    round_ = make_round(session, catalog, institution)
    for unit in institution_units(session, institution):
        invitations.ensure_shared(session=session, secret_key="test-secret-key-not-for-production",
                                  round_=round_, unit=unit)
    session.commit()
    return round_


def institution_units(session, institution):
    units = list_units(session=session, institution=institution)
    session.commit()  # the test's session holds SQLite's write lock until it ends its transaction
    return units


def reread(session, obj):
    session.refresh(obj)
    session.commit()
    return obj


# --- opening a round ------------------------------------------------------------------------------


def test_a_coordinator_opens_a_round_that_opens_next_week_in_dutch_time_and_sees_it_listed(
    coordinator, session, alfa
):
    opens = (datetime.now(AMSTERDAM) + timedelta(days=7)).replace(hour=9, minute=30)
    closes = opens + timedelta(days=21)
    form = page(coordinator.get(f"/beheer/{alfa.slug}/metingen"))
    assert form.select_one("label[for=name]") and form.select_one("select#questionnaire option")
    answer = post(coordinator, f"/beheer/{alfa.slug}/metingen", {
        "name": "Meting voorjaar", "questionnaire": "galbraith-star/1.0",
        "opens_date": opens.date().isoformat(), "opens_time": "09:30",
        "closes_date": closes.date().isoformat(), "closes_time": "17:00"})
    assert answer.status_code == 303
    assert "done=opened" in answer.headers["location"]

    round_ = session.exec(select(Round).where(Round.institution_id == alfa.id)).one()
    assert round_.opens_at.astimezone(AMSTERDAM).replace(tzinfo=None) == opens.replace(
        tzinfo=None, second=0, microsecond=0)
    assert round_.closes_at.astimezone(AMSTERDAM).hour == 17
    assert round_.opens_at.astimezone(UTC).hour in (7, 8)  # 09:30 Dutch time is 07:30 or 08:30 UTC

    listed = page(coordinator.get(f"/beheer/{alfa.slug}/metingen"))
    row = next(tr for tr in listed.select("tbody tr") if "Meting voorjaar" in tr.get_text())
    cells = [td.get_text(strip=True) for td in row.select("td")]
    assert cells[1].endswith("09:30") and str(opens.day) in cells[1]
    assert cells[3] == "Nog niet open"
    assert cells[4:] == ["0", "0"]
    # the round's page, and one audit event
    assert coordinator.get(answer.headers["location"]).status_code == 200
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "round.opened")).all()
    assert [e.actor for e in events] == ["coordinator@alfa.nl"]


def test_a_round_that_closes_before_it_opens_is_refused_with_the_values_kept(
    coordinator, session, alfa
):
    answer = post(coordinator, f"/beheer/{alfa.slug}/metingen", {
        "name": "Meting najaar", "questionnaire": "galbraith-star/1.0",
        "opens_date": "2031-10-01", "opens_time": "09:00",
        "closes_date": "2031-09-01", "closes_time": "17:00"})
    assert answer.status_code == 422
    html = page(answer)
    assert html.select_one("#closes .field-error").get_text(strip=True) == (
        "Het sluitmoment moet na het openingsmoment liggen.")
    assert html.select_one(".error-summary a")["href"] == "#closes_date"
    assert html.select_one("#name")["value"] == "Meting najaar"
    assert html.select_one("#opens_date")["value"] == "2031-10-01"
    assert html.select_one("#closes_date")["value"] == "2031-09-01"
    assert html.select_one("#closes_time")["value"] == "17:00"
    assert session.exec(select(Round)).all() == []
    assert session.exec(select(AuditEvent)).all() == []


def test_a_round_without_a_readable_date_or_name_is_refused_next_to_the_field(coordinator, alfa):
    answer = post(coordinator, f"/beheer/{alfa.slug}/metingen", {
        "name": "  ", "questionnaire": "galbraith-star/1.0", "opens_date": "gisteren",
        "opens_time": "09:00", "closes_date": "2031-09-01", "closes_time": "17:00"})
    assert answer.status_code == 422
    assert page(answer).select_one("#opens .field-error")


# --- closing and extending ------------------------------------------------------------------------


def test_a_round_is_extended_then_closed_after_confirming_and_cannot_be_extended_again(
    coordinator, session, catalog, alfa
):
    round_ = opened_round(session, alfa, catalog)
    url = f"/beheer/{alfa.slug}/metingen/{round_.id}"
    later = (round_.closes_at + timedelta(days=7)).astimezone(AMSTERDAM)
    answer = post(coordinator, f"{url}/verlengen", {"closes_date": later.date().isoformat(),
                                                    "closes_time": "18:00"})
    assert answer.status_code == 303
    assert reread(session, round_).closes_at.astimezone(AMSTERDAM).date() == later.date()

    earlier = post(coordinator, f"{url}/verlengen", {"closes_date": utcnow().date().isoformat(),
                                                     "closes_time": "00:00"})
    assert earlier.status_code == 422
    assert page(earlier).select_one("#closes .field-error")

    unconfirmed = post(coordinator, f"{url}/sluiten", {})
    assert unconfirmed.status_code == 422
    assert reread(session, round_).status(utcnow()) == "open"

    closed = post(coordinator, f"{url}/sluiten", {"confirm": "yes"})
    assert closed.status_code == 303
    assert reread(session, round_).status(utcnow()) == "closed"
    shown = page(coordinator.get(closed.headers["location"]))
    assert shown.select_one("#closed") and not shown.select_one("form[action$=verlengen]")
    again = post(coordinator, f"{url}/verlengen", {"closes_date": "2040-01-01",
                                                   "closes_time": "12:00"})
    assert again.status_code == 422
    assert "niet heropend" in page(again).select_one(".error-summary").get_text()
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["round.extended", "round.closed"]


# --- personal links -------------------------------------------------------------------------------


def _unit_url(alfa, round_, unit) -> str:
    return f"/beheer/{alfa.slug}/metingen/{round_.id}/eenheden/{unit.id}"


def test_five_personal_links_download_as_csv_each_opens_the_survey_and_none_is_stored(
    coordinator, client, session, catalog, alfa
):
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    html = page(coordinator.get(_unit_url(alfa, round_, unit)))
    assert "alleen in dit bestand" in html.select_one("#personal").find_parent("section").get_text()

    answer = post(coordinator, f"{_unit_url(alfa, round_, unit)}/links",
                  {"count": "5", "format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, no-store"
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["eenheid", "link"]
    assert len(rows) == 6 and {row[0] for row in rows[1:]} == {unit.name}
    links = [row[1] for row in rows[1:]]
    assert len(set(links)) == 5

    dump = _database_text(session)
    for link in links:
        path = urlsplit(link).path
        assert client.get(path).status_code == 200, link
        token = path.rsplit("/", 1)[-1]
        assert token not in dump
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "invitations.created")).one()
    assert "5" in event.detail and unit.name in event.detail
    assert not any(link in event.detail for link in links)


def _database_text(session) -> str:
    """Every value of every row of every table, as one text."""
    engine = session.get_bind()
    parts = []
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(bind=conn)
        for table in meta.sorted_tables:
            for row in conn.execute(table.select()):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def test_the_personal_links_also_download_as_an_xlsx_that_openpyxl_opens(
    coordinator, session, catalog, alfa
):
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[1]
    answer = post(coordinator, f"{_unit_url(alfa, round_, unit)}/links?lang=en",
                  {"count": "3", "format": "xlsx"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, no-store"
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("unit", "link")
    assert len(rows) == 4 and all(r[0] == unit.name and "/s/" in r[1] for r in rows[1:])


@pytest.mark.parametrize("count", ["0", "501", "vijf", ""])
def test_a_number_of_links_outside_1_to_500_is_refused_and_nothing_is_made(
    coordinator, session, catalog, alfa, count
):
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    answer = post(coordinator, f"{_unit_url(alfa, round_, unit)}/links",
                  {"count": count, "format": "csv"})
    assert answer.status_code == 422
    html = page(answer)
    assert "1 tot 500" in html.select_one(".field-error").get_text()
    assert html.select_one("#count")["value"] == count
    assert session.exec(select(Invitation).where(Invitation.kind == "personal")).all() == []


# --- the shared link: QR code and poster ----------------------------------------------------------


def _shared_link(session, round_, unit) -> str:
    token = invitations.shared_token(secret_key="test-secret-key-not-for-production",
                                     round_=round_, unit=unit)
    return invitations.survey_url("http://testserver", token)


def _png_modules(data: bytes) -> list[list[bool]]:
    """The dark modules of a PNG drawn at one pixel per module, decoded in pure Python."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, *_ = header
    assert depth == 1 and colour in (0, 3), header  # 1 bit greyscale or palette
    raw = zlib.decompress(idat)
    stride = (width + 7) // 8
    rows, prior = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        assert kind in (0, 1, 2), kind  # none, sub, up: what a two-colour picture needs
        for i in range(stride):
            if kind == 1 and i:
                line[i] = (line[i] + line[i - 1]) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + prior[i]) & 0xFF
        rows.append([(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        prior = bytes(line)
    return rows


def test_the_qr_code_as_svg_and_png_carries_the_units_shared_link(
    coordinator, session, catalog, alfa
):
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    link = _shared_link(session, round_, unit)
    html = page(coordinator.get(_unit_url(alfa, round_, unit)))
    assert html.select_one("#shared-link")["value"] == link
    assert html.select_one(".qr-code svg")

    svg = coordinator.get(f"{_unit_url(alfa, round_, unit)}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.headers["cache-control"] == "private, no-store"
    expected = segno.make(link, error="m", micro=False)
    size = (expected.symbol_size(scale=10, border=4))
    root = ElementTree.fromstring(svg.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (int(root.get("width")), int(root.get("height"))) == size
    assert link in svg.text  # its title

    png = coordinator.get(f"{_unit_url(alfa, round_, unit)}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    pixels = _png_modules(png.content)
    assert (len(pixels[0]), len(pixels)) == size
    # one pixel per module of the 10× picture, border of 4 modules; 1 bit means light
    modules = [[not pixels[4 * 10 + 10 * y + 5][4 * 10 + 10 * x + 5] for x in range(len(row))]
               for y, row in enumerate(expected.matrix)]
    assert modules == [[bool(m) for m in row] for row in expected.matrix]


def test_the_poster_carries_the_link_the_unit_and_prints_on_a4(coordinator, session, catalog, alfa):
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    link = _shared_link(session, round_, unit)
    answer = coordinator.get(f"{_unit_url(alfa, round_, unit)}/poster")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, no-store"
    html = page(answer)
    # the A4 rule and the print button's script are files (the CSP allows nothing inline)
    assert html.select("style") == [] and html.select("script:not([src])") == []
    sheet = html.select_one('link[href$="/poster.css"]')["href"]
    assert "size: A4" in coordinator.get(sheet).text
    assert coordinator.get(html.select_one("script[src]")["src"]).status_code == 200
    assert html.select_one(".poster-unit").get_text().startswith(unit.name)
    assert html.select_one(".poster-link").get_text(strip=True) == link.split("://", 1)[1]
    assert alfa.name in html.select_one(".poster-institution").get_text()
    assert "Anoniem, ongeveer tien minuten" in html.get_text()
    assert html.select_one(".poster-qr svg")
    assert "Ctrl+P" in html.select_one("#print-hint").get_text()
    english = page(coordinator.get(f"{_unit_url(alfa, round_, unit)}/poster?lang=en"))
    assert "Anonymous, about ten minutes" in english.get_text()
    assert english.html["lang"] == "en"


def test_a_unit_gets_its_shared_link_by_a_button_and_keeps_it(
    coordinator, session, catalog, alfa
):
    round_ = opened_round(session, alfa, catalog)
    late = make_unit(session, alfa, "Practoraat Later")
    url = _unit_url(alfa, round_, late)
    assert coordinator.get(f"{url}/qr.svg").status_code == 404
    assert coordinator.get(f"{url}/poster").status_code == 404
    assert page(coordinator.get(url)).select_one("form[action$=gedeelde-link]")
    answer = post(coordinator, f"{url}/gedeelde-link", {})
    assert answer.status_code == 303
    assert post(coordinator, f"{url}/gedeelde-link", {}).status_code == 303  # the same link again
    events = session.exec(select(AuditEvent).where(
        AuditEvent.action == "invitations.shared_created")).all()
    session.commit()
    assert len(events) == 1
    assert page(coordinator.get(url)).select_one("#shared-link")["value"] == _shared_link(
        session, round_, late)
    assert coordinator.get(f"{url}/qr.png").status_code == 200


def test_an_archived_unit_is_offered_no_invitation_forms(coordinator, session, catalog, alfa):
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    unit.archived_at = utcnow()
    session.add(unit)
    session.commit()
    html = page(coordinator.get(_unit_url(alfa, round_, unit)))
    assert not html.select("form[method=post][action*=eenheden]")
    assert coordinator.get(f"{_unit_url(alfa, round_, unit)}/poster").status_code == 404
    refused = post(coordinator, f"{_unit_url(alfa, round_, unit)}/links", {"count": "2"})
    assert refused.status_code == 422
    round_page = page(coordinator.get(f"/beheer/{alfa.slug}/metingen/{round_.id}"))
    assert unit.name not in [th.get_text(strip=True) for th in round_page.select("tbody th")]


# --- participation --------------------------------------------------------------------------------


def _participation(client, alfa, round_) -> dict[str, tuple[str, str, str]]:
    html = page(client.get(f"/beheer/{alfa.slug}/metingen/{round_.id}"))
    return {tr.th.get_text(strip=True): (tr.select_one("[data-count=invited]").get_text(),
                                         tr.select_one("[data-count=used]").get_text(),
                                         tr.select_one("[data-state]")["data-state"])
            for tr in html.select("tbody tr[data-unit]")}


def test_participation_counts_follow_a_survey_submitted_through_the_pages(
    coordinator, app, session, catalog, alfa
):
    from fastapi.testclient import TestClient

    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    answer = post(coordinator, f"{_unit_url(alfa, round_, unit)}/links", {"count": "6"})
    links = [row[1] for row in csv.reader(io.StringIO(answer.content.decode("utf-8-sig")),
                                          delimiter=";")][1:]
    assert _participation(coordinator, alfa, round_) == {
        "Practoraat Data": ("6", "0", "none"), "Practoraat Zorg": ("0", "0", "none")}

    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    with TestClient(app) as respondent:
        token = urlsplit(links[0]).path.rsplit("/", 1)[-1]
        submitted = complete_survey(respondent, questionnaire, token, all_answers(questionnaire))
        assert submitted.status_code == 200
    assert _participation(coordinator, alfa, round_)["Practoraat Data"] == ("6", "1", "waiting")

    for link in links[1:5]:
        with TestClient(app) as respondent:
            token = urlsplit(link).path.rsplit("/", 1)[-1]
            complete_survey(respondent, questionnaire, token, all_answers(questionnaire, 3))
    assert _participation(coordinator, alfa, round_)["Practoraat Data"] == ("6", "5", "shown")
    text = page(coordinator.get(f"/beheer/{alfa.slug}/metingen/{round_.id}")).main.get_text()
    assert not re.search(r"@|/s/[A-Za-z0-9_-]{16}", text)  # no address, no link


# --- e-mail ---------------------------------------------------------------------------------------


def test_without_mail_the_unit_page_says_so_and_points_to_the_personal_links(
    coordinator, session, catalog, alfa
):
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    section = page(coordinator.get(_unit_url(alfa, round_, unit))).select_one("#email").parent
    assert "niet ingesteld" in section.select_one(".notice.warn").get_text()
    assert section.select_one("a[href='#personal']")
    assert not section.select("textarea")
    refused = post(coordinator, f"{_unit_url(alfa, round_, unit)}/uitnodigen",
                   {"addresses": "jan@alfa.nl", "lang": "nl"})
    assert refused.status_code == 422
    assert session.exec(select(Invitation).where(Invitation.kind == "personal")).all() == []


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    from tests.mail.smtp import Inbox, SmtpServer, free_port

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(inbox=inbox, port=port)
    controller.stop()


@pytest.fixture
def mailing_coordinator(app, settings, smtp, alfa):
    """The coordinator's browser on an app that sends mail (from its own worker thread) to the
    test's SMTP server."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.mail.smtp import with_smtp

    sending = create_app(with_smtp(settings, smtp.port, mail_poll_seconds=0.2), warm_charts=False)
    with TestClient(sending) as browser:
        web_login(browser, "coordinator@alfa.nl", PASSWORD)
        yield browser
    sending.state.engine.dispose()


def test_a_coordinator_invites_pasted_and_uploaded_addresses_by_mail_and_reminds_only_who_did_not_answer(
    mailing_coordinator, app, session, catalog, smtp, alfa
):
    from fastapi.testclient import TestClient

    browser = mailing_coordinator
    round_ = opened_round(session, alfa, catalog)
    unit = institution_units(session, alfa)[0]
    url = _unit_url(alfa, round_, unit)
    html = page(browser.get(url))
    previews = html.select("details.mail-preview")
    assert len(previews) == 2 and unit.name in previews[0].get_text()
    assert "voorbeeldlink" in previews[0].get_text()

    # a bad address: refused next to the field, the list kept, nothing stored or sent
    bad = post(browser, f"{url}/uitnodigen", {"addresses": "an@alfa.nl\nbert-at-alfa.nl",
                                              "lang": "nl"})
    assert bad.status_code == 422
    assert "bert-at-alfa.nl" in page(bad).select_one("#addresses-error").get_text()
    assert page(bad).select_one("#addresses").get_text() == "an@alfa.nl\nbert-at-alfa.nl"
    assert session.exec(select(Invitation).where(Invitation.kind == "personal")).all() == []
    session.commit()

    pasted = post(browser, f"{url}/uitnodigen",
                  {"addresses": "an@alfa.nl, bert@alfa.nl;\ncor@alfa.nl\n", "lang": "en"})
    assert pasted.status_code == 303 and "done=invited&n=3" in pasted.headers["location"]
    upload = browser.post(f"{url}/upload", data={"csrf_token": csrf_of(browser), "lang": "nl"},
                          files={"file": ("adressen.csv", b"naam;e-mail\nDirk;dirk@alfa.nl\n"
                                          b"An;an@alfa.nl\nEva;eva@alfa.nl\n", "text/csv")},
                          follow_redirects=False)
    assert upload.status_code == 303 and "n=2" in upload.headers["location"]  # an@ was invited
    workbook = browser.post(f"{url}/upload", data={"csrf_token": csrf_of(browser), "lang": "nl"},
                            files={"file": ("adressen.xlsx", b"PK\x03\x04", "application/zip")},
                            follow_redirects=False)
    assert workbook.status_code == 422
    assert ".csv" in page(workbook).select_one("#file-error").get_text()
    received = smtp.inbox.wait_for(5, timeout=20)
    assert sorted(r.to for r in received) == ["an@alfa.nl", "bert@alfa.nl", "cor@alfa.nl",
                                              "dirk@alfa.nl", "eva@alfa.nl"]
    assert {r.lang for r in received if r.to in ("an@alfa.nl", "bert@alfa.nl")} == {"en"}
    assert smtp.inbox.to("dirk@alfa.nl")[0].lang == "nl"

    questionnaire = catalog.require(round_.questionnaire_slug, round_.questionnaire_version)
    with TestClient(app) as respondent:
        token = urlsplit(smtp.inbox.to("an@alfa.nl")[0].link).path.rsplit("/", 1)[-1]
        assert complete_survey(respondent, questionnaire, token,
                               all_answers(questionnaire)).status_code == 200

    round_url = f"/beheer/{alfa.slug}/metingen/{round_.id}"
    assert _participation(browser, alfa, round_)["Practoraat Data"] == ("5", "1", "waiting")
    reminded = post(browser, f"{round_url}/herinneren", {})
    assert reminded.status_code == 303 and "n=4" in reminded.headers["location"]
    received = smtp.inbox.wait_for(9, timeout=20)
    reminders = [r.to for r in received[5:]]
    assert sorted(reminders) == ["bert@alfa.nl", "cor@alfa.nl", "dirk@alfa.nl", "eva@alfa.nl"]
    again = post(browser, f"{round_url}/herinneren", {})  # at most one a day
    assert "n=0" in again.headers["location"]

    status = page(browser.get(round_url))
    counts = {li.select_one(".kpi-label").get_text(): li.select_one(".kpi").get_text()
              for li in status.select(".delivery li")}
    assert counts["Verstuurd"] == "9" and counts["Mislukt"] == "0"
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["invitations.emailed", "invitations.emailed", "invitations.reminded",
                       "invitations.reminded"]
    details = " ".join(e.detail for e in session.exec(select(AuditEvent)))
    assert "@" not in details


def test_a_round_opened_with_a_scheduled_reminder_keeps_it(coordinator, session, alfa):
    answer = post(coordinator, f"/beheer/{alfa.slug}/metingen", {
        "name": "Meting met herinnering", "questionnaire": "galbraith-star/1.0",
        "opens_date": "2031-09-01", "opens_time": "09:00",
        "closes_date": "2031-10-01", "closes_time": "17:00", "remind_days": "3"})
    assert answer.status_code == 303
    round_ = session.exec(select(Round)).one()
    session.commit()
    assert round_.remind_days_before_close == 3
    assert "3 dagen voor het sluiten" in page(coordinator.get(answer.headers["location"])).get_text()
    refused = post(coordinator, f"/beheer/{alfa.slug}/metingen", {
        "name": "Nog een", "questionnaire": "galbraith-star/1.0",
        "opens_date": "2031-09-01", "opens_time": "09:00",
        "closes_date": "2031-10-01", "closes_time": "17:00", "remind_days": "99"})
    assert refused.status_code == 422
    assert page(refused).select_one("#remind_days")["value"] == "99"


# --- the same use cases on the command line -------------------------------------------------------


def test_the_command_line_opens_extends_invites_and_closes_through_the_same_audited_use_cases(
    kennisster, session  # noqa: F811  (the fixture imported above)
):
    from tests.api.test_cli import created_id, ok, refused

    ok(kennisster("institution", "create", "Hogeschool Teststad"))
    ok(kennisster("unit", "create", "hogeschool-teststad", "Practoraat Kunde"))
    round_id = created_id(ok(kennisster("round", "open", "hogeschool-teststad", "Meting 1",
                                        "--closes", "2031-06-01T17:00+02:00",
                                        "--remind-days-before-close", "3")))
    ok(kennisster("round", "extend", round_id, "--closes", "2031-06-15T17:00+02:00"))
    refused(kennisster("round", "extend", round_id, "--closes", "2031-06-02T17:00+02:00"),
            "later closing moment")
    assert len(ok(kennisster("invite", round_id, "Practoraat Kunde", "-n", "2")).split()) == 2
    ok(kennisster("round", "close", round_id))
    refused(kennisster("invite", round_id, "Practoraat Kunde"), "closed")
    round_ = session.get(Round, round_id)
    assert round_.remind_days_before_close == 3
    events = [(e.actor, e.action) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))
              if e.action.startswith(("round.", "invitations."))]  # setting up is audited too
    session.commit()
    assert events == [("cli", "round.opened"), ("cli", "round.extended"),
                      ("cli", "invitations.created"), ("cli", "round.closed")]
