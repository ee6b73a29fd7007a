"""Import of responses collected elsewhere (paper, another survey tool), all or nothing.

Every row is checked before anything is written; a bad file is answered with every bad row and
column named, and nothing is stored. Stored rows go through `record_response`, so they are scored
exactly like survey responses.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.platform import questionnaire_status
from api.platform.errors import DomainError
from api.platform.models import OwnItem, OwnItemKind, Response, Round, Unit, utcnow
from api.platform.own_items import OPEN_ANSWER_MAX as OWN_OPEN_MAX
from api.platform.parsing import plain_int
from api.platform.questionnaires import Questionnaire
from api.platform.text import bad_character
from api.results import releases
from api.survey.answering import OPEN_ANSWER_MAX, clean_text
from api.survey.responses import check_takes_answers, record_response

DONT_KNOW_WORDS = {"dk", "weet niet", "n.v.t.", "nvt", "na", "n/a", "don't know"}
MAX_ROWS = 10_000
MAX_ERRORS = 200


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    message: str


class ImportRejected(DomainError):
    status_code = 422
    code = "import_rejected"

    def __init__(self, detail: str, problems: Sequence[RowProblem]):
        super().__init__(detail)
        self.problems = list(problems)[:MAX_ERRORS]


@dataclass(frozen=True)
class CheckedRow:
    unit_id: int
    role: str
    answers: dict[str, int | None]
    open_answers: dict[str, str]
    own_answers: dict[int, int | str | None] = field(default_factory=dict)


def rows_from_csv(text: str, questionnaire: Questionnaire) -> list[dict[str, object]]:
    """One dict per data row; the header must name `unit`, `role` and known item/question ids."""
    if "\x00" in text:
        raise ImportRejected("The file contains NUL bytes; it is not a CSV text file.",
                             [RowProblem(0, None, "NUL bytes in the file")])
    character = bad_character(text)  # the one text rule of every way in (api.platform.text)
    if character is not None:
        raise ImportRejected(f"The file holds an invisible control character ({character}); "
                             "nothing was imported.",
                             [RowProblem(0, None, f"control character {character}")])
    try:
        sample = text[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect, strict=True)
    try:
        table = list(reader)
    except csv.Error as exc:
        raise ImportRejected(f"The CSV cannot be read: {exc}.",
                             [RowProblem(reader.line_num, None, str(exc))]) from exc
    if not table or not any(cell.strip() for cell in table[0]):
        raise ImportRejected("The CSV is empty; its first row must name the columns.",
                             [RowProblem(0, None, "no header row")])
    header = [cell.strip().lstrip("\ufeff") for cell in table[0]]
    known = {"unit", "role"} | set(questionnaire.item_by_id) | {
        q.id for q in questionnaire.open_questions}
    problems = [RowProblem(0, name or f"#{i + 1}", "unknown column")
                for i, name in enumerate(header) if name not in known]
    problems += [RowProblem(0, name, "column is missing")
                 for name in ("unit", "role") if name not in header]
    problems += [RowProblem(0, name, "column appears more than once")
                 for name in sorted({n for n in header if header.count(n) > 1})]
    if problems:
        raise ImportRejected("The CSV header is not right.", problems)
    rows = []
    for number, cells in enumerate(table[1:], start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            # kept as a row with its problem, so the other rows are still checked and named
            rows.append({"_row": number, "_problems": [
                (None, f"has {len(cells)} cells where the header has {len(header)}")]})
            continue
        row: dict[str, object] = {"_row": number, "answers": {}, "open_answers": {}}
        for name, cell in zip(header, cells, strict=True):
            if name in ("unit", "role"):
                row[name] = cell.strip()
            elif name in questionnaire.item_by_id:
                row["answers"][name] = cell.strip()
            else:
                row["open_answers"][name] = cell
        rows.append(row)
    return rows


_UNITS = sa.select(Unit.__table__.c.id, Unit.__table__.c.name).where(
    Unit.__table__.c.institution_id == sa.bindparam("institution_id"))


def units_of(*, session: Session, institution_id: int) -> list[Row]:
    """The institution's units as (id, name) rows: all `check_rows` reads of them, without
    building a table object per unit on every import (the statement is built once)."""
    return list(session.execute(_UNITS, {"institution_id": institution_id}).all())


def check_rows(
    rows: Sequence[Mapping[str, object]], *, questionnaire: Questionnaire,
    units: Sequence[Unit] | Sequence[Row], own_items: Sequence[OwnItem] = (),
) -> list[CheckedRow]:
    """Check every row and return them all, or raise with every problem named.

    `own` answers (JSON rows) name the round's own items by id: kept apart from the
    instrument's answers, as the survey keeps them."""
    if not rows:
        raise ImportRejected("There are no responses to import.", [RowProblem(0, None, "no rows")])
    if len(rows) > MAX_ROWS:
        raise ImportRejected(f"At most {MAX_ROWS} responses per import.",
                             [RowProblem(0, None, f"{len(rows)} rows")])
    by_id = {u.id: u for u in units}
    by_name = {u.name: u for u in units}
    scale = questionnaire.scale
    problems: list[RowProblem] = []
    checked = []
    for index, row in enumerate(rows, start=1):
        number = int(row.get("_row", index))
        unreadable = row.get("_problems")
        if unreadable:  # a row the reader could not take apart: named, not checked further
            problems.extend(RowProblem(number, column, message) for column, message in unreadable)
            continue
        before = len(problems)
        unit_ref = row.get("unit")
        unit = by_name.get(str(unit_ref).strip()) if unit_ref is not None else None
        if unit is None and plain_int(unit_ref) is not None:
            unit = by_id.get(plain_int(unit_ref))
        if unit is None:
            problems.append(RowProblem(number, "unit", f"unknown unit {str(unit_ref)[:80]!r}"))
        role = str(row.get("role", "")).strip()
        if role not in questionnaire.role_keys:
            problems.append(RowProblem(
                number, "role", f"unknown role {role[:40]!r}; use one of "
                                f"{', '.join(sorted(questionnaire.role_keys))}"))
        answers: dict[str, int | None] = {}
        for item_id, raw in dict(row.get("answers") or {}).items():
            if item_id not in questionnaire.item_by_id:
                problems.append(RowProblem(number, str(item_id)[:40], "unknown item"))
                continue
            if raw is None or (isinstance(raw, str) and raw.strip().lower() in DONT_KNOW_WORDS):
                answers[item_id] = None
            elif isinstance(raw, str) and raw.strip() == "":
                continue  # not answered
            elif (value := plain_int(raw)) is None or not scale.min <= value <= scale.max:
                problems.append(RowProblem(
                    number, item_id, f"{str(raw)[:20]!r} is not {scale.min}–{scale.max} or 'dk'"))
            else:
                answers[item_id] = value
        open_ids = {q.id for q in questionnaire.open_questions}
        open_answers: dict[str, str] = {}
        for question_id, raw in dict(row.get("open_answers") or {}).items():
            if question_id not in open_ids:
                problems.append(RowProblem(number, str(question_id)[:40], "unknown open question"))
                continue
            text, problem = clean_text(str(raw), limit=OPEN_ANSWER_MAX)
            if problem:
                problems.append(RowProblem(number, question_id, problem.replace("_", " ")))
            elif text:
                open_answers[question_id] = text
        own_answers = _checked_own(number, dict(row.get("own") or {}), own_items, scale,
                                   problems)
        if len(problems) == before:
            checked.append(CheckedRow(unit_id=unit.id, role=role, answers=answers,
                                      open_answers=open_answers, own_answers=own_answers))
    if problems:
        raise ImportRejected(
            f"{len({p.row for p in problems})} row(s) have problems; nothing was imported.",
            problems)
    return checked


def _checked_own(number: int, raw_answers: Mapping[str, object], own_items: Sequence[OwnItem],
                 scale, problems: list[RowProblem]) -> dict[int, int | str | None]:
    """A row's answers to the round's own items, by own item id; problems appended."""
    by_id = {str(item.id): item for item in own_items}
    found: dict[int, int | str | None] = {}
    for key, raw in raw_answers.items():
        column = f"own.{str(key)[:40]}"
        item = by_id.get(str(key))
        if item is None:
            problems.append(RowProblem(number, column, "unknown own item of this round"))
        elif item.kind == OwnItemKind.open:
            text, problem = clean_text(str(raw or ""), limit=OWN_OPEN_MAX)
            if problem:
                problems.append(RowProblem(number, column, problem.replace("_", " ")))
            elif text:
                found[item.id] = text
        elif raw is None or (isinstance(raw, str) and raw.strip().lower() in DONT_KNOW_WORDS):
            found[item.id] = None
        elif isinstance(raw, bool) or (value := plain_int(raw)) is None or not (
                scale.min <= value <= scale.max):
            problems.append(RowProblem(
                number, column, f"{str(raw)[:20]!r} is not {scale.min}–{scale.max} or 'dk'"))
        else:
            found[item.id] = value
    return found


def _submission_keys(count: int, idempotency_key: str | None, scope: str) -> list[str]:
    if not idempotency_key:
        return [f"imp-{secrets.token_urlsafe(24)}" for _ in range(count)]
    base = hashlib.sha256(f"{scope}:{idempotency_key}".encode()).hexdigest()[:40]
    return [f"imp-{base}-{i}" for i in range(count)]


def import_responses(
    *, session: Session, round_: Round, questionnaire: Questionnaire, rows: Sequence[CheckedRow],
    default_k: int, idempotency_key: str | None = None, scope: str = "",
    allow_closed: bool = False, record_late: Callable[[Session, int], object] | None = None,
) -> tuple[int, bool]:
    """Store all rows in one transaction; (number stored, whether this was a replay).

    Imported responses follow the same release rule as the survey's: they are released as far as
    the rule allows, in the same transaction on SQLite and right after it on PostgreSQL (see
    below), and the rest waits. With an Idempotency-Key a
    retried upload finds its first rows and stores nothing again. `record_late` (the caller's
    audit entry for an import into a closed round) runs in the same transaction.
    """
    keys = _submission_keys(len(rows), idempotency_key, f"{scope}:{round_.id}")
    if idempotency_key and session.exec(
            select(Response.id).where(Response.submission_key == keys[0])).first():
        return len(rows), True
    # an archived version takes no answers, whoever asks; then the survey's rule (not before the
    # round opens, not after it closes), unless an administrator imports late paper forms on
    # purpose: then the audit log says so
    questionnaire_status.require_fillable(session=session, questionnaire=questionnaire)
    check_takes_answers(round_, allow_closed=allow_closed)
    late = round_.status(utcnow()) == "closed"
    # SQLite runs one writer at a time anyway, so the release joins the import's transaction. On
    # PostgreSQL the round's lock would then be held until the commit and every import and submit
    # of the round would wait for the one before it: there the release follows the commit in a
    # transaction of its own (`releases.release_after_commit`).
    release_inside = session.get_bind().dialect.name == "sqlite"
    try:
        for row, key in zip(rows, keys, strict=True):
            record_response(session=session, round_=round_, unit_id=row.unit_id, role=row.role,
                            questionnaire=questionnaire, answers=row.answers,
                            open_answers=row.open_answers, submission_key=key,
                            own_answers=row.own_answers)
        if release_inside:
            releases.release_due(session=session, round_id=round_.id, default_k=default_k)
        if late and record_late is not None:
            record_late(session, len(rows))
        session.commit()
    except IntegrityError:
        # The same key raced in from another request (PostgreSQL lets both reach the insert).
        session.rollback()
        if idempotency_key and session.exec(
                select(Response.id).where(Response.submission_key == keys[0])).first():
            return len(rows), True
        raise
    if not release_inside:
        releases.release_after_commit(session=session, round_id=round_.id, default_k=default_k)
    return len(rows), False
