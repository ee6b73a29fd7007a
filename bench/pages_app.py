"""The pages benchmark's server: the real app (`api.main.create_app`, settings from the
environment) plus one bench-only static mount, so a file of the dashboard page's size is served
by the same process, middleware and HTTP stack as the page it is compared with.

Serve it like the real app: `BENCH_STATIC_DIR=/tmp/x uvicorn bench.pages_app:app --workers 1`.
The mount exists only in this benchmark module; the app itself has no such route.
"""

from __future__ import annotations

import os

from fastapi.staticfiles import StaticFiles

from api.main import create_app

app = create_app()
app.mount("/bench-static", StaticFiles(directory=os.environ["BENCH_STATIC_DIR"]),
          name="bench_static")
