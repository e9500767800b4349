"""The optional Dask switch: one executor interface the library stages accept.

Public API (stable)::

    LocalExecutor()                       # the default: runs every task in this process, in order
    DaskExecutor(client)                  # runs tasks on a ``distributed.Client``
    open_executor(address=None)           # context manager: LocalExecutor, or a Dask client for
                                          # ``address`` ("local", "local:N", "tcp://host:port",
                                          # "host:port"); ``None`` reads TAILRACE_DASK_SCHEDULER
    resolve_address(address=None) -> str | None
    ENV_VAR = "TAILRACE_DASK_SCHEDULER"

An executor runs ``fn(item, **shared)`` for every item of a list. ``shared`` holds the large
inputs every task needs (a scenario matrix, a field): locally they are passed as they are;
on Dask they are scattered once, replicated to every worker (``broadcast=True``, so a killed
worker loses no input and its tasks are rerun elsewhere), and released after the map.
``fn`` must be a module-level function (or a ``functools.partial`` of one) so that workers
import it rather than unpickle code; items and results are plain arrays and tuples.

Byte identity is the callers' job and rests on two rules: every task is a pure function of
its item and the shared inputs (randomness seeded per item, never drawn from a shared
stream), and every floating-point reduction across tasks is folded on the client in item
order (``Executor.map`` returns results in item order; ``Executor.imap`` yields
``(index, result)`` as tasks finish, for callers that write results into slices).

Nothing here imports ``distributed`` until a Dask address is given: the local path never
loads it (``pip install tailrace[dask]`` adds it).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from tailrace.errors import InputError, Problem

ENV_VAR = "TAILRACE_DASK_SCHEDULER"
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before the address is reported unreachable
TIMEOUT_VAR = "TAILRACE_DASK_TIMEOUT"  # overrides CONNECT_TIMEOUT (seconds)
_LOCAL = re.compile(r"^local(?::(\d+))?$")


@dataclass
class ExecutorStats:
    """What an executor moved and ran (Dask only; zeros locally).

    ``bytes_scattered`` counts every copy of a shared input (size x workers it went to);
    ``bytes_gathered`` the results brought back to the client; ``task_seconds`` the wall
    time of each map, from submission to the last result.
    """

    tasks: int = 0
    maps: int = 0
    bytes_scattered: int = 0
    bytes_gathered: int = 0
    task_seconds: list[float] = field(default_factory=list)


class Executor(Protocol):
    """Runs ``fn(item, **shared)`` over ``items``; see the module docstring."""

    workers: int
    distributed: bool  # False: runs in this process
    stats: ExecutorStats

    def imap(self, fn: Callable[..., Any], items: Sequence[Any], *,
             shared: dict[str, Any] | None = None) -> Iterator[tuple[int, Any]]:
        ...

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *,
            shared: dict[str, Any] | None = None) -> list[Any]:
        ...

    def describe(self) -> str:
        ...


class LocalExecutor:
    """Every task in this process, one after another, in item order (the numba kernels inside
    a task use the process's threads)."""

    workers = 1
    distributed = False

    def __init__(self) -> None:
        self.stats = ExecutorStats()

    def imap(self, fn: Callable[..., Any], items: Sequence[Any], *,
             shared: dict[str, Any] | None = None) -> Iterator[tuple[int, Any]]:
        """Yield ``(i, fn(items[i], **shared))`` for i = 0, 1, ... as each finishes."""
        kw = shared or {}
        for i, item in enumerate(items):
            yield i, fn(item, **kw)

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *,
            shared: dict[str, Any] | None = None) -> list[Any]:
        """``[fn(item, **shared) for item in items]``."""
        return [r for _, r in self.imap(fn, items, shared=shared)]

    def describe(self) -> str:
        return "local"


class DaskExecutor:
    """Tasks on a Dask cluster through ``client`` (a ``distributed.Client``).

    Shared inputs are scattered with ``broadcast=True`` (a copy on every worker); results come
    back as tasks finish and each future is released once its result is read, so worker
    memory holds only the tasks in flight. A worker that dies mid-task is noticed by the
    scheduler, which reruns its tasks on the others (``distributed.scheduler.allowed-failures``
    deaths per task, 3 by default, before a task is given up).
    """

    distributed = True

    def __init__(self, client: Any) -> None:
        self.client = client
        self.stats = ExecutorStats()

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))

    def imap(self, fn: Callable[..., Any], items: Sequence[Any], *,
             shared: dict[str, Any] | None = None) -> Iterator[tuple[int, Any]]:
        """Yield ``(i, result)`` in the order tasks finish; every item runs exactly once in the result."""
        from dask.sizeof import sizeof
        from distributed import as_completed

        t0 = time.perf_counter()
        items = list(items)
        futs_shared: dict[str, Any] = {}
        if shared:
            n_workers = self.workers
            names = list(shared)
            scattered = self.client.scatter([shared[k] for k in names], broadcast=True, hash=False)
            futs_shared = dict(zip(names, scattered))  # unique keys: concurrent maps never collide
            self.stats.bytes_scattered += sum(nbytes(v) for v in shared.values()) * n_workers
        futures = self.client.map(fn, items, **futs_shared, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        self.stats.tasks += len(futures)
        self.stats.maps += 1
        try:
            # this client's loop: as_completed otherwise waits on the *default* client's loop, and
            # with two clients in a process a resubmitted task's result then waits on the wrong one
            for fut in as_completed(futures, loop=self.client.loop):
                result = fut.result()
                self.stats.bytes_gathered += int(sizeof(result))
                i = index[fut.key]
                futures[i] = None  # release: the worker may drop the result
                fut.release()
                yield i, result
        finally:
            for f in futures:
                if f is not None:
                    f.cancel()
            for f in futs_shared.values():
                f.release()
            self.stats.task_seconds.append(time.perf_counter() - t0)

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *,
            shared: dict[str, Any] | None = None) -> list[Any]:
        """Results in item order."""
        out: list[Any] = [None] * len(items)
        for i, r in self.imap(fn, items, shared=shared):
            out[i] = r
        return out

    def describe(self) -> str:
        return f"dask {self.client.scheduler.address} ({self.workers} worker(s))"


def nbytes(obj: Any) -> int:
    """Bytes an object takes on the wire: ``nbytes`` for arrays, else its pickle's length."""
    if hasattr(obj, "nbytes"):
        return int(obj.nbytes)
    import pickle

    return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def row_blocks(n_rows: int, workers: int, tasks_per_worker: int = 4, multiple: int = 1) -> list[tuple[int, int]]:
    """Split rows 0..n_rows-1 into about ``workers * tasks_per_worker`` consecutive (start, stop)
    ranges, each a multiple of ``multiple`` rows long (the last one shorter)."""
    if n_rows <= 0:
        return []
    step = -(-n_rows // max(1, workers * tasks_per_worker))
    step = max(multiple, -(-step // multiple) * multiple)
    return [(a, min(n_rows, a + step)) for a in range(0, n_rows, step)]


def resolve_address(address: str | None = None) -> str | None:
    """The Dask address to use: ``address`` if given, else ``$TAILRACE_DASK_SCHEDULER``; None or
    empty means run locally without Dask."""
    text = address if address is not None else os.environ.get(ENV_VAR)
    text = (text or "").strip()
    return text or None


def _connect_timeout() -> float:
    try:
        return max(0.1, float(os.environ.get(TIMEOUT_VAR, CONNECT_TIMEOUT)))
    except ValueError:
        return CONNECT_TIMEOUT


def _unreachable(address: str, exc: BaseException) -> InputError:
    return InputError(Problem(
        f"cannot reach the Dask scheduler at {address} within {_connect_timeout():g} s "
        f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'})",
        param="dask",
        fix=("check that `dask scheduler` is running there and listening on that host and port "
             "(it prints 'Scheduler at: tcp://HOST:PORT'), that this machine can reach it (firewall, "
             f"VPN), and that {ENV_VAR} is not set to a stale address; or run on this machine with "
             "{dask=local:2}, or without {dask}"),
    ))


def _worker_env(n_workers: int) -> dict[str, str]:
    """Environment of a local worker process: its share of the cores for numba's threads."""
    cores = os.cpu_count() or 1
    return {"NUMBA_NUM_THREADS": str(max(1, cores // max(1, n_workers))), "OMP_NUM_THREADS": "1"}


@contextmanager
def open_executor(address: str | None = None, *, n_default: int | None = None) -> Iterator[Executor]:
    """An executor for ``address`` (see ``resolve_address``), closed on exit.

    * nothing given: ``LocalExecutor`` (``distributed`` is not imported);
    * ``local`` / ``local:N``: a ``LocalCluster`` of N worker processes on 127.0.0.1 (default:
      ``n_default`` or the core count), one thread each, numba using cores / N threads;
    * anything else: the address of a running ``dask scheduler``; unreachable within
      ``CONNECT_TIMEOUT`` seconds ($TAILRACE_DASK_TIMEOUT) -> one ``InputError`` naming the
      address and what to check.
    """
    addr = resolve_address(address)
    if addr is None:
        yield LocalExecutor()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(Problem(f"{{dask={addr}}} needs the Dask extra, which is not installed",
                                 param="dask", fix="pip install 'tailrace[dask]', or run without {dask}")) from None
    m = _LOCAL.match(addr)
    if m:
        n = int(m.group(1)) if m.group(1) else (n_default or os.cpu_count() or 1)
        if n < 1:
            raise InputError(Problem(f"{{dask={addr}}}: a local cluster needs at least one worker",
                                     param="dask", fix="use {dask=local:2}"))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, scheduler_kwargs={"dashboard": False},
                               env=_worker_env(n))
        try:
            with Client(cluster) as client:
                yield DaskExecutor(client)
        finally:
            cluster.close()
        return
    target = addr if "://" in addr else f"tcp://{addr}"
    try:
        client = Client(target, timeout=_connect_timeout())
    except (OSError, TimeoutError) as exc:
        raise _unreachable(target, exc) from None
    try:
        yield DaskExecutor(client)
    finally:
        client.close()
