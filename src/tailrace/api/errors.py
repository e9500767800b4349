"""Exception handlers: every failure becomes a JSON body a person can act on; no traceback leaves.

Bad input -> 422 listing each problem with its location; infeasible constraints -> 409 naming
the conflicts; unknown ids -> 404; an unreachable graph database -> 503; a synchronous call over its time limit -> 504 telling the
caller to use ``?async=true``; anything unexpected -> 500 with an error id (details in the log).
The same mapping (``error_body``) is used for failed jobs, so a job's error reads like a response.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tailrace.errors import SHOWN_PROBLEMS, GraphUnavailable, InfeasibleError, InputError, TailraceError, literal
from tailrace.store import NotFound

log = logging.getLogger("tailrace.api")

# The request field (schemas.py, or an upload's form field) of each library parameter an error
# may name (tailrace.errors.PARAMS) where it is not the parameter's own name; the CLI's flags
# are cli.options.FLAGS. Parameters the API does not take (dask, scenarios, field_file,
# contest_cap, graph_uri) keep their names.
FIELDS = {
    "entry_fee": "contest.entry_fee", "field_size": "contest.field_size", "rake": "contest.rake",
    "payouts": "contest.payouts", "ownership": "contest.ownership", "portfolio": "portfolio_id", "entries": "file",
    "field_sharpness": "contest.field_sharpness", "max_duplicates": "contest.max_duplicates",
    "ownership_error": "contest.ownership_error",
}


def say_as_field(param: str, value: str | None) -> str:
    """A library parameter as the API says it: its JSON field (``contest.entry_fee``), with a value
    as JSON (``"contest": {"entry_fee": 5}``); a ``tailrace.errors.Say``."""
    name = FIELDS.get(param, param)
    if value is None:
        return name
    out = json.dumps(literal(value))
    for key in reversed(name.split(".")):
        out = f'{{{json.dumps(key)}: {out}}}'
    return out[1:-1]


def worded(exc: BaseException) -> BaseException:
    """``exc`` in the API's words when it is one of tailrace's errors (``say_as_field``)."""
    return exc.worded(say_as_field) if isinstance(exc, TailraceError) else exc


class ApiError(Exception):
    """An error with an HTTP status and a message meant for the caller."""

    def __init__(self, status: int, message: str, detail: list[dict[str, Any]] | None = None):
        self.status = status
        self.message = message
        self.detail = detail or []
        super().__init__(message)


class TimeLimitExceeded(ApiError):
    """A synchronous call ran past the configured time limit."""

    def __init__(self, seconds: float):
        super().__init__(
            504,
            f"the request took longer than the synchronous limit of {seconds:g} s; "
            "send it again with ?async=true and poll GET /jobs/{id}",
        )


class Cancelled(Exception):
    """Raised inside work when its job was cancelled."""


def _problem_detail(p: Any, loc_prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    loc: list[Any] = list(loc_prefix)
    if p.file:
        loc.append(str(p.file))
    if p.row is not None:
        loc.append(f"row {p.row}")
    if p.field:
        loc.append(str(p.field))
    return {"loc": loc, "msg": p.message, "file": p.file, "row": p.row, "field": p.field, "fix": p.fix}


def error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) for an exception, without any traceback or server path; the library's
    parameters named as the request's fields."""
    exc = worded(exc)
    if isinstance(exc, ApiError):
        return exc.status, {"error": _kind(exc.status), "message": exc.message, "detail": exc.detail}
    if isinstance(exc, InputError):
        detail = [_problem_detail(p) for p in exc.problems[:SHOWN_PROBLEMS]]
        return 422, {"error": "invalid_input", "message": str(exc), "detail": detail,
                     "n_problems": len(exc.problems)}
    if isinstance(exc, InfeasibleError):
        conflicts = list(exc.conflicts)
        return 409, {"error": "infeasible", "message": str(exc), "conflicts": conflicts, "detail": []}
    if isinstance(exc, NotFound):
        return 404, {"error": "not_found", "message": str(exc), "detail": []}
    if isinstance(exc, GraphUnavailable):
        return 503, {"error": "graph_unavailable", "message": str(exc), "detail": []}
    if isinstance(exc, Cancelled):
        return 409, {"error": "cancelled", "message": "the job was cancelled", "detail": []}
    err_id = uuid.uuid4().hex[:12]
    log.error("internal error %s", err_id, exc_info=(type(exc), exc, exc.__traceback__))
    return 500, {
        "error": "internal",
        "message": f"internal error (id {err_id}); the server log has the details",
        "detail": [],
    }


def _kind(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        422: "invalid_input",
        503: "unavailable",
        504: "time_limit",
    }.get(status, "error")


def validation_detail(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic/FastAPI validation errors as {'loc', 'msg', 'type'} with plain JSON values only."""
    out = []
    for e in errors:
        loc = [x if isinstance(x, (int, str)) else str(x) for x in e.get("loc", ())]
        out.append({"loc": loc, "msg": str(e.get("msg", "invalid value")), "type": str(e.get("type", ""))})
    return out


def _summary(detail: list[dict[str, Any]]) -> str:
    parts = []
    for d in detail[:5]:
        where = ".".join(str(x) for x in d["loc"])
        parts.append(f"{where}: {d['msg']}" if where else d["msg"])
    more = f" (and {len(detail) - 5} more)" if len(detail) > 5 else ""
    return "; ".join(parts) + more


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = validation_detail(list(exc.errors()))
        body = {"error": "invalid_input", "message": _summary(detail) or "invalid request", "detail": detail}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        msg = exc.detail if isinstance(exc.detail, str) else "request failed"
        status = exc.status_code
        if status == 400:  # FastAPI's "error parsing the body": bad input like any other -> 422
            status = 422
            msg = "the request body could not be parsed: send UTF-8 JSON (or multipart form data where documented)"
        return JSONResponse(
            {"error": _kind(status), "message": msg, "detail": [{"loc": ["body"], "msg": msg, "type": "parse"}]
             if status == 422 else []},
            status_code=status,
            headers=getattr(exc, "headers", None),
        )

    async def _mapped(_: Request, exc: Exception) -> JSONResponse:
        status, body = error_body(exc)
        return JSONResponse(body, status_code=status)

    for cls in (ApiError, InputError, InfeasibleError, NotFound, GraphUnavailable, Exception):
        app.add_exception_handler(cls, _mapped)
