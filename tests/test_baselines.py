"""The baselines tailrace is judged against (optimize/baselines.py), against plain-Python references."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tailrace.optimize import baselines
from tailrace.optimize.problem import LineupRules


def _slate(n: int = 9, roster: int = 3, seed: int = 3):
    rng = np.random.default_rng(seed)
    points = rng.gamma(3.0, 10.0, size=(400, n)).astype(np.float32)
    sal = rng.integers(5, 12, size=n) * 1000
    cap = int(np.sort(sal)[-roster:].sum()) - 2000
    lus = np.array([c for c in itertools.combinations(range(n), roster) if sal[list(c)].sum() <= cap])
    return points, sal, cap, lus


def _reference(points, lus, n_lineups, cap_share, overlap):
    """Greedy by mean written out: best mean among lineups not taken, under caps; overlap +1 when dry."""
    mu = points.mean(axis=0, dtype=np.float64)
    cap = math.floor(cap_share * n_lineups + 1e-9)
    chosen: list[tuple[int, ...]] = []
    limit = overlap
    while len(chosen) < n_lineups:
        best, best_v = None, -np.inf
        for lu in map(tuple, lus):
            if lu in chosen:
                continue
            if any(sum(d in c for c in chosen) >= cap for d in lu):
                continue
            if limit is not None and any(len(set(lu) & set(c)) > limit for c in chosen):
                continue
            v = mu[list(lu)].sum()
            if v > best_v:
                best, best_v = lu, v
        if best is None:
            limit += 1
            continue
        chosen.append(best)
    return np.array(chosen), limit


@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_hvz_matches_written_out_greedy(overlap: int) -> None:
    points, _, _, lus = _slate()
    res = baselines.hvz_greedy(points, lus, 8, max_exposure=0.5, max_overlap=overlap)
    ref, limit = _reference(points, lus, 8, 0.5, overlap)
    assert [tuple(x) for x in res.lineups] == [tuple(x) for x in ref]
    assert res.max_overlap_used == limit
    assert (len(res.relaxed_at) > 0) == (limit > overlap)


def test_overlap_zero_runs_dry_and_is_relaxed_not_failed() -> None:
    points, _, _, lus = _slate()
    # 9 drivers, roster 3: at most 3 disjoint lineups, so 6 lineups need the limit raised
    res = baselines.hvz_greedy(points, lus, 6, max_overlap=0)
    assert res.relaxed_at and res.max_overlap_used >= 1
    with pytest.raises(RuntimeError, match="ran out"):
        baselines.greedy_linear(lambda s: np.ones(len(lus)), lus, 9, 6, max_overlap=0)


def test_randomised_is_seeded_and_respects_exposure() -> None:
    points, _, _, lus = _slate()
    a = baselines.randomised_mean(points, lus, 10, seed=5, max_exposure=0.4).lineups
    b = baselines.randomised_mean(points, lus, 10, seed=5, max_exposure=0.4).lineups
    assert np.array_equal(a, b)
    assert np.bincount(a.ravel(), minlength=9).max() <= 4
    assert len({tuple(x) for x in a}) == 10


def test_lineup_bits_refuses_more_than_64_drivers() -> None:
    with pytest.raises(ValueError):
        baselines.lineup_bits(np.array([[0, 64]]))
