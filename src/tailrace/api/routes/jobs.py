"""GET /jobs/{id} (state, progress, result) and DELETE /jobs/{id} (cancel)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tailrace.api.deps import JobsDep, StoreDep
from tailrace.api.routes.common import errors
from tailrace.api.schemas import JobResponse

router = APIRouter(tags=["jobs"])

_FIELDS = ("id", "kind", "state", "progress", "message", "created", "started", "finished", "result", "error")


def _view(job: dict[str, Any]) -> dict[str, Any]:
    return {k: job[k] for k in _FIELDS}


@router.get("/jobs/{job_id}", response_model=JobResponse, responses=errors(401, 404))
def get_job(job_id: str, store: StoreDep) -> dict[str, Any]:
    """A job's state (queued, running, done, failed, cancelled), progress 0-1 with a message, and result or error."""
    return _view(store.get_job(job_id))


@router.delete("/jobs/{job_id}", response_model=JobResponse, responses=errors(401, 404))
def cancel_job(job_id: str, jobs: JobsDep, store: StoreDep) -> dict[str, Any]:
    """Cancel a queued or running job (its worker is stopped); a finished job is returned unchanged."""
    jobs.cancel(job_id)
    return _view(store.get_job(job_id))
