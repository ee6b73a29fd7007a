"""Admin pages: rounds (metingen) and their invitations per unit.

Routes parse the form, call one use case (`api.setup.rounds`, `api.setup.inviting`) and render;
a refused form comes back with status 422, what to fix next to the field and the values kept.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.platform import own_items as own_item_data
from api.platform import questionnaire_status
from api.platform.db import SessionDep
from api.platform.deps import CatalogDep, FormPairs, SettingsDep, UploadDep
from api.platform.errors import DomainError, NotFound
from api.platform.models import Account, Institution, Round, Unit, utcnow
from api.platform.questionnaires import Catalog
from api.platform.settings import Settings
from api.results import gate
from api.setup import emailing, inviting, rounds
from api.setup.institutions import list_units
from api.survey import mailing
from web.access import ManagerAccount, managed
from web.pages import LOCAL_ZONE, language, render

router = APIRouter()
MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PRIVATE = {"Cache-Control": "private, no-store"}
DONE = {"opened", "closed", "extended", "shared", "invited", "reminded", "own_added", "own_saved",
        "own_moved", "own_removed", "network_map"}

# which form field a refusal of the use case is about
FIELD_OF = {"name_missing": "name", "name_too_long": "name", "questionnaire_unknown": "questionnaire",
            "questionnaire_draft": "questionnaire", "questionnaire_archived": "questionnaire",
            "close_before_open": "closes", "close_in_past": "closes", "extend_not_later": "closes",
            "round_closed_final": "closes", "links_count": "count", "remind_days": "remind_days",
            "remind_without_close": "remind_days"}


# --- form values ----------------------------------------------------------------------------------


def local_moment(day: str, clock: str) -> datetime | None:
    """A date and a time as typed in Dutch local time, as aware UTC; None when unreadable."""
    try:
        moment = datetime.combine(date.fromisoformat(day.strip()),
                                  time.fromisoformat(clock.strip() or "00:00"), tzinfo=LOCAL_ZONE)
    except ValueError:
        return None
    return moment.replace(second=0, microsecond=0).astimezone(UTC)


def local_fields(moment: datetime | None) -> tuple[str, str]:
    """The date and time inputs' values for a stored moment."""
    if moment is None:
        return "", ""
    local = moment.astimezone(LOCAL_ZONE)
    return local.date().isoformat(), f"{local:%H:%M}"


def _errors(exc: DomainError, fallback: str) -> dict[str, tuple[str, dict]]:
    return {FIELD_OF.get(exc.code, fallback): (exc.code, exc.params)}


# --- the list of rounds ---------------------------------------------------------------------------


def _round_list_page(request: Request, session: Session, catalog: Catalog,
                     institution: Institution, *, form: dict, errors: dict, status_code: int = 200,
                     ) -> HTMLResponse:
    now = utcnow()
    listed = [(round_, round_.status(now), gate.release_state(session=session, round_=round_, now=now))
              for round_, _ in reversed(gate.rounds_of(session=session, institution=institution))]
    return render(request, "admin/rounds.html", {
        "institution": institution, "section": "rounds", "rounds": listed,
        "questionnaires": questionnaire_status.published_versions(session=session,
                                                                  catalog=catalog),
        "form": form, "errors": errors,
    }, status_code=status_code)


def _default_form(session: Session, catalog: Catalog) -> dict:
    """The newest published version is chosen: only published versions take new rounds."""
    newest = questionnaire_status.published_versions(session=session, catalog=catalog)
    chosen = newest[0].ref if newest else ""
    opens_date, opens_time = local_fields(utcnow())
    return {"name": "", "questionnaire": chosen, "opens_date": opens_date, "opens_time": opens_time,
            "closes_date": "", "closes_time": "17:00", "remind_days": ""}


@router.get("/{slug}/metingen", name="admin_rounds", response_class=HTMLResponse)
def round_list(slug: str, request: Request, session: SessionDep, catalog: CatalogDep,
               account: ManagerAccount):
    institution = managed(session, account, slug)
    return _round_list_page(request, session, catalog, institution,
                            form=_default_form(session, catalog), errors={})


@router.post("/{slug}/metingen", name="admin_round_open")
def round_open(slug: str, request: Request, session: SessionDep, catalog: CatalogDep,
               settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    institution = managed(session, account, slug)
    fields = ("name", "questionnaire", "opens_date", "opens_time", "closes_date", "closes_time",
              "remind_days", "network_map")
    data = dict(pairs)
    form = {name: data.get(name, "")[:200] for name in fields}
    errors: dict[str, tuple[str, dict]] = {}
    opens_at = local_moment(form["opens_date"], form["opens_time"])
    closes_at = local_moment(form["closes_date"], form["closes_time"])
    if opens_at is None:
        errors["opens"] = ("moment_missing", {})
    if closes_at is None:
        errors["closes"] = ("moment_missing", {})
    remind = form["remind_days"].strip()
    if remind and not remind.isdigit():
        errors["remind_days"] = ("remind_days", {"max": mailing.MAX_REMIND_DAYS})
    slug_, _, version = form["questionnaire"].partition("/")
    if not errors:
        try:
            round_ = rounds.start_round(
                session=session, catalog=catalog, actor=account, institution=institution,
                name=form["name"], slug=slug_, version=version, opens_at=opens_at,
                closes_at=closes_at, remind_days_before_close=int(remind) if remind else None,
                network_map=form["network_map"] == "1")
        except DomainError as exc:
            session.rollback()
            errors = _errors(exc, "name")
        else:
            return RedirectResponse(
                str(request.url_for("admin_round", slug=slug, round_id=round_.id)) + "?done=opened",
                status_code=303)
    return _round_list_page(request, session, catalog, institution, form=form, errors=errors,
                            status_code=422)


# --- one round ------------------------------------------------------------------------------------


def _round(session: Session, account: Account, slug: str, round_id: int) -> tuple[Institution, Round]:
    institution = managed(session, account, slug)
    return institution, rounds.get_round(session=session, round_id=round_id,
                                         institution=institution)


def _round_page(request: Request, session: Session, settings: Settings, institution: Institution,
                round_: Round, *, extend_form: dict | None = None, errors: dict | None = None,
                status_code: int = 200, own_form: dict | None = None,
                own_edit: dict[int, dict] | None = None) -> HTMLResponse:
    now = utcnow()
    status = round_.status(now)
    closes_date, closes_time = local_fields(round_.closes_at)
    done = request.query_params.get("done")
    page = render(request, "admin/round.html", {
        "institution": institution, "section": "rounds", "round": round_, "status": status,
        "questionnaire": request.app.state.catalog.get(round_.questionnaire_slug,
                                                       round_.questionnaire_version),
        "release": gate.release_state(session=session, round_=round_, now=now),
        "participation": inviting.participation(session=session, round_=round_,
                                                institution=institution,
                                                default_k=settings.anonymity_k),
        "archived": [u for u in list_units(session=session, institution=institution)
                     if u.archived_at is not None],
        "extend_form": extend_form or {"closes_date": closes_date, "closes_time": closes_time},
        "errors": errors or {}, "done": done if done in DONE else None,
        "done_count": request.query_params.get("n", ""),
        "mail": emailing.mail_state(session=session, settings=settings, round_=round_),
        "own_items": own_item_data.of_round(session=session, round_id=round_.id),
        "own_form": own_form or {"kind": "likert", "statement_nl": "", "statement_en": "",
                                 "knob": ""},
        "own_edit": own_edit or {},
        "own_limits": {"likert": own_item_data.MAX_LIKERT, "open": own_item_data.MAX_OPEN,
                       "text": own_item_data.STATEMENT_MAX},
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/metingen/{round_id}", name="admin_round", response_class=HTMLResponse)
def round_page(slug: str, round_id: Id, request: Request, session: SessionDep,
               settings: SettingsDep, account: ManagerAccount):
    institution, round_ = _round(session, account, slug, round_id)
    return _round_page(request, session, settings, institution, round_)


@router.post("/{slug}/metingen/{round_id}/sluiten", name="admin_round_close")
def round_close(slug: str, round_id: Id, request: Request, session: SessionDep,
                settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    institution, round_ = _round(session, account, slug, round_id)
    if dict(pairs).get("confirm") != "yes":
        return _round_page(request, session, settings, institution, round_,
                           errors={"confirm": ("confirm_close", {})}, status_code=422)
    try:
        rounds.close_round(session=session, round_=round_, default_k=settings.anonymity_k,
                           actor=account)
    except DomainError as exc:
        session.rollback()
        return _round_page(request, session, settings, institution, round_,
                           errors={"confirm": (exc.code, exc.params)}, status_code=422)
    return RedirectResponse(str(request.url_for("admin_round", slug=slug, round_id=round_id))
                            + "?done=closed", status_code=303)


@router.post("/{slug}/metingen/{round_id}/netwerkkaart", name="admin_round_network")
def round_network(slug: str, round_id: Id, request: Request, session: SessionDep,
                  settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    """Switch the optional network-map step on or off, before the round opens."""
    institution, round_ = _round(session, account, slug, round_id)
    try:
        rounds.set_network_map(session=session, actor=account, round_=round_,
                               on=dict(pairs).get("network_map") == "1")
    except DomainError as exc:
        session.rollback()
        session.refresh(round_)
        return _round_page(request, session, settings, institution, round_,
                           errors={"network_map": (exc.code, exc.params)}, status_code=409)
    return RedirectResponse(str(request.url_for("admin_round", slug=slug, round_id=round_id))
                            + "?done=network_map", status_code=303)


@router.post("/{slug}/metingen/{round_id}/verlengen", name="admin_round_extend")
def round_extend(slug: str, round_id: Id, request: Request, session: SessionDep,
                 settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    institution, round_ = _round(session, account, slug, round_id)
    data = dict(pairs)
    form = {name: data.get(name, "")[:20] for name in ("closes_date", "closes_time")}
    closes_at = local_moment(form["closes_date"], form["closes_time"])
    if closes_at is None:
        return _round_page(request, session, settings, institution, round_, extend_form=form,
                           errors={"closes": ("moment_missing", {})}, status_code=422)
    try:
        rounds.extend_round(session=session, actor=account, round_=round_, closes_at=closes_at)
    except DomainError as exc:
        session.rollback()
        session.refresh(round_)
        return _round_page(request, session, settings, institution, round_, extend_form=form,
                           errors=_errors(exc, "closes"), status_code=422)
    return RedirectResponse(str(request.url_for("admin_round", slug=slug, round_id=round_id))
                            + "?done=extended", status_code=303)


# --- invitations of one unit ----------------------------------------------------------------------


def _round_unit(session: Session, account: Account, slug: str, round_id: int,
                unit_id: int) -> tuple[Institution, Round, Unit]:
    institution, round_ = _round(session, account, slug, round_id)
    return institution, round_, inviting.round_unit(session=session, round_=round_, unit_id=unit_id)


def _unit_page(request: Request, session: Session, settings: Settings, institution: Institution,
               round_: Round, unit: Unit, *, links_form: dict | None = None,
               mail_form: dict | None = None, errors: dict | None = None,
               status_code: int = 200) -> HTMLResponse:
    lang = language(request)
    link = inviting.shared_link(session=session, secret_key=settings.secret_key,
                                base_url=settings.base_url, round_=round_, unit=unit)
    counts = next((row for row in inviting.participation(
        session=session, round_=round_, institution=institution, default_k=settings.anonymity_k)
        if row.unit.id == unit.id), None)
    done = request.query_params.get("done")
    page = render(request, "admin/round_unit.html", {
        "institution": institution, "section": "rounds", "round": round_, "unit": unit,
        "status": round_.status(utcnow()), "shared_link": link, "counts": counts,
        "qr_svg": _qr(link).svg_inline(omitsize=True) if link else None,
        "links_form": links_form or {"count": "10", "format": "csv"},
        "mail_form": mail_form or {"addresses": "", "lang": institution.default_language or lang},
        "max_links": inviting.MAX_LINKS_PER_DOWNLOAD, "errors": errors or {},
        "done": done if done in DONE else None,
        "done_count": request.query_params.get("n", ""),
        "mail": emailing.mail_state(session=session, settings=settings, round_=round_),
        "previews": emailing.previews(round_=round_, unit=unit, institution=institution),
    }, status_code=status_code)
    page.headers.update(PRIVATE)
    return page


@router.get("/{slug}/metingen/{round_id}/eenheden/{unit_id}", name="admin_round_unit",
            response_class=HTMLResponse)
def unit_page(slug: str, round_id: Id, unit_id: Id, request: Request, session: SessionDep,
              settings: SettingsDep, account: ManagerAccount):
    institution, round_, unit = _round_unit(session, account, slug, round_id, unit_id)
    return _unit_page(request, session, settings, institution, round_, unit)


@router.post("/{slug}/metingen/{round_id}/eenheden/{unit_id}/links", name="admin_round_unit_links")
def personal_links(slug: str, round_id: Id, unit_id: Id, request: Request, session: SessionDep,
                   settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    """The answer is the download itself: the links exist nowhere else."""
    institution, round_, unit = _round_unit(session, account, slug, round_id, unit_id)
    data = dict(pairs)
    form = {"count": data.get("count", "").strip()[:10],
            "format": "xlsx" if data.get("format") == "xlsx" else "csv"}
    count = int(form["count"]) if form["count"].isdigit() else 0
    try:
        links = inviting.generate_personal_links(session=session, actor=account, round_=round_,
                                                 unit=unit, count=count, base_url=settings.base_url)
    except DomainError as exc:
        session.rollback()
        return _unit_page(request, session, settings, institution, round_, unit, links_form=form,
                          errors=_errors(exc, "count"), status_code=422)
    lang = language(request)
    name = f"kennisster-{institution.slug}-{round_.id}-{inviting.file_slug(unit.name)}-links"
    if form["format"] == "xlsx":
        return Response(inviting.links_xlsx(unit, links, lang), media_type=inviting.XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"',
                                 **PRIVATE})
    return Response(inviting.links_csv(unit, links, lang), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"', **PRIVATE})


@router.post("/{slug}/metingen/{round_id}/eenheden/{unit_id}/gedeelde-link",
             name="admin_round_unit_shared")
def make_shared(slug: str, round_id: Id, unit_id: Id, request: Request, session: SessionDep,
                settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    institution, round_, unit = _round_unit(session, account, slug, round_id, unit_id)
    inviting.make_shared_link(session=session, actor=account, secret_key=settings.secret_key,
                              base_url=settings.base_url, round_=round_, unit=unit)
    return RedirectResponse(str(request.url_for("admin_round_unit", slug=slug, round_id=round_id,
                                                unit_id=unit_id)) + "?done=shared", status_code=303)


def _qr(link: str) -> segno.QRCode:
    return segno.make(link, error="m", micro=False)


def _existing_link(session: Session, settings: Settings, round_: Round, unit: Unit) -> str:
    link = inviting.shared_link(session=session, secret_key=settings.secret_key,
                                base_url=settings.base_url, round_=round_, unit=unit)
    if link is None or unit.archived_at is not None:
        raise NotFound("This unit has no shared link in this round.")
    return link


@router.get("/{slug}/metingen/{round_id}/eenheden/{unit_id}/qr.{fmt}", name="admin_round_unit_qr")
def shared_qr(slug: str, round_id: Id, unit_id: Id, fmt: Literal["svg", "png"],
              session: SessionDep, settings: SettingsDep, account: ManagerAccount):
    institution, round_, unit = _round_unit(session, account, slug, round_id, unit_id)
    link = _existing_link(session, settings, round_, unit)
    name = f"kennisster-{institution.slug}-{round_.id}-{inviting.file_slug(unit.name)}-qr.{fmt}"
    headers = {"Content-Disposition": f'inline; filename="{name}"', **PRIVATE}
    out = io.BytesIO()
    if fmt == "svg":
        _qr(link).save(out, kind="svg", scale=10, border=4, xmldecl=True, svgns=True,
                       title=link)
        return Response(out.getvalue(), media_type="image/svg+xml", headers=headers)
    _qr(link).save(out, kind="png", scale=10, border=4)
    return Response(out.getvalue(), media_type="image/png", headers=headers)


@router.get("/{slug}/metingen/{round_id}/eenheden/{unit_id}/poster", name="admin_round_unit_poster",
            response_class=HTMLResponse)
def poster(slug: str, round_id: Id, unit_id: Id, request: Request, session: SessionDep,
           settings: SettingsDep, account: ManagerAccount):
    """A printable A4 page for a team meeting: the QR code large, the link, the closing date."""
    institution, round_, unit = _round_unit(session, account, slug, round_id, unit_id)
    link = _existing_link(session, settings, round_, unit)
    page = render(request, "admin/poster.html", {
        "institution": institution, "round": round_, "unit": unit, "link": link,
        "short_link": link.split("://", 1)[-1],
        "qr_svg": _qr(link).svg_inline(omitsize=True, border=2),
    })
    page.headers.update(PRIVATE)
    return page


# --- e-mail invitations and reminders -------------------------------------------------------------


def _invite(request: Request, session: Session, settings: Settings, account: Account, slug: str,
            round_id: int, unit_id: int, *, read_addresses, form: dict, field: str = "addresses"):
    institution, round_, unit = _round_unit(session, account, slug, round_id, unit_id)
    lang = form["lang"] if form["lang"] in emailing.LANGUAGES else "nl"
    try:
        made = emailing.invite_by_mail(session=session, actor=account, settings=settings,
                                       round_=round_, unit=unit, addresses=read_addresses(),
                                       lang=lang)
    except DomainError as exc:
        session.rollback()
        code = "addresses_invalid" if "addresses" in exc.params else exc.code
        return _unit_page(request, session, settings, institution, round_, unit, mail_form=form,
                          errors={field: (code, exc.params)}, status_code=422)
    return RedirectResponse(str(request.url_for("admin_round_unit", slug=slug, round_id=round_id,
                                                unit_id=unit_id)) + f"?done=invited&n={made}",
                            status_code=303)


@router.post("/{slug}/metingen/{round_id}/eenheden/{unit_id}/uitnodigen",
             name="admin_round_unit_invite")
def invite_pasted(slug: str, round_id: Id, unit_id: Id, request: Request, session: SessionDep,
                  settings: SettingsDep, account: ManagerAccount, pairs: FormPairs):
    data = dict(pairs)
    form = {"addresses": data.get("addresses", "")[:200_000], "lang": data.get("lang", "nl")}
    return _invite(request, session, settings, account, slug, round_id, unit_id,
                   read_addresses=lambda: emailing.pasted_addresses(form["addresses"]), form=form)


@router.post("/{slug}/metingen/{round_id}/eenheden/{unit_id}/upload",
             name="admin_round_unit_upload")
def invite_uploaded(slug: str, round_id: Id, unit_id: Id, request: Request, session: SessionDep,
                    settings: SettingsDep, account: ManagerAccount, pairs: FormPairs,
                    upload: UploadDep):
    form = {"addresses": "", "lang": dict(pairs).get("lang", "nl")}

    def addresses() -> list[str]:
        return [] if upload is None else emailing.uploaded_addresses(upload.filename, upload.content)
    return _invite(request, session, settings, account, slug, round_id, unit_id,
                   read_addresses=addresses, form=form, field="file")


@router.post("/{slug}/metingen/{round_id}/herinneren", name="admin_round_remind")
def remind(slug: str, round_id: Id, request: Request, session: SessionDep, settings: SettingsDep,
           account: ManagerAccount, pairs: FormPairs):
    institution, round_ = _round(session, account, slug, round_id)
    try:
        sent = emailing.remind_now(session=session, actor=account, settings=settings, round_=round_)
    except DomainError as exc:
        session.rollback()
        return _round_page(request, session, settings, institution, round_,
                           errors={"remind": (exc.code, exc.params)}, status_code=422)
    return RedirectResponse(str(request.url_for("admin_round", slug=slug, round_id=round_id))
                            + f"?done=reminded&n={sent}", status_code=303)
