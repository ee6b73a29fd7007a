"""All page routers of `web/`, put together once, with CSRF checked on every form."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse

from api.platform.models import Account
from web.access import current_account
from web.admin import routes as admin
from web.auth import routes as auth
from web.auth import sso as auth_sso
from web.auth import two_factor
from web.csrf import verify_csrf
from web.dashboard import actions as dashboard_actions
from web.dashboard import network_map as dashboard_network
from web.dashboard import routes as dashboard
from web.pages import render
from web.questionnaires import routes as questionnaires
from web.survey import network_map as survey_network
from web.survey import own as own_results
from web.survey import own_items as survey_own_items
from web.survey import routes as survey

router = APIRouter(dependencies=[Depends(verify_csrf)])
router.include_router(survey.router)
router.include_router(survey_own_items.router)

router.include_router(survey_network.router)
router.include_router(own_results.router)
router.include_router(auth.router)
router.include_router(two_factor.router)
router.include_router(auth_sso.router)
router.include_router(dashboard.router)
router.include_router(dashboard_actions.router)
router.include_router(dashboard_network.router)
router.include_router(admin.router)
router.include_router(questionnaires.router)


FAVICON = Path(__file__).parent / "static" / "favicon.ico"


@router.get("/", name="home", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, account: Annotated[Account | None, Depends(current_account)]):
    """The way in: the login, the dashboards and, for coordinators, the coordinator's area."""
    return render(request, "home.html")


@router.get("/favicon.ico", name="favicon", include_in_schema=False)
def favicon() -> FileResponse:
    """Browsers ask /favicon.ico on every page whatever the page links; a star, not a 404."""
    return FileResponse(FAVICON, media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})
