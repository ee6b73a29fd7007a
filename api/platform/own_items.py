"""The round's own items (statements and open questions an institution adds), as data.

Read by the survey, the coordinator's pages and the gate alike, so they live here, below every
domain that reads them; writing them is `api.setup.own_items`.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from api.platform.models import OwnItem, OwnItemKind

MAX_LIKERT = 10
MAX_OPEN = 3
STATEMENT_MAX = 300
OPEN_ANSWER_MAX = 2000

_OF_ROUND = (select(OwnItem).where(OwnItem.round_id == bindparam("round_id"))
             .order_by(OwnItem.position, OwnItem.id))


def of_round(*, session: Session, round_id: int) -> list[OwnItem]:
    """The round's own items in the order the respondent sees them."""
    return list(session.scalars(_OF_ROUND, {"round_id": round_id}))


def likert(items: list[OwnItem]) -> list[OwnItem]:
    return [item for item in items if item.kind == OwnItemKind.likert]


def open_questions(items: list[OwnItem]) -> list[OwnItem]:
    return [item for item in items if item.kind == OwnItemKind.open]


def statement(item: OwnItem, lang: str) -> tuple[str, str]:
    """The text in `lang` and the language it is in: English falls back to the Dutch text."""
    if lang == "en" and item.statement_en:
        return item.statement_en, "en"
    return item.statement_nl, "nl"
