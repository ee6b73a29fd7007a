"""ETag and Cache-Control on GET responses of the API, so clients can poll cheaply."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request
from fastapi.responses import Response


def add_etags(app: FastAPI, *, prefix: str) -> None:
    @app.middleware("http")
    async def etag(request: Request, call_next):
        response = await call_next(request)
        if (request.method != "GET" or not request.url.path.startswith(prefix)
                or response.status_code != 200 or request.url.path.endswith(("/docs",
                                                                             "/openapi.json"))):
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = dict(response.headers)
        headers["ETag"] = tag
        # Scores change as responses come in; a client may reuse them briefly and revalidate.
        headers["Cache-Control"] = "private, max-age=60, must-revalidate"
        headers["Vary"] = "Authorization"
        if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            headers.pop("content-length", None)
            return Response(status_code=304, headers={k: v for k, v in headers.items()
                                                      if k.lower() != "content-type"})
        return Response(body, status_code=200, headers=headers,
                        media_type=response.media_type)
