"""Request dependencies shared by the JSON API and the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.platform.questionnaires import Catalog
from api.platform.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]

FORM_MAX_FIELDS = 200


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The posted form as (name, value) pairs, repeats kept so a tampered form can be named.

    Files are refused and the number of fields is bounded: no survey page needs either.
    """
    form = await request.form(max_files=0, max_fields=FORM_MAX_FIELDS)
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


FormPairs = Annotated[list[tuple[str, str]], Depends(form_pairs)]
