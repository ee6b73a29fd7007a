"""A coordinator invites colleagues by e-mail, reminds those who have not answered, and once the
round closes no address is left — with every mail going through a real SMTP server."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlmodel import select

from api.mail import outbox
from api.mail.worker import deliver_due, message_id, run_once
from api.platform.errors import Conflict, InvalidInput
from api.platform.models import Invitation, Outbox, utcnow
from api.setup import rounds
from api.survey import mailing
from api.survey.invitations import emailed_token, hash_token
from tests.builders import (
    SLUG,
    VERSION,
    addresses,
    all_answers,
    complete_survey,
    invite_by_mail,
    make_institution,
    make_round,
    make_unit,
    outbox_rows,
    recipient_rows,
)
from tests.mail.smtp import free_port, with_smtp


@pytest.fixture
def world(session, catalog):
    """Hogeschool Rijnland, its practoraat Zorginnovatie and an open round closing in 30 days."""
    institution = make_institution(session, "Hogeschool Rijnland")
    unit = make_unit(session, institution, "Practoraat Zorginnovatie")
    round_ = make_round(session, catalog, institution)
    return round_, unit


def test_five_colleagues_invited_by_mail_each_get_one_link_that_opens_the_survey_in_their_language(
    session, world, settings, mail_settings, smtp, engine, client
):
    round_, unit = world
    dutch, english = addresses(3), addresses(2)
    assert invite_by_mail(session, round_, unit, dutch, secret_key=settings.secret_key) == 3
    assert invite_by_mail(session, round_, unit, english, secret_key=settings.secret_key,
                          lang="en") == 2

    assert deliver_due(engine, mail_settings) == 5

    assert sorted(mail.to for mail in smtp.received) == sorted(dutch + english)
    assert len({mail.link for mail in smtp.received}) == 5  # everyone their own link
    for mail in smtp.received:
        lang = "nl" if mail.to in dutch else "en"
        assert mail.lang == lang and mail.message["To"] == mail.to
        assert ("anoniem" if lang == "nl" else "anonymous") in mail.text
        assert mail.link in mail.html  # the HTML alternative carries the same link
        page = client.get(mail.link_path)
        assert page.status_code == 200
        assert BeautifulSoup(page.text, "html.parser").html["lang"] == lang
    assert Counter(row.status for row in outbox_rows(engine)) == {"sent": 5}


def test_no_personal_link_is_stored_only_its_hash(session, world, settings, mail_settings, smtp,
                                                   engine):
    round_, unit = world
    invite_by_mail(session, round_, unit, addresses(2), secret_key=settings.secret_key)
    deliver_due(engine, mail_settings)

    tokens = [mail.link_path.split("/s/")[1].split("?")[0] for mail in smtp.received]
    with engine.connect() as conn:
        stored = " ".join(str(row) for table in ("outbox", "recipient", "invitation")
                          for row in conn.execute(sa.text(f"SELECT * FROM {table}")))
    assert tokens and not any(token in stored for token in tokens)
    with engine.connect() as conn:
        hashes = set(conn.execute(select(Invitation.token_hash)).scalars())
    assert {hash_token(token) for token in tokens} <= hashes


def test_a_colleague_invited_twice_gets_one_invitation(session, world, settings, mail_settings, smtp,
                                                       engine):
    round_, unit = world
    assert invite_by_mail(session, round_, unit, ["Els@HS-test.nl", "els@hs-test.nl", "jan@hs-test.nl"],
                          secret_key=settings.secret_key) == 2
    assert invite_by_mail(session, round_, unit, [" ELS@hs-test.nl ", "", "piet@hs-test.nl"],
                          secret_key=settings.secret_key) == 1

    deliver_due(engine, mail_settings)
    assert sorted(mail.to for mail in smtp.received) == ["els@hs-test.nl", "jan@hs-test.nl",
                                                          "piet@hs-test.nl"]
    assert [r.email for r in recipient_rows(engine)] == ["els@hs-test.nl", "jan@hs-test.nl",
                                                          "piet@hs-test.nl"]


def test_a_list_with_bad_addresses_is_refused_naming_every_one_and_nothing_is_stored(
    session, world, settings, engine
):
    round_, unit = world
    with pytest.raises(InvalidInput) as refused:
        invite_by_mail(session, round_, unit,
                       ["goed@hs-test.nl", "geen-apenstaartje", "twee@@hs-test.nl", "ok@hs-test.nl",
                        "spatie in@hs-test.nl"], secret_key=settings.secret_key)
    session.rollback()
    for bad in ("geen-apenstaartje", "twee@@hs-test.nl", "spatie in@hs-test.nl"):
        assert bad in refused.value.detail
    assert "goed@hs-test.nl" not in refused.value.detail
    assert outbox_rows(engine) == [] and recipient_rows(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(sa.func.count()).select_from(Invitation)).scalar_one() == 0


def test_a_reminder_reaches_only_those_who_have_not_answered_and_only_once_a_day(
    session, world, settings, mail_settings, smtp, engine, client, catalog
):
    round_, unit = world
    invited = addresses(5)
    invite_by_mail(session, round_, unit, invited, secret_key=settings.secret_key)
    deliver_due(engine, mail_settings)
    answered = smtp.received[0]
    token = answered.link_path.split("/s/")[1].split("?")[0]
    questionnaire = catalog.get(SLUG, VERSION)
    assert complete_survey(client, questionnaire, token, all_answers(questionnaire)).status_code == 200

    today = mailing.local_today()
    assert mailing.send_reminders(session, round_=round_, today=today) == 4
    session.commit()
    assert deliver_due(engine, mail_settings) == 4
    reminders = smtp.received[5:]
    assert sorted(mail.to for mail in reminders) == sorted(set(invited) - {answered.to})
    assert all(mail.subject.startswith("Herinnering") for mail in reminders)
    assert all(client.get(mail.link_path).status_code == 200 for mail in reminders)

    assert mailing.send_reminders(session, round_=round_, today=today) == 0  # same day: none
    session.commit()
    assert deliver_due(engine, mail_settings) == 0
    assert len(smtp.received) == 9
    assert mailing.send_reminders(session, round_=round_, today=today + timedelta(days=1)) == 4
    session.commit()


def test_the_scheduled_reminder_goes_out_once_when_its_day_comes(session, world, settings,
                                                                 mail_settings, smtp, engine):
    round_, unit = world  # closes in 30 days
    invite_by_mail(session, round_, unit, addresses(3), secret_key=settings.secret_key)
    mailing.schedule_reminder(session, round_=round_, days_before_close=7)
    session.commit()

    run_once(engine, mail_settings)  # 23 days early: only the invitations
    assert len(smtp.received) == 3
    day = round_.closes_at - timedelta(days=7) + timedelta(hours=1)
    run_once(engine, mail_settings, now=day)
    assert len(smtp.received) == 6
    assert all("Herinnering" in mail.subject for mail in smtp.received[3:])
    run_once(engine, mail_settings, now=day + timedelta(minutes=5))
    run_once(engine, mail_settings, now=day + timedelta(days=2))
    assert len(smtp.received) == 6


def test_queueing_the_same_mail_twice_sends_it_once(session, mail_settings, smtp, engine):
    first = outbox.enqueue(session, key="account:41", template="password_reset", to="a@hs-test.nl",
                           lang="nl", params={"name": "Anna"})
    again = outbox.enqueue(session, key="account:41", template="password_reset", to="a@hs-test.nl",
                           lang="nl", params={"name": "Anna"})
    session.commit()
    assert (first, again) == (True, False)
    assert deliver_due(engine, mail_settings) == 1
    assert len(outbox_rows(engine)) == 1 and len(smtp.received) == 1
    assert "Anna" in smtp.received[0].text


def test_when_the_mail_server_is_down_the_mail_waits_longer_each_time_and_the_error_shows(
    session, world, settings, engine, smtp
):
    round_, unit = world
    down = with_smtp(settings, free_port())  # nothing listens there
    [address] = addresses(1)
    invite_by_mail(session, round_, unit, [address], secret_key=settings.secret_key)
    start = utcnow()

    assert deliver_due(engine, down, now=start) == 0
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == start + timedelta(minutes=1)
    status = outbox.delivery_status(session, round_.id)
    session.commit()
    assert status.counts["pending"] == 1 and status.counts["sent"] == 0
    [error] = status.last_errors
    assert error.to_address == address and "refused" in error.error.lower()

    assert deliver_due(engine, down, now=start + timedelta(seconds=30)) == 0  # not due yet
    assert outbox_rows(engine)[0].attempts == 1
    later = start + timedelta(minutes=1)
    deliver_due(engine, down, now=later)
    assert outbox_rows(engine)[0].next_attempt_at == later + timedelta(minutes=5)

    back = with_smtp(settings, smtp.port)
    assert deliver_due(engine, back, now=later + timedelta(minutes=5)) == 1
    assert [mail.to for mail in smtp.received] == [address]
    status = outbox.delivery_status(session, round_.id)
    assert status.counts["sent"] == 1 and status.last_errors == []


def test_a_mail_that_keeps_failing_is_given_up_after_the_last_attempt(session, world, settings, engine):
    round_, unit = world
    down = with_smtp(settings, free_port(), mail_max_attempts=3)
    invite_by_mail(session, round_, unit, addresses(1), secret_key=settings.secret_key)
    moment = utcnow()
    for _ in range(3):
        deliver_due(engine, down, now=moment)
        moment = outbox_rows(engine)[0].next_attempt_at
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("failed", 3)
    assert outbox.delivery_status(session, round_.id).counts["failed"] == 1


def test_a_mail_the_server_puts_off_is_sent_again_with_the_same_message_id(
    session, world, settings, mail_settings, smtp, engine
):
    round_, unit = world
    invite_by_mail(session, round_, unit, addresses(1), secret_key=settings.secret_key)
    put_off = []

    def busy_first(number, message):
        if number == 1:
            put_off.append(message["Message-ID"])
            return "451 4.3.0 Mailbox busy, try again later"
        return None

    smtp.inbox.on_data = busy_first
    start = utcnow()
    assert deliver_due(engine, mail_settings, now=start) == 0
    assert "451" in outbox_rows(engine)[0].last_error
    assert deliver_due(engine, mail_settings, now=start + timedelta(minutes=1)) == 1
    [row] = outbox_rows(engine)
    assert smtp.received[0].message["Message-ID"] == put_off[0] == message_id(row.id, row.key,
                                                                             "hs-test.nl")


def test_when_the_server_hangs_up_mid_batch_the_rest_go_out_on_the_next_pass(
    session, world, settings, mail_settings, smtp, engine
):
    round_, unit = world
    invited = addresses(3)
    invite_by_mail(session, round_, unit, invited, secret_key=settings.secret_key)
    smtp.inbox.on_data = lambda number, message: "421 4.3.2 Shutting down" if number == 2 else None

    assert deliver_due(engine, mail_settings) == 1
    rows = outbox_rows(engine)
    assert [(row.status, row.attempts) for row in rows] == [("sent", 1), ("pending", 1), ("pending", 0)]
    assert "421" in rows[1].last_error
    assert deliver_due(engine, mail_settings) == 1  # the third, not tried before, goes at once
    assert sorted(mail.to for mail in smtp.received) == sorted([invited[0], invited[2]])


def test_an_address_the_server_does_not_know_is_given_up_at_once_and_named(
    session, world, settings, mail_settings, smtp, engine
):
    round_, unit = world
    invite_by_mail(session, round_, unit, ["weg@hs-test.nl", "er@hs-test.nl"],
                   secret_key=settings.secret_key)
    smtp.inbox.on_data = lambda number, message: (
        "550 5.1.1 No such user" if message["To"] == "weg@hs-test.nl" else None)

    assert deliver_due(engine, mail_settings) == 1
    status = outbox.delivery_status(session, round_.id)
    assert status.counts["failed"] == 1 and status.counts["sent"] == 1
    assert [(e.to_address, e.error) for e in status.last_errors] == [
        ("weg@hs-test.nl", "550 5.1.1 No such user")]


def test_once_the_round_is_closed_no_address_remains(session, world, settings, mail_settings, smtp,
                                                     engine):
    round_, unit = world
    invite_by_mail(session, round_, unit, addresses(3) + ["weg@hs-test.nl"],
                   secret_key=settings.secret_key)
    smtp.inbox.on_data = lambda number, message: (
        "550 5.1.1 <weg@hs-test.nl>: no such user" if message["To"] == "weg@hs-test.nl" else None)
    deliver_due(engine, mail_settings)
    invite_by_mail(session, round_, unit, addresses(1), secret_key=settings.secret_key)  # not sent yet

    rounds.close_round(session=session, round_=round_, default_k=5)

    assert recipient_rows(engine) == []
    rows = outbox_rows(engine)
    assert [row.to_address for row in rows] == [""] * 5
    assert not any("@" in str(row) for row in rows)  # nor in an error the server gave
    assert Counter(row.status for row in rows) == {"sent": 3, "failed": 2}
    assert deliver_due(engine, mail_settings) == 0 and len(smtp.received) == 3
    assert outbox.delivery_status(session, round_.id).counts == {
        "pending": 0, "sending": 0, "sent": 3, "failed": 2}
    with pytest.raises(Conflict):
        mailing.send_reminders(session, round_=round_, today=mailing.local_today())
    with pytest.raises(Conflict):
        invite_by_mail(session, round_, unit, addresses(1), secret_key=settings.secret_key)


def test_invitations_to_a_round_that_has_not_opened_go_out_when_it_opens(
    session, catalog, settings, mail_settings, smtp, engine, client
):
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution, state="not_open")
    invite_by_mail(session, round_, unit, addresses(2), secret_key=settings.secret_key)

    assert deliver_due(engine, mail_settings) == 0
    assert deliver_due(engine, mail_settings, now=round_.opens_at) == 2
    assert len(smtp.received) == 2


def test_the_worker_forgets_the_addresses_of_a_round_whose_closing_time_passed(
    session, world, settings, mail_settings, smtp, engine
):
    round_, unit = world
    invite_by_mail(session, round_, unit, addresses(2), secret_key=settings.secret_key)
    run_once(engine, mail_settings)
    assert len(recipient_rows(engine)) == 2

    run_once(engine, mail_settings, now=round_.closes_at + timedelta(seconds=1))

    assert recipient_rows(engine) == []
    assert {row.to_address for row in outbox_rows(engine)} == {""}


def test_the_survey_link_of_an_emailed_invitation_is_the_one_its_mail_carries(
    session, world, settings, mail_settings, smtp, engine
):
    round_, unit = world
    invite_by_mail(session, round_, unit, addresses(1), secret_key=settings.secret_key)
    deliver_due(engine, mail_settings)
    [row] = outbox_rows(engine)
    token = emailed_token(secret_key=settings.secret_key, invitation_id=row.link_ref)
    assert smtp.received[0].link == f"{settings.base_url}/s/{token}?lang=nl"
    assert session.exec(select(Outbox)).one().key == f"invite:{row.link_ref}"
