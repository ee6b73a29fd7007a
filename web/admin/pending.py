"""Stand-ins for admin pages other branches build (admin-units: home, institution, units;
admin-rounds: rounds), so the admin layout's navigation has its route names on this branch.

Remove this module (and its line in web/admin/routes.py and the PENDING rows of the tenancy
matrix) when those branches are merged: each stand-in only checks access and points to the
accounts page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.setup import access
from web.access import ManagerAccount, managed

router = APIRouter()


def admin_home(request: Request, session: SessionDep, account: ManagerAccount):
    links = "".join(
        f'<li><a href="{request.url_for("admin_accounts", slug=inst.slug)}">{inst.name}</a></li>'
        for inst in access.managed_institutions(session=session, account=account))
    return HTMLResponse(f"<!doctype html><title>Beheer</title><ul>{links}</ul>")


def add_home(parent: APIRouter) -> None:
    """GET /beheer itself: an included router cannot have an empty path."""
    parent.add_api_route("", admin_home, methods=["GET"], name="admin_home",
                         response_class=HTMLResponse)


def _to_accounts(request: Request, session, account, slug: str):
    managed(session, account, slug)
    return RedirectResponse(request.url_for("admin_accounts", slug=slug), status_code=303)


@router.get("/{slug}/instelling", name="admin_institution")
def admin_institution(request: Request, slug: str, session: SessionDep, account: ManagerAccount):
    return _to_accounts(request, session, account, slug)


@router.get("/{slug}/eenheden", name="admin_units")
def admin_units(request: Request, slug: str, session: SessionDep, account: ManagerAccount):
    return _to_accounts(request, session, account, slug)


@router.get("/{slug}/metingen", name="admin_rounds")
def admin_rounds(request: Request, slug: str, session: SessionDep, account: ManagerAccount):
    return _to_accounts(request, session, account, slug)
