"""Things every router shares: the documented error responses."""

from __future__ import annotations

from typing import Any

from tailrace.api.schemas import ErrorResponse

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "missing or wrong X-API-Key"},
    404: {"model": ErrorResponse, "description": "unknown id"},
    409: {"model": ErrorResponse, "description": "constraints that cannot all hold (conflicts named)"},
    413: {"model": ErrorResponse, "description": "request body over the upload limit"},
    422: {"model": ErrorResponse, "description": "invalid input: each problem with its field path and a fix"},
    503: {"model": ErrorResponse, "description": "the configured graph database cannot be reached (TAILRACE_GRAPH_URI)"},
    504: {"model": ErrorResponse, "description": "over the synchronous time limit: use ?async=true"},
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error responses for ``codes``."""
    return {c: ERRORS[c] for c in codes}
