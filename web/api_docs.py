"""The API's documentation pages, Swagger UI and ReDoc, served entirely by the app.

FastAPI's own pages load their scripts from a CDN, so the docs were blank without internet. The
scripts and styles come from the `fastapi-offline` wheel (kept up to date with Swagger UI and
ReDoc releases) and are served under /static/api-docs; Swagger UI is started by a static file
(web/static/api-docs.js), not an inline script, so a Content-Security-Policy of
`script-src 'self'` needs no exception.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/static/api-docs"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates" / "api_docs")


def add_api_docs(app: FastAPI, *, prefix: str) -> None:
    """Serve `{prefix}/docs` (Swagger UI) and `{prefix}/redoc` with their assets; call before
    mounting /static, so /static/api-docs is matched first."""
    router = APIRouter(prefix=prefix, include_in_schema=False)

    def page(request: Request, template: str) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {
            "openapi_url": app.openapi_url, "assets": ASSETS_URL, "title": app.title,
        })

    @router.get("/docs", name="api_docs", response_class=HTMLResponse)
    def swagger_ui(request: Request) -> HTMLResponse:
        return page(request, "swagger.html")

    @router.get("/redoc", name="api_redoc", response_class=HTMLResponse)
    def redoc(request: Request) -> HTMLResponse:
        return page(request, "redoc.html")

    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api_docs_assets")
