"""Pages of questionnaire versions (`/vragenlijsten`): the list with each version's status, one
version with its items, and what changed between two versions.

Everyone logged in may read them (board members, coordinators, administrators); only an
administrator publishes a draft or archives a version, with a confirmation and the form token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.platform import questionnaire_status
from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, FormPairs
from api.platform.errors import DomainError, Forbidden, NotFound
from api.platform.models import Account
from api.platform.questionnaires import Catalog
from api.setup import access, questionnaire_versions
from web.access import CurrentAccount, require_manager
from web.pages import render

router = APIRouter(prefix="/vragenlijsten", tags=["questionnaires"], include_in_schema=False)
PRIVATE = {"Cache-Control": "private, no-store"}
DONE = {"published", "archived"}
VersionParam = Annotated[str, Query(max_length=20)]


@router.get("", name="questionnaires", response_class=HTMLResponse)
def version_list(request: Request, session: SessionDep, catalog: CatalogDep,
                 account: CurrentAccount):
    rows = questionnaire_versions.overview(session=session, catalog=catalog, account=account)
    page = render(request, "questionnaires/list.html", {
        "rows": rows, "may_manage": access.may_run_rounds(account),
        "slugs": sorted({row.state.questionnaire.slug for row in rows})})
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/verschil", name="questionnaire_diff", response_class=HTMLResponse)
def version_diff(slug: str, request: Request, session: SessionDep, catalog: CatalogDep,
                 account: CurrentAccount, van: VersionParam = "", naar: VersionParam = ""):
    versions = [q.version for q in catalog.versions_of(slug)]
    if not versions:
        raise NotFound(f"No questionnaire {slug}.", code="questionnaire_not_found", ref=slug)
    old = van or (versions[-2] if len(versions) > 1 else versions[-1])
    new = naar or versions[-1]
    found, before, after = questionnaire_versions.version_diff(
        session=session, catalog=catalog, slug=slug, old=old, new=new)
    page = render(request, "questionnaires/diff.html", {
        "slug": slug, "versions": versions, "diff": found, "before": before, "after": after,
        "title": found.new.title, "may_manage": access.may_run_rounds(account)})
    page.headers.update(PRIVATE)
    return page


def _version_page(request: Request, session, catalog: Catalog, account: Account, slug: str,
                  version: str, *, errors: dict | None = None, status_code: int = 200):
    state = questionnaire_status.version_state(session=session, catalog=catalog, slug=slug,
                                               version=version)
    row = next(r for r in questionnaire_versions.overview(session=session, catalog=catalog,
                                                          account=account)
               if r.state.questionnaire.ref == state.questionnaire.ref)
    done = request.query_params.get("done")
    page = render(request, "questionnaires/version.html", {
        "state": state, "q": state.questionnaire, "rounds": row.rounds,
        "may_change": access.is_admin(account), "may_manage": access.may_run_rounds(account),
        "others": [q.version for q in catalog.versions_of(slug) if q.version != version],
        "errors": errors or {}, "done": done if done in DONE else None,
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/{version}", name="questionnaire_version", response_class=HTMLResponse)
def version_page(slug: str, version: str, request: Request, session: SessionDep,
                 catalog: CatalogDep, account: CurrentAccount):
    return _version_page(request, session, catalog, account, slug, version)


def _change(request: Request, session, catalog: Catalog, account: Account, slug: str,
            version: str, pairs: list[tuple[str, str]], *, done: str, change) -> HTMLResponse:
    """Admin only (403 for anyone else, with two-factor sign-in where the installation asks
    for it); a missing confirmation or a refused transition comes back on the page."""
    if not access.is_admin(account):
        raise Forbidden("Only an administrator changes the status of a questionnaire version.",
                        code="version_admin_only")
    require_manager(request, account, session)
    if dict(pairs).get("confirm") != "yes":
        return _version_page(request, session, catalog, account, slug, version,
                             errors={"confirm": ("version_confirm", {})}, status_code=422)
    try:
        change(session=session, catalog=catalog, actor=account, slug=slug, version=version)
    except DomainError as exc:
        session.rollback()
        if exc.status_code == 404:
            raise
        return _version_page(request, session, catalog, account, slug, version,
                             errors={"confirm": (exc.code, exc.params)},
                             status_code=exc.status_code)
    return RedirectResponse(str(request.url_for("questionnaire_version", slug=slug,
                                                version=version)) + f"?done={done}",
                            status_code=303)


@router.post("/{slug}/{version}/publiceren", name="questionnaire_publish")
def publish(slug: str, version: str, request: Request, session: SessionDep, catalog: CatalogDep,
            account: CurrentAccount, pairs: FormPairs):
    return _change(request, session, catalog, account, slug, version, pairs, done="published",
                   change=questionnaire_versions.publish_version)


@router.post("/{slug}/{version}/archiveren", name="questionnaire_archive")
def archive(slug: str, version: str, request: Request, session: SessionDep, catalog: CatalogDep,
            account: CurrentAccount, pairs: FormPairs):
    return _change(request, session, catalog, account, slug, version, pairs, done="archived",
                   change=questionnaire_versions.archive_version)
