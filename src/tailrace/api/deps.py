"""What a route may ask for: ``Annotated`` dependencies for the settings, the store, the work context,
the job runner and the spec store (the one place that reads ``app.state``), and the API key check.

A route names what it needs by type, e.g. ``def get_job(job_id: str, store: StoreDep)``; the app
builds each of these once (``app.create_app``: settings at creation, the rest at start-up).
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from tailrace.store import Store
from tailrace.textfile import has_lone_surrogate, may_hold_lone_surrogate

from tailrace.api.context import Context
from tailrace.api.errors import ApiError
from tailrace.api.jobs import JobRunner
from tailrace.api.settings import Settings

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="needed when TAILRACE_API_KEY is set")


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def get_store(request: Request) -> Store:
    """The app's SQLite store."""
    return request.app.state.store


def get_context(request: Request) -> Context:
    """Settings, store and scenario cache bundled for the work functions."""
    return request.app.state.context


def get_jobs(request: Request) -> JobRunner:
    """The job runner: work now (synchronous requests) or as a background job."""
    return request.app.state.jobs


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ContextDep = Annotated[Context, Depends(get_context)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]


def get_spec_store(ctx: ContextDep) -> Any:
    """Where specs are kept: the graph when TAILRACE_GRAPH_URI is set, else the SQLite store."""
    return ctx.spec_store()


SpecStoreDep = Annotated[Any, Depends(get_spec_store)]


def require_api_key(settings: SettingsDep, key: str | None = Security(api_key_header)) -> None:
    """When TAILRACE_API_KEY is set, reject requests without the same X-API-Key header (401)."""
    want = settings.api_key
    if not want:
        return
    got = key or ""
    if not hmac.compare_digest(got.encode(), want.encode()):
        raise ApiError(401, "missing or wrong API key: send it in the X-API-Key header")


async def reject_lone_surrogates(request: Request) -> None:
    """A JSON body holding half a UTF-16 pair (``"\\ud800"`` on its own) is valid JSON but not
    text: refused here with a 422, before a handler encodes it (it used to answer 500)."""
    if "json" not in request.headers.get("content-type", "").lower():
        return
    body = await request.body()  # FastAPI has read it already: this is the cached copy
    if not may_hold_lone_surrogate(body):
        return  # the usual case: no such escape, so no second parse of the body
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # FastAPI has answered a body it cannot parse with its own 422
    if has_lone_surrogate(data, body):
        msg = "the JSON body holds a \\u escape of half a character (a lone UTF-16 surrogate)"
        raise ApiError(422, msg + "; write the character itself, or its full \\u pair",
                       [{"loc": ["body"], "msg": msg, "type": "unicode"}])
