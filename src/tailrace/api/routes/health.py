"""GET /health: liveness, version and scenario-cache statistics (never needs the API key)."""

from __future__ import annotations

from fastapi import APIRouter

from tailrace import __version__
from tailrace.api.deps import ContextDep, JobsDep
from tailrace.api.schemas import HealthResponse

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
async def health(ctx: ContextDep, jobs: JobsDep) -> dict:
    """Status, version, scenario-cache statistics (entries, bytes, hit rate) and running jobs."""
    return {"status": "ok", "version": __version__, "cache": ctx.cache_stats(), "jobs_running": jobs.running()}
