"""Rendering of server-side pages: one Jinja environment, the language, and friendly errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.datastructures import URL, URLPath

from web.csrf import CSRF_FIELD, csrf_token, set_new_csrf_cookie
from web.i18n import LANG_COOKIE, LANGUAGES, catalog, request_language, translate

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.autoescape = True


_MARK = "\x1f{}\x1f"  # a stand-in for a parameter's value while its route is looked up


def _path_template(request: Request, name: str, names: tuple[str, ...]) -> str | None:
    """The path of the route called `name` with a stand-in for each parameter, or None when the
    route takes a parameter that is not plain text (an int, say); kept per app, keyed on the
    names only (a bounded set, and no link's token is kept)."""
    kept = getattr(request.app.state, "url_paths", None)
    if kept is None:
        kept = request.app.state.url_paths = {}
    if (name, names) not in kept:
        router = request.scope.get("router") or request.scope.get("app")
        try:
            found = str(router.url_path_for(name, **{n: _MARK.format(i)
                                                     for i, n in enumerate(names)}))
        except Exception:  # noqa: BLE001 - any refusal: look this route up the ordinary way
            found = None
        kept[(name, names)] = found
    return kept[(name, names)]


def url_for(request: Request, name: str, /, **params: Any) -> URL:
    """`request.url_for`, with the route's path kept per name: finding a route by its name walks
    every route of the app, and a survey page asks for a dozen links."""
    names = tuple(sorted(params))
    path = _path_template(request, name, names)
    if path is None or not all(isinstance(v, str) and v and "/" not in v and "\x1f" not in v
                               for v in params.values()):
        return request.url_for(name, **params)
    for index, key in enumerate(names):
        path = path.replace(_MARK.format(index), params[key])
    return URLPath(path).make_absolute_url(base_url=request.base_url)


@pass_context
def _template_url_for(context: dict[str, Any], name: str, /, **params: Any) -> URL:
    return url_for(context["request"], name, **params)


templates.env.globals["url_for"] = _template_url_for


def _fmt_score(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def _nl_number(text: str, lang: str) -> str:
    return text.replace(".", ",") if lang == "nl" else text


MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}
LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")


def local_time(moment: datetime | None, lang: str) -> str:
    """'14 oktober 2026 10:32' in Dutch time: releases are read by people in the Netherlands."""
    if moment is None:
        return "–"
    local = moment.astimezone(LOCAL_ZONE)
    month = MONTHS.get(lang, MONTHS["nl"])[local.month - 1]
    return f"{local.day} {month} {local.year} {local:%H:%M}"


templates.env.filters["score"] = _fmt_score
templates.env.filters["localtime"] = local_time
templates.env.filters["localnum"] = _nl_number


def language(request: Request) -> str:
    return request_language(request, request.app.state.settings.default_language)


def _context(request: Request, lang: str, vocabulary: str | None = None) -> dict:
    """What every template gets; `vocabulary` (a page's questionnaire's own words, passed in
    the page's context) makes `t` prefer that questionnaire's texts."""
    def t(key: str, **params: object) -> str:
        return translate(lang, key, vocabulary, **params)

    def lang_url(target: str) -> str:
        return str(request.url.include_query_params(lang=target))

    return {"request": request, "lang": lang, "t": t, "languages": LANGUAGES,
            "lang_url": lang_url, "csrf_field": CSRF_FIELD}


def _vocabulary(context: dict | None) -> str | None:
    """The own words of the page's questionnaire: pages pass it as `q` (survey, own results,
    dashboard), or name a `vocabulary` outright."""
    context = context or {}
    return context.get("vocabulary") or getattr(context.get("q"), "vocabulary", None)


def _finish(request: Request, page: HTMLResponse, lang: str) -> HTMLResponse:
    """The cookies every page may set: a new CSRF value, a ?lang= choice remembered."""
    set_new_csrf_cookie(request, page)
    if request.query_params.get("lang") in LANGUAGES:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax",
                        httponly=True)
    return page


def render(request: Request, template: str, context: dict | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    """Render a page in the reader's language; a ?lang= choice is remembered in a cookie."""
    lang = language(request)
    page = templates.TemplateResponse(
        request, template,
        {**_context(request, lang, _vocabulary(context)),
         "csrf_token": csrf_token(request),
         "account": getattr(request.state, "account", None), **(context or {})},
        status_code=status_code,
    )
    return _finish(request, page, lang)


# A page shared between readers (web.release_pages) is rendered with holes where one reader's
# own bits go, and the holes are filled per request. A hole is markup that no rendered value can
# produce: autoescape turns every "<" of a name, title or note into "&lt;".
CSRF_HOLE = Markup("<!--ks:csrf-token-->")
WHO_HOLE = Markup("<!--ks:account-email-->")


@dataclass(frozen=True)
class SharedReader:
    """The account as a shared page sees it: its role (the header's links differ by role, so
    the caller keys on it) and a hole for the e-mail address."""

    role: str
    email: Markup = WHO_HOLE


def render_shared(request: Request, template: str, context: dict, *, role: str) -> str:
    """A page as every reader of `role` sees it, with holes for the form token and e-mail."""
    lang = language(request)
    return templates.get_template(template).render(
        {**_context(request, lang, _vocabulary(context)), "csrf_token": CSRF_HOLE,
         "account": SharedReader(role), **context})


def serve_shared(request: Request, html: bytes) -> HTMLResponse:
    """A shared page for this reader: their form token and e-mail in the holes, their cookies.
    (Bytes in, bytes out: a page of a few hundred KiB is neither decoded nor encoded again.)"""
    account = getattr(request.state, "account", None)
    filled = html.replace(_CSRF_HOLE_BYTES, csrf_token(request).encode()).replace(
        _WHO_HOLE_BYTES, str(escape(account.email)).encode() if account is not None else b"")
    return _finish(request, HTMLResponse(filled), language(request))


_CSRF_HOLE_BYTES, _WHO_HOLE_BYTES = str(CSRF_HOLE).encode(), str(WHO_HOLE).encode()


BOARD_PATHS = ("/dashboard",)  # read by board members, who have no invitation link


def error_page(request: Request, *, status_code: int, code: str, params: dict | None = None,
               ) -> HTMLResponse:
    """A friendly error page; on the board's pages an error speaks to a board member (back to
    the dashboard), not to a respondent (the link in the invitation)."""
    if request.url.path.startswith(BOARD_PATHS) and f"errors.{code}_board" in catalog(
            language(request)):
        code = f"{code}_board"
    return render(request, "error.html", {"code": code, "params": params or {}},
                  status_code=status_code)
