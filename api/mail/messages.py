"""The texts of Kennisster's mails, rendered from templates in `web/templates/mail/`.

Each mail is one plain-text template per language, `<name>.<lang>.txt`: its first line is the
subject, then a blank line, then the text. The HTML alternative is the same text in
`_layout.html`, with the link on its own line turned into a button, so the wording lives in one
place per language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "web" / "templates" / "mail"
TEMPLATES = ("invitation", "reminder", "account_invite", "password_reset", "webhook_disabled")
LANGUAGES = ("nl", "en")
EXAMPLE_LINK = "https://kennisster.example/s/voorbeeldlink-geen-echte"
LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
# Calendar names (locale data, not wording), as web/pages.py has them for the pages.
MONTHS = {
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _local(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL_ZONE)


def _localdate(value: str | datetime, lang: str) -> str:
    """'15 december 2026' in Dutch time."""
    local = _local(value)
    return f"{local.day} {MONTHS.get(lang, MONTHS['nl'])[local.month - 1]} {local.year}"


def _clock(value: str | datetime) -> str:
    return f"{_local(value):%H:%M}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["localdate"] = _localdate
    env.filters["clock"] = _clock
    return env


_env = _environment()


def render(template: str, lang: str, params: dict, *, link: str) -> Rendered:
    """Subject, text and HTML of one mail; `params` are the outbox row's, `link` made at send time."""
    if template not in TEMPLATES:
        raise ValueError(f"Unknown mail template {template!r}.")
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}.")
    full = _env.get_template(f"{template}.{lang}.txt").render(**params, lang=lang, link=link)
    subject, _, text = full.strip().partition("\n")
    text = text.strip() + "\n"
    # None marks where the link stands on its own: the layout shows a button there
    paragraphs = [None if part.strip() == link else Markup("<br>\n").join(part.splitlines())
                  for part in text.split("\n\n")]
    html = _env.get_template("_layout.html").render(lang=lang, subject=subject.strip(),
                                                   paragraphs=paragraphs, link=link)
    return Rendered(subject=subject.strip(), text=text, html=html)


def preview(template: str, lang: str, params: dict) -> Rendered:
    """The mail as a recipient will get it, with an example link, for the coordinator's page."""
    return render(template, lang, params, link=EXAMPLE_LINK)
