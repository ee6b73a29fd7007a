"""Mail to a server that wants encryption and a login, as an institution's mail server does:
STARTTLS on the submission port, or TLS from the first byte, with the certificate checked."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from api.mail.worker import deliver_due
from tests.builders import addresses, invite_by_mail, make_institution, make_round, make_unit, outbox_rows
from tests.mail.smtp import Inbox, free_port, with_smtp


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, standing in for the institution's own CA."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return str(cert), str(key)


class Accounts:
    """The server's one account; remembers who logged in."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
                b"enquete@hs-test.nl", b"geheim wachtwoord"):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # it is TLS, see below
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_out_encrypted_and_logged_in(session, catalog, settings, engine, certificate,
                                               security):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, accounts, port = Inbox(), Accounts(), free_port()
    tls = ({"ssl_context": server_tls, "auth_require_tls": False}  # (aiosmtpd cannot tell it is TLS)
           if security == "tls" else {"tls_context": server_tls, "require_starttls": True})
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=accounts,
                            auth_required=True, **tls)
    controller.start()
    try:
        institution = make_institution(session)
        round_ = make_round(session, catalog, institution)
        invite_by_mail(session, round_, make_unit(session, institution), addresses(2),
                       secret_key=settings.secret_key)
        secured = with_smtp(settings, port, smtp_security=security, smtp_ca_file=cert,
                            smtp_user="enquete@hs-test.nl", smtp_password="geheim wachtwoord")

        assert deliver_due(engine, secured) == 2
        assert len(inbox.received) == 2 and accounts.logins == ["enquete@hs-test.nl"]

        untrusted = secured.model_copy(update={"smtp_ca_file": ""})  # the system does not know it
        invite_by_mail(session, round_, make_unit(session, institution), addresses(1),
                       secret_key=settings.secret_key)
        assert deliver_due(engine, untrusted) == 0
        assert "CERTIFICATE_VERIFY_FAILED" in outbox_rows(engine)[-1].last_error
    finally:
        controller.stop()
