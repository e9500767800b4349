"""POST /contest: a stored portfolio in a simulated tournament."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from tailrace.api.deps import JobsDep
from tailrace.api.routes.common import errors
from tailrace.api.schemas import ContestRequest, ContestResponse, JobAccepted

router = APIRouter(tags=["contest"])


@router.post("/contest", response_model=ContestResponse,
             responses={202: {"model": JobAccepted, "description": "queued as a job (?async=true)"},
                        **errors(401, 404, 413, 422, 504)})
async def contest(body: ContestRequest, jobs: JobsDep,
                  run_async: bool = Query(False, alias="async", description="run as a job; returns 202")) -> Any:
    """Expected profit, ROI, cash/top-1 %/win rates with standard errors, per lineup and for the portfolio."""
    return await jobs.run("contest", body, run_async)
