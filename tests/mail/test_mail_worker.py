"""The mail worker as it runs in production: a process of its own that can be killed at any moment,
and several workers at once — every colleague still gets exactly one mail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from api.mail import worker
from api.mail.worker import deliver_due
from api.main import create_app
from api.platform.settings import ROOT
from tests.builders import addresses, invite_by_mail, make_institution, make_round, make_unit, outbox_rows
from tests.mail.smtp import with_smtp

pytestmark = pytest.mark.slow


def _worker_process(settings, smtp_port: int, data_dir) -> subprocess.Popen:
    """`kennisster worker` in its own process, configured through the environment only."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("KENNISSTER_") and name != "DATABASE_URL"}
    env.update({
        "KENNISSTER_ENVIRONMENT": "test",
        "KENNISSTER_DATABASE_URL": settings.database_url,
        "KENNISSTER_DATA_DIR": str(data_dir),
        "KENNISSTER_SECRET_KEY": settings.secret_key,
        "KENNISSTER_BASE_URL": settings.base_url,
        "KENNISSTER_SMTP_HOST": "127.0.0.1",
        "KENNISSTER_SMTP_PORT": str(smtp_port),
        "KENNISSTER_SMTP_SECURITY": "none",
        "KENNISSTER_MAIL_FROM": "Kennisster <kennisster@hs-test.nl>",
        "KENNISSTER_MAIL_POLL_SECONDS": "0.2",
        "KENNISSTER_MAIL_BATCH_SIZE": "10",  # all ten claimed at once: eight die with the worker
        "KENNISSTER_MAIL_LEASE_SECONDS": "2",  # so the restarted worker takes them over soon
    })
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_worker_killed_while_sending_the_third_of_ten_mails_leaves_everyone_exactly_one_mail(
    session, catalog, settings, smtp, engine, tmp_path
):
    institution = make_institution(session, "Hogeschool Rijnland")
    unit = make_unit(session, institution, "Practoraat Zorginnovatie")
    round_ = make_round(session, catalog, institution)
    invited = addresses(10)
    invite_by_mail(session, round_, unit, invited, secret_key=settings.secret_key)

    first = _worker_process(settings, smtp.port, tmp_path)

    def kill_while_receiving_the_third(number, message):
        if number == 3:  # before answering 250: the third mail was not delivered
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            return "421 4.3.0 Connection lost"
        return None

    smtp.inbox.on_data = kill_while_receiving_the_third
    try:
        first.wait(timeout=60)
    finally:
        first.kill()
    assert first.returncode == -signal.SIGKILL, first.stdout.read().decode()
    assert len(smtp.received) == 2

    smtp.inbox.on_data = None
    second = _worker_process(settings, smtp.port, tmp_path)
    try:
        smtp.inbox.wait_for(10, timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)  # stops gracefully after its pass
        output = second.communicate(timeout=30)[0].decode()
    assert second.returncode == 0, output

    assert Counter(mail.to for mail in smtp.received) == {address: 1 for address in invited}
    assert smtp.inbox.attempts == 11  # ten deliveries and the one cut off by the kill
    assert Counter(row.status for row in outbox_rows(engine)) == {"sent": 10}


def test_two_workers_at_once_send_each_of_twenty_mails_exactly_once(session, catalog, settings,
                                                                     mail_settings, smtp, engine):
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    invited = addresses(20)
    invite_by_mail(session, round_, unit, invited, secret_key=settings.secret_key)
    start = threading.Barrier(2)
    sent = []

    def one_worker() -> None:
        start.wait()
        mine = 0
        while (batch := deliver_due(engine, mail_settings, limit=3)) or _pending(engine):
            mine += batch
        sent.append(mine)

    threads = [threading.Thread(target=one_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(sent) == 20 and all(sent), sent  # both did part of the work
    assert Counter(mail.to for mail in smtp.received) == {address: 1 for address in invited}
    assert Counter(row.status for row in outbox_rows(engine)) == {"sent": 20}


def _pending(engine) -> bool:
    return any(row.status in ("pending", "sending") for row in outbox_rows(engine))


def test_the_app_sends_mail_from_its_own_thread_as_soon_as_it_is_woken(session, catalog, settings,
                                                                      smtp, app):
    institution = make_institution(session)
    unit = make_unit(session, institution)
    round_ = make_round(session, catalog, institution)
    sending_app = create_app(with_smtp(settings, smtp.port, mail_poll_seconds=300), warm_charts=False)
    with TestClient(sending_app):
        [thread] = [t for t in threading.enumerate() if t.name == "kennisster-mail"]
        invite_by_mail(session, round_, unit, addresses(2), secret_key=settings.secret_key)
        worker.wake()  # what a page does after the commit that queued mail
        assert len(smtp.inbox.wait_for(2, timeout=20)) == 2
    assert not thread.is_alive()  # stopped with the app
    sending_app.state.engine.dispose()
