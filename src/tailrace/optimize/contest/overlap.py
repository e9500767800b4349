"""Contest mode's independent stages run side by side (one helper thread), the answers unchanged.

Most of contest mode's stages are numba kernels that release the GIL (``nogil=True``) and
numpy calls, and several stages do not depend on each other: the fields (sampling, mostly
one core) and the candidates' pools (parallel kernels); the final pool's paid standings and
the cross-validation's greedies (one core). ``in_background(fn)`` starts ``fn`` on a helper
thread and returns a handle whose ``result()`` waits for it (and re-raises its error), so the
caller runs the next stage meanwhile. Each stage has its own inputs and its own seeded random
generators, so the outputs are the same bytes as running them one after the other.

Side by side only where it is safe: numba's ``workqueue`` threading layer must not be entered
from two threads at once, so unless the layer is ``omp`` or ``tbb`` (or ``TAILRACE_SERIAL``
is set) ``fn`` simply runs at once, on the caller's thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import numba as nb
import numpy as np

T = TypeVar("T")

SAFE_LAYERS = ("omp", "tbb")


@nb.njit(cache=True, parallel=True, nogil=True)
def _touch(x: np.ndarray) -> float:
    """A trivial parallel kernel: running it makes numba choose its threading layer."""
    s = 0.0
    for i in nb.prange(x.shape[0]):
        s += x[i]
    return s


def concurrent_ok() -> bool:
    """True when two threads may run numba's parallel kernels at once (``omp`` or ``tbb`` layer)
    and ``TAILRACE_SERIAL`` is unset."""
    if os.environ.get("TAILRACE_SERIAL"):
        return False
    try:
        layer = nb.threading_layer()
    except ValueError:  # no parallel kernel ran yet in this process: run one, then ask
        _touch(np.zeros(2))
        try:
            layer = nb.threading_layer()
        except ValueError:
            return False
    return layer in SAFE_LAYERS


class Pending(Generic[T]):
    """A stage started by ``in_background``: ``result()`` waits for it; ``seconds`` its own wall time."""

    def __init__(self, fn: Callable[[], T], background: bool) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self.seconds = 0.0
        self._thread: threading.Thread | None = None
        if background:
            # not a daemon: a process that exits on an earlier stage's error (the CLI's exit 2) waits for
            # the stage to end instead of tearing numba's threads down under it
            self._thread = threading.Thread(target=self._run, name="tailrace-contest-stage", daemon=False)
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        t0 = time.perf_counter()
        try:
            self._value = self._fn()
        except BaseException as e:  # handed to the caller by result()
            self._error = e
        self.seconds = time.perf_counter() - t0

    def result(self) -> T:
        """The stage's value once it has finished; its exception re-raised here."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def runs_here(executor: object | None) -> bool:
    """True unless ``executor`` is a distributed one (Dask): its field passes then run elsewhere,
    and contest mode's stages stay one after the other here."""
    return executor is None or not getattr(executor, "distributed", False)


def in_background(fn: Callable[[], T], allowed: bool = True) -> Pending[T]:
    """Start ``fn()`` on a helper thread when ``allowed`` and ``concurrent_ok()``; else run it now.

    Either way ``.result()`` gives its value (or raises its error) and the value is the same.
    """
    return Pending(fn, bool(allowed) and concurrent_ok())
