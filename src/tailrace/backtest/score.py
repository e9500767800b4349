"""Scoring a portfolio on the real result of one race.

* Real points: each lineup's DraftKings points, from the history's result (in integer cents,
  so ties and comparisons are exact: DK points lie on a 0.05 grid).
* Percentile: the best lineup's place among **every** salary-feasible lineup of the slate
  (exact, by enumeration): ``100 x (1 - above / M)`` with ``above`` the lineups scoring strictly
  more and ``M`` the lineups; the hindsight optimum scores 100. "In the top 1 %" means
  ``above / M < 0.01``.
* Contest ROI with the real result as the one race: opponents drawn from the modelled
  ownership, ``draws`` independent fields; per field the portfolio's payout (ties split as the
  site splits them, ``contest.simulate_contest``); ROI = (payout - fees) / fees, averaged over
  the draws with its standard error (the spread from the field alone; the race is fixed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailrace.contest.field import Field, sample_field
from tailrace.contest.payouts import PayoutTable
from tailrace.contest.simulate import simulate_contest
from tailrace.optimize.lineup import enumerate_feasible
from tailrace.optimize.problem import LineupRules

__all__ = ["to_cents", "all_lineups", "lineup_cents", "Placement", "placement", "field_draws", "real_roi"]


def to_cents(points: np.ndarray) -> np.ndarray:
    """DK points (n,) as int64 cents (rounded: the site's points are multiples of 0.05)."""
    return np.round(np.asarray(points, dtype=np.float64) * 100.0).astype(np.int64)


def all_lineups(salaries: np.ndarray, roster_size: int, salary_cap: int) -> np.ndarray:
    """Every salary-feasible lineup (``roster_size`` distinct drivers, salary <= cap): int64 (M, roster), rows sorted."""
    sal = np.asarray(salaries, dtype=np.int64)
    lu, _ = enumerate_feasible(LineupRules(roster_size=roster_size, salary_cap=salary_cap), sal, sal.shape[0])
    return lu.astype(np.int64)


def lineup_cents(cents: np.ndarray, lineups: np.ndarray) -> np.ndarray:
    """Score of each lineup (m,) int64 from driver cents (n,) and lineups (m, roster)."""
    return np.asarray(cents)[np.asarray(lineups)].sum(axis=1)


@dataclass(frozen=True)
class Placement:
    """Where a portfolio's best lineup lands among every legal lineup on the real result.

    Attributes
    ----------
    best_points, optimum_points : float
        The best lineup's real DK points and the hindsight optimum's.
    above : int
        Legal lineups scoring strictly more than the best lineup.
    n_lineups : int
        Legal lineups (M).
    percentile : float
        ``100 * (1 - above / M)``.
    """

    best_points: float
    optimum_points: float
    above: int
    n_lineups: int
    percentile: float

    @property
    def gap(self) -> float:
        """Hindsight optimum minus the best lineup, DK points."""
        return self.optimum_points - self.best_points

    def in_top(self, share: float) -> bool:
        """True when fewer than ``share`` of the legal lineups beat the best lineup."""
        return self.above < share * self.n_lineups


def placement(all_scores: np.ndarray, portfolio_scores: np.ndarray) -> Placement:
    """The best of ``portfolio_scores`` (m,) placed among ``all_scores`` (M,), both int cents."""
    best = int(np.max(portfolio_scores))
    s = np.asarray(all_scores)
    above = int(np.count_nonzero(s > best))
    return Placement(best / 100.0, int(s.max()) / 100.0, above, int(s.size), 100.0 * (1.0 - above / s.size))


def field_draws(ownership: np.ndarray, salaries: np.ndarray, roster_size: int, salary_cap: int,
                opponents: int, draws: int, seed: int) -> list[Field]:
    """``draws`` independent fields of ``opponents`` entries each, sampled from ``ownership``
    (percent, (n,)) in one call (one ownership calibration, i.i.d. entries), then cut in order."""
    big = sample_field(ownership, salaries, roster_size, salary_cap, opponents * draws, rng=seed)
    return [Field(big.lineups[k * opponents:(k + 1) * opponents]) for k in range(draws)]


def real_roi(real_points: np.ndarray, lineups: np.ndarray, fields: list[Field], payouts: PayoutTable,
             entry_fee: float) -> np.ndarray:
    """ROI of the portfolio ``lineups`` (m, roster) against each field, on the one real race.

    ``real_points`` (n,) are the drivers' real DK points; each field in ``fields`` is used
    whole minus ``m - 1`` entries at its end (so the contest keeps ``len(field) + 1`` entries
    for any ``m``). Returns ROI per field draw, float64 (draws,).
    """
    pts = np.round(np.asarray(real_points, dtype=np.float64), 2).astype(np.float32)[None, :]
    lu = np.asarray(lineups)
    m = lu.shape[0]
    out = np.empty(len(fields))
    for k, f in enumerate(fields):  # a loop over field draws (tens), not scenarios
        opp = Field(f.lineups[: f.n_entries - (m - 1)]) if m > 1 else f
        res = simulate_contest(pts, lu, opp, payouts, entry_fee)
        out[k] = res.portfolio.roi
    return out
