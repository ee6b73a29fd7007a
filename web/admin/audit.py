"""Admin pages: the audit log of an institution — who did which admin action when."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.platform.db import SessionDep
from api.setup import audit
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()
PAGE_SIZE = 50


@router.get("/{slug}/logboek", name="admin_audit", response_class=HTMLResponse)
def audit_page(request: Request, slug: str, session: SessionDep, account: ManagerAccount,
               pagina: str = "1"):
    institution = managed(session, account, slug)
    page = int(pagina) if pagina.isdigit() and 0 < int(pagina) < 100_000 else 1
    rows = audit.events(session=session, institution=institution, limit=PAGE_SIZE + 1,
                        offset=(page - 1) * PAGE_SIZE)
    return render(request, "admin/audit.html", {
        "institution": institution, "section": "audit", "events": rows[:PAGE_SIZE],
        "page": page, "has_next": len(rows) > PAGE_SIZE})
