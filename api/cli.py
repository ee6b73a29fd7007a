"""`kennisster` — the administrator's command line."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from alembic import command
from alembic.config import Config
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlmodel import Session

from api.platform.db import make_engine, session_scope
from api.platform.errors import DomainError
from api.platform.models import Institution
from api.platform.questionnaires import QuestionnaireError, load_catalog
from api.platform.settings import ROOT, get_settings
from api.results import gate, releases
from api.setup import (
    access,
    account_admin,
    account_links,
    accounts,
    audit,
    institutions,
    inviting,
    rounds,
    sign_in_policy,
    token_admin,
    tokens,
    two_factor,
    units,
)
from api.setup.unit_tree import UnitImportRefused
from api.survey import imports, invitations, mailing

app = typer.Typer(help="Kennisster: zelfevaluatie van kennisdeling tussen practoraten.",
                  no_args_is_help=True, add_completion=False)
institution_app = typer.Typer(help="Create and list institutions.", no_args_is_help=True)
unit_app = typer.Typer(help="Create and list units (practoraat, afdeling, team).",
                       no_args_is_help=True)
round_app = typer.Typer(help="Open, close and list rounds (metingen).", no_args_is_help=True)
app.add_typer(institution_app, name="institution")
app.add_typer(unit_app, name="unit")
account_app = typer.Typer(help="Create, grant and list dashboard accounts.", no_args_is_help=True)
app.add_typer(round_app, name="round")
app.add_typer(account_app, name="account")
token_app = typer.Typer(help="Create, list and revoke API tokens for /api/v1.", no_args_is_help=True)
app.add_typer(token_app, name="token")
sector_app = typer.Typer(help="Opt an institution in to or out of the sector benchmark.",
                         no_args_is_help=True)
app.add_typer(sector_app, name="sector")
console = Console()


def _fail(message: str) -> None:
    console.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code=1)


def _engine():
    return make_engine(get_settings())


@contextmanager
def _use_case(*, write: bool = False) -> Iterator[Session]:
    """One session and one transaction for one command: the building blocks it calls only
    flush, and it commits once at the end; a refused action ends with its message and exit
    code 1 and stores nothing."""
    with session_scope(_engine(), write=write) as session:
        try:
            yield session
            if write:
                session.commit()
        except DomainError as exc:
            session.rollback()
            _fail(exc.detail)


def _catalog():
    try:
        return load_catalog(get_settings().questionnaires_dir)
    except QuestionnaireError as exc:
        _fail(str(exc))


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or upgrade the database schema (the only way the schema changes)."""
    command.upgrade(alembic_config(), revision)
    console.print(f"Database at {revision}: {get_settings().database_url}")
    if revision == "head":  # responses stored before releases existed are released by the rule
        with _use_case(write=True) as session:
            releases.release_all_due(session=session, default_k=get_settings().anonymity_k)


@app.command()
def check() -> None:
    """Validate every questionnaire file and print its version and content hash."""
    for q in _catalog():
        console.print(f"{q.ref}: {len(q.knobs)} knobs, {len(q.items)} items, "
                      f"hash {q.content_hash[:12]}" + (" (draft)" if q.status == "draft" else ""))


@institution_app.command("create")
def institution_create(
    name: str,
    k: Annotated[int | None, typer.Option(help="Own anonymity threshold (at least 3).")] = None,
    language: Annotated[str, typer.Option(help="Default language: nl or en.")] = "nl",
) -> None:
    """Create an institution."""
    with _use_case(write=True) as session:
        inst = institutions.add_institution(session=session, actor=None, name=name,
                                            anonymity_k=k, default_language=language)
        console.print(f"Created institution {inst.id}: {inst.name} (slug {inst.slug})")


@institution_app.command("update")
def institution_update(
    institution: Annotated[str, typer.Argument(help="Institution id or slug.")],
    name: Annotated[str | None, typer.Option(help="New name (the slug stays).")] = None,
    k: Annotated[int | None, typer.Option(
        help="Anonymity threshold: at least 3; lower only before the first release.")] = None,
    language: Annotated[str | None, typer.Option(help="Default language: nl or en.")] = None,
) -> None:
    """Change an institution's name, anonymity threshold or default language."""
    default_k = get_settings().anonymity_k
    with _use_case(write=True) as session:
        inst = institutions.get_institution(session=session, ref=institution)
        changes = institutions.update_institution(
            session=session, actor=None, institution=inst, name=name or inst.name,
            anonymity_k=k if k is not None else inst.anonymity_k or default_k,
            default_language=language or inst.default_language, default_k=default_k)
        console.print(f"{inst.name}: {'; '.join(changes) if changes else 'nothing changed'}")


@institution_app.command("sign-in")
def institution_sign_in(
    institution: Annotated[str, typer.Argument(help="Institution id or slug.")],
    domain: Annotated[list[str] | None, typer.Option(
        help="A domain (institution claim value) whose users may get an account; repeat it. "
             "Given: replaces the list; --no-domains empties it.")] = None,
    no_domains: Annotated[bool, typer.Option("--no-domains", help="No domains at all.")] = False,
    role: Annotated[str | None, typer.Option(
        help="Role of an account made on its first sign-in: bestuur or coordinator.")] = None,
    password: Annotated[bool | None, typer.Option(
        "--password-on/--password-off",
        help="Whether the institution's accounts may still sign in with a password.")] = None,
) -> None:
    """Sign-in through OpenID Connect for an institution (as on its page in /beheer)."""
    with _use_case(write=True) as session:
        inst = institutions.get_institution(session=session, ref=institution)
        policy = sign_in_policy.policy_of(session=session, institution=inst)
        current = sign_in_policy.domains_of(session=session, institution=inst)
        wanted = [] if no_domains else domain if domain is not None else current
        changes = sign_in_policy.save_policy(
            session=session, actor=None, institution=inst, domains="\n".join(wanted),
            sso_role=role or policy.sso_role,
            password_off=policy.password_off if password is None else not password)
        now = sign_in_policy.policy_of(session=session, institution=inst)
        listed = ", ".join(sign_in_policy.domains_of(session=session, institution=inst))
        console.print(f"{inst.name}: {'; '.join(changes) if changes else 'nothing changed'}")
        console.print(f"domains: {listed or '–'}; new accounts: {now.sso_role}; "
                      f"password sign-in: {'off' if now.password_off else 'on'}")


@institution_app.command("list")
def institution_list() -> None:
    """List institutions."""
    table = Table("id", "slug", "name", "k")
    with _use_case() as session:
        for inst in institutions.list_institutions(session=session):
            table.add_row(str(inst.id), inst.slug, inst.name, str(inst.anonymity_k or "default"))
    console.print(table)


@unit_app.command("create")
def unit_create(
    institution: Annotated[str, typer.Argument(help="Institution id or slug.")],
    name: str,
    kind: Annotated[str, typer.Option(help="practoraat, afdeling or team.")] = "practoraat",
    parent: Annotated[str | None, typer.Option(help="Parent unit id or name.")] = None,
) -> None:
    """Create a unit in an institution."""
    with _use_case(write=True) as session:
        inst = institutions.get_institution(session=session, ref=institution)
        parent_unit = (institutions.get_unit(session=session, institution=inst, ref=parent)
                       if parent else None)
        unit = units.add_unit(session=session, actor=None, institution=inst, name=name,
                              kind=kind, parent=parent_unit)
        console.print(f"Created {unit.kind} {unit.id}: {unit.name}")


def _unit(session: Session, institution: str, unit: str):
    inst = institutions.get_institution(session=session, ref=institution)
    return inst, institutions.get_unit(session=session, institution=inst, ref=unit)


InstitutionRef = Annotated[str, typer.Argument(help="Institution id or slug.")]
UnitRef = Annotated[str, typer.Argument(help="Unit name or id.")]


@unit_app.command("rename")
def unit_rename(institution: InstitutionRef, unit: UnitRef, name: str) -> None:
    """Give a unit another name."""
    with _use_case(write=True) as session:
        _, target = _unit(session, institution, unit)
        old = target.name
        units.rename_unit(session=session, actor=None, unit=target, name=name)
        console.print(f"Renamed {old!r} to {target.name!r}")


@unit_app.command("move")
def unit_move(
    institution: InstitutionRef, unit: UnitRef,
    parent: Annotated[str | None, typer.Option(
        help="The new parent's name or id; leave out to move the unit to the top.")] = None,
) -> None:
    """Place a unit under another parent (never under itself or its own descendants)."""
    with _use_case(write=True) as session:
        inst, target = _unit(session, institution, unit)
        parent_unit = (institutions.get_unit(session=session, institution=inst, ref=parent)
                       if parent else None)
        units.move_unit(session=session, actor=None, unit=target, parent=parent_unit)
        console.print(f"{target.name} is now " + (f"under {parent_unit.name}" if parent_unit
                                                  else "at the top"))


@unit_app.command("archive")
def unit_archive(institution: InstitutionRef, unit: UnitRef,
                 undo: Annotated[bool, typer.Option(
                     "--undo", help="Put an archived unit back in use.")] = False) -> None:
    """Archive a unit: it keeps its numbers and takes no new invitations (--undo: back in use)."""
    with _use_case(write=True) as session:
        _, target = _unit(session, institution, unit)
        if undo:
            units.unarchive_unit(session=session, actor=None, unit=target)
        else:
            units.archive_unit(session=session, actor=None, unit=target)
        console.print(f"{target.name} is {'in use' if undo else 'archived'}")


@unit_app.command("delete")
def unit_delete(institution: InstitutionRef, unit: UnitRef) -> None:
    """Delete a unit without responses, invitations or child units (else archive it)."""
    with _use_case(write=True) as session:
        _, target = _unit(session, institution, unit)
        name = target.name
        units.delete_unit(session=session, actor=None, unit=target)
        console.print(f"Deleted {name}")


@unit_app.command("import")
def unit_import(
    institution: InstitutionRef,
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX file with the columns naam/name, "
                                              "soort/kind and bovenliggende/parent.",
                                         exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import a unit tree from a CSV or XLSX file, all or nothing: every bad row is named."""
    with _use_case(write=True) as session:
        inst = institutions.get_institution(session=session, ref=institution)
        try:
            made = units.import_units(session=session, actor=None, institution=inst,
                                      filename=file.name, content=file.read_bytes())
        except UnitImportRefused as exc:
            session.rollback()
            table = Table("row", "column", "problem", title=f"{file.name}: nothing imported")
            for problem in exc.problems:
                table.add_row(str(problem.row or "—"), problem.column or "—", problem.message)
            console.print(table)
            _fail(f"{exc.total} problem(s) in {file.name}; nothing was stored.")
        console.print(f"{len(made)} units added to {inst.name}")


@unit_app.command("list")
def unit_list(institution: Annotated[str, typer.Argument(help="Institution id or slug.")]) -> None:
    """List the units of an institution."""
    table = Table("id", "kind", "name", "parent")
    with _use_case() as session:
        inst = institutions.get_institution(session=session, ref=institution)
        for unit in institutions.list_units(session=session, institution=inst):
            table.add_row(str(unit.id), unit.kind + (" (archived)" if unit.archived_at else ""),
                          unit.name, str(unit.parent_id or ""))
    console.print(table)


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@round_app.command("open")
def round_open(
    institution: Annotated[str, typer.Argument(help="Institution id or slug.")],
    name: str,
    questionnaire: Annotated[str, typer.Option(help="slug/version")] = "galbraith-star/1.0",
    opens: Annotated[str | None, typer.Option(help="Opening moment (default now).")] = None,
    closes: Annotated[str | None, typer.Option(help="Closing moment (default: open-ended).")]
    = None,
    remind_days_before_close: Annotated[int | None, typer.Option(
        help="Remind e-mailed invitees who have not answered this many days before closing.")]
    = None,
) -> None:
    """Open a round: an institution runs one questionnaire version from now (or --opens)."""
    slug, _, version = questionnaire.partition("/")
    with _use_case(write=True) as session:
        inst = institutions.get_institution(session=session, ref=institution)
        round_ = rounds.start_round(session=session, catalog=_catalog(), actor=None,
                                    institution=inst, name=name, slug=slug, version=version,
                                    opens_at=_when(opens), closes_at=_when(closes),
                                    remind_days_before_close=remind_days_before_close)
        console.print(f"Opened round {round_.id}: {round_.name} ({questionnaire})")


@round_app.command("close")
def round_close(round_id: int) -> None:
    """Close a round now: its links stop accepting answers."""
    with _use_case(write=True) as session:
        round_ = rounds.close_round(session=session,
                                    round_=rounds.get_round(session=session, round_id=round_id),
                                    default_k=get_settings().anonymity_k)
        console.print(f"Closed round {round_.id}: {round_.name}")


@round_app.command("extend")
def round_extend(
    round_id: int,
    closes: Annotated[str, typer.Option(help="The new, later closing moment (UTC unless it "
                                             "names its offset).")],
) -> None:
    """Move the closing moment of a round that has not closed yet to later."""
    with _use_case(write=True) as session:
        round_ = rounds.extend_round(session=session, actor=None,
                                     round_=rounds.get_round(session=session, round_id=round_id),
                                     closes_at=_when(closes))
        console.print(f"Round {round_.id} now closes {round_.closes_at:%Y-%m-%d %H:%M} UTC")


@round_app.command("import")
def round_import(
    round_id: int,
    file: Annotated[Path, typer.Argument(help="A CSV file with the columns unit, role and the "
                                              "item and open question ids.",
                                         exists=True, dir_okay=False, readable=True)],
    allow_closed: Annotated[bool, typer.Option(
        "--allow-closed", help="Import into a round that has closed (late paper forms); the "
                               "audit log records it.")] = False,
) -> None:
    """Import responses collected on paper into a round, all or nothing, by the survey's rules:
    never before the round opens, and after it closes only with --allow-closed."""
    with _use_case(write=True) as session:
        round_ = rounds.get_round(session=session, round_id=round_id)
        questionnaire = _catalog().require(round_.questionnaire_slug, round_.questionnaire_version)
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            _fail(f"{file.name} is not UTF-8 text.")
        try:
            checked = imports.check_rows(
                imports.rows_from_csv(text, questionnaire), questionnaire=questionnaire,
                units=institutions.list_units(session=session, institution=session.get(
                    Institution, round_.institution_id)))
        except imports.ImportRejected as exc:
            table = Table("row", "column", "problem", title=f"{file.name}: nothing imported")
            for problem in exc.problems:
                table.add_row(str(problem.row or "—"), problem.column or "—", problem.message)
            console.print(table)
            raise
        def record_late(session, count: int) -> None:
            audit.record(session=session, actor=None, action="responses_imported_after_close",
                         institution=round_.institution_id,
                         detail=f"{count} response(s) into closed round {round_.id} "
                                f"({round_.name}) with --allow-closed")

        count, _ = imports.import_responses(
            session=session, round_=round_, questionnaire=questionnaire, rows=checked,
            default_k=get_settings().anonymity_k, allow_closed=allow_closed,
            record_late=record_late)
        console.print(f"{count} response(s) imported into round {round_.id}: {round_.name}")


@round_app.command("list")
def round_list(institution: Annotated[str, typer.Argument(help="Institution id or slug.")]) -> None:
    """List the rounds of an institution: responses counted in the published numbers, and
    responses waiting until their groups are large enough."""
    table = Table("id", "name", "questionnaire", "opens", "closes", "counted", "waiting")
    with _use_case() as session:
        inst = institutions.get_institution(session=session, ref=institution)
        for round_, _ in gate.rounds_of(session=session, institution=inst):
            release = gate.release_state(session=session, round_=round_)
            table.add_row(str(round_.id), round_.name,
                          f"{round_.questionnaire_slug}/{round_.questionnaire_version}",
                          f"{round_.opens_at:%Y-%m-%d %H:%M}",
                          f"{round_.closes_at:%Y-%m-%d %H:%M}" if round_.closes_at else "—",
                          str(release.counted), str(release.pending))
    console.print(table)


@account_app.command("create")
def account_create(
    email: str,
    role: Annotated[str, typer.Option(
        help="bestuur (reads granted dashboards), coordinator (runs granted institutions) "
             "or admin.")] = "bestuur",
    institution: Annotated[list[str] | None, typer.Option(
        help="Institution id or slug this account may see (repeat for more).")] = None,
    name: str = "",
    password: Annotated[str | None, typer.Option(
        help="Leave out to be asked for it without echo.")] = None,
) -> None:
    """Create a dashboard account with an argon2-hashed password."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _use_case(write=True) as session:
        granted = [institutions.get_institution(session=session, ref=ref)
                   for ref in institution or []]
        account = accounts.create_account(session=session, email=email, password=password,
                                          role=role, name=name, institutions=granted)
        console.print(f"Created {account.role} account {account.email}"
                      + (f" for {', '.join(i.name for i in granted)}" if granted else ""))


@account_app.command("grant")
def account_grant(email: str,
                  institution: Annotated[str, typer.Argument(help="Institution id or slug.")]) -> None:
    """Let an account see one more institution's dashboard."""
    with _use_case(write=True) as session:
        account = accounts.get_account(session=session, email=email)
        inst = institutions.get_institution(session=session, ref=institution)
        accounts.grant(session=session, account=account, institution=inst)
        console.print(f"{account.email} may now see {inst.name}")


@account_app.command("list")
def account_list() -> None:
    """List accounts and the institutions they may see."""
    table = Table("e-mail", "role", "institutions")
    with _use_case() as session:
        for account in accounts.list_accounts(session=session):
            seen = access.readable_institutions(session=session, account=account)
            table.add_row(account.email, account.role,
                          "all" if account.role == "admin" else ", ".join(i.slug for i in seen))
    console.print(table)


def _print_link(settings, token, what: str) -> None:
    """The link itself only for someone with a shell, and only when no mail will carry it."""
    if settings.mail_configured:
        console.print(f"The {what} link is on its way by e-mail.")
    else:
        console.print(f"Mail is not configured (KENNISSTER_SMTP_HOST); hand out this {what} link "
                      "yourself, it works once:")
        typer.echo(account_links.link_url(settings.base_url,
                                          account_links.plain_token(settings.secret_key, token)))


@account_app.command("invite")
def account_invite(
    email: str,
    institution: Annotated[str, typer.Option(help="Institution id or slug.")],
    role: Annotated[str, typer.Option(help="bestuur or coordinator.")] = "bestuur",
    name: str = "",
) -> None:
    """Invite a board member or coordinator by e-mail with a one-time link to set a password
    (an existing account of that role is granted the institution instead)."""
    settings = get_settings()
    with _use_case(write=True) as session:
        inst = institutions.get_institution(session=session, ref=institution)
        result = account_admin.invite(session=session, actor=None, institution=inst, email=email,
                                      role=role, name=name, secret_key=settings.secret_key)
        if result.existing:
            console.print(f"{result.account.email} had an account already; it may now see "
                          f"{inst.name}")
        if result.token is not None:
            _print_link(settings, result.token, "invitation")


@account_app.command("revoke")
def account_revoke(email: str) -> None:
    """Block a whole account: no login, every session ended, no link of it works."""
    with _use_case(write=True) as session:
        account = accounts.get_account(session=session, email=email)
        account_admin.revoke_account(session=session, actor=None, account_id=account.id)
        console.print(f"Revoked {account.email}")


@account_app.command("two-factor-reset")
def account_two_factor_reset(email: str) -> None:
    """Clear someone's lost authenticator app: they enrol again at their next sign-in (logged)."""
    with _use_case(write=True) as session:
        account = accounts.get_account(session=session, email=email)
        two_factor.reset(session=session, actor=None, account_id=account.id)
        console.print(f"Two-step sign-in cleared for {account.email}")


@account_app.command("reset")
def account_reset(email: str,
                  lang: Annotated[str, typer.Option(help="Language of the mail: nl or en.")] = "nl",
                  ) -> None:
    """Send someone a link to choose a new password (valid for one hour, works once)."""
    settings = get_settings()
    with _use_case(write=True) as session:
        token = account_admin.send_reset(session=session, actor=None, email=email, lang=lang,
                                         secret_key=settings.secret_key)
        _print_link(settings, token, "reset")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what the token is for.")],
    institution: Annotated[list[str], typer.Option(
        help="Institution id or slug in scope (repeat for more).")],
    scope: Annotated[list[str] | None, typer.Option(
        help="read, import and/or webhooks (repeat for more); read when none is given.")] = None,
) -> None:
    """Create a bearer token; it is printed once and only its hash is kept."""
    with _use_case(write=True) as session:
        chosen = [institutions.get_institution(session=session, ref=ref) for ref in institution]
        token, plain = token_admin.create(session=session, actor=None, name=name,
                                          scopes=scope or ["read"], institutions=chosen)
    console.print(f"Token {token.id} ({token.scopes}) for {', '.join(i.slug for i in chosen)}:")
    typer.echo(plain)


@token_app.command("list")
def token_list() -> None:
    """List tokens (never their secret)."""
    table = Table("id", "name", "scopes", "institutions", "created", "revoked")
    with _use_case() as session:
        for token, insts in tokens.list_tokens(session=session):
            table.add_row(str(token.id), token.name, token.scopes,
                          ", ".join(i.slug for i in insts), f"{token.created_at:%Y-%m-%d}",
                          f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "")
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token: it answers 401 from now on."""
    with _use_case(write=True) as session:
        token = token_admin.revoke(session=session, actor=None, token_id=token_id)
    console.print(f"Revoked token {token.id} ({token.name})")


@app.command()
def invite(
    round_id: int,
    unit: Annotated[str, typer.Argument(help="Unit id or name.")],
    count: Annotated[int, typer.Option("--count", "-n", help="Number of personal links.")] = 1,
    shared: Annotated[bool, typer.Option(help="Print the unit's shared link instead.")] = False,
    email: Annotated[Path | None, typer.Option(
        help="File with one e-mail address per line: each gets a personal link by e-mail.",
        exists=True, dir_okay=False, readable=True)] = None,
    lang: Annotated[str | None, typer.Option(
        help="Language of the e-mails: nl or en (default: the institution's).")] = None,
) -> None:
    """Print N single-use survey URLs, the unit's shared link (--shared), or e-mail links (--email).

    With --email FILE every address in the file (one a line) gets its own personal link by e-mail;
    addresses already invited to the round are skipped."""
    settings = get_settings()
    invited: int | None = None
    with _use_case(write=True) as session:
        round_ = rounds.get_round(session=session, round_id=round_id)
        inst = institutions.get_institution(session=session, ref=round_.institution_id)
        target = institutions.get_unit(session=session, institution=inst, ref=unit)
        if email is not None:
            invited = invitations.create_emailed(
                session, round_=round_, unit=target, secret_key=settings.secret_key,
                addresses=email.read_text(encoding="utf-8-sig").splitlines(),
                lang=lang or inst.default_language)
        elif shared:
            links = [inviting.make_shared_link(session=session, actor=None,
                                               secret_key=settings.secret_key,
                                               base_url=settings.base_url, round_=round_,
                                               unit=target)]
        else:
            links = inviting.generate_personal_links(
                session=session, actor=None, round_=round_, unit=target, count=count,
                base_url=settings.base_url, max_count=invitations.MAX_PERSONAL_PER_CALL)
    if invited is not None:
        console.print(f"Invited {invited} new address(es) by e-mail for {target.name}"
                      + ("" if settings.mail_configured else
                         "; mail is not configured yet (KENNISSTER_SMTP_HOST), so it waits"
                         " in the outbox"))
        return
    for link in links:
        typer.echo(link)


@app.command()
def remind(
    round_id: int,
    schedule: Annotated[int | None, typer.Option(
        "--days-before-close", help="Instead of reminding now, remind automatically this many days "
        "before the round closes.")] = None,
    no_schedule: Annotated[bool, typer.Option(help="Cancel the automatic reminder.")] = False,
) -> None:
    """Remind everyone invited by e-mail who has not answered yet (at most once a day)."""
    scheduling = schedule is not None or no_schedule
    with _use_case(write=True) as session:
        round_ = rounds.get_round(session=session, round_id=round_id)
        if scheduling:
            mailing.schedule_reminder(session, round_=round_,
                                      days_before_close=None if no_schedule else schedule)
        else:
            queued = mailing.send_reminders(session, round_=round_, today=mailing.local_today())
    if scheduling:
        console.print(f"Round {round_id}: " + ("no automatic reminder" if no_schedule
                                                else f"reminder {schedule} day(s) before it closes"))
    else:
        console.print(f"Queued {queued} reminder(s) for round {round_id}.")


@app.command()
def worker(once: Annotated[bool, typer.Option(help="One pass, then stop.")] = False) -> None:
    """Send the outbox's mail and reminders and deliver webhooks, until stopped.

    Stops on Ctrl-C or SIGTERM. Without mail settings only the webhooks are delivered."""
    import signal
    import threading

    from api.mail import worker as mail_worker
    from api.webhooks import worker as webhook_worker

    settings = get_settings()
    engine = _engine()
    if once:
        if settings.mail_configured:
            console.print(f"Sent {mail_worker.run_once(engine, settings)} mail(s).")
        else:
            console.print("Mail is not configured (KENNISSTER_SMTP_HOST): no mail sent.")
        console.print(f"Delivered {webhook_worker.run_once(engine, settings)} webhook(s).")
        return
    stop = threading.Event()

    def _stop(*_args) -> None:
        stop.set()
        mail_worker.wake()
        webhook_worker.wake()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    hooks = threading.Thread(target=webhook_worker.run_worker, args=(engine, settings, stop),
                             name="kennisster-webhooks")
    hooks.start()
    if settings.mail_configured:
        mail_worker.run_worker(engine, settings, stop)
    else:
        console.print("Mail is not configured (KENNISSTER_SMTP_HOST): delivering webhooks only.")
        stop.wait()
    hooks.join()
    engine.dispose()


def _sector_choice(institution: str, version: str, take_part: bool) -> None:
    from api.setup import sector_benchmark

    settings = get_settings()
    catalog = _catalog()
    with _use_case(write=True) as session:
        inst = institutions.get_institution(session=session, ref=institution)
        changed = sector_benchmark.set_opt_in(
            session=session, actor=None, institution=inst, catalog=catalog, ref=version,
            take_part=take_part, default_k=settings.anonymity_k,
            minimum=settings.sector_min_institutions)
        what = "takes part in" if take_part else "no longer takes part in"
        console.print(f"{inst.name} {what} the sector benchmark of {version}"
                      + ("" if changed else " (unchanged)"))


@sector_app.command("join")
def sector_join(institution: InstitutionRef,
                version: Annotated[str, typer.Argument(help="slug/version, e.g. galbraith-star/1.1")],
                ) -> None:
    """Opt an institution in to the sector benchmark of a questionnaire version (as in /beheer)."""
    _sector_choice(institution, version, True)


@sector_app.command("leave")
def sector_leave(institution: InstitutionRef,
                 version: Annotated[str, typer.Argument(help="slug/version, e.g. galbraith-star/1.1")],
                 ) -> None:
    """Opt an institution out: a shown benchmark it is in is withdrawn until a new one qualifies."""
    _sector_choice(institution, version, False)


@app.command()
def demo() -> None:
    """Load the demo institution (idempotent: running it again changes nothing)."""
    from api.setup.demo import DEMO_INSTITUTION, demo_size, load_demo

    settings = get_settings()
    with session_scope(_engine(), write=True) as session, Progress(console=console) as progress:
        task = progress.add_task("Demo responses", total=demo_size())
        created = load_demo(session=session, catalog=_catalog(), secret_key=settings.secret_key,
                            default_k=settings.anonymity_k,
                            advance=lambda n: progress.advance(task, n))
        if created is None:
            progress.update(task, completed=demo_size())
    console.print(f"Demo institution {DEMO_INSTITUTION!r} "
                  f"{'created' if created else 'already present; nothing changed'}.")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes.")] = 1,
) -> None:
    """Serve the app with uvicorn."""
    import uvicorn

    uvicorn.run("api.asgi:app", host=host, port=port, workers=workers, proxy_headers=True)


@app.command()
def up(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Migrate, load the demo data, print the URLs to try, and serve: the first run in one go."""
    migrate()
    demo()
    _print_tour(host=host, port=port)
    serve(host=host, port=port)


def _program() -> str:
    """How to type `kennisster` in this shell: the virtualenv's own script, since `kennisster`
    alone is not on PATH outside the venv; relative to the working directory when under it (the
    README runs everything from the repository root), else absolute."""
    bin_dir = Path(sys.executable).parent  # not resolved: the venv's python is a symlink
    script = bin_dir / "kennisster"
    program = [script] if script.exists() else [Path(sys.executable), "-m", "api.cli"]
    with suppress(ValueError):  # outside the working directory: the absolute path
        program[0] = program[0].relative_to(Path.cwd())
    return shlex.join(str(part) for part in program)


def _print_tour(*, host: str, port: int) -> None:
    from sqlmodel import select

    from api.platform.models import Institution, Round, Unit
    from api.setup.demo import DEMO_BOARD_EMAIL, DEMO_COORDINATOR_EMAIL, DEMO_INSTITUTION, DEMO_PASSWORD

    settings = get_settings()
    prog = _program()
    if "KENNISSTER_BASE_URL" not in os.environ:  # the links point where this server listens
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    with _use_case(write=True) as session:
        inst = session.exec(select(Institution).where(Institution.name == DEMO_INSTITUTION)).one()
        round_ = session.exec(select(Round).where(Round.institution_id == inst.id)
                              .order_by(Round.opens_at.desc())).first()
        unit = session.exec(select(Unit).where(Unit.institution_id == inst.id,
                                               Unit.kind == "practoraat").order_by(Unit.id)).first()
        token = invitations.create_personal(session=session, round_=round_, unit=unit, count=1)[0]
        shared = invitations.ensure_shared(session=session, secret_key=settings.secret_key,
                                           round_=round_, unit=unit)
    lines = [
        "",
        "[bold]Kennisster draait / is running[/bold]",
        f"  Home:               {settings.base_url}/",
        f"  Persoonlijke link:  {invitations.survey_url(settings.base_url, token)}",
        f"  Gedeelde link:      {invitations.survey_url(settings.base_url, shared)}  ({unit.name})",
        f"  Dashboard:          {settings.base_url}/dashboard",
        f"    login bestuur:    {DEMO_BOARD_EMAIL} / {DEMO_PASSWORD}",
        f"  Beheer / admin:     {settings.base_url}/beheer",
        f"    login coördinator: {DEMO_COORDINATOR_EMAIL} / {DEMO_PASSWORD}",
        f"  API docs:           {settings.base_url}/api/v1/docs  (ReDoc: {settings.base_url}/api/v1/redoc)",
        "  Meer persoonlijke links / more personal links:",
        f"    {prog} invite {round_.id} {shlex.quote(unit.name)} -n 5",
        f"    ({round_.id} = meting / round {round_.name!r}; dan de eenheid / unit, naam of nummer;"
        " -n = aantal links / number of links)",
        f"  Alle metingen / all rounds:  {prog} round list {inst.slug}",
        f"  Alle eenheden / all units:   {prog} unit list {inst.slug}",
        "",
    ]
    for line in lines:
        console.print(line, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    app()
