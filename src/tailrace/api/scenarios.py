"""The scenario set of a request: ``get_scenarios``, the API's one road to ``pipeline.scenario_set``."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.sim.cache import uncached
from tailrace.slate import Slate

from tailrace.api.context import Context, Progress, check_limit, no_progress
from tailrace.api.records import history_from_store
from tailrace.api.schemas import KernelStats
from tailrace.json_models import json_answer
from tailrace.scenario_sets import scenario_set
from tailrace.sim.simulate import invariant_checks


def _driver_summary(slate: Slate, points: np.ndarray) -> list[dict[str, Any]]:
    p = np.asarray(points, dtype=np.float64)
    mean = p.mean(axis=0)
    sd = p.std(axis=0, ddof=1) if p.shape[0] > 1 else np.zeros(p.shape[1])
    q = np.quantile(p, [0.9, 0.99, 0.05, 0.5, 0.95], axis=0)
    return [
        {"id": d.id, "name": d.name, "mean": float(mean[j]), "sd": float(sd[j]), "p90": float(q[0, j]),
         "p99": float(q[1, j]), "p5": float(q[2, j]), "p50": float(q[3, j]), "p95": float(q[4, j])}
        for j, d in enumerate(slate.drivers)
    ]


def get_scenarios(ctx: Context, slate: Slate, n: int, seed: int, track: str | None,
                  progress: Progress = no_progress, strengths: list[float] | None = None, *,
                  history_id: str | None = None, history_weight: float | None = None,
                  allow_shift: bool = False) -> tuple[Any, dict[str, Any]]:
    """The slate's scenario set (from the cache when it can) and its kernel stats.

    The set comes by the one road every face takes (``pipeline.scenario_set``), under the one
    cache key (``sim.keys.simulation_key``), so the CLI and the API share cache entries; its
    ``scenario_set_id`` is ``pipeline.scenario_set_id`` of that key. Identical concurrent calls in
    one process compute it once (``ctx.key_lock``, a lock per key); across processes the cache's
    file lock keeps one copy. ``seconds`` is the time to get the set (generation on a miss, a
    cache fetch on a hit); invariant checks are computed once per set.
    """

    check_limit(n, ctx.settings.max_scenarios, "n_scenarios")
    missing = [i for i, d in enumerate(slate.drivers) if d.start is None]
    if missing:
        raise InputError([Problem(f"driver '{slate.drivers[i].name}' has no start position", field=f"drivers[{i}].start",
                                  fix="give every driver its start (a projections file with a start column)")
                          for i in missing[:10]])
    if strengths is not None and len(strengths) != slate.n:
        raise InputError(Problem(f"{len(strengths)} strengths for {slate.n} drivers", field="strengths",
                                 fix="give one log-strength per driver, in the slate's driver order"))
    model = history_from_store(ctx.store, history_id, slate) if history_id else None
    t0 = time.perf_counter()

    def tick(done: int, total: int) -> None:
        progress(0.25 * done / max(total, 1), f"simulated {done:,} of {total:,} races")

    # the one road (and key) the CLI takes too; ctx.key_lock: identical requests compute once here
    got = scenario_set(slate, n, seed, track=track, history=model, history_weight=history_weight,
                       allow_shift=allow_shift,
                       strengths=None if strengths is None else np.asarray(strengths, dtype=np.float64),
                       cache=ctx.cache if ctx.cache is not None else uncached(), lock=ctx.key_lock, progress=tick)
    scen, hit, set_id = got.scenarios, got.hit, got.set_id
    seconds = time.perf_counter() - t0
    progress(0.25, "scenarios ready")
    checks = ctx.checks.get(got.key)
    if checks is None:
        try:
            checks = invariant_checks(scen, slate.site, slate.starts())
        except Exception as exc:  # reported, not hidden
            checks = {"passed": None, "error": f"invariant checks could not run: {exc}"}
        ctx.checks[got.key] = checks
    stats = {
        "scenario_set_id": set_id,
        "count": int(scen.n_scenarios),
        "seed": int(seed),
        "seconds": float(seconds),
        "cache_hit": bool(hit),
        "invariant_checks_passed": checks.get("passed"),
        "invariant_checks": checks,
        "track": scen.meta.get("track"),
        "track_type": scen.meta.get("track_type"),
        "strength_source": scen.meta.get("strength_source"),
        "history": scen.meta.get("history"),
        "warnings": scen.stage_warnings(),
        "drivers": _driver_summary(slate, scen.points),
    }
    return scen, json_answer(KernelStats, stats)  # numpy figures plain, NaN as null: the stats model's edge
