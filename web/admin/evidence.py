"""Admin pages: evidence that a scale holds — item analysis per questionnaire version, over the
released responses of the whole installation. Administrators only: it spans every institution
(no institution's own numbers), so it sits outside any one institution's admin area."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, SettingsDep
from api.platform.errors import NotFound
from api.results import gate, item_analysis
from api.setup import access
from web.access import ManagerAccount
from web.pages import render

router = APIRouter()


@router.get("/vragenlijsten/betrouwbaarheid", name="admin_evidence", response_class=HTMLResponse)
def evidence_page(request: Request, session: SessionDep, catalog: CatalogDep,
                  settings: SettingsDep, account: ManagerAccount, versie: str = ""):
    if not access.is_admin(account):
        raise NotFound("No such page.")
    versions = list(catalog)
    slug, _, version = versie.partition("/")
    # without a choice: the newest version of the first questionnaire listed (the star)
    questionnaire = (catalog.get(slug, version) if versie
                     else catalog.latest(versions[0].slug) if versions else None)
    if questionnaire is None:
        raise NotFound(f"No questionnaire {versie}.")
    evidence = gate.scale_evidence(session=session, questionnaire=questionnaire,
                                   default_k=settings.anonymity_k)
    return render(request, "admin/evidence.html", {
        "institution": None, "section": "evidence", "versions": versions,
        "questionnaire": questionnaire, "evidence": evidence,
        "weak_below": item_analysis.WEAK_ITEM_REST})
