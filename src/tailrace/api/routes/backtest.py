"""POST /backtest: ``tailrace backtest`` as a job (always 202); poll GET /jobs/{id} for its result."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tailrace.api.backtest_work import prepare_backtest
from tailrace.api.execute import execute
from tailrace.api.routes.common import errors
from tailrace.api.schemas import BacktestRequest, JobAccepted

router = APIRouter(tags=["backtest"])


def _check(request: Request, body: BacktestRequest) -> None:
    with tempfile.TemporaryDirectory(prefix="tailrace-backtest-check-") as tmp:
        prepare_backtest(request.app.state.context, body, Path(tmp))


@router.post("/backtest", status_code=202, response_model=JobAccepted, responses=errors(401, 404, 413, 422))
async def backtest(body: BacktestRequest, request: Request) -> JSONResponse | Any:
    """Queue a backtest job. The request is checked first (the history exists, its races are there,
    every salary file reads: else 404 / 422 naming the field); the job's ``result`` is the
    document ``tailrace backtest --json`` writes (``tailrace.backtest.run.BacktestResult``:
    ``races``, ``skipped``, ``pooled`` and ``start_buckets`` by salary kind (``real`` / ``synthetic``,
    the latter SYNTHETIC salaries), ``options``, ``se_notes``: what each standard error covers)."""
    await run_in_threadpool(_check, request, body)
    return await execute(request, "backtest", body, True)
