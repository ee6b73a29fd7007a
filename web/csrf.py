"""CSRF protection for every form: a signed double-submit token.

The browser holds a random value in an HttpOnly cookie; every form carries an HMAC of that value
made with the secret key. Another site can make the browser send the cookie, but cannot read it
to compute the form token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from api.platform.deps import FormFields
from api.platform.errors import CsrfFailed

CSRF_COOKIE = "ks_csrf"
CSRF_FIELD = "csrf_token"


def _sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token for forms on this page; makes the cookie value when the browser has none."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf = value
    return _sign(request.app.state.settings.secret_key, value)


def set_new_csrf_cookie(request: Request, response) -> None:
    value = getattr(request.state, "new_csrf", None)
    if value:
        response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", path="/",
                            secure=request.url.scheme == "https")


async def verify_csrf(request: Request, form: FormFields) -> None:
    """Dependency for every page router: a POST must carry the token of the cookie it sends.
    (Its values are checked by the route's own `FormPairs` or, on the survey, its parser.)
    `async def`: it does no I/O (the form is read by `FormFields`), and a plain `def` would cost
    every page request a round trip through the thread pool."""
    if request.method != "POST":
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = next((value for name, value in form if name == CSRF_FIELD), "")
    expected = _sign(request.app.state.settings.secret_key, cookie) if cookie else ""
    if not cookie or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed("The form was not sent from a page of this site, or it expired.")
