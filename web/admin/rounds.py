"""Admin pages: rounds."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.platform.db import SessionDep
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()


# Placeholder until branch admin-rounds merges (take theirs): the admin nav links here.
@router.get("/{slug}/metingen", name="admin_rounds", response_class=HTMLResponse)
def rounds_placeholder(slug: str, request: Request, session: SessionDep, account: ManagerAccount):
    return render(request, "admin/_placeholder.html",
                  {"institution": managed(session, account, slug), "section": "rounds"})
