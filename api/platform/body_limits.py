"""How large a request body may be, decided before it is read.

One table says it per route family: small for the forms of the pages, larger where people paste
addresses, upload a file or import responses. A pure ASGI middleware refuses with 413 when the
declared Content-Length is over the limit (nothing of the body is read) and, for a body sent
without a length (chunked), stops reading as soon as it passes the limit. So no request can make
the server hold more than the limit in memory, however it spreads its bytes over fields.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KB = 1024
MB = 1024 * KB
FILE_MAX_BYTES = 5 * MB  # an uploaded file (units, addresses): read by `UploadDep`
IMPORT_MAX_BYTES = 5 * MB  # POST /api/v1/rounds/{id}/responses, JSON or CSV
# the largest form of the pages is a knob page: a handful of answers and open answers of at most
# 2000 characters each (percent-encoded UTF-8 makes that up to 18 KB); 64 KB leaves room
FORM_MAX_BYTES = 64 * KB
# pasted addresses on a unit's invitation page: the page keeps 200 000 characters, which
# percent-encoding may triple
PASTE_MAX_BYTES = 1 * MB
MULTIPART_OVERHEAD = 64 * KB  # boundaries, part headers and the form's other fields


@dataclass(frozen=True)
class Limit:
    pattern: re.Pattern[str]
    max_bytes: int
    family: str


LIMITS: tuple[Limit, ...] = (
    Limit(re.compile(r"^/api/v1/rounds/[^/]+/responses$"), IMPORT_MAX_BYTES, "import"),
    Limit(re.compile(r"/upload$"), FILE_MAX_BYTES + MULTIPART_OVERHEAD, "upload"),
    Limit(re.compile(r"/uitnodigen$"), PASTE_MAX_BYTES, "pasted addresses"),
    Limit(re.compile(r""), FORM_MAX_BYTES, "form"),
)


def limit_for(path: str) -> Limit:
    """The first row of the table that matches the path (the last matches every path)."""
    return next(limit for limit in LIMITS if limit.pattern.search(path))


class BodyTooLarge(HTTPException):
    """Raised into the app when a streamed body passes its limit. An HTTPException, so the
    app's own handler answers it like the early refusal (`create_app`), from inside any other
    middleware; the middleware answers it only if it reaches it."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(413, f"The request body is larger than the limit for {limit.family} "
                              "requests.")
        self.limit = limit


Refusal = Callable[[Scope, Limit], Awaitable[Response] | Response]


class BodyLimit:
    """Refuses bodies over the limit of their route family with 413 (see `LIMITS`)."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def _answer(self, scope: Scope, receive: Receive, send: Send, limit: Limit) -> None:
        response = self.refuse(scope, limit)
        if isinstance(response, Awaitable):
            response = await response
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await self._answer(scope, receive, send, limit)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._answer(scope, receive, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None
