"""Background jobs: each runs in its own spawned worker process, with state and progress in the store.

The server keeps a small manager thread that starts queued jobs (at most ``job_workers`` at a
time), reaps finished workers, and kills the worker of a cancelled job. A worker writes its
progress (0-1 and a message) and its result or error into the SQLite store itself, so the
event loop never waits on work and ``/health`` stays fast. A worker whose server dies (even by
SIGKILL) notices within a second and exits; the next server start marks such jobs failed with
the reason, so no job stays 'running' forever.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

from tailrace.api.settings import Settings
from tailrace.store import Store

log = logging.getLogger("tailrace.api.jobs")

JOB_KINDS = ("simulate", "optimize", "contest", "backtest", "plan")
RESTART_REASON = "the server stopped while this job was queued or running; submit it again"


class JobRunner:
    """Starts, watches and cancels worker processes for queued jobs."""

    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.store = store
        self._ctx = mp.get_context("spawn")
        self._procs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> list[str]:
        """Fail jobs orphaned by a dead server, then start the manager thread; returns the failed ids."""
        orphaned = self.store.fail_orphaned_jobs(RESTART_REASON)
        if orphaned:
            log.warning("marked %d orphaned job(s) failed: %s", len(orphaned), ", ".join(orphaned))
        self._thread = threading.Thread(target=self._loop, name="tailrace-jobs", daemon=True)
        self._thread.start()
        return orphaned

    def submit(self, kind: str, request: dict[str, Any]) -> str:
        """Queue a job of ``kind`` with its request as JSON (``work.request_to_json``); returns its id."""
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
            self.store.fail_job(jid, {"status": 500, "message": RESTART_REASON})
        for jid in self.store.jobs_in_state("queued"):
            if self.store.get_job(jid)["owner_pid"] == os.getpid():
                self.store.fail_job(jid, {"status": 500, "message": RESTART_REASON})

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
            proc = self._ctx.Process(
                target=worker_main,
                args=(self.settings.model_dump(mode="json"), jid, os.getpid()),
                name=f"tailrace-job-{jid}",
                daemon=True,
            )
            proc.start()
            with self._lock:
                self._procs[jid] = proc


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker as soon as the server that started it is gone (e.g. killed)."""
    try:  # Linux: have the kernel send SIGKILL when the parent dies
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass

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
    from tailrace.api.errors import Cancelled, error_body
    from tailrace.api.services import Context
    from tailrace.api.work import request_from_json, run_work

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
