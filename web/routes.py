"""All page routers of `web/`, put together once."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web import survey
from web.pages import render

router = APIRouter()
router.include_router(survey.router)


@router.get("/", name="home", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request):
    return render(request, "home.html")
