"""POST /optimize: the seed's contract — lineups, exposures, tail metrics, kernel stats and the options."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from tailrace.api.deps import JobsDep
from tailrace.api.routes.common import errors
from tailrace.api.schemas import JobAccepted, OptimizeRequest, OptimizeResponse

router = APIRouter(tags=["optimize"])


@router.post("/optimize", response_model=OptimizeResponse,
             responses={202: {"model": JobAccepted, "description": "queued as a job (?async=true)"},
                        **errors(401, 404, 409, 413, 422, 504)})
async def optimize(body: OptimizeRequest, jobs: JobsDep,
                   run_async: bool = Query(False, alias="async", description="run as a job; returns 202")) -> Any:
    """Build a portfolio; every requested part is present, a failed part is null with a named warning."""
    return await jobs.run("optimize", body, run_async)
