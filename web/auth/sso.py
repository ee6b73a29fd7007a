"""Sign-in through OpenID Connect (SURFconext): the button's start and the provider's callback.

The state, nonce and PKCE code verifier of a started sign-in live in a signed cookie of their own
(its own salt, ten minutes, `SameSite=Lax` so it comes back with the provider's redirect); the
callback turns a trusted answer into the same session cookie a password sign-in gives.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature

from api.platform.db import SessionDep
from api.platform.deps import SettingsDep
from api.platform.errors import DomainError, NotFound
from api.setup import sso
from web.access import serializer
from web.pages import render

router = APIRouter(tags=["auth"], include_in_schema=False)

SSO_COOKIE = "ks_sso"
SSO_SALT = "ks-sso-pending"
SSO_MAX_AGE = 10 * 60
CALLBACK_PATH = "/login/sso/terug"


def _redirect_uri(settings) -> str:
    """The public address the provider sends the browser back to (registered there)."""
    return settings.base_url + CALLBACK_PATH


def _refused(request: Request, exc: DomainError):
    page = render(request, "auth/sso_refused.html", {"code": exc.code, "params": exc.params},
                  status_code=exc.status_code)
    page.headers["Cache-Control"] = "no-store"
    page.delete_cookie(SSO_COOKIE, path="/login/sso")  # as it was set: a refused try is over
    return page


@router.get("/login/sso", name="sso_start")
def sso_start(request: Request, settings: SettingsDep, next: str | None = None):
    from web.auth.routes import _safe_next

    if not settings.oidc_configured:
        raise NotFound("Sign-in through OpenID Connect is not set up here.")
    try:
        url, pending = sso.start(settings=settings, redirect_uri=_redirect_uri(settings))
    except DomainError as exc:
        return _refused(request, exc)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(SSO_COOKIE, serializer(request, salt=SSO_SALT).dumps(
        {**pending, "t": _safe_next(next)}), max_age=SSO_MAX_AGE, httponly=True,
        samesite="lax", secure=request.url.scheme == "https", path="/login/sso")
    return response


def _pending(request: Request) -> dict | None:
    raw = request.cookies.get(SSO_COOKIE)
    if not raw:
        return None
    try:
        data = serializer(request, salt=SSO_SALT).loads(raw, max_age=SSO_MAX_AGE)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and {"s", "n", "c", "t"} <= data.keys() else None


@router.get(CALLBACK_PATH, name="sso_callback", response_class=HTMLResponse)
def sso_callback(request: Request, session: SessionDep, settings: SettingsDep):
    from web.auth.routes import _logged_in, _safe_next

    if not settings.oidc_configured:
        raise NotFound("Sign-in through OpenID Connect is not set up here.")
    pending = _pending(request)
    params = {key: value[:4000] for key, value in request.query_params.items()}
    try:
        account = sso.finish(session=session, settings=settings, pending=pending, params=params,
                             redirect_uri=_redirect_uri(settings))
    except DomainError as exc:
        session.rollback()
        return _refused(request, exc)
    response = _logged_in(request, RedirectResponse(_safe_next(pending["t"]), status_code=303),
                          account, via="oidc")
    response.delete_cookie(SSO_COOKIE, path="/login/sso")
    return response
