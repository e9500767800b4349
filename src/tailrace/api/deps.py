"""Dependency injection: settings, store, work context and job runner from the app's state; the API key check."""

from __future__ import annotations

import hmac

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from tailrace.api.errors import ApiError
from tailrace.api.jobs import JobRunner
from tailrace.api.services import Context
from tailrace.store import Store

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="needed when TAILRACE_API_KEY is set")


def get_store(request: Request) -> Store:
    """The app's SQLite store."""
    return request.app.state.store


def get_spec_store(request: Request):
    """Where specs are kept: the graph when TAILRACE_GRAPH_URI is set, else the SQLite store."""
    return request.app.state.context.spec_store()


def get_context(request: Request) -> Context:
    """Settings, store and scenario cache bundled for the work functions."""
    return request.app.state.context


def get_jobs(request: Request) -> JobRunner:
    """The background job runner."""
    return request.app.state.jobs


def require_api_key(request: Request, key: str | None = Security(api_key_header)) -> None:
    """When TAILRACE_API_KEY is set, reject requests without the same X-API-Key header (401)."""
    want = request.app.state.settings.api_key
    if not want:
        return
    got = key or ""
    if not hmac.compare_digest(got.encode(), want.encode()):
        raise ApiError(401, "missing or wrong API key: send it in the X-API-Key header")
