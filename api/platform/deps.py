"""Request dependencies shared by the JSON API and the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import UploadFile as StarletteUploadFile

from api.platform.body_limits import FILE_MAX_BYTES
from api.platform.errors import InvalidInput
from api.platform.questionnaires import Catalog
from api.platform.settings import Settings
from api.platform.text import check_text

# The dependencies that only read app.state or the URL are `async def`: they never block, and a
# plain `def` would cost every request a round trip through the thread pool for each of them.

async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]

FORM_MAX_FIELDS = 200
UPLOAD_SUFFIX = "/upload"  # the only routes that take a file: admin imports of units and addresses
UPLOAD_MAX_BYTES = FILE_MAX_BYTES


def _takes_file(request: Request) -> bool:
    return request.url.path.endswith(UPLOAD_SUFFIX)


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The posted form as (name, value) pairs, repeats kept so a tampered form can be named.

    Files are refused and the number of fields is bounded: no page needs either, except an
    upload route (its path ends in `/upload`), which takes one file. Every name and value passes
    the one text check (`api.platform.text`): a control character is refused before any route
    sees it.
    """
    pairs = await _pairs(request)
    for name, value in pairs:
        check_text(value, field=name)
    return pairs


async def _pairs(request: Request) -> list[tuple[str, str]]:
    form = await request.form(max_files=1 if _takes_file(request) else 0,
                              max_fields=FORM_MAX_FIELDS)
    pairs = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    for name, _ in pairs:
        check_text(name, field=name, multiline=False)
    return pairs


async def form_fields(request: Request) -> list[tuple[str, str]]:
    """`form_pairs` for a page that shows a message at each field (the survey, the action plan):
    the names are
    checked here, each value by the page's own parser with the same rule (`text.bad_character`),
    so the form comes back with the answers kept and the message beside the field."""
    return await _pairs(request)


FormPairs = Annotated[list[tuple[str, str]], Depends(form_pairs)]
FormFields = Annotated[list[tuple[str, str]], Depends(form_fields)]


async def check_url_text(request: Request) -> None:
    """Query strings and path parameters hold no control characters (a path not even a line
    break): a dependency of every route (`create_app`), so no route can forget it."""
    for name, value in request.query_params.multi_items():
        check_text(name, field=name, multiline=False)
        check_text(value, field=name)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(value, field=name, multiline=False)


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes


async def uploaded_file(request: Request) -> UploadedFile | None:
    """The one file of an upload route (None when none was chosen), read up to its limit."""
    form = await request.form(max_files=1, max_fields=FORM_MAX_FIELDS)
    for _, value in form.multi_items():
        if isinstance(value, StarletteUploadFile):
            content = await value.read(UPLOAD_MAX_BYTES + 1)
            if len(content) > UPLOAD_MAX_BYTES:
                raise InvalidInput(f"The file is larger than {UPLOAD_MAX_BYTES // (1024 * 1024)} MB.",
                                   code="file_too_large")
            if not content and not value.filename:
                return None
            return UploadedFile(filename=value.filename or "", content=content)
    return None


UploadDep = Annotated[UploadedFile | None, Depends(uploaded_file)]
