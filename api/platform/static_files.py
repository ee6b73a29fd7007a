"""The app's static files (a stylesheet, icons, a few scripts: tens of KB), kept in memory.

Starlette's `StaticFiles` looks every request's file up with `os.stat` in the thread pool and
streams it from disk through more trips to the pool (open, read, close): on a loaded server that
is most of a static request's cost. The files ship with the app and do not change while it runs,
so they are read once at start-up and answered from memory with the very headers `FileResponse`
gives (type, length, ETag, Last-Modified; 304 on a matching If-None-Match/If-Modified-Since).
Anything else (another method, a Range request, an unknown path) goes the ordinary way, so a 404
or 405 is the same as before. Mounted inside the app, every answer still passes the security
headers middleware.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope


class _KeptFile(Response):
    """A file's bytes with the raw headers of its `FileResponse`, made once."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = 200
        self.body = body
        self.raw_headers = list(raw_headers)  # a middleware may add to the list it is given
        self.background = None


class KeptStaticFiles(StaticFiles):
    """`StaticFiles` answering GET and HEAD of the files of `directory` from memory."""

    def __init__(self, *, directory: str | os.PathLike[str]) -> None:
        super().__init__(directory=directory)
        self._kept: dict[str, tuple[bytes, list[tuple[bytes, bytes]], Headers]] = {}
        root = Path(directory)
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                headers = FileResponse(path, stat_result=path.stat()).raw_headers
                self._kept[os.path.relpath(path, root)] = (path.read_bytes(), headers,
                                                           Headers(raw=headers))

    async def get_response(self, path: str, scope: Scope) -> Response:
        kept = self._kept.get(path)
        if kept is None or scope["method"] not in ("GET", "HEAD"):
            return await super().get_response(path, scope)
        body, raw_headers, headers = kept
        request_headers = Headers(scope=scope)
        if "range" in request_headers:
            return await super().get_response(path, scope)
        if self.is_not_modified(headers, request_headers):
            return NotModifiedResponse(headers)
        return _KeptFile(b"" if scope["method"] == "HEAD" else body, raw_headers)
