"""`create_app()` puts Kennisster together; tests call it with their own settings."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import inspect
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.platform.body_limits import BodyLimit, BodyTooLarge, Limit
from api.platform.db import make_engine, session_scope
from api.platform.deps import check_url_text
from api.platform.errors import DomainError, LoginRequired, TwoFactorRequired
from api.platform.headers import REDOC_CSP, SecurityHeaders
from api.platform.questionnaires import load_catalog
from api.platform.settings import Settings, get_settings
from api.platform.static_files import KeptStaticFiles
from api.results import releases
from api.setup.rounds import check_published
from api.survey import mailing
from web import charts

log = logging.getLogger("kennisster")
API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, warm_charts: bool = True) -> FastAPI:
    settings = settings or get_settings()
    catalog = load_catalog(settings.questionnaires_dir)  # a broken file stops start-up here
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if inspect(engine).has_table("published_questionnaire"):
            with session_scope(engine) as session:
                check_published(session=session, catalog=catalog)
            with session_scope(engine, write=True) as session:  # anything left waiting
                releases.release_all_due(session=session, default_k=settings.anonymity_k)
            with session_scope(engine, write=True) as session:
                # rounds that closed by their clock while no mail worker ran keep no addresses
                mailing.forget_addresses(session)
                session.commit()
        else:
            log.warning("The database has no tables yet: run `kennisster migrate` first.")
        if warm_charts and settings.warm_charts:
            threading.Thread(target=charts.warm_up, daemon=True).start()
        mail = None
        if settings.mail_worker and settings.mail_configured:
            from api.mail import worker

            mail = worker.start_in_thread(engine, settings)
        hooks = None
        if settings.webhook_worker:
            from api.webhooks import worker as webhook_worker

            hooks = webhook_worker.start_in_thread(engine, settings)
        yield
        if hooks is not None:
            hooks[1].set()
            webhook_worker.wake()
            hooks[0].join(timeout=settings.webhook_timeout_seconds + 5)
        if mail is not None:
            thread, stop = mail
            stop.set()
            worker.wake()
            thread.join(timeout=settings.smtp_timeout_seconds + 5)
        engine.dispose()

    app = FastAPI(title="Kennisster", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # web/api_docs.py serves both without a CDN
                  openapi_url=f"{API_PREFIX}/openapi.json", dependencies=[Depends(check_url_text)])
    app.state.settings = settings
    app.state.catalog = catalog
    app.state.engine = engine

    from api.v1.etag import add_etags
    from api.v1.routes import router as api_router
    from web.api_docs import add_api_docs
    from web.pages import error_page
    from web.routes import router as web_router

    app.include_router(api_router)
    from api.v1.webhooks import router as webhooks_router

    app.include_router(webhooks_router)
    app.include_router(web_router)
    add_api_docs(app, prefix=API_PREFIX)
    app.mount("/static", KeptStaticFiles(directory=Path(__file__).parent.parent / "web" / "static"),
              name="static")

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith(API_PREFIX)

    def refuse_body(scope, limit: Limit):
        request = Request(scope)
        size = f"{limit.max_bytes // 1024} KB" if limit.max_bytes < 1024 * 1024 else \
            f"{limit.max_bytes // (1024 * 1024)} MB"
        if wants_json(request):
            return problem(413, "payload_too_large", f"The request body is larger than {size}, "
                           f"the limit for {limit.family} requests; nothing was read or stored.")
        return error_page(request, status_code=413, code="body_too_large", params={"size": size})

    build_stack = app.build_middleware_stack
    # innermost middleware: a body passing its limit is raised from inside the route and
    # answered by the handlers below; an outer BaseHTTPMiddleware (ETags) would wrap it
    app.add_middleware(BodyLimit, refuse=refuse_body)
    add_etags(app, prefix=API_PREFIX)
    # Security headers wrap even the server-error middleware, so a 500 page carries them too.
    app.build_middleware_stack = lambda: SecurityHeaders(
        build_stack(), policies={f"{API_PREFIX}/redoc": REDOC_CSP},
        https_behind_proxy=settings.base_url.startswith("https://"))

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if wants_json(request):
            return problem(exc.status_code, exc.code, exc.detail, errors=[
                {"row": p.row, "column": p.column, "message": p.message}
                for p in getattr(exc, "problems", [])] or None)
        if isinstance(exc, LoginRequired):
            login = request.url_for("login").include_query_params(next=exc.params.get("next", "/"))
            return RedirectResponse(login, status_code=303)
        if isinstance(exc, TwoFactorRequired):
            enrol = request.url_for("two_factor").include_query_params(
                next=exc.params.get("next", "/beheer"))
            return RedirectResponse(enrol, status_code=303)
        return error_page(request, status_code=exc.status_code, code=exc.code,
                          params=exc.params)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc, BodyTooLarge):
            return refuse_body(request.scope, exc.limit)
        if wants_json(request):
            response = problem(exc.status_code, "error", str(exc.detail))
            response.headers.update(exc.headers or {})
            return response
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return error_page(request, status_code=exc.status_code, code=code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        if wants_json(request):
            return problem(422, "invalid_input", "The request is not valid: " + "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                for e in exc.errors()))
        return error_page(request, status_code=422, code="invalid_input")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.url.path)
        if wants_json(request):
            return problem(500, "server_error", "Something went wrong on our side; nothing was "
                           "changed by this request. Please try again later.")
        return error_page(request, status_code=500, code="server_error")

    app.openapi = lambda: _openapi_with_problem_media_type(app)
    return app


def _openapi_with_problem_media_type(app: FastAPI) -> dict:
    """FastAPI files response models under application/json; errors are sent as
    application/problem+json, so the document says so."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    from api.v1.schemas import ImportIn

    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    # the import's JSON body is described by hand (it also takes CSV), so add its schema
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ImportIn.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(body.pop("$defs", {}))
    components["ImportIn"] = body
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.startswith(("4", "5")) and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    app.openapi_schema = schema
    return schema


def problem(status: int, title: str, detail: str, *, errors: list | None = None) -> JSONResponse:
    """An RFC 9457 problem details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    headers = {"WWW-Authenticate": 'Bearer realm="kennisster"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)
