"""The warm-engine store: an engine's state after it was built and after its first solve, kept
between requests of a long-lived process (``keep_warm``, ``warm_engines``)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from tailrace.optimize.memo import add_array


# State that survives between requests in a long-lived process (the API): an engine's state right
# after it was built, and right after its first solve, keyed by the content of everything that
# decides them (scenario matrix, lineups, objective, knobs; the first solve's active set). A new
# engine with the same key takes the stored state instead of recomputing it: the same arrays, so
# every later step, and the answer, are the same bytes; only the time differs. Off by default
# (a one-shot command gains nothing and would pay the copies): ``with warm_engines():`` turns it
# on for the calls made inside the block, on that thread (the API wraps each optimisation in it);
# ``keep_warm(True)`` for the whole process. Holds at most _WARM_SIZE keys (each a few copies of
# the per-lineup bound arrays: ~120 MB on a 40-driver DraftKings slate), least recently used
# dropped first.
_WARM_SIZE = 2
_warm: OrderedDict[bytes, dict] = OrderedDict()
_warm_lock = threading.Lock()
_warm_on = False
_warm_here = threading.local()  # .on: this thread's switch inside warm_engines()
warm_hits = {"built": 0, "first_solve": 0}  # counters: how often stored state was taken (tests read them)
# attributes never written after construction: shared between an engine and its stored state
_SHARED = frozenset({"points", "driver_points", "lineups", "masks", "objective", "config", "_scenario_points"})


def keep_warm(on: bool = True) -> None:
    """Turn the warm-engine store on for the whole process, or off (and empty it)."""
    global _warm_on
    with _warm_lock:
        _warm_on = bool(on)
        if not on:
            _warm.clear()


@contextmanager
def warm_engines() -> Iterator[None]:
    """Use the warm-engine store for the engines built and searched inside the block, on this
    thread (a server's request); other threads and later calls are left as they were."""
    before = getattr(_warm_here, "on", False)
    _warm_here.on = True
    try:
        yield
    finally:
        _warm_here.on = before


def _warm_enabled() -> bool:
    return _warm_on or getattr(_warm_here, "on", False)


def _copy_state(x):
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, dict):
        return {k: _copy_state(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_copy_state(v) for v in x)
    return x


def _snapshot(engine: "Engine") -> dict:
    return {k: (v if k in _SHARED else _copy_state(v)) for k, v in engine.__dict__.items()}


def _snapshot_from(state: dict) -> dict:
    """A stored state, copied for an engine to own (the store's copy stays as it was)."""
    return {k: (v if k in _SHARED else _copy_state(v)) for k, v in state.items()}


_array_key = add_array  # the one content rule for arrays (``optimize.memo``)
