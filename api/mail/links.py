"""Links in mails are made at send time, so no link (and no secret in one) is ever stored.

An outbox row names a `link_kind` and a `link_ref`; the domain that owns the link registers how
to make it, in one line: `register_link("survey", emailed_survey_link)`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from api.platform.settings import Settings

LinkMaker = Callable[[Session, Settings, int], str]
_makers: dict[str, LinkMaker] = {}


class UnknownLink(LookupError):
    """No domain registered this link kind, or the thing it points to is gone."""


def register_link(kind: str, maker: LinkMaker) -> None:
    """Say how to make the link of `kind` from its reference (an id) when a mail is sent."""
    _makers[kind] = maker


def make_link(session: Session, settings: Settings, kind: str, ref: int | None) -> str:
    maker = _makers.get(kind)
    if maker is None or ref is None:
        raise UnknownLink(f"No link of kind {kind!r} with reference {ref!r}.")
    return maker(session, settings, ref)
