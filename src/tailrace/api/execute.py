"""Run a piece of work now (in a thread, under the sync time limit) or as a background job (202).

Synchronous work runs one computation at a time (``app.state.compute_lock``); a request
waiting its turn past the time limit gets the time-limit error.

Identical synchronous requests that arrive while one is being computed share its answer
(request coalescing), so a burst of the same call costs one computation and every caller
gets the same bytes. Finished answers are not memoised: a later call computes afresh
(from the scenario cache when it can).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tailrace.api.errors import TimeLimitExceeded
from tailrace.api.work import request_to_json, run_work


async def execute(request: Request, kind: str, body: BaseModel, run_async: bool) -> Any:
    """The work's response dict now, or a 202 JSONResponse with the job id when ``run_async``.

    ``body`` is the route's validated request model; a job stores it as JSON (``request_to_json``)."""
    app = request.app
    data = request_to_json(body)
    if run_async:
        jid = await run_in_threadpool(app.state.jobs.submit, kind, data)
        return JSONResponse(
            {"job_id": jid, "kind": kind, "state": "queued", "url": f"/jobs/{jid}"},
            status_code=202,
            headers={"Location": f"/jobs/{jid}"},
        )
    inflight: dict[str, asyncio.Task] = app.state.inflight
    key = kind + ":" + json.dumps(data, sort_keys=True, separators=(",", ":"))
    task = inflight.get(key)
    if task is None:
        # The work runs as its own task: a caller that disconnects does not cancel it for the others.
        task = asyncio.ensure_future(_run_now(app, kind, body))
        inflight[key] = task

        def _done(t: asyncio.Task, key: str = key) -> None:
            if inflight.get(key) is t:
                del inflight[key]
            if not t.cancelled():
                t.exception()  # retrieved, so an error nobody awaited is not logged as "never retrieved"

        task.add_done_callback(_done)
    return await asyncio.shield(task)


async def _run_now(app: Any, kind: str, body: BaseModel) -> dict[str, Any]:
    limit = float(app.state.settings.sync_time_limit)
    deadline = time.monotonic() + limit

    def progress(fraction: float, message: str) -> None:
        if time.monotonic() > deadline:
            raise TimeLimitExceeded(limit)

    def work() -> dict[str, Any]:
        # queued behind other synchronous work; the wait counts towards the time limit
        with app.state.compute_lock:
            progress(0.0, "started")
            return run_work(app.state.context, kind, body, progress)

    try:
        return await asyncio.wait_for(run_in_threadpool(work), timeout=limit + 1.0)
    except asyncio.TimeoutError:
        raise TimeLimitExceeded(limit) from None
