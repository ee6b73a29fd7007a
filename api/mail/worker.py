"""The mail worker: claims due mail from the outbox, renders it and sends it over SMTP.

It runs as a daemon thread of the app (`mail_worker`, the default) or on its own with
`kennisster worker`; any number of them can run at once, since claiming is exclusive. A mail is
marked sent right after the server's 250, in its own commit, so a worker killed at any moment
resends at most the one mail it was sending, with the same Message-ID.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import Engine

from api.mail import messages, outbox
from api.mail.links import make_link
from api.platform import polling
from api.platform.db import session_scope
from api.platform.models import utcnow
from api.platform.settings import Settings
from api.survey import mailing  # also registers the survey link
from api.webhooks import endpoints as _webhooks  # noqa: F401  (registers the webhooks link)

log = logging.getLogger("kennisster.mail")
_wake = threading.Event()


def wake() -> None:
    """Tell the worker in this process to look at the outbox now (call after your commit)."""
    _wake.set()


def message_id(outbox_id: int, key: str, domain: str) -> str:
    """The same for every attempt at one outbox row, so a resent mail is recognisable."""
    return f"<outbox-{outbox_id}.{hashlib.sha256(key.encode()).hexdigest()[:16]}@{domain}>"


def _sender_domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or urlsplit(settings.base_url).hostname or "localhost"


def _with_lang(url: str, lang: str) -> str:
    """The link opens the pages in the language of the mail."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({"lang": lang})) if q)
    return urlunsplit(parts._replace(query=query))


def build_message(session, settings: Settings, job: outbox.Claimed) -> EmailMessage:
    """The e-mail of one claimed outbox row, its link made now from the row's reference."""
    link = make_link(session, settings, job.link_kind, job.link_ref) if job.link_kind else ""
    rendered = messages.render(job.template, job.lang, job.params,
                               link=_with_lang(link, job.lang) if link else "")
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = settings.mail_from
    msg["To"] = job.to_address
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(job.id, job.key, _sender_domain(settings))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    msg["Content-Language"] = job.lang  # after the content: setting it clears Content-* headers
    return msg


@contextmanager
def smtp_connection(settings: Settings) -> Iterator[smtplib.SMTP]:
    """One connection for a batch, secured as configured (STARTTLS, TLS from the start, or none)."""
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    if settings.smtp_security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                              timeout=settings.smtp_timeout_seconds, context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                            timeout=settings.smtp_timeout_seconds)
    try:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        yield smtp
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _permanent(exc: Exception) -> bool:
    """A 5xx answer about the recipient or the message will not change by trying again; a 4xx, a
    network error, or a refused sender (our settings, which an administrator can fix) may."""
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {reply.decode(errors='replace')}"
                         for code, reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        return f"{exc.smtp_code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
    return f"{type(exc).__name__}: {exc}"


def deliver_due(engine: Engine, settings: Settings, *, limit: int | None = None,
                now: datetime | None = None) -> int:
    """Send one batch of due mail over one SMTP connection; returns how many were delivered.

    A mail that cannot be sent goes back to wait (1, 5, 25 minutes …) with its error kept for
    the invitations page, or is given up when the server refused it for good.
    """
    now = now or utcnow()
    attempts = settings.mail_max_attempts

    def failed(job: outbox.Claimed, exc: Exception | str, *, permanent: bool = False) -> None:
        error = exc if isinstance(exc, str) else _describe(exc)
        log.warning("Mail %s (%s) not sent: %s", job.id, job.key, error)
        with session_scope(engine, write=True) as session:
            outbox.mark_failed(session, job.id, error=error, now=now, permanent=permanent,
                               max_attempts=attempts)
            session.commit()

    with session_scope(engine, write=True) as session:
        jobs = outbox.claim(session, limit=limit or settings.mail_batch_size, now=now,
                            lease=timedelta(seconds=settings.mail_lease_seconds),
                            max_attempts=attempts)
    if not jobs:
        return 0
    ready: list[tuple[outbox.Claimed, EmailMessage]] = []
    with session_scope(engine) as session:
        for job in jobs:
            if not job.to_address:
                failed(job, "The address was deleted when the round closed.", permanent=True)
                continue
            try:
                ready.append((job, build_message(session, settings, job)))
            except Exception as exc:  # a template or link that cannot be made will not heal
                failed(job, exc, permanent=True)
    if not ready:
        return 0
    envelope_from = parseaddr(settings.mail_from)[1]
    delivered = 0
    try:
        with smtp_connection(settings) as smtp:
            for position, (job, msg) in enumerate(ready):
                try:
                    smtp.send_message(msg, from_addr=envelope_from, to_addrs=[job.to_address])
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                        smtplib.SMTPDataError) as exc:
                    failed(job, exc, permanent=_permanent(exc))
                    connected = smtp.sock is not None  # smtplib hangs up after a 421
                except (smtplib.SMTPException, OSError) as exc:  # the connection is gone
                    failed(job, exc)
                    connected = False
                else:
                    with session_scope(engine, write=True) as session:
                        outbox.mark_sent(session, job.id, now=utcnow())
                        session.commit()
                    delivered += 1
                    connected = True
                if not connected:  # the rest wait for the next pass, no attempt counted
                    with session_scope(engine, write=True) as session:
                        outbox.release(session, [j.id for j, _ in ready[position + 1:]])
                        session.commit()
                    return delivered
    except (smtplib.SMTPException, OSError) as exc:  # could not connect, log in or STARTTLS
        for job, _ in ready:  # (nothing was sent: errors after that are handled above)
            failed(job, exc)
    return delivered


def run_once(engine: Engine, settings: Settings, *, now: datetime | None = None) -> int:
    """One pass: queue scheduled reminders, forget the addresses of closed rounds, send what is
    due (batch after batch while batches come back full)."""
    with session_scope(engine, write=True) as session:
        mailing.due_scheduled_reminders(session, now=now)
        mailing.forget_addresses(session, now=now)
        session.commit()
    total = 0
    while True:
        sent = deliver_due(engine, settings, now=now)
        total += sent
        if sent < settings.mail_batch_size:
            return total


def run_worker(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    """Loop until `stop` is set: a pass, then wait `mail_poll_seconds` or until `wake()`."""
    log.info("Mail worker started (SMTP %s:%s, %s)", settings.smtp_host, settings.smtp_port,
             settings.smtp_security)
    polling.run_until_stopped(name="Mail worker", one_pass=lambda: run_once(engine, settings),
                              poll_seconds=settings.mail_poll_seconds, wake=_wake, stop=stop,
                              log=log)
    log.info("Mail worker stopped")


def start_in_thread(engine: Engine, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    """The worker as a daemon thread of the app; set the event and `wake()` to stop it."""
    return polling.start_daemon(run_worker, (engine, settings), name="kennisster-mail")
