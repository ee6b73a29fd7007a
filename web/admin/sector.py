"""Admin pages: the sector benchmark — which questionnaire versions the institution adds its
institution-level numbers to (`api.setup.sector_benchmark`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, FormPairs, SettingsDep
from api.platform.errors import DomainError
from api.setup import sector_benchmark
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()
DONE = {"in", "out", "unchanged"}


def _page(request: Request, session, catalog, settings, institution, *,
          problem: DomainError | None = None, status_code: int = 200) -> HTMLResponse:
    done = request.query_params.get("done")
    return render(request, "admin/sector.html", {
        "institution": institution, "section": "sector",
        "choices": sector_benchmark.choices(session=session, institution=institution,
                                            catalog=catalog),
        "minimum": settings.sector_min_institutions, "k": settings.anonymity_k,
        "done": done if done in DONE else None, "problem": problem}, status_code=status_code)


@router.get("/{slug}/sectorbenchmark", name="admin_sector", response_class=HTMLResponse)
def sector_page(slug: str, request: Request, session: SessionDep, catalog: CatalogDep,
                settings: SettingsDep, account: ManagerAccount):
    return _page(request, session, catalog, settings, managed(session, account, slug))


@router.post("/{slug}/sectorbenchmark", name="admin_sector_save")
def sector_save(slug: str, request: Request, session: SessionDep, catalog: CatalogDep,
                settings: SettingsDep, account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    data = dict(form)
    try:
        changed = sector_benchmark.set_opt_in(
            session=session, actor=account, institution=institution, catalog=catalog,
            ref=data.get("versie", "")[:100], take_part=data.get("keuze") == "in",
            default_k=settings.anonymity_k, minimum=settings.sector_min_institutions)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, catalog, settings, institution, problem=exc,
                     status_code=422)
    done = ("in" if data.get("keuze") == "in" else "out") if changed else "unchanged"
    return RedirectResponse(str(request.url_for("admin_sector", slug=institution.slug))
                            + f"?done={done}", status_code=303)
