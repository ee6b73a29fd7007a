"""Stand-ins for admin pages another branch builds, so the layout's navigation renders while a
branch is worked on alone. Only names no area defines get one; once every area is merged this
adds nothing (and can be deleted)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.platform.db import SessionDep
from web.access import ManagerAccount, managed

NAV = {"admin_home": "", "admin_institution": "/{slug}/_todo/instelling",
       "admin_units": "/{slug}/_todo/eenheden", "admin_accounts": "/{slug}/_todo/accounts",
       "admin_audit": "/{slug}/_todo/logboek"}


def missing(routers: list[APIRouter]) -> dict[str, str]:
    names = {getattr(route, "name", None) for r in routers for route in r.routes}
    return {name: path or "/_todo" for name, path in NAV.items() if name not in names}


def router_for(names: dict[str, str]) -> APIRouter:
    router = APIRouter()
    for name, path in names.items():
        if "{slug}" in path:
            def page(slug: str, request: Request, session: SessionDep, account: ManagerAccount):
                managed(session, account, slug)
                return HTMLResponse("<!doctype html><title>Kennisster</title><p>Nog niet gebouwd.")
        else:
            def page(request: Request, account: ManagerAccount):
                return HTMLResponse("<!doctype html><title>Kennisster</title><p>Nog niet gebouwd.")
        router.add_api_route(path, page, name=name, methods=["GET"], response_class=HTMLResponse)
    return router
