"""Login and logout of board members, coordinators and administrators."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs
from api.setup import accounts
from web.access import SESSION_COOKIE, SESSION_MAX_AGE, serializer
from web.pages import render

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
    except (accounts.LoginFailed, accounts.TooManyAttempts) as exc:
        page = render(request, "auth/login.html",
                      {"next": target, "email": email, "error": exc}, status_code=exc.status_code)
        if "retry_after" in exc.params:
            page.headers["Retry-After"] = str(exc.params["retry_after"])
        return page
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, serializer(request).dumps({"a": account.id, "v": account.session_version}),
        max_age=SESSION_MAX_AGE, httponly=True, samesite="lax",
        secure=request.url.scheme == "https")
    return response


@router.post("/logout", name="logout")
def logout(request: Request):
    response = RedirectResponse(request.url_for("login"), status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
