"""POST /backtest: ``tailrace backtest`` as a job (always 202); poll GET /jobs/{id} for its result."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tailrace.api.context import Context
from tailrace.api.deps import ContextDep, JobsDep
from tailrace.api.kinds import work_module
from tailrace.api.routes.common import errors
from tailrace.api.schemas import BacktestRequest, JobAccepted

router = APIRouter(tags=["backtest"])


def _check(ctx: Context, body: BacktestRequest) -> None:
    with tempfile.TemporaryDirectory(prefix="tailrace-backtest-check-") as tmp:
        work_module("backtest").prepare_backtest(ctx, body, Path(tmp))


@router.post("/backtest", status_code=202, response_model=JobAccepted, responses=errors(401, 404, 413, 422))
async def backtest(body: BacktestRequest, ctx: ContextDep, jobs: JobsDep) -> JSONResponse | Any:
    """Queue a backtest job. The request is checked first (the history exists, its races are there,
    every salary file reads: else 404 / 422 naming the field); the job's ``result`` is the
    document ``tailrace backtest --json`` writes (``tailrace.backtest.run.BacktestResult``:
    ``races``, ``skipped``, ``pooled`` and ``start_buckets`` by salary kind (``real`` / ``synthetic``,
    the latter SYNTHETIC salaries), ``options``, ``se_notes``: what each standard error covers)."""
    await run_in_threadpool(_check, ctx, body)
    return await jobs.run("backtest", body, True)
