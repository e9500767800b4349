"""POST /plan: ``tailrace plan`` as a job (always 202); poll GET /jobs/{id} for its result."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tailrace.api.deps import JobsDep, StoreDep
from tailrace.api.routes.common import errors
from tailrace.api.schemas import JobAccepted, PlanRequest
from tailrace.api.records import load_slate

router = APIRouter(tags=["plan"])


@router.post("/plan", status_code=202, response_model=JobAccepted, responses=errors(401, 404, 413, 422))
async def plan(body: PlanRequest, store: StoreDep, jobs: JobsDep) -> JSONResponse | Any:
    """Queue a contest-day plan. The slate must exist (else 404); the job's ``result`` is the document
    ``tailrace plan --json`` writes: ``contests`` (entries, stake, ``figures`` on the report scenarios,
    ``lineups``, ``upload_csv``), ``day`` (expected profit, ROI and SE, P(loss), lower CVaR, P(top 1 %),
    log-growth, ``profit_quantiles``, ``profit_histogram``), ``allocation`` (``steps``: the greedy path,
    ``method``, ``marginal``, ``exact``) and ``scenarios`` (which set each figure comes from)."""
    await run_in_threadpool(load_slate, store, body.slate_id)
    return await jobs.run("plan", body, True)
