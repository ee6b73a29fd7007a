"""Two-factor sign-in pages: the code after the password, enrolment with a QR code, recovery
codes shown once, and the account page's section (regenerate, switch off where optional).

After a right password an account with two-factor sign-in gets no session yet, only a signed
"pending" cookie (5 minutes, its own salt so it can never pass for a session) naming the account
and its session version; the code page turns it into the normal session.
"""

from __future__ import annotations

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature
from markupsafe import Markup

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, SettingsDep
from api.platform.errors import DomainError
from api.platform.models import Account
from api.setup import accounts, two_factor
from web.access import CurrentAccount, serializer
from web.pages import render

router = APIRouter(tags=["auth"], include_in_schema=False)

PENDING_COOKIE = "ks_pending"
PENDING_SALT = "ks-two-factor-pending"
PENDING_MAX_AGE = 5 * 60


def _safe_next(target: str | None) -> str:
    from web.auth.routes import _safe_next as safe  # one rule for every ?next=

    return safe(target)


def _private(page):
    page.headers["Cache-Control"] = "no-store"  # a secret or recovery codes may be on it
    return page


# --- the second step of a sign-in ----------------------------------------------------------------

def ask_for_code(request: Request, account: Account, target: str) -> RedirectResponse:
    """Called by the login after a right password: no session yet, a pending cookie instead."""
    response = RedirectResponse(request.url_for("login_code").include_query_params(
        next=target), status_code=303)
    response.set_cookie(
        PENDING_COOKIE, serializer(request, salt=PENDING_SALT).dumps(
            {"a": account.id, "v": account.session_version}),
        max_age=PENDING_MAX_AGE, httponly=True, samesite="lax",
        secure=request.url.scheme == "https")
    return response


def _pending_account(request: Request, session) -> Account | None:
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw:
        return None
    try:
        data = serializer(request, salt=PENDING_SALT).loads(raw, max_age=PENDING_MAX_AGE)
        claim = accounts.SessionClaim(account_id=int(data["a"]), version=int(data["v"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    return accounts.account_for_claim(session=session, claim=claim)


def _code_page(request: Request, target: str, errors: dict | None = None,
               status_code: int = 200):
    return _private(render(request, "auth/login_code.html", {
        "next": target, "errors": errors or {}}, status_code=status_code))


@router.get("/login/code", name="login_code", response_class=HTMLResponse)
def code_page(request: Request, session: SessionDep, next: str | None = None):
    if _pending_account(request, session) is None:
        return RedirectResponse(request.url_for("login").include_query_params(
            next=_safe_next(next)), status_code=303)
    return _code_page(request, _safe_next(next))


@router.post("/login/code", name="login_code_post")
def code(request: Request, session: SessionDep, form: FormPairs, settings: SettingsDep):
    from web.auth.routes import _logged_in

    data = dict(form)
    target = _safe_next(data.get("next"))
    account = _pending_account(request, session)
    if account is None:  # expired, or never had the right password
        return RedirectResponse(request.url_for("login").include_query_params(next=target),
                                status_code=303)
    try:
        two_factor.verify(session=session, account=account, code=data.get("code", "")[:64],
                          secret_key=settings.secret_key)
    except DomainError as exc:
        session.commit()  # the wrong code counts towards the lock
        page = _code_page(request, target, {"code": (exc.code, exc.params)},
                          status_code=exc.status_code)
        if "retry_after" in exc.params:
            page.headers["Retry-After"] = str(exc.params["retry_after"])
        return page
    session.commit()
    response = _logged_in(request, RedirectResponse(target, status_code=303), account)
    response.delete_cookie(PENDING_COOKIE)
    return response


# --- enrolment and the account's section ---------------------------------------------------------

def _qr_svg(uri: str, title: str) -> Markup:
    """The QR code as inline SVG: no script, no style attribute (the CSP allows neither)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=4, title=title,
                                                        dark="#000", light="#fff"))


def _page(request: Request, session, account: Account, settings, *, errors: dict | None = None,
          codes: list[str] | None = None, notice: str = "", next_: str = "",
          status_code: int = 200):
    enrolled = two_factor.is_enrolled(session=session, account=account)
    context = {"errors": errors or {}, "codes": codes, "notice": notice, "enrolled": enrolled,
               "next": next_, "required": two_factor.required_for(
                   account, settings.two_factor_required_roles),
               "may_switch_off": two_factor.may_switch_off(
                   account, settings.two_factor_required_roles)}
    if codes is None and enrolled:
        context["left"] = two_factor.recovery_codes_left(session=session, account=account)
    elif codes is None:
        enrolment = two_factor.start_enrolment(session=session, account=account,
                                               secret_key=settings.secret_key)
        session.commit()
        context.update(secret=enrolment.secret, qr=_qr_svg(enrolment.uri, "QR"),
                       secret_groups=" ".join(enrolment.secret[i:i + 4]
                                              for i in range(0, len(enrolment.secret), 4)))
    return _private(render(request, "auth/two_factor.html", context, status_code=status_code))


def _next_of(value: str | None) -> str:
    return _safe_next(value) if value else ""


@router.get("/account/tweestaps", name="two_factor", response_class=HTMLResponse)
def two_factor_page(request: Request, session: SessionDep, account: CurrentAccount,
                    settings: SettingsDep, next: str | None = None, done: str | None = None):
    return _page(request, session, account, settings, next_=_next_of(next),
                 notice=done if done in ("off",) else "")


@router.post("/account/tweestaps", name="two_factor_confirm")
def confirm(request: Request, session: SessionDep, account: CurrentAccount, form: FormPairs,
            settings: SettingsDep):
    data = dict(form)
    next_ = _next_of(data.get("next"))
    try:
        codes = two_factor.confirm_enrolment(session=session, account=account,
                                             code=data.get("code", "")[:64],
                                             secret_key=settings.secret_key)
    except DomainError as exc:
        session.commit()
        return _page(request, session, account, settings, next_=next_,
                     errors={"code": (exc.code, exc.params)}, status_code=exc.status_code)
    session.commit()
    from web.auth.routes import _logged_in  # the other sessions ended; this browser stays in
    return _logged_in(request, _page(request, session, account, settings, codes=codes,
                                     notice="on", next_=next_), account)


@router.post("/account/tweestaps/herstelcodes", name="two_factor_regenerate")
def regenerate(request: Request, session: SessionDep, account: CurrentAccount,
               settings: SettingsDep):
    try:
        codes = two_factor.regenerate_recovery_codes(session=session, account=account)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, account, settings,
                     errors={"regenerate": (exc.code, exc.params)}, status_code=exc.status_code)
    session.commit()
    return _page(request, session, account, settings, codes=codes, notice="new_codes")


@router.post("/account/tweestaps/uit", name="two_factor_off")
def switch_off(request: Request, session: SessionDep, account: CurrentAccount,
               settings: SettingsDep):
    try:
        two_factor.switch_off(session=session, account=account,
                              required_roles=settings.two_factor_required_roles)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, account, settings,
                     errors={"switch_off": (exc.code, exc.params)}, status_code=exc.status_code)
    session.commit()
    return RedirectResponse(request.url_for("two_factor").include_query_params(done="off"),
                            status_code=303)
