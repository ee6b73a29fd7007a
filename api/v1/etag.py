"""ETag and Cache-Control on GET responses of the API, so clients can poll cheaply.

A pure ASGI middleware: every request that is not a GET under the API's prefix (every submit,
import and page) is handed straight through, without the task group and streamed body that
Starlette's `BaseHTTPMiddleware` puts around each request.
"""

from __future__ import annotations

import hashlib

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHE_CONTROL = "private, max-age=60, must-revalidate"


class ETags:
    """Buffers a 200 answer to an API GET, tags it with the hash of its body, and answers 304
    when the client already holds that tag (If-None-Match)."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if (scope["type"] != "http" or scope["method"] != "GET" or not path.startswith(self.prefix)
                or path.endswith(("/docs", "/openapi.json"))):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def buffered_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    await send(message)  # not ours to tag: pass it and its body on
                else:
                    start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await self._answer(scope, start, bytes(body), send)

        await self.app(scope, receive, buffered_send)

    @staticmethod
    async def _answer(scope: Scope, start: Message, body: bytes, send: Send) -> None:
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        headers["ETag"] = tag
        # Scores change as responses come in; a client may reuse them briefly and revalidate.
        headers["Cache-Control"] = CACHE_CONTROL
        headers["Vary"] = "Authorization"
        wanted = Headers(scope=scope).get("if-none-match", "")
        if tag in [t.strip() for t in wanted.split(",")]:
            del headers["content-length"]
            del headers["content-type"]
            await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b""})
            return
        headers["content-length"] = str(len(body))
        await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


def add_etags(app: FastAPI, *, prefix: str) -> None:
    app.add_middleware(ETags, prefix=prefix)
