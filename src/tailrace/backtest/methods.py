"""The portfolio methods a backtest compares, each run as a player would run it.

* ``contest`` — tailrace's contest mode: marginal expected profit in the GPP
  (``pipeline.run_optimize`` with mode contest).
* ``marginal`` — tailrace's marginal mode on the spec's objective (default upper CVaR 1 %).
* ``hvz`` — the mean optimiser with an overlap cap (``optimize.baselines.hvz_greedy``).
* ``randomised`` — the randomised mean optimiser (``optimize.baselines.randomised_mean``).

The two baselines choose among every legal lineup (the same enumeration the scoring uses).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tailrace.optimize import baselines
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Slate
from tailrace.errors import InputError, Problem
from tailrace.pipeline import run_optimize

__all__ = ["METHODS", "LABELS", "parse_methods", "build_portfolio"]

METHODS: tuple[str, ...] = ("contest", "marginal", "hvz", "randomised")
LABELS: dict[str, str] = {
    "contest": "contest mode",
    "marginal": "upper-CVaR marginal",
    "hvz": "HVZ mean + overlap",
    "randomised": "randomised mean",
}


def parse_methods(text: str | None) -> tuple[str, ...]:
    """'contest,hvz' -> ('contest', 'hvz') in METHODS order; InputError for an unknown name."""

    if not text:
        return METHODS
    got = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [t for t in got if t not in METHODS]
    if bad or not got:
        raise InputError(Problem(f"unknown method(s) {', '.join(bad) or text!r}", param="methods",
                                 fix=f"choose from {', '.join(METHODS)} (comma-separated)"))
    return tuple(m for m in METHODS if m in got)


def build_portfolio(method: str, slate: Slate, scen: Scenarios, spec: ConstraintSpec, legal: np.ndarray,
                    contest: Any, seed: int) -> tuple[np.ndarray, list[str]]:
    """Lineups (m, roster) int64 of ``method`` on ``scen`` and the run's warnings.

    ``spec`` gives lineup count, exposure cap, overlap cap and (marginal) objective; ``legal``
    (M, roster) every legal lineup (baselines); ``contest`` the GPP contest mode aims at.
    """

    n = spec.n_lineups
    cap = spec.global_max_exposure or 1.0
    if method in ("contest", "marginal"):
        run = run_optimize(slate, scen, spec.with_overrides(mode=method), contest=contest if method == "contest" else None,
                           explain=False, timings=False, share_figures=False)
        lu = np.array(run.lineups, dtype=np.int64).reshape(-1, slate.site.roster_size)
        return np.sort(lu, axis=1), list(run.result.warnings)
    if method == "hvz":
        overlap = spec.max_overlap if spec.max_overlap is not None else baselines.DEFAULT_HVZ_OVERLAP
        res = baselines.hvz_greedy(scen.points, legal, n, max_exposure=cap, max_overlap=overlap)
        notes = [f"overlap limit relaxed to {res.max_overlap_used}"] if res.relaxed_at else []
        return res.lineups, notes
    if method == "randomised":
        return baselines.randomised_mean(scen.points, legal, n, seed, max_exposure=cap).lineups, []
    raise ValueError(f"unknown method {method!r}")
