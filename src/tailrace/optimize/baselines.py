"""The simple portfolio methods tailrace is judged against, as a player would run them.

Three baselines, each a greedy over an explicit list of legal lineups (every salary-feasible
lineup, or a pool): one lineup at a time, the best by its score among the lineups still
allowed (distinct from those taken, every driver under the exposure cap, at most
``max_overlap`` drivers shared with each earlier lineup).

* ``randomised_mean`` — the common "randomised optimiser": each lineup maximises
  mean x (1 + ``noise`` x N(0, 1)) with fresh noise for every lineup.
* ``hvz_greedy`` — Hunter, Vielma and Zaman's greedy: maximum mean subject to an overlap cap
  with every earlier lineup ("Picking winners using integer programming", 2016).
* ``sim_roi`` — the commercial "sim ROI" workflow: a pool of scenario-optimal lineups plus the
  best lineups by mean, each ranked by its simulated contest EV entered alone against the
  field, the top taken greedily under the caps. Its overlap limit is relaxed one driver at a
  time only when the pool runs dry, rather than failing.

They live in the library (not only in ``benchmarks/``) because the real-race backtest and the
decision-quality benchmark judge the same methods; one copy of each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tailrace.contest.payouts import split_payout
from tailrace.contest.simulate import standings_kernel
from tailrace.optimize.problem import LineupRules
from tailrace.optimize.scenario_optimal import scenario_optimal_lineups

DEFAULT_NOISE = 0.15
DEFAULT_HVZ_OVERLAP = 3
DEFAULT_SIMROI_OVERLAP = 4


@dataclass(frozen=True)
class GreedyResult:
    """Lineups a greedy baseline chose and how far its overlap limit had to be relaxed.

    Attributes
    ----------
    lineups : ndarray of shape (n_lineups, roster)
        Driver indices, rows sorted, in the order chosen.
    max_overlap_used : int or None
        The overlap limit in force when the last lineup was chosen (``None``: no limit).
    relaxed_at : tuple of int
        Steps at which the pool ran dry and the overlap limit was raised by one.
    """

    lineups: np.ndarray
    max_overlap_used: int | None
    relaxed_at: tuple[int, ...] = ()


def lineup_bits(lineups: np.ndarray) -> np.ndarray:
    """Bit set of each lineup, shape (m,) uint64, from driver indices of shape (m, roster) (< 64 drivers)."""
    lu = np.asarray(lineups)
    if lu.size and int(lu.max()) >= 64:
        raise ValueError("lineup bit sets hold at most 64 drivers")
    return np.bitwise_or.reduce(np.left_shift(np.uint64(1), lu.astype(np.uint64)), axis=1)


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x) if hasattr(np, "bitwise_count") else np.array(
        [bin(int(v)).count("1") for v in x], dtype=np.int64)


def greedy_linear(
    values_fn: Callable[[int], np.ndarray],
    lineups: np.ndarray,
    n_drivers: int,
    n_lineups: int,
    *,
    max_exposure: float = 1.0,
    max_overlap: int | None = None,
    relax_overlap: bool = False,
) -> GreedyResult:
    """Lineups one at a time, each the best by ``values_fn(step)`` among those still allowed.

    Parameters
    ----------
    values_fn : callable ``step -> ndarray of shape (m,)``
        Score of every lineup of ``lineups`` at that step (higher is better).
    lineups : ndarray of shape (m, roster)
        The candidate lineups (driver indices).
    n_drivers : int
        Number of drivers on the slate.
    n_lineups : int
        Portfolio size.
    max_exposure : float
        Share of lineups a driver may be in: at most ``floor(max_exposure * n_lineups)``.
    max_overlap : int or None
        Drivers a lineup may share with every earlier one.
    relax_overlap : bool
        When no lineup is allowed, raise the overlap limit by one and go on (recorded in the
        result) instead of raising ``RuntimeError``.

    Notes
    -----
    Ties go to the lowest index (``argmax``), so the result is deterministic.
    """
    cap = math.floor(max_exposure * n_lineups + 1e-9)
    masks = lineup_bits(lineups)
    taken = np.zeros(lineups.shape[0], dtype=bool)
    counts = np.zeros(n_drivers, dtype=np.int64)
    out: list[int] = []
    limit = max_overlap
    relaxed: list[int] = []

    def allowed_now() -> np.ndarray:
        ok = ~taken
        for d in np.nonzero(counts >= cap)[0]:
            ok &= (masks & np.uint64(1 << int(d))) == 0
        if limit is not None:
            for j in out:
                ok &= _popcount(masks & masks[j]) <= limit
        return ok

    allowed = allowed_now()
    for step in range(n_lineups):
        v = np.where(allowed, values_fn(step), -np.inf)
        j = int(np.argmax(v))
        while not np.isfinite(v[j]):
            if not relax_overlap or limit is None or limit >= lineups.shape[1] - 1:
                raise RuntimeError(f"baseline ran out of lineups at lineup {step + 1} of {n_lineups}")
            limit += 1
            relaxed.append(step)
            allowed = allowed_now()
            v = np.where(allowed, values_fn(step), -np.inf)
            j = int(np.argmax(v))
        out.append(j)
        taken[j] = True
        allowed[j] = False
        counts[lineups[j]] += 1
        for d in lineups[j]:
            if counts[d] >= cap:
                allowed &= (masks & np.uint64(1 << int(d))) == 0
        if limit is not None:
            allowed &= _popcount(masks & masks[j]) <= limit
    chosen = np.sort(np.asarray(lineups)[out], axis=1).astype(np.int64)
    return GreedyResult(chosen, limit, tuple(relaxed))


def randomised_mean(points: np.ndarray, lineups: np.ndarray, n_lineups: int, seed: int, *,
                    max_exposure: float = 1.0, noise: float = DEFAULT_NOISE) -> GreedyResult:
    """The 'randomised optimiser': each lineup maximises mean x (1 + ``noise`` x N(0, 1)), fresh noise each time.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Scenario matrix; only its column means are used.
    lineups : ndarray of shape (m, roster)
        Every legal lineup (or a pool).
    """
    mu = np.asarray(points).mean(axis=0, dtype=np.float64)
    rng = np.random.default_rng(seed)

    def values(step: int) -> np.ndarray:
        noisy = mu * (1.0 + noise * rng.standard_normal(mu.shape[0]))
        return noisy[lineups].sum(axis=1)

    return greedy_linear(values, lineups, mu.shape[0], n_lineups, max_exposure=max_exposure)


def hvz_greedy(points: np.ndarray, lineups: np.ndarray, n_lineups: int, *, max_exposure: float = 1.0,
               max_overlap: int = DEFAULT_HVZ_OVERLAP) -> GreedyResult:
    """Hunter-Vielma-Zaman-style greedy: max mean subject to an overlap cap with every earlier lineup.

    ``points`` has shape (n_scenarios, n_drivers); ``lineups`` shape (m, roster). The overlap limit
    is relaxed only when no legal lineup is left under it.
    """
    mu = np.asarray(points).mean(axis=0, dtype=np.float64)
    v = mu[lineups].sum(axis=1)
    return greedy_linear(lambda step: v, lineups, mu.shape[0], n_lineups, max_exposure=max_exposure,
                         max_overlap=max_overlap, relax_overlap=True)


def alone_ev(contest, points: np.ndarray, lineups: np.ndarray, batch: int = 400) -> np.ndarray:
    """Expected payout of each lineup entered alone (``field_size - 1`` opponents and it).

    Parameters
    ----------
    contest : tailrace.contest.Contest
        Its field and payouts.
    points : ndarray of shape (n_scenarios, n_drivers)
    lineups : ndarray of shape (m, roster)

    Returns
    -------
    ndarray of shape (m,)
        Mean payout over the scenarios, ties split as the site splits them.
    """
    opp = contest.opponents(1)
    fu, fc = opp.unique()
    fu = np.ascontiguousarray(fu, dtype=np.int32)
    cum = contest.payouts.cumulative()
    pts = np.ascontiguousarray(points, dtype=np.float32)
    out = np.empty(lineups.shape[0])
    for b in range(0, lineups.shape[0], batch):
        ours = np.ascontiguousarray(np.sort(lineups[b:b + batch], axis=1).astype(np.int32))
        a, t, _ = standings_kernel(pts, ours, fu, fc, False)
        out[b:b + batch] = split_payout(cum, a, t).mean(axis=0)
    return out


def sim_roi_pool(points: np.ndarray, salaries: np.ndarray, rules: LineupRules, all_lineups: np.ndarray, *,
                 n_optimal: int = 2000, n_mean: int = 2000) -> np.ndarray:
    """The sim-ROI workflow's pool: the optimal lineup of each of the first ``n_optimal`` scenarios
    plus the ``n_mean`` best lineups by mean, distinct, rows sorted; shape (k, roster)."""
    opt = scenario_optimal_lineups(points, salaries, rules, np.arange(min(n_optimal, points.shape[0])))
    mu = np.asarray(points).mean(axis=0, dtype=np.float64)
    v = mu[all_lineups].sum(axis=1)
    k = min(n_mean, all_lineups.shape[0])
    top = all_lineups[np.argpartition(-v, k - 1)[:k]] if k else all_lineups[:0]
    return np.unique(np.concatenate([np.asarray(opt, np.int64), np.sort(top, axis=1).astype(np.int64)]), axis=0)


def sim_roi(points: np.ndarray, salaries: np.ndarray, rules: LineupRules, all_lineups: np.ndarray, contest,
            n_lineups: int, *, max_exposure: float = 1.0, max_overlap: int = DEFAULT_SIMROI_OVERLAP,
            n_optimal: int = 2000, n_mean: int = 2000) -> tuple[GreedyResult, int]:
    """The commercial sim-ROI workflow (module docstring); returns (the greedy's result, pool size).

    ``points`` has shape (n_scenarios, n_drivers); ``all_lineups`` (m, roster) every legal lineup,
    from which the best ``n_mean`` by mean join the pool.
    """
    pool = sim_roi_pool(points, salaries, rules, all_lineups, n_optimal=n_optimal, n_mean=n_mean)
    ev = alone_ev(contest, points, pool)
    res = greedy_linear(lambda step: ev, pool, np.asarray(points).shape[1], n_lineups, max_exposure=max_exposure,
                        max_overlap=max_overlap, relax_overlap=True)
    return res, int(pool.shape[0])
