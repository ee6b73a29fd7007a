"""A real OpenID provider on loopback for the sign-in tests: `oidc-provider-mock` (built on
Authlib's server side, Flask) in a thread, with discovery, a JWKS, RS256-signed id tokens,
registered clients (secret and redirect URI checked) and nonces required.

That package's version for Python 3.11 (0.3.x) does not check PKCE, so `Pkce` wraps it with
RFC 7636 as a provider applies it: an authorization request must carry an S256
`code_challenge`, and the token request for the code it produced must bring the `code_verifier`
that hashes to it, or the provider answers `invalid_grant`. The same provider is also mounted
under `/ander`, where its discovery document names the root as issuer: a provider that says it is
another one than the URL configured.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import werkzeug.serving
from werkzeug.middleware.dispatcher import DispatcherMiddleware

REDIRECT_URI = "http://testserver/login/sso/terug"


class Pkce:
    """WSGI wrapper: the provider refuses a code flow without S256 PKCE, or with a wrong
    verifier."""

    def __init__(self, app) -> None:
        self.app = app
        self.challenges: dict[str, str] = {}  # code → code_challenge
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.endswith("/oauth2/authorize"):
            return self._authorize(environ, start_response)
        if path.endswith("/oauth2/token") and environ.get("REQUEST_METHOD") == "POST":
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _authorize(self, environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        challenge = query.get("code_challenge", [""])[0]
        if not challenge or query.get("code_challenge_method", [""])[0] != "S256":
            return _json(start_response, "400 Bad Request",
                         {"error": "invalid_request", "error_description": "PKCE S256 required"})

        def remember(status, headers, *rest):
            for name, value in headers:
                if name.lower() == "location":
                    code = parse_qs(urlsplit(value).query).get("code", [""])[0]
                    if code:
                        with self.lock:
                            self.challenges[code] = challenge
            return start_response(status, headers, *rest)

        return self.app(environ, remember)

    def _token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        form = parse_qs(body.decode())
        code = form.get("code", [""])[0]
        verifier = form.get("code_verifier", [""])[0]
        with self.lock:
            challenge = self.challenges.pop(code, None)
        if form.get("grant_type", [""])[0] == "authorization_code":
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if challenge is None or digest.rstrip(b"=").decode() != challenge:
                return _json(start_response, "400 Bad Request",
                             {"error": "invalid_grant",
                              "error_description": "code_verifier does not match"})
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


def _json(start_response, status: str, data: dict):
    body = json.dumps(data).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    pkce: Pkce

    def add_user(self, email: str, **claims: object) -> None:
        """A person the provider knows, with the claims it releases about them."""
        response = httpx.put(f"{self.issuer}/users/{quote(email)}",
                             json={"email": email, **claims}, timeout=5)
        assert response.status_code == 204, response.text

    def register(self, redirect_uri: str) -> tuple[str, str]:
        """Another client of the provider (a live server's own address): its id and secret."""
        registered = httpx.post(f"{self.issuer}/oauth2/clients",
                                json={"redirect_uris": [redirect_uri]}, timeout=5).json()
        return registered["client_id"], registered["client_secret"]

    def approve(self, authorize_url: str, email: str) -> str:
        """The person signs in at the provider: where the provider sends the browser back."""
        response = httpx.post(authorize_url, data={"sub": email}, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["location"]


@contextmanager
def running_provider() -> Iterator[Provider]:
    """Start the provider on 127.0.0.1 with a free port, register Kennisster as its client."""
    provider_app = oidc_provider_mock.app(require_client_registration=True, require_nonce=True)
    pkce = Pkce(DispatcherMiddleware(provider_app, {"/ander": provider_app}))
    server = werkzeug.serving.make_server("127.0.0.1", 0, pkce, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        issuer = f"http://127.0.0.1:{server.server_port}"
        registered = httpx.post(f"{issuer}/oauth2/clients", json={
            "redirect_uris": [REDIRECT_URI]}, timeout=5).json()
        yield Provider(issuer=issuer, client_id=registered["client_id"],
                       client_secret=registered["client_secret"], pkce=pkce)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
