"""POST /slates (multipart site files, or JSON drivers) and GET /slates/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from tailrace.api.deps import StoreDep
from tailrace.api.errors import ApiError, validation_detail
from tailrace.api.routes.common import errors
from tailrace.api.schemas import SlateIn, SlateResponse
from tailrace.api.records import save_slate, slate_from_json, slate_from_uploads, slate_response, stored_history
from tailrace.store import Store

router = APIRouter(tags=["slates"])
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

_UPLOAD_SCHEMA = {
    "type": "object",
    "required": ["site", "salaries"],
    "properties": {
        "site": {"type": "string", "enum": ["dk", "fd"]},
        "salaries": {"type": "string", "format": "binary", "description": "the site's salary export (CSV)"},
        "projections": {"type": "string", "format": "binary", "description": "projections CSV: name, start, ..."},
        "track": {"type": "string", "maxLength": 100},
        "grid_complete": {"type": "boolean", "description": "the projections list the whole starting grid: "
                          "salary drivers missing from them do not start and are left out (each named in "
                          "the slate's notes)"},
        "season": {"type": "integer", "description": "the race's season when the salary file does not say it"},
        "history_id": {"type": "string", "description": "a stored history (POST /histories) that holds this race: "
                       "with no projections, the slate's starting grid is the race's start column in it (nothing "
                       "else of the race is read); salary drivers not on that grid are left out, named in notes"},
    },
}


@router.post(
    "/slates",
    response_model=SlateResponse,
    status_code=201,
    responses=errors(401, 404, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
                "application/json": {"schema": {"$ref": "#/components/schemas/SlateIn"}},
            },
        }
    },
)
async def create_slate(request: Request, store: StoreDep) -> dict[str, Any]:
    """Store a slate from the site's salary CSV plus projections (multipart), or from JSON drivers.

    Multipart with ``history_id`` and no projections: the starting grid is this race's in the
    stored history (start column only), as ``tailrace optimize --history`` takes it.

    Name-matching and file problems come back as 422, each with its file, row, field and fix.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            body = SlateIn.model_validate_json(await request.body())
        except ValidationError as exc:
            detail = validation_detail([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
            raise ApiError(422, "invalid slate: " + "; ".join(
                f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in detail[:5]), detail) from None
        slate = slate_from_json(body)
    elif ctype == "multipart/form-data":
        slate = await _from_form(request, store)
    else:
        raise ApiError(415, "send the slate as multipart/form-data (site, salaries, projections files) "
                            "or as application/json (site, drivers)")
    slate_id, d = await run_in_threadpool(save_slate, store, slate)
    return slate_response(slate_id, d)


async def _from_form(request: Request, store: Store):
    try:
        form = await request.form(max_files=2, max_fields=12)
    except Exception:
        raise ApiError(422, "the multipart body could not be read; send fields site, salaries (file), "
                            "projections (file) and optionally track") from None
    problems = []
    site = form.get("site")
    if not isinstance(site, str) or site.strip().lower() not in ("dk", "fd"):
        problems.append({"loc": ["body", "site"], "msg": "site must be 'dk' or 'fd'", "type": "enum"})
    sal = form.get("salaries")
    if not isinstance(sal, UploadFile):
        problems.append({"loc": ["body", "salaries"], "msg": "attach the site's salary CSV as a file field "
                         "named 'salaries'", "type": "missing"})
    proj = form.get("projections")
    if proj is not None and not isinstance(proj, UploadFile):
        problems.append({"loc": ["body", "projections"], "msg": "projections must be a file field", "type": "type"})
    track = form.get("track")
    if track is not None and (not isinstance(track, str) or len(track) > 100):
        problems.append({"loc": ["body", "track"], "msg": "track must be text of at most 100 characters",
                         "type": "type"})
    grid = form.get("grid_complete")
    if grid is not None and (not isinstance(grid, str) or grid.strip().lower() not in _BOOLS):
        problems.append({"loc": ["body", "grid_complete"], "msg": "grid_complete must be true or false",
                         "type": "bool"})
    history_id = form.get("history_id")
    if history_id is not None and (not isinstance(history_id, str) or not history_id.strip()
                                   or len(history_id) > 100):
        problems.append({"loc": ["body", "history_id"], "msg": "history_id must be the id POST /histories returned",
                         "type": "type"})
    elif history_id is not None and proj is not None:
        problems.append({"loc": ["body", "history_id"], "msg": "history_id gives the grid only when no projections "
                         "are sent; here the projections give it: drop one (pass history_id to /simulate or "
                         "/optimize for strengths)", "type": "conflict"})
    season = form.get("season")
    if season is not None and (not isinstance(season, str) or not season.strip().isdigit()
                               or not 1948 <= int(season) <= 2100):
        problems.append({"loc": ["body", "season"], "msg": "season must be a year, e.g. 2023", "type": "int"})
    if problems:
        raise ApiError(422, "; ".join(f"{p['loc'][-1]}: {p['msg']}" for p in problems), problems)
    sal_bytes = await sal.read()
    proj_bytes = await proj.read() if proj is not None else None
    history = await run_in_threadpool(stored_history, store, history_id.strip()) if history_id else None
    return await run_in_threadpool(slate_from_uploads, site.strip().lower(), sal_bytes, sal.filename,
                                   proj_bytes, proj.filename if proj is not None else None,
                                   track if track else None,
                                   grid_complete=_BOOLS.get(grid.strip().lower(), False) if grid else False,
                                   season=int(season) if season else None, history=history)


@router.get("/slates/{slate_id}", response_model=SlateResponse, responses=errors(401, 404))
def get_slate(slate_id: str, store: StoreDep) -> dict[str, Any]:
    """A stored slate and its drivers."""
    return slate_response(slate_id, store.get_slate(slate_id))
