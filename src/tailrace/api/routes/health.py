"""GET /health: liveness, version and scenario-cache statistics (never needs the API key)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tailrace import __version__
from tailrace.api.deps import get_context, get_jobs
from tailrace.api.jobs import JobRunner
from tailrace.api.schemas import HealthResponse
from tailrace.api.services import Context

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
async def health(ctx: Context = Depends(get_context), jobs: JobRunner = Depends(get_jobs)) -> dict:
    """Status, version, scenario-cache statistics (entries, bytes, hit rate) and running jobs."""
    return {"status": "ok", "version": __version__, "cache": ctx.cache_stats(), "jobs_running": jobs.running()}
