"""Brute-force references for the optimiser tests: every feasible lineup, scored by tail.py."""

from __future__ import annotations

import itertools

import numpy as np

from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules


def feasible(rules: LineupRules, salaries: np.ndarray, n: int) -> list[tuple[int, ...]]:
    """Every lineup the reference check ``LineupRules.admits`` accepts."""
    return [c for c in itertools.combinations(range(n), rules.roster_size) if rules.admits(c, salaries)]


def scores(points: np.ndarray, lineups: list[tuple[int, ...]]) -> np.ndarray:
    """(S, m) float64 lineup scores."""
    p = np.asarray(points)
    return np.stack([p[:, list(c)].astype(np.float64).sum(axis=1) for c in lineups], axis=1)


def values(points: np.ndarray, lineups: list[tuple[int, ...]], objective: Objective, chunk: int = 1500) -> np.ndarray:
    """Objective value of each lineup (tail.py), in chunks to bound memory."""
    out = []
    for a in range(0, len(lineups), chunk):
        out.append(np.atleast_1d(objective.evaluate(scores(points, lineups[a : a + chunk]))))
    return np.concatenate(out)


def best(points, salaries, rules, objective) -> tuple[float, list[tuple[int, ...]]]:
    """Optimal value and every lineup attaining it (within 1e-9 relative)."""
    lus = feasible(rules, np.asarray(salaries), np.asarray(points).shape[1])
    v = values(points, lus, objective)
    top = float(v.max())
    tol = 1e-9 * (1 + abs(top))
    return top, [lus[i] for i in np.flatnonzero(v >= top - tol)]
