"""The administrator e-mails invitations, reminds and runs the worker from the command line."""

from __future__ import annotations

from sqlmodel import select

from api.platform.models import Round
from tests.api.test_cli import ok, refused
from tests.builders import make_institution, make_round, make_unit, outbox_rows, recipient_rows


def _round(session, catalog):
    institution = make_institution(session, "Hogeschool Rijnland")
    unit = make_unit(session, institution, "Practoraat Zorginnovatie")
    return make_round(session, catalog, institution), unit


def test_the_administrator_invites_a_file_of_addresses_and_reminds_who_has_not_answered(
    kennisster, session, catalog, engine, smtp, tmp_path, monkeypatch
):
    round_, unit = _round(session, catalog)
    book = tmp_path / "adressen.txt"
    book.write_text("An@hs-test.nl\nbob@hs-test.nl\n\ncor@hs-test.nl\nan@hs-test.nl\n")

    text = ok(kennisster("invite", round_.id, unit.name, "--email", book, "--lang", "en"))
    assert "Invited 3 new address(es)" in text and "not configured" in text
    assert "Invited 0 new" in ok(kennisster("invite", round_.id, unit.id, "--email", book))
    assert [(row.to_address, row.lang) for row in outbox_rows(engine)] == [
        ("an@hs-test.nl", "en"), ("bob@hs-test.nl", "en"), ("cor@hs-test.nl", "en")]

    for name, value in {"KENNISSTER_SMTP_HOST": "127.0.0.1", "KENNISSTER_SMTP_PORT": str(smtp.port),
                        "KENNISSTER_SMTP_SECURITY": "none"}.items():
        monkeypatch.setenv(name, value)
    assert "Sent 3 mail(s)" in ok(kennisster("worker", "--once"))
    assert sorted(mail.to for mail in smtp.received) == ["an@hs-test.nl", "bob@hs-test.nl",
                                                          "cor@hs-test.nl"]

    assert "Queued 3 reminder(s)" in ok(kennisster("remind", round_.id))
    assert "Queued 0 reminder(s)" in ok(kennisster("remind", round_.id))  # once a day
    ok(kennisster("worker", "--once"))
    assert len(smtp.received) == 6


def test_a_file_with_bad_addresses_is_refused_naming_them_and_nothing_is_stored(
    kennisster, session, catalog, engine, tmp_path
):
    round_, unit = _round(session, catalog)
    book = tmp_path / "adressen.txt"
    book.write_text("goed@hs-test.nl\njan.hs-test.nl\npiet@\n")
    refused(kennisster("invite", round_.id, unit.id, "--email", book), "jan.hs-test.nl", "piet@")
    assert outbox_rows(engine) == [] and recipient_rows(engine) == []


def test_the_worker_without_a_mail_server_says_so_and_delivers_the_webhooks(kennisster):
    text = ok(kennisster("worker", "--once"))
    assert "KENNISSTER_SMTP_HOST" in text and "Delivered 0 webhook(s)" in text


def test_the_reminder_can_be_scheduled_days_before_the_round_closes(kennisster, session, catalog,
                                                                   engine):
    round_, _ = _round(session, catalog)
    assert "7 day(s) before it closes" in ok(kennisster("remind", round_.id, "--days-before-close", 7))
    with engine.connect() as conn:
        assert conn.execute(select(Round.remind_days_before_close)).scalar_one() == 7
    ok(kennisster("remind", round_.id, "--no-schedule"))
    refused(kennisster("remind", round_.id, "--days-before-close", 0), "between 1 and")
