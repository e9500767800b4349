"""Optimal % (optimize/optimal_share.py) against a direct count over every legal lineup."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tailrace.optimize.optimal_share import optimal_share
from tailrace.optimize.problem import LineupRules

N, S, R = 12, 400, 6


def _slate(seed: int):
    rng = np.random.default_rng(seed)
    sal = rng.integers(50, 110, size=N).astype(np.int64) * 100
    pts = (rng.gamma(2.0, 8.0, size=(S, N)) * (sal / sal.mean())).astype(np.float32)
    cap = int(np.sort(sal)[-R:].sum() * 0.85)  # the cap binds
    return pts, sal, cap


def _brute(pts, sal, cap):
    """Every lineup under the cap and its score in every scenario: (M, R), (S, M)."""
    feas = np.array([c for c in itertools.combinations(range(N), R) if sal[list(c)].sum() <= cap])
    return feas, pts[:, feas].astype(np.float64).sum(axis=2)


@pytest.mark.parametrize("seed", [1, 2])
def test_driver_and_lineup_optimal_pct_match_a_direct_count(seed: int) -> None:
    pts, sal, cap = _slate(seed)
    feas, tot = _brute(pts, sal, cap)
    best = tot.argmax(axis=1)  # continuous points: no ties
    expect_driver = np.zeros(N)
    for s in range(S):
        for d in feas[best[s]]:
            expect_driver[d] += 1
    expect_driver *= 100.0 / S
    # lineups to rate: the most often optimal one, a never-optimal one, one often near
    counts = np.bincount(best, minlength=feas.shape[0])
    top = int(counts.argmax())
    never = int(np.nonzero(counts == 0)[0][0])
    opt = tot.max(axis=1)
    near_counts = (tot >= opt[:, None] - 0.01 * np.abs(opt[:, None])).sum(axis=0)
    near = int(near_counts.argmax())
    lus = feas[[top, never, near]]
    got = optimal_share(pts, sal, LineupRules(R, cap, locks=frozenset({0})), lus)  # user rules are not the site's
    np.testing.assert_allclose(got.driver_pct, expect_driver, atol=1e-9)
    assert got.driver_pct.sum() == pytest.approx(100.0 * R)
    np.testing.assert_allclose(got.lineup_pct, 100.0 * counts[[top, never, near]] / S, atol=1e-9)
    np.testing.assert_allclose(got.lineup_near_pct, 100.0 * near_counts[[top, never, near]] / S, atol=1e-9)
    assert got.lineup_pct[0] > 0 and got.lineup_pct[1] == 0
    assert got.lineup_near_pct[2] > got.lineup_pct[2]
    np.testing.assert_allclose(got.optimum, opt, rtol=1e-6)
    assert got.n_scenarios == S


def test_a_lineup_tied_with_the_optimum_counts_as_optimal() -> None:
    # 7 drivers, roster 6, no cap: drivers 5 and 6 score the same, so {0..5} and {0..4, 6} tie
    pts = np.array([[9, 8, 7, 6, 5, 1, 1], [9, 8, 7, 6, 5, 2, 1]], dtype=np.float32)
    sal = np.full(7, 1000)
    a, b = [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 6]
    got = optimal_share(pts, sal, LineupRules(6, 10_000), np.array([a, b]))
    np.testing.assert_allclose(got.lineup_pct, [100.0, 50.0])
    # the driver counts follow the one optimum the search returns per scenario (first found: lower index)
    np.testing.assert_allclose(got.driver_pct, [100, 100, 100, 100, 100, 100, 0])


def test_near_optimal_is_one_percent_of_the_optimum() -> None:
    # one scenario: optimum 100 (drivers 0..5 with 20+20+20+20+10+10), lineup b = 99.0 (near), c = 98.9 (not)
    pts = np.array([[20, 20, 20, 20, 10, 10, 9, 8.9]], dtype=np.float32)
    sal = np.full(8, 1000)
    lus = np.array([[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 6], [0, 1, 2, 3, 4, 7]])
    got = optimal_share(pts, sal, LineupRules(6, 10_000), lus)
    np.testing.assert_allclose(got.lineup_pct, [100, 0, 0])
    np.testing.assert_allclose(got.lineup_near_pct, [100, 100, 0])
