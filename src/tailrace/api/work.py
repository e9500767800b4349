"""Dispatch of the API's work by job kind: the one place that knows every work function.

The work functions live beside the shared helpers they use (``services.simulate_work``,
``optimize_work.optimize_work``, ``contest_work.contest_work``); this module sits above all
three, so none of them imports another's dispatcher and the imports run one way.

Each work function takes its typed request (``schemas``). A job's request is stored as JSON
and runs in another process: :func:`request_from_json` rebuilds the model there.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from tailrace.api.backtest_work import backtest_work
from tailrace.api.contest_work import contest_work
from tailrace.api.optimize_work import optimize_work
from tailrace.api.plan_work import plan_work
from tailrace.api.schemas import BacktestRequest, ContestRequest, OptimizeRequest, PlanRequest, SimulateRequest
from tailrace.api.services import Context, Progress, no_progress, simulate_work

WORK = {"simulate": simulate_work, "optimize": optimize_work, "contest": contest_work}
REQUESTS: dict[str, type[BaseModel]] = {"simulate": SimulateRequest, "optimize": OptimizeRequest,
                                        "contest": ContestRequest}
WORK["backtest"] = backtest_work  # a job only (POST /backtest)
REQUESTS["backtest"] = BacktestRequest
WORK["plan"] = plan_work  # a job only (POST /plan)
REQUESTS["plan"] = PlanRequest


def request_to_json(req: BaseModel) -> dict[str, Any]:
    """A request as plain JSON values: how a job stores it (and identical requests are recognised)."""
    return req.model_dump(mode="json")


def request_from_json(kind: str, data: dict[str, Any]) -> BaseModel:
    """A stored request (``request_to_json``) as the typed request of job kind ``kind`` again."""
    return REQUESTS[kind].model_validate(data)


def run_work(ctx: Context, kind: str, req: BaseModel, progress: Progress = no_progress) -> dict[str, Any]:
    """Run the work of one job kind ('simulate', 'optimize', 'contest') on its typed request."""
    if not isinstance(req, REQUESTS[kind]):
        raise TypeError(f"{kind} work takes a {REQUESTS[kind].__name__}, not {type(req).__name__}")
    return WORK[kind](ctx, req, progress)
