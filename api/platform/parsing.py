"""Reading numbers that people type, the same way in forms, imports and the command line.

`str.isdigit()` is true for "²" and "５", which `int()` refuses or reads as another digit; only
ASCII digits count as a number here.
"""

from __future__ import annotations

import re

_PLAIN_INT = re.compile(r"[0-9]{1,9}")


def plain_int(value: object) -> int | None:
    """The integer a text spells in ASCII digits (surrounding spaces allowed), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if _PLAIN_INT.fullmatch(text) else None
