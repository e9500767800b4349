"""The one road to a scenario matrix: every face (CLI ``simulate``, ``optimize``, ``contest``,
``demo``, ``plan``, the backtest, the API's /simulate, /optimize and /contest) gets its scenarios
from :func:`scenario_set`, keyed by the one recipe :func:`tailrace.sim.keys.simulation_key`, so
the same inputs are simulated once and cached under one key whichever face asked first.

It sits in the pipeline layer (``tailrace.pipeline`` re-exports it): above ``sim/`` (the
simulator and its cache), below the faces.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from tailrace.sim.cache import ScenarioCache, simulate_cached
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Slate

__all__ = ["ScenarioSet", "scenario_set", "scenario_set_id", "simulate_scenarios"]


@dataclass(frozen=True)
class ScenarioSet:
    """A scenario set as the road hands it out.

    Attributes
    ----------
    scenarios : Scenarios
        ``points`` float32 of shape (n_scenarios, n_drivers), the outcomes of the same shape,
        read-only; ``meta["cache_key"]`` is ``key``.
    key : str
        The cache key (:func:`tailrace.sim.keys.simulation_key`), 64 hex digits.
    hit : bool
        True when the set came from the cache (memory or disk), False when it was simulated now.
    """

    scenarios: Scenarios
    key: str
    hit: bool

    @property
    def set_id(self) -> str:
        """The store's id of this set, :func:`scenario_set_id` of ``key``."""
        return scenario_set_id(self.key)


def scenario_set_id(key: str) -> str:
    """The API store's id of a scenario set: ``"ss_"`` and the first 20 hex digits of its cache key,
    so the record and the cache entry are named by the same key material."""
    return "ss_" + key[:20]


def scenario_set(
    slate: Slate,
    n: int,
    seed: int,
    *,
    track: Any = None,
    params: Any = None,
    strengths: np.ndarray | None = None,
    history: Any = None,
    history_weight: float | None = None,
    allow_shift: bool = False,
    cache: ScenarioCache | None = None,
    lock: Callable[[str], AbstractContextManager[Any]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Any = None,
) -> ScenarioSet:
    """Simulate ``n`` races of ``slate`` with ``seed`` through the scenario cache, or read them from it.

    Parameters
    ----------
    slate : Slate
        Every driver needs a start position.
    n, seed : int
        Scenario count and seed (same inputs and seed, same bytes).
    track : str or Track, optional
        Track name or bare type; default the slate's.
    params : dict of TrackTypeParams or TrackTypeParams, optional
        Race-model parameters; default ``sim.params.DEFAULT_PARAMS``.
    strengths : ndarray of shape (n_drivers,), optional
        Log-strengths in slate order, overriding the slate's own sources.
    history : HistoryModel, optional
        Strengths from the history's ratings (blended by ``history_weight``), as in
        ``tailrace.sim.simulate.simulate``; ``allow_shift`` likewise.
    cache : ScenarioCache, optional
        Default ``sim.cache.default_cache()`` (``$TAILRACE_CACHE_DIR``); ``sim.cache.uncached()``
        computes every time and keeps nothing.
    lock : callable, optional
        ``lock(key)`` gives a context manager held while the set is fetched or computed (the
        API's per-key lock, so identical concurrent requests compute once in one process).
    progress : callable, optional
        ``progress(done, total)`` after each simulated chunk (not called on a hit).
    executor : optional
        Where the simulation runs (``tailrace.distributed``); not part of the key.

    Returns
    -------
    ScenarioSet
        The scenarios, their key and whether they came from the cache. The hit flag is not in
        ``scenarios.meta``, so outputs that carry the meta are the same on a first run and a rerun.
    """
    scen, hit = simulate_cached(slate, n, seed, cache=cache, track=track, params=params, strengths=strengths,
                                history=history, history_weight=history_weight, allow_shift=allow_shift,
                                progress=progress, executor=executor, lock=lock)
    return ScenarioSet(scenarios=scen, key=scen.meta["cache_key"], hit=bool(hit))


def simulate_scenarios(
    slate: Slate,
    n: int,
    seed: int,
    *,
    track: Any = None,
    cache: ScenarioCache | None = None,
    history: Any = None,
    history_weight: float | None = None,
    allow_shift: bool = False,
    progress: Callable[[int, int], None] | None = None,
    executor: Any = None,
) -> Scenarios:
    """The scenarios of :func:`scenario_set` alone (for callers that need neither key nor hit).

    Returns
    -------
    Scenarios
        ``points`` of shape (n, n_drivers).
    """
    return scenario_set(slate, n, seed, track=track, cache=cache, history=history, history_weight=history_weight,
                        allow_shift=allow_shift, progress=progress, executor=executor).scenarios
