"""Optimal %: how often each driver is in the scenario's optimal lineup, and each lineup is (near) optimal.

A scenario's **optimal lineup** is the legal lineup with the most points in it under the site's
rules only (roster size and salary cap: what the whole field plays under, not the user's locks,
excludes or exposure caps), found per scenario by the exact branch and bound of
``optimize.scenario_optimal`` (ties: the lineup found first, drivers in order of points then
index). From those:

* a driver's **optimal %** is the percentage of scenarios whose optimum holds him (the
  percentages sum to ``roster_size * 100``); **leverage** is optimal % minus his ownership, in
  percentage points (positive: the field holds him less often than he is optimal);
* a lineup's **optimal %** is the percentage of scenarios in which it scores at least the
  optimum (so a lineup tied with the optimum counts as optimal, whichever tie the search
  returned); its **within 1 %** share the scenarios in which it scores at least
  ``optimum - 0.01 * |optimum|``.

Scores are summed in float64 from the float32 matrix and compared after rounding to 1e-4 points,
as the contest simulator compares them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailrace.optimize.problem import LineupRules
from tailrace.optimize.scenario_optimal import scenario_optima

NEAR_OPTIMAL = 0.01  # "within 1 % of optimal"
_SCALE = 10_000.0  # scores compared as integers of 1e-4 points (contest.simulate.SCORE_SCALE)


@dataclass(frozen=True)
class OptimalShare:
    """Optimal % figures of one scenario set.

    Attributes
    ----------
    driver_pct : ndarray of shape (n_drivers,)
        Percent of scenarios whose optimal lineup holds each driver.
    lineup_pct : ndarray of shape (n_lineups,)
        Percent of scenarios in which each given lineup is optimal (scores at least the optimum).
    lineup_near_pct : ndarray of shape (n_lineups,)
        Percent of scenarios in which each given lineup scores at least
        ``optimum - tolerance * |optimum|``.
    optimum : ndarray of shape (n_scenarios,)
        Each scenario's optimal score (NaN where no lineup fits the cap).
    n_scenarios : int
        Scenarios with an optimum (the denominator).
    tolerance : float
        The "near" tolerance, a share of the optimum.
    """

    driver_pct: np.ndarray
    lineup_pct: np.ndarray
    lineup_near_pct: np.ndarray
    optimum: np.ndarray
    n_scenarios: int
    tolerance: float = NEAR_OPTIMAL


def site_rules(rules: LineupRules) -> LineupRules:
    """The site's rules only (roster size and cap) of ``rules``: the optimum the whole field plays for."""
    return LineupRules(roster_size=rules.roster_size, salary_cap=rules.salary_cap)


def optimal_share(points: np.ndarray, salaries: np.ndarray, rules: LineupRules, lineups: np.ndarray,
                  *, tolerance: float = NEAR_OPTIMAL) -> OptimalShare:
    """Optimal % of every driver and of ``lineups`` on ``points`` (module docstring).

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Scenario matrix.
    salaries : ndarray of shape (n_drivers,)
        Salary per driver.
    rules : LineupRules
        Only ``roster_size`` and ``salary_cap`` are used (``site_rules``).
    lineups : ndarray of shape (n_lineups, roster)
        Lineups to rate, driver indices.
    tolerance : float, default=NEAR_OPTIMAL
        "Near optimal": a score at least ``optimum - tolerance * |optimum|``.

    Returns
    -------
    OptimalShare

    Notes
    -----
    Scenarios without a lineup under the cap (a slate too small or too dear) count in no
    percentage; ``n_scenarios`` is the number that do. With none, every percentage is 0.
    Cost: one exact search per scenario (numba, parallel), about 0.03 s for 10,000
    scenarios of a 38-driver DraftKings slate, plus an (S, n_lineups) sum.
    """
    pts = np.asarray(points)
    S, n = pts.shape
    lus, ok = scenario_optima(pts, salaries, site_rules(rules))
    k = int(ok.sum())
    L = np.asarray(lineups, dtype=np.int64).reshape(-1, int(rules.roster_size))
    driver = np.bincount(lus[ok].ravel(), minlength=n).astype(np.float64)
    opt = np.full(S, np.nan)
    if k:
        opt[ok] = pts[np.nonzero(ok)[0][:, None], lus[ok]].sum(axis=1, dtype=np.float64)
    if L.shape[0] == 0 or k == 0:
        z = np.zeros(L.shape[0])
        return OptimalShare(driver * (100.0 / max(k, 1)), z, z.copy(), opt, k, float(tolerance))
    X = pts[np.nonzero(ok)[0]][:, L].sum(axis=2, dtype=np.float64)  # (k, L)
    o = opt[ok][:, None]
    xs = np.round(X * _SCALE)
    is_opt = xs >= np.round(o * _SCALE)
    near = xs >= np.round((o - tolerance * np.abs(o)) * _SCALE)
    return OptimalShare(driver * (100.0 / k), is_opt.mean(axis=0) * 100.0, near.mean(axis=0) * 100.0, opt, k,
                        float(tolerance))


__all__ = ["NEAR_OPTIMAL", "OptimalShare", "optimal_share", "site_rules"]
