"""POST /histories (a race-results CSV, multipart) and GET /histories/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from tailrace.api.deps import StoreDep
from tailrace.api.errors import ApiError
from tailrace.api.routes.common import errors
from tailrace.api.schemas import HistoryResponse
from tailrace.api.records import history_from_store, history_summary, save_history

router = APIRouter(tags=["histories"])

_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["history"],
    "properties": {"history": {"type": "string", "format": "binary",
                               "description": "race results CSV (README: Race history file)"}},
}


@router.post("/histories", response_model=HistoryResponse, status_code=201, responses=errors(401, 413, 422),
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"multipart/form-data": {"schema": _UPLOAD_SCHEMA}}}})
async def create_history(request: Request, store: StoreDep) -> dict[str, Any]:
    """Store a race history; pass its ``history_id`` to /simulate or /optimize for strengths
    from ratings fitted on it. The file is read and fitted first: problems come back as 422
    with file, row, field and fix."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        raise ApiError(415, "send the history as multipart/form-data with a file field named 'history'")
    try:
        form = await request.form(max_files=1, max_fields=2)
    except Exception:
        raise ApiError(422, "the multipart body could not be read; send one file field named 'history'") from None
    up = form.get("history")
    if not isinstance(up, UploadFile):
        raise ApiError(422, "history: attach the results CSV as a file field named 'history'",
                       [{"loc": ["body", "history"], "msg": "a file field named 'history' is required",
                         "type": "missing"}])
    data = await up.read()
    return await run_in_threadpool(save_history, store, data, up.filename)


@router.get("/histories/{history_id}", response_model=HistoryResponse, responses=errors(401, 404))
async def get_history(history_id: str, store: StoreDep) -> dict[str, Any]:
    """A stored history's summary (races, drivers, last race, notes)."""
    model = await run_in_threadpool(history_from_store, store, history_id)
    return history_summary(history_id, model)
