"""The job runner: every job kind's work, run now (a synchronous request) or as a background job.

**Kinds.** ``REQUESTS`` maps each job kind to its typed request (``schemas``) and
``kinds.WORK_MODULES`` to its work module (``<kind>_work.py``, side by side: none imports
another), imported when the kind first runs.

**Now.** :meth:`JobRunner.run_now` runs the work in a thread under the sync time limit, one
computation at a time (the numba kernels already use every core, and each request thread
would start its own OpenMP thread team on top of them); a request waiting its turn past the
time limit gets the time-limit error. Identical synchronous requests that arrive while one is
being computed share its answer (request coalescing), so a burst of the same call costs one
computation and every caller gets the same bytes. Finished answers are not memoised: a later
call computes afresh (from the scenario cache when it can).

**Background.** Each job runs in its own worker process, with state and progress in the
store; on Linux the worker is forked from a warm forkserver that has already imported what
every job needs, elsewhere it is spawned (:mod:`tailrace.api.job_start`, setting
``job_start``). The server keeps a small manager thread that starts queued jobs (at most
``job_workers`` at a time), reaps finished workers, and kills the worker of a cancelled job. A
worker writes its progress (0-1 and a message) and its result or error into the SQLite store
itself, so the event loop never waits on work and ``/health`` stays fast. A worker whose server
dies (even by SIGKILL) notices within a second and exits; the next server start marks such jobs
failed with the reason, so no job stays 'running' forever. A job's request is stored as JSON
(:func:`request_to_json`) and :func:`request_from_json` rebuilds the typed request in the worker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tailrace.store import Store

from tailrace.api.context import Context, Progress, no_progress
from tailrace.api.errors import Cancelled, TimeLimitExceeded, error_body
from tailrace.api import kinds
from tailrace.api.job_start import Starter, die_with_parent
from tailrace.api.schemas import BacktestRequest, ContestRequest, OptimizeRequest, PlanRequest, SimulateRequest
from tailrace.api.settings import Settings

log = logging.getLogger("tailrace.api.jobs")

# ---------------------------------------------------------------------------- the kinds

# each job kind's request model (backtest and plan: jobs only, POST /backtest and /plan); its work is
# ``<kind>_work`` in the module ``kinds.WORK_MODULES`` names, imported when the kind first runs
REQUESTS: dict[str, type[BaseModel]] = {
    "simulate": SimulateRequest, "optimize": OptimizeRequest, "contest": ContestRequest, "backtest": BacktestRequest,
    "plan": PlanRequest}
JOB_KINDS = tuple(REQUESTS)
RESTART_REASON = "the server stopped while this job was queued or running; submit it again"


def request_to_json(req: BaseModel) -> dict[str, Any]:
    """A request as plain JSON values: how a job stores it (and identical requests are recognised)."""
    return req.model_dump(mode="json")


def request_from_json(kind: str, data: dict[str, Any]) -> BaseModel:
    """A stored request (``request_to_json``) as the typed request of job kind ``kind`` again."""
    return REQUESTS[kind].model_validate(data)


def run_work(ctx: Context, kind: str, req: BaseModel, progress: Progress = no_progress) -> dict[str, Any]:
    """Run the work of one job kind on its typed request; returns the response dict."""
    if not isinstance(req, REQUESTS[kind]):
        raise TypeError(f"{kind} work takes a {REQUESTS[kind].__name__}, not {type(req).__name__}")
    return kinds.work(kind)(ctx, req, progress)


# ---------------------------------------------------------------------------- the runner

class JobRunner:
    """Runs work now (:meth:`run_now`, :meth:`run`) and starts, watches and cancels the worker
    processes of queued jobs (:meth:`submit`, :meth:`cancel`)."""

    def __init__(self, context: Context):
        self.context = context
        self.settings = context.settings
        self.store = context.store
        self._inflight: dict[str, asyncio.Task] = {}  # key of an identical sync request in progress -> its task
        self._compute_lock = threading.Lock()  # one synchronous computation at a time
        self._starter: Starter | None = None  # how workers start (start(): forkserver or spawn)
        self._procs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- now --------------------------------------------------------------------------------

    async def run(self, kind: str, body: BaseModel, run_async: bool) -> Any:
        """The work's response dict now, or a 202 JSONResponse with the job id when ``run_async``.

        ``body`` is the route's validated request model; a job stores it as JSON (``request_to_json``)."""
        data = request_to_json(body)
        if run_async:
            jid = await run_in_threadpool(self.submit, kind, data)
            return JSONResponse(
                {"job_id": jid, "kind": kind, "state": "queued", "url": f"/jobs/{jid}"},
                status_code=202,
                headers={"Location": f"/jobs/{jid}"},
            )
        key = kind + ":" + json.dumps(data, sort_keys=True, separators=(",", ":"))
        task = self._inflight.get(key)
        if task is None:
            # The work runs as its own task: a caller that disconnects does not cancel it for the others.
            task = asyncio.ensure_future(self.run_now(kind, body))
            self._inflight[key] = task

            def _done(t: asyncio.Task, key: str = key) -> None:
                if self._inflight.get(key) is t:
                    del self._inflight[key]
                if not t.cancelled():
                    t.exception()  # retrieved, so an error nobody awaited is not logged as "never retrieved"

            task.add_done_callback(_done)
        return await asyncio.shield(task)

    async def run_now(self, kind: str, body: BaseModel) -> dict[str, Any]:
        """Run the work in a thread under the sync time limit (TimeLimitExceeded past it), one at a time."""
        limit = float(self.settings.sync_time_limit)
        deadline = time.monotonic() + limit

        def progress(fraction: float, message: str) -> None:
            if time.monotonic() > deadline:
                raise TimeLimitExceeded(limit)

        def work() -> dict[str, Any]:
            # queued behind other synchronous work; the wait counts towards the time limit
            with self._compute_lock:
                progress(0.0, "started")
                return run_work(self.context, kind, body, progress)

        try:
            return await asyncio.wait_for(run_in_threadpool(work), timeout=limit + 1.0)
        except asyncio.TimeoutError:
            raise TimeLimitExceeded(limit) from None

    # -- background ---------------------------------------------------------------------------

    def start(self) -> list[str]:
        """Fail jobs orphaned by a dead server, then start the manager thread; returns the failed ids."""
        orphaned = self.store.fail_orphaned_jobs(RESTART_REASON)
        if orphaned:
            log.warning("marked %d orphaned job(s) failed: %s", len(orphaned), ", ".join(orphaned))
        self._starter = Starter(self.settings.job_start)
        self._starter.warm()  # the forkserver imports in the background while the server serves
        self._thread = threading.Thread(target=self._loop, name="tailrace-jobs", daemon=True)
        self._thread.start()
        return orphaned

    def submit(self, kind: str, request: dict[str, Any]) -> str:
        """Queue a job of ``kind`` with its request as JSON (``request_to_json``); returns its id."""
        if kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        jid = self.store.create_job(kind, request, owner_pid=os.getpid())
        self._wake.set()
        return jid

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job (killing its worker); False if it had already finished."""
        changed = self.store.cancel_job(job_id)
        with self._lock:
            proc = self._procs.get(job_id)
        if proc is not None and proc.is_alive():
            proc.terminate()
        self._wake.set()
        return changed

    def stop(self) -> None:
        """Stop the manager, kill running workers and mark their jobs failed (server shutting down)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            procs = dict(self._procs)
            self._procs.clear()
        for jid, proc in procs.items():
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
                if proc.is_alive():  # the forkserver's stop below waits for every worker it forked
                    proc.kill()
                    proc.join(timeout=5)
            self.store.fail_job(jid, {"status": 500, "message": RESTART_REASON})
        for jid in self.store.jobs_in_state("queued"):
            if self.store.get_job(jid)["owner_pid"] == os.getpid():
                self.store.fail_job(jid, {"status": 500, "message": RESTART_REASON})
        if self._starter is not None:  # its workers have ended: the last runner stops the forkserver
            self._starter.close()

    def running(self) -> int:
        """How many workers are alive now."""
        with self._lock:
            return sum(p.is_alive() for p in self._procs.values())

    # -- manager thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._reap()
                self._launch()
            except Exception:  # the manager must survive anything (a locked db, a failed spawn)
                log.exception("job manager step failed")
            self._wake.wait(timeout=0.2)
            self._wake.clear()

    def _reap(self) -> None:
        with self._lock:
            items = list(self._procs.items())
        for jid, proc in items:
            state = self.store.get_job(jid)["state"]
            if state == "cancelled" and proc.is_alive():
                proc.terminate()
            if proc.is_alive():
                continue
            proc.join(timeout=1)
            code = proc.exitcode
            with self._lock:
                self._procs.pop(jid, None)
            if state in ("queued", "running"):
                self.store.fail_job(
                    jid, {"status": 500, "message": f"the worker process ended unexpectedly (exit code {code})"}
                )

    def _launch(self) -> None:
        queued = self.store.jobs_in_state("queued")
        for jid in queued:
            with self._lock:
                if len(self._procs) >= max(1, self.settings.job_workers) or jid in self._procs:
                    continue
            job = self.store.get_job(jid)
            if job["owner_pid"] != os.getpid():
                continue
            proc = self._start_worker(jid)
            with self._lock:
                self._procs[jid] = proc

    def _start_worker(self, jid: str) -> Any:
        """Start the worker process of job ``jid``: from the forkserver, or spawned (and by spawn
        from then on when the forkserver fails, e.g. refuses to serve: ``job_start.check_fork_safe``)."""
        starter = self._starter
        if starter is None:
            raise RuntimeError("start() the job runner before it launches jobs")
        for attempt in (1, 2):
            try:
                # the worker checks that its parent (this server, or the forkserver) stays alive
                proc = starter.process(worker_main, (self.settings.model_dump(mode="json"), jid,
                                                     starter.parent_pid()), f"tailrace-job-{jid}")
                proc.start()
                return proc
            except Exception as exc:
                if starter.method != "forkserver" or attempt == 2:
                    raise
                starter.fall_back(exc)
        raise AssertionError("unreachable")


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker as soon as its parent ``parent_pid`` is gone: the server that spawned it,
    or the forkserver it was forked from (which itself dies with the server, even when killed)."""
    die_with_parent()  # Linux: the kernel sends SIGKILL when the parent dies

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(3)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent_pid:
        os._exit(3)


def worker_main(settings_json: dict[str, Any], job_id: str, parent_pid: int) -> None:
    """Entry point of a worker process: run one job and record its outcome in the store."""
    _watch_parent(parent_pid)

    settings = Settings.model_validate(settings_json)
    store = Store(settings.data_dir)
    if not store.start_job(job_id, os.getpid()):
        return
    job = store.get_job(job_id)
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and fraction < 1.0:
            return
        last[0] = now
        if not store.set_progress(job_id, fraction, message):
            raise Cancelled()

    try:
        ctx = Context.create(settings, store)
        result = run_work(ctx, job["kind"], request_from_json(job["kind"], job["request"]), progress)
    except Cancelled:
        return
    except BaseException as exc:  # recorded in the store; the worker then exits normally
        status, body = error_body(exc)
        store.fail_job(job_id, {"status": status, **body}, states=("running",))
        return
    store.finish_job(job_id, result)
