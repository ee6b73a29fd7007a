"""The coordinator's area (`/beheer`): every router of the admin pages, put together once.

Each area's routes live in their own module; all of them require a coordinator or administrator
(`web.access.ManagerAccount`) and name the institution in the URL, checked on every request.
The prefix is given when each area is included (not on this router), so the admin home can be
`/beheer` itself: FastAPI refuses a route whose path and include prefix are both empty.
"""

from fastapi import APIRouter

from web.admin import (
    accounts,
    audit,
    evidence,
    institution,
    own_items,
    rounds,
    sector,
    tokens,
    units,
    webhooks,
    workshops,
)

PREFIX = "/beheer"
router = APIRouter(tags=["admin"], include_in_schema=False)
for area in (evidence, institution, units, rounds, own_items, workshops, accounts, tokens, webhooks,
             audit, sector):
    router.include_router(area.router, prefix=PREFIX)
