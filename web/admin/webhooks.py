"""Admin pages: the institution's signed webhooks — registered, tested, switched on and off,
their secret rotated, deleted, and each one's delivery log — without a shell.

A new secret is shown once, on the page that answers the form (never stored, never cached).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform.db import SessionDep
from api.platform.deps import FormPairs, SettingsDep
from api.platform.errors import DomainError
from api.webhooks import endpoints, events
from api.webhooks import worker as webhook_worker
from web.access import ManagerAccount, managed
from web.pages import render

router = APIRouter()
PRIVATE = {"Cache-Control": "private, no-store"}
DONE = {"test", "on", "off", "deleted"}


def _list(request: Request, session, institution, *, values: dict | None = None,
          errors: dict | None = None, created: endpoints.Registered | None = None,
          status_code: int = 200):
    done = request.query_params.get("done")
    page = render(request, "admin/webhooks.html", {
        "institution": institution, "section": "webhooks", "all_events": events.EVENTS,
        "hooks": endpoints.of_institution(session=session, institution=institution),
        "values": values or {"url": "", "description": "", "events": list(events.EVENTS[:3])},
        "errors": errors or {}, "created": created,
        "flash_code": done if done in DONE else None,
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


def _detail(request: Request, session, institution, hook, *, created=None, problem=None,
            errors: dict | None = None, status_code: int = 200):
    done = request.query_params.get("done")
    page = render(request, "admin/webhook.html", {
        "institution": institution, "section": "webhooks", "hook": hook,
        "deliveries": endpoints.deliveries(session=session, endpoint=hook),
        "created": created, "problem": problem, "errors": errors or {},
        "flash_code": done if done in DONE else None,
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


def _back(request: Request, slug: str, hook_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(request.url_for("admin_webhook", slug=slug, hook_id=hook_id)
                            .include_query_params(done=done), status_code=303)


@router.get("/{slug}/webhooks", name="admin_webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, slug: str, session: SessionDep, account: ManagerAccount):
    return _list(request, session, managed(session, account, slug))


@router.post("/{slug}/webhooks", name="admin_webhooks_create", response_class=HTMLResponse)
def create(request: Request, slug: str, session: SessionDep, settings: SettingsDep,
           account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    fields = dict(form)
    values = {"url": fields.get("url", "")[:600], "description": fields.get("description", "")[:300],
              "events": [value for key, value in form if key == "events"][:8]}
    try:
        made = endpoints.register(session=session, settings=settings, actor=account,
                                  institution=institution, url=values["url"],
                                  chosen_events=values["events"], description=values["description"])
    except DomainError as exc:
        session.rollback()
        return _list(request, session, institution, values=values,
                     errors={exc.params.get("field", "url"): (exc.code, exc.params)},
                     status_code=exc.status_code)
    return _list(request, session, institution, created=made)


@router.get("/{slug}/webhooks/{hook_id}", name="admin_webhook", response_class=HTMLResponse)
def webhook_page(request: Request, slug: str, hook_id: int, session: SessionDep,
                 account: ManagerAccount):
    institution = managed(session, account, slug)
    hook = endpoints.get(session=session, institution=institution, endpoint_id=hook_id)
    return _detail(request, session, institution, hook)


@router.post("/{slug}/webhooks/{hook_id}/test", name="admin_webhook_test",
             response_class=HTMLResponse)
def send_test(request: Request, slug: str, hook_id: int, session: SessionDep,
              account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    hook = endpoints.get(session=session, institution=institution, endpoint_id=hook_id)
    try:
        endpoints.send_test(session=session, endpoint=hook)
    except DomainError as exc:
        session.rollback()
        return _detail(request, session, institution, hook, problem=exc,
                       status_code=exc.status_code)
    webhook_worker.wake()
    return _back(request, slug, hook_id, "test")


@router.post("/{slug}/webhooks/{hook_id}/aan-uit", name="admin_webhook_switch",
             response_class=HTMLResponse)
def switch(request: Request, slug: str, hook_id: int, session: SessionDep,
           account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    hook = endpoints.get(session=session, institution=institution, endpoint_id=hook_id)
    on = dict(form).get("on") == "yes"
    endpoints.switch(session=session, actor=account, endpoint=hook, on=on)
    if on:
        webhook_worker.wake()
    return _back(request, slug, hook_id, "on" if on else "off")


@router.post("/{slug}/webhooks/{hook_id}/geheim", name="admin_webhook_secret",
             response_class=HTMLResponse)
def rotate(request: Request, slug: str, hook_id: int, session: SessionDep,
           settings: SettingsDep, account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    hook = endpoints.get(session=session, institution=institution, endpoint_id=hook_id)
    made = endpoints.rotate_secret(session=session, settings=settings, actor=account,
                                   endpoint=hook)
    return _detail(request, session, institution, made.endpoint, created=made)


@router.post("/{slug}/webhooks/{hook_id}/verwijderen", name="admin_webhook_delete",
             response_class=HTMLResponse)
def delete(request: Request, slug: str, hook_id: int, session: SessionDep,
           account: ManagerAccount, form: FormPairs):
    institution = managed(session, account, slug)
    hook = endpoints.get(session=session, institution=institution, endpoint_id=hook_id)
    if dict(form).get("confirm") != "yes":
        return _detail(request, session, institution, hook,
                       errors={"confirm": ("webhook_confirm_delete", {})}, status_code=422)
    endpoints.delete(session=session, actor=account, endpoint=hook)
    return RedirectResponse(request.url_for("admin_webhooks", slug=slug)
                            .include_query_params(done="deleted"), status_code=303)
