"""POST /review: a portfolio placed in a finished contest's real standings (sync: no simulation)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from tailrace.api.deps import ContextDep
from tailrace.api.kinds import work
from tailrace.api.routes.common import errors
from tailrace.api.schemas import ReviewRequest

router = APIRouter(tags=["review"])


@router.post("/review", responses=errors(401, 404, 413, 422))
async def review(body: ReviewRequest, ctx: ContextDep) -> dict[str, Any]:
    """Your lineups in the real standings (points, rank, ties, payout, ROI) and the real %Drafted
    against the slate's modelled ownership: what `tailrace review --json` writes. A malformed
    standings file is a 422 naming its row and field."""
    return await run_in_threadpool(work("review"), ctx, body)
