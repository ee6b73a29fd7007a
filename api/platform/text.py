"""Which characters text from outside may hold, decided once for every way in.

PostgreSQL refuses a NUL character in text (`psycopg.DataError`), where SQLite stores it; the
other C0 control characters are invisible, break CSV and mail headers, and no person types them.
So every text that reaches the application — form fields (`FormPairs`), query strings and path
parameters (a dependency of every route), JSON bodies and CSV imports — passes `check_text`
and is refused with a message a person understands. Tab, newline and carriage return are
allowed in values (form fields, query values, JSON strings, CSV cells: text may run over
lines, and a stray tab is harmless); never in a name or a path parameter.
"""

from __future__ import annotations

import re

from api.platform.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")


class TextInvalid(InvalidInput):
    """A text holds a control character; `field` names where (the page shows it)."""

    code = "text_invalid"


def bad_character(value: str, *, multiline: bool = True) -> str | None:
    """The first character `value` may not hold, as U+XXXX, else None."""
    found = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def check_text(value: str, *, field: str, multiline: bool = True) -> str:
    """`value` unchanged, or TextInvalid naming the field and the character."""
    character = bad_character(value, multiline=multiline)
    if character is not None:
        raise TextInvalid(
            f"The field '{field[:80]}' holds an invisible control character ({character}); "
            "remove it (retype the text rather than paste it) and send again.",
            field=field[:80], character=character)
    return value


def check_json(value: object, *, path: str = "") -> None:
    """Every key and string of a parsed JSON document (keys are single-line)."""
    if isinstance(value, str):
        check_text(value, field=path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key), field=f"{path}.{key}" if path else str(key), multiline=False)
            check_json(item, path=f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json(item, path=f"{path}[{index}]")
