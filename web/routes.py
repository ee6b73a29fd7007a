"""All page routers of `web/`, put together once, with CSRF checked on every form."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from web.admin import routes as admin
from web.auth import routes as auth
from web.csrf import verify_csrf
from web.dashboard import actions as dashboard_actions
from web.dashboard import routes as dashboard
from web.pages import render
from web.survey import own as own_results
from web.survey import routes as survey

router = APIRouter(dependencies=[Depends(verify_csrf)])
router.include_router(survey.router)
router.include_router(own_results.router)
router.include_router(auth.router)
router.include_router(dashboard.router)
router.include_router(dashboard_actions.router)
router.include_router(admin.router)


@router.get("/", name="home", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request):
    return render(request, "home.html")
