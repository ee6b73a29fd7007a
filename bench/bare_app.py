"""The submit benchmark's baseline: a bare FastAPI app whose one POST endpoint only parses the body.

It reads the body the way the real import endpoint does (an async dependency streaming it), parses
it into the same Pydantic model (`api.v1.schemas.ImportIn`) in a sync endpoint (run in the same
thread pool as the real one), and answers 201 with the same response model. No database, no
token, no scoring: everything the real endpoint does beyond this is what the ratio measures.

Serve it exactly like the real app: `uvicorn bench.bare_app:app --workers 1 ...`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.v1.schemas import ImportIn, ImportResult

app = FastAPI(title="bare", docs_url=None, redoc_url=None, openapi_url=None)


async def raw_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
    return bytes(body)


@app.post("/api/v1/rounds/{round_id}/responses", status_code=201, response_model=ImportResult)
def parse_only(round_id: int, body: Annotated[bytes, Depends(raw_body)]):
    try:
        payload = ImportIn.model_validate_json(body)
    except ValidationError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    return ImportResult(round_id=round_id, imported=len(payload.responses), replayed=False)


@app.get("/health")
def health() -> dict:
    return {"ok": True}
