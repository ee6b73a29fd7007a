"""Login and logout of board members, coordinators and administrators; choosing a password by a
one-time link, a forgotten password, and changing it."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, SettingsDep
from api.platform.errors import DomainError
from api.setup import account_admin, account_links, accounts, two_factor
from web.access import SESSION_COOKIE, SESSION_MAX_AGE, CurrentAccount, current_account, serializer
from web.auth import two_factor as two_factor_pages
from web.pages import language, render

router = APIRouter(tags=["auth"], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only paths on this site, never another host."""
    if not target:
        return "/dashboard"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/dashboard"
    return target


@router.get("/login", name="login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None):
    return render(request, "auth/login.html", {"next": _safe_next(next), "email": "",
                                               "error": None})


@router.post("/login", name="login_post")
def login(request: Request, session: SessionDep, form: FormPairs):
    data = dict(form)
    email, password = data.get("email", "")[:254], data.get("password", "")[:1024]
    target = _safe_next(data.get("next"))
    client = request.client.host if request.client else "unknown"
    try:
        account = accounts.authenticate(session=session, email=email, password=password,
                                        client=client)
    except (accounts.LoginFailed, accounts.TooManyAttempts, accounts.PasswordSignInOff) as exc:
        page = render(request, "auth/login.html",
                      {"next": target, "email": email, "error": exc}, status_code=exc.status_code)
        if "retry_after" in exc.params:
            page.headers["Retry-After"] = str(exc.params["retry_after"])
        return page
    if two_factor.is_enrolled(session=session, account=account):  # the code comes next
        return two_factor_pages.ask_for_code(request, account, target)
    return _logged_in(request, RedirectResponse(target, status_code=303), account)


def _logged_in(request: Request, response, account, via: str = "password"):
    """Give this browser a session cookie for the account's current session version; `via`
    "oidc" marks a sign-in through the institution's provider (see `web.access`)."""
    claim = {"a": account.id, "v": account.session_version, **({"m": via} if via != "password"
                                                               else {})}
    response.set_cookie(
        SESSION_COOKIE, serializer(request).dumps(claim),
        max_age=SESSION_MAX_AGE, httponly=True, samesite="lax",
        secure=request.url.scheme == "https")
    return response


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep):
    """Ends the session on the server too: a copied cookie no longer opens anything."""
    account = current_account(request, session)
    if account is not None:
        account_admin.log_out(session=session, account=account)
    response = RedirectResponse(request.url_for("login").include_query_params(uit="1"),
                                status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- a one-time link: choose a password ------------------------------------------------------

def _link_page(request: Request, template: str, context: dict, status_code: int = 200):
    page = render(request, template, context, status_code=status_code)
    page.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's URL
    page.headers["Cache-Control"] = "no-store"
    return page


def _link_gone(request: Request, exc: DomainError):
    return _link_page(request, "auth/link_gone.html", {"code": exc.code},
                      status_code=exc.status_code)


@router.get("/account/activeren/{token}", name="account_set_password",
            response_class=HTMLResponse)
def set_password_page(request: Request, token: str, session: SessionDep):
    try:
        link = account_links.open_link(session, token=token)
    except (account_links.LinkUnknown, account_links.LinkGone) as exc:
        return _link_gone(request, exc)
    return _link_page(request, "auth/set_password.html", {
        "token": token, "purpose": link.purpose, "errors": {}, "email": link.email,
        "minimum": accounts.MIN_PASSWORD_LENGTH})


@router.post("/account/activeren/{token}", name="account_set_password_post")
def set_password(request: Request, token: str, session: SessionDep, form: FormPairs):
    data = dict(form)
    try:
        account = account_links.redeem(session, token=token, password=data.get("password", ""),
                                       repeat=data.get("repeat", ""))
    except (account_links.LinkUnknown, account_links.LinkGone) as exc:
        session.rollback()
        return _link_gone(request, exc)
    except DomainError as exc:
        session.rollback()
        link = account_links.open_link(session, token=token)
        field = "repeat" if exc.params.get("field") == "repeat" else "password"
        return _link_page(request, "auth/set_password.html", {
            "token": token, "purpose": link.purpose, "errors": {field: (exc.code, exc.params)},
            "email": link.email, "minimum": accounts.MIN_PASSWORD_LENGTH}, status_code=422)
    if two_factor.is_enrolled(session=session, account=account):  # a reset link is no 2nd step
        return two_factor_pages.ask_for_code(request, account, "/dashboard")
    return _logged_in(request, RedirectResponse(request.url_for("dashboards"), status_code=303),
                      account)


# --- a forgotten password --------------------------------------------------------------------

@router.get("/wachtwoord-vergeten", name="password_forgotten", response_class=HTMLResponse)
def forgotten_page(request: Request):
    return render(request, "auth/forgotten.html", {"sent": False, "email": ""})


@router.post("/wachtwoord-vergeten", name="password_forgotten_post", response_class=HTMLResponse)
def forgotten(request: Request, session: SessionDep, form: FormPairs, settings: SettingsDep):
    """The same page and status whether or not the address has an account, was throttled, or
    was revoked: the answer tells nobody which addresses exist."""
    email = dict(form).get("email", "")[:254]
    if email.strip():
        account_admin.request_reset(session=session, email=email, client=_client(request),
                                    lang=language(request), secret_key=settings.secret_key)
    return render(request, "auth/forgotten.html", {"sent": bool(email.strip()), "email": ""})


# --- change your password --------------------------------------------------------------------

def _change_page(request: Request, *, errors: dict | None = None, done: bool = False,
                 status_code: int = 200):
    return render(request, "auth/change_password.html", {
        "errors": errors or {}, "done": done, "minimum": accounts.MIN_PASSWORD_LENGTH},
        status_code=status_code)


@router.get("/account/wachtwoord", name="password_change", response_class=HTMLResponse)
def change_page(request: Request, account: CurrentAccount):
    return _change_page(request, done=request.query_params.get("done") == "changed")


@router.post("/account/wachtwoord", name="password_change_post")
def change(request: Request, session: SessionDep, account: CurrentAccount, form: FormPairs):
    data = dict(form)
    try:
        account_admin.change_password(session=session, account=account,
                                      current=data.get("current", "")[:1024],
                                      new=data.get("new", ""), repeat=data.get("repeat", ""))
    except DomainError as exc:
        session.rollback()
        field = exc.params.get("field", "current")
        return _change_page(request, errors={field: (exc.code, exc.params)}, status_code=422)
    response = RedirectResponse(request.url_for("password_change").include_query_params(
        done="changed"), status_code=303)
    return _logged_in(request, response, account)
