"""How the server starts a background job's worker process: forked from a warm forkserver, or spawned.

A spawned worker is a new interpreter that imports tailrace, numpy, pydantic and numba before
it does any work (about 0.9 s of CPU, more than a small job's work). On Linux the job runner
instead asks a **forkserver** for each worker: one process, started once per server, that has
already imported everything a job needs (:data:`PRELOAD`, which imports ``tailrace.api.jobs``
and every work module ``api.kinds`` names); each worker is a fork of it and starts its work at once.

**Fork safety.** A fork copies only the calling thread, so the forkserver must hold no other
thread (a numba/OpenMP thread team or a Python thread would be missing, half-held locks and
all, in every worker). It imports modules and runs nothing: :func:`check_fork_safe` runs in it
after the imports and refuses to serve (the forkserver exits with the reason on stderr) when a
Python thread is alive, numba's parallel thread pool has been launched, or the process holds
more OS threads than numpy's and scipy's OpenBLAS started when they loaded (OpenBLAS stops its pool
before a fork and restarts it in the child). The job runner then starts its workers by spawn.

**Lifetime.** The forkserver dies with the server, even when the server is killed: it asks the
kernel for SIGKILL when its parent thread ends (``PR_SET_PDEATHSIG``), and that thread is a
keeper thread here that lives until the last job runner has stopped; each worker asks the same
of the forkserver, its parent. So a killed server takes its forkserver and workers with it.
:func:`release` (a runner's ``stop``) stops the forkserver when no runner uses it any more.

**Choosing.** ``Settings.job_start`` (``TAILRACE_JOB_START``): ``auto`` (forkserver on Linux,
spawn elsewhere: macOS and Windows start by spawn), ``forkserver`` or ``spawn``. Both give the
same answers, byte for byte.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
from multiprocessing import forkserver
from typing import Any

log = logging.getLogger("tailrace.api.jobs")

PRELOAD = "tailrace.api.job_preload"
START_METHODS = ("auto", "forkserver", "spawn")


def start_method(choice: str) -> str:
    """The start method a job runner uses for ``choice`` (``auto``, ``forkserver`` or ``spawn``)
    on this platform: ``forkserver`` or ``spawn``."""
    if choice not in START_METHODS:
        raise ValueError(f"job start {choice!r}: give one of {', '.join(START_METHODS)}")
    if choice == "spawn":
        return "spawn"
    if choice == "auto" and not sys.platform.startswith("linux"):
        return "spawn"  # macOS (fork is unsafe under its system libraries) and Windows (no fork)
    if "forkserver" not in mp.get_all_start_methods():
        log.warning("job start 'forkserver' is not available on this platform; starting jobs by spawn")
        return "spawn"
    return "forkserver"


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent (thread) ends; Linux only, else a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def os_threads() -> int:
    """How many OS threads this process has now (Linux ``/proc``; elsewhere Python's count)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def check_fork_safe(baseline: int) -> None:
    """Raise RuntimeError unless this process may be forked for jobs: no Python thread but the
    main one, numba's parallel thread pool not launched, and no more OS threads than ``baseline``
    (the count right after numpy and scipy.special's ufuncs loaded: their OpenBLAS pools, which
    OpenBLAS stops before a fork)."""
    problems = []
    extra = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if extra:
        problems.append(f"Python threads running: {', '.join(extra)}")
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is not None and getattr(parallel, "_is_initialized", False):
        problems.append("numba's parallel thread pool has been launched (a parallel kernel ran)")
    n = os_threads()
    if n > baseline:
        problems.append(f"{n} OS threads, more than the {baseline} numpy and scipy started on load")
    if problems:
        raise RuntimeError("the job forkserver must hold no thread before it forks, but: " + "; ".join(problems)
                           + ". Run nothing at import time in tailrace.api modules (or set TAILRACE_JOB_START=spawn)")


# ---------------------------------------------------------------------------- the shared forkserver

class _Keeper:
    """The thread that starts (and restarts, and stops) the process-wide forkserver, so that the
    forkserver's parent thread — whose end SIGKILLs it — lives as long as a job runner uses it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._jobs: queue.Queue[tuple[str, threading.Event, list[Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while True:
            what, done, out = self._jobs.get()
            try:
                if what == "ensure":
                    forkserver.ensure_running()
                    out.append(forkserver._forkserver._forkserver_pid)
                else:  # "stop"
                    _stop_forkserver()
            except BaseException as exc:  # handed to the caller
                out.append(exc)
            done.set()
            if what == "stop":
                return

    def _ask(self, what: str) -> Any:
        done, out = threading.Event(), []
        self._jobs.put((what, done, out))
        done.wait()
        if out and isinstance(out[0], BaseException):
            raise out[0]
        return out[0] if out else None

    def acquire(self) -> None:
        """One more job runner uses the forkserver (started in the background on first use)."""
        with self._lock:
            self._users += 1
            if self._thread is None:
                forkserver.set_forkserver_preload([PRELOAD])
                self._thread = threading.Thread(target=self._run, name="tailrace-forkserver", daemon=True)
                self._thread.start()

    def ensure(self) -> int:
        """Start the forkserver if it is not running; returns its pid (a worker's parent)."""
        with self._lock:
            if self._thread is None:
                raise RuntimeError("the forkserver is not in use: acquire() first")
            return int(self._ask("ensure"))

    def release(self) -> None:
        """One job runner fewer; the last one stops the forkserver (its workers must have ended)."""
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._thread is None:
                return
            thread, self._thread = self._thread, None
            try:
                self._ask("stop")
            finally:
                thread.join(timeout=5)


_keeper = _Keeper()


def _stop_forkserver() -> None:
    """Stop the forkserver (``ForkServer._stop``: close the 'alive' pipe, wait for it to exit),
    also when it had already died and been reaped."""
    fs = forkserver._forkserver
    try:
        fs._stop()
    except ChildProcessError:  # gone already: forget it, so a later ensure_running starts a new one
        fs._forkserver_pid = fs._forkserver_address = fs._forkserver_alive_fd = None


class Starter:
    """A job runner's way of starting workers: :meth:`process` makes an unstarted worker process
    and :meth:`parent_pid` is the pid that worker's parent will have (for its parent watch)."""

    def __init__(self, choice: str = "auto") -> None:
        self.method = start_method(choice)
        self._ctx = mp.get_context(self.method)
        self._acquired = False
        if self.method == "forkserver":
            _keeper.acquire()
            self._acquired = True

    def warm(self) -> None:
        """Start the forkserver now (in the background: its imports run while the server serves)."""
        if self.method == "forkserver":
            try:
                self.parent_pid()
            except Exception as exc:
                self.fall_back(exc)

    def parent_pid(self) -> int:
        """The parent a worker started now has: this process (spawn) or the running forkserver."""
        if self.method != "forkserver":
            return os.getpid()
        return _keeper.ensure()

    def process(self, target: Any, args: tuple, name: str) -> Any:
        """An unstarted daemon worker process running ``target(*args)``."""
        return self._ctx.Process(target=target, args=args, name=name, daemon=True)

    def fall_back(self, reason: BaseException) -> None:
        """Start by spawn from now on (the forkserver failed: ``reason``); :meth:`close` still
        releases the forkserver once this runner's forked workers have ended."""
        log.error("the job forkserver failed (%r); starting jobs by spawn from now on", reason)
        self.method = "spawn"
        self._ctx = mp.get_context("spawn")

    def close(self) -> None:
        """This runner is done with the forkserver (call after its workers have ended)."""
        if self._acquired:
            self._acquired = False
            _keeper.release()
