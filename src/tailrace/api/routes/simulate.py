"""POST /simulate: a scenario set for a stored slate (from the cache when it can)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from tailrace.api.deps import JobsDep
from tailrace.api.routes.common import errors
from tailrace.api.schemas import JobAccepted, SimulateRequest, SimulateResponse

router = APIRouter(tags=["simulate"])


@router.post("/simulate", response_model=SimulateResponse,
             responses={202: {"model": JobAccepted, "description": "queued as a job (?async=true)"},
                        **errors(401, 404, 413, 422, 504)})
async def simulate(body: SimulateRequest, jobs: JobsDep,
                   run_async: bool = Query(False, alias="async", description="run as a job; returns 202")) -> Any:
    """Scenario-set id, kernel statistics and per-driver mean/sd/p90/p99."""
    return await jobs.run("simulate", body, run_async)
