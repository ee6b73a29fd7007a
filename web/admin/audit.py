"""Admin pages: audit."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.platform.db import SessionDep
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()


# Placeholder until branch admin-accounts merges (take theirs): the admin nav links here.
@router.get("/{slug}/logboek", name="admin_audit", response_class=HTMLResponse)
def audit_placeholder(slug: str, request: Request, session: SessionDep, account: ManagerAccount):
    return render(request, "admin/_placeholder.html",
                  {"institution": managed(session, account, slug), "section": "audit"})
