"""Dutch and English texts of the pages, one small message file per language.

Texts live in `web/messages/<lang>.yaml` (shared and respondent texts) and in one file per area
under `web/messages/<lang>/` (for example `admin.yaml`); a key is defined in one file only. Python
only picks the language and looks keys up.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import Request

LANGUAGES = ("nl", "en")
MESSAGES_DIR = Path(__file__).parent / "messages"
LANG_COOKIE = "lang"


@lru_cache
def catalog(lang: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for path in [MESSAGES_DIR / f"{lang}.yaml", *sorted((MESSAGES_DIR / lang).glob("*.yaml"))]:
        texts = _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        if twice := sorted(set(texts) & set(flat)):
            raise ValueError(f"{path.name} defines {', '.join(twice[:5])} again")
        flat.update(texts)
    return flat


def _flatten(data: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def missing_keys() -> dict[str, set[str]]:
    """Keys present in one language but not the other (checked by a test)."""
    nl, en = set(catalog("nl")), set(catalog("en"))
    return {"nl": en - nl, "en": nl - en}


def translate(lang: str, key: str, vocabulary: str | None = None, **params: object) -> str:
    """The text of `key`; a questionnaire with its own `vocabulary` (the scan says
    "succesfactor" where the star says "knop") finds its own text under
    `vocabulary.<name>.<key>` first, and the shared text where it has none."""
    text = None
    if vocabulary:
        own = f"vocabulary.{vocabulary}.{key}"
        text = catalog(lang).get(own) or catalog("nl").get(own)
    text = text or catalog(lang).get(key) or catalog("nl").get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def request_language(request: Request, default: str) -> str:
    """?lang= wins (and is remembered in a cookie), then the cookie, then the default."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGUAGES else default
