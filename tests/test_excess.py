"""The scenario-major excess pass against a direct computation over every subset."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tailrace.optimize import _excess


@pytest.mark.parametrize("r", [1, 5, 6])
@pytest.mark.parametrize("nchunk", [1, 3])
def test_excess_sums_match_direct_sums(r, nchunk):
    rng = np.random.default_rng(r * 10 + nchunk)
    S, n = 700, 13
    pts = rng.normal(5.0, 12.0, (S, n)).round(1)  # negative points and ties
    pts[:, 4] = pts[:, 2]
    sal = rng.integers(40, 110, n) * 100
    cap = int(np.sort(sal)[:r].sum() + 0.5 * (np.sort(sal)[-r:].sum() - np.sort(sal)[:r].sum()))
    cand = np.array([11, 9, 7, 5, 4, 2, 1, 0], np.int64)  # a subset, positions down the index
    assert np.all(np.diff(cand) < 0)
    nd = len(cand)
    binom = _excess.binomials(nd, r)
    hi = np.sort(pts[:, cand], axis=1)[:, -r:].sum(axis=1)
    taus = np.array([np.quantile(hi, 0.7), np.quantile(hi, 0.4)])
    acc, pairs = _excess.excess_sums(pts, cand, sal, cap, int(sal[cand].min()), r, taus, binom, nchunk)
    pos_of = np.full(n, -1, np.int64)
    pos_of[cand] = np.arange(nd)
    subsets = [tuple(sorted(int(d) for d in c)) for c in itertools.combinations(cand, r)
               if sal[list(c)].sum() <= cap]
    rows = np.array(subsets, np.uint8)
    ks = np.array([7.0, 35.5])
    w = np.array([0.6, 0.4])
    other = rng.normal(0, 1, len(rows))
    idx = np.arange(len(rows), dtype=np.int64)
    x = np.stack([pts[:, list(c)].sum(axis=1) for c in subsets], axis=1)  # (S, m)
    g = [taus[j] + np.maximum(x - taus[j], 0.0).sum(axis=0) / ks[j] for j in range(2)]
    # two leaves, one threshold each
    got = _excess.gather_bounds(rows, idx, pos_of, binom, acc, taus, np.array([0, 1]), ks, w, other)
    np.testing.assert_allclose(got, other + w[0] * g[0] + w[1] * g[1], rtol=1e-12, atol=1e-9)
    # one leaf, both thresholds: the smaller of the two bounds
    got = _excess.gather_bounds(rows, idx, pos_of, binom, acc, taus, np.array([0, 0]), ks[:1], w[:1], other)
    g1 = taus[1] + np.maximum(x - taus[1], 0.0).sum(axis=0) / ks[0]
    np.testing.assert_allclose(got, other + w[0] * np.minimum(g[0], g1), rtol=1e-12, atol=1e-9)
    # a score equal to the threshold may fall either side with another summation order
    t = taus.min()
    assert int((x > t + 1e-9).sum()) <= pairs <= int((x > t - 1e-9).sum())
    assert pairs > 0


def test_binomials():
    t = _excess.binomials(10, 4)
    assert t[10, 4] == 210 and t[7, 3] == 35 and t[3, 4] == 0 and t[0, 0] == 1
