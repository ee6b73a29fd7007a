"""The coordinator's area (`/beheer`): every router of the admin pages, put together once.

Each area's routes live in their own module; all of them require a coordinator or administrator
(`web.access.ManagerAccount`) and name the institution in the URL, checked on every request.
"""

from fastapi import APIRouter

from web.admin import accounts, audit, institution, pending, rounds

router = APIRouter(prefix="/beheer", tags=["admin"], include_in_schema=False)
for area in (institution, rounds, accounts, audit, pending):  # pending: remove at merge
    router.include_router(area.router)
pending.add_home(router)  # remove at merge, with web/admin/pending.py
