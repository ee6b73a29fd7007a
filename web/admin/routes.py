"""The coordinator's area (`/beheer`): every router of the admin pages, put together once.

Each area's routes live in their own module; all of them require a coordinator or administrator
(`web.access.ManagerAccount`) and name the institution in the URL, checked on every request.
"""

from fastapi import APIRouter

from web.admin import accounts, audit, institution, placeholders, rounds

router = APIRouter(prefix="/beheer", tags=["admin"], include_in_schema=False)
AREAS = (institution, rounds, accounts, audit)
for area in AREAS:
    router.include_router(area.router)
# pages of branches not merged yet (see web/admin/placeholders.py): nothing once all are in
PLACEHOLDERS = placeholders.missing([area.router for area in AREAS])
router.include_router(placeholders.router_for(PLACEHOLDERS))
