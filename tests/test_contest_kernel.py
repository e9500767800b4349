"""The contest kernel against a brute-force ranking; the integer grid path equals the exact path on grid points."""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.contest.simulate import (
    SCORE_SCALE,
    grid_points,
    standings_exact,
    standings_grid,
    standings_kernel,
)


def brute_force(points, ours, field_u, field_c, include_ours):
    """Score every entry, then count, per scenario and our lineup, entries strictly above and tied."""
    S, m = points.shape[0], ours.shape[0]
    above = np.zeros((S, m), dtype=np.int64)
    tied = np.zeros((S, m), dtype=np.int64)
    keys = np.zeros((S, m), dtype=np.int64)
    field = np.repeat(field_u, field_c, axis=0)  # every field entry
    for s in range(S):
        row = points[s].astype(np.float64)

        def key(lu, row=row):
            return int(np.round(sum(float(row[i]) for i in lu) * SCORE_SCALE))

        others = [key(lu) for lu in field]
        mine = [key(lu) for lu in ours]
        for j in range(m):
            x = mine[j]
            pool = others + (mine if include_ours else [x])  # our own entry is always in the pool
            above[s, j] = sum(1 for v in pool if v > x)
            tied[s, j] = sum(1 for v in pool if v == x)
            keys[s, j] = x
    return above, tied, keys


def contest(rng, n, r, m, u, on_grid, S=40, coarse=True):
    if on_grid:
        # site-like grid: multiples of 0.05; coarse = whole and half points so ties are common
        step = rng.integers(-4, 12, (S, n)) * (10 if coarse else 1) + rng.integers(0, 2, (S, n)) * (10 if coarse else 0)
        pts = (step * 0.05).astype(np.float32)
    else:
        pts = rng.normal(20, 8, (S, n)).astype(np.float32)
    lus = np.sort(np.array([rng.choice(n, r, replace=False) for _ in range(u)]), axis=1).astype(np.int32)
    fu, fc = np.unique(lus, axis=0, return_counts=True)
    fc = (fc * rng.integers(1, 4, fc.shape[0])).astype(np.int64)  # duplicate lineups in the field
    ours = np.concatenate([fu[: m // 2], lus[rng.integers(0, u, m - m // 2)]])  # ours shared with the field
    ours = np.concatenate([ours, ours[:2]])  # and duplicated among ours
    return pts, np.ascontiguousarray(ours, dtype=np.int32), np.ascontiguousarray(fu, dtype=np.int32), fc


@pytest.mark.parametrize("include_ours", [True, False])
@pytest.mark.parametrize("on_grid,coarse", [(True, True), (True, False), (False, False)])
@pytest.mark.parametrize("r", [6, 5, 3])
def test_kernel_equals_brute_force(include_ours, on_grid, coarse, r):
    rng = np.random.default_rng(100 * r + 10 * on_grid + coarse + include_ours)
    pts, ours, fu, fc = contest(rng, 12, r, 9, 60, on_grid, coarse=coarse)
    assert (grid_points(pts, r) is not None) == on_grid  # the path taken
    got = standings_kernel(pts, ours, fu, fc, include_ours)
    want = brute_force(pts, ours, fu, fc, include_ours)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert got[0].dtype == np.int32 and got[1].dtype == np.int32 and got[2].dtype == np.int64
    if on_grid and coarse:
        assert (got[1] > 1).mean() > 0.3  # ties are really exercised
    np.testing.assert_array_equal(standings_exact(pts, ours, fu, fc, include_ours)[0], want[0])


@pytest.mark.parametrize("include_ours", [True, False])
def test_empty_field_and_single_lineup(include_ours):
    rng = np.random.default_rng(5)
    pts = (rng.integers(0, 40, (7, 10)) * 0.25).astype(np.float32)
    ours = np.array([[0, 1, 2], [3, 4, 5], [0, 1, 2]], dtype=np.int32)
    fu = np.zeros((0, 3), dtype=np.int32)
    fc = np.zeros(0, dtype=np.int64)
    for o in (ours, ours[:1]):
        got = standings_kernel(pts, o, fu, fc, include_ours)
        want = brute_force(pts, o, fu, fc, include_ours)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def _site_like(rng, S, n):
    """Points as the site scores them (0.05 multiples, negatives, up to ~150), stored in float32."""
    finish = rng.integers(-20, 47, (S, n)).astype(np.float64)
    laps = rng.integers(0, 200, (S, n)) * 0.25 + rng.integers(0, 30, (S, n)) * 0.45 + rng.integers(0, 300, (S, n)) * 0.1
    pts = finish + 0.5 * rng.integers(0, 2, (S, n)) + laps * (rng.random((S, n)) < 0.5)
    pts[: S // 2, :5] = [148.9, 133.45, 141.05, 129.35, 150.15]  # big days, inexact in float32
    return pts.astype(np.float32)


@pytest.mark.parametrize("r,n", [(6, 38), (5, 40), (6, 181)])
@pytest.mark.parametrize("include_ours", [True, False])
def test_grid_and_exact_paths_agree_on_grid_points(r, n, include_ours):
    rng = np.random.default_rng(r * n + include_ours)
    S = 300
    pts = _site_like(rng, S, n)
    assert np.abs(pts).max() > 128  # float32 holds these only to ~1.5e-4 grid units
    g = grid_points(pts, r)
    assert g is not None
    lus = np.sort(np.array([rng.choice(n, r, replace=False) for _ in range(3000)]), axis=1).astype(np.int32)
    lus[1500:] = lus[rng.integers(0, 200, 1500)]  # heavy duplication
    fu, fc = np.unique(lus, axis=0, return_counts=True)
    fu = fu.astype(np.int32)
    ours = np.ascontiguousarray(np.concatenate([fu[:40], lus[:40]]), dtype=np.int32)
    got = standings_kernel(pts, ours, fu, fc, include_ours)
    want = standings_exact(pts, ours, fu, fc, include_ours)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_off_grid_points_take_the_exact_path():
    rng = np.random.default_rng(3)
    pts = (rng.integers(0, 200, (20, 10)) * 0.05).astype(np.float64)
    assert grid_points(pts.astype(np.float32), 6) is not None
    nudged = pts.copy()
    nudged[3, 4] += 3e-5  # a lineup total could now round to a key off 500 x its grid total
    assert grid_points(nudged.astype(np.float32), 6) is None
    assert grid_points(np.full((2, 3), np.nan, dtype=np.float32), 6) is None
    assert grid_points(np.full((2, 3), 1e9, dtype=np.float32), 6) is None  # totals would overflow int32
    ours = np.array([[0, 1, 2, 3, 4, 5]], dtype=np.int32)
    fu = np.array([[0, 1, 2, 3, 4, 6], [1, 2, 3, 4, 5, 6]], dtype=np.int32)
    fc = np.array([3, 2], dtype=np.int64)
    p32 = nudged.astype(np.float32)
    got = standings_kernel(p32, ours, fu, fc, True)
    for a, b in zip(got, brute_force(p32, ours, fu, fc, True)):
        np.testing.assert_array_equal(a, b)


def test_wide_score_range_takes_the_exact_path(monkeypatch):
    import importlib

    def refuse(*a):
        raise AssertionError("grid kernel called")

    monkeypatch.setattr(importlib.import_module("tailrace.contest.simulate"), "standings_grid", refuse)
    rng = np.random.default_rng(4)
    pts = (rng.integers(0, 2, (30, 9)) * 60_000.0 + rng.integers(0, 3, (30, 9))).astype(np.float32)
    assert grid_points(pts, 3) is not None  # on the grid, but 6-figure totals: too many bins
    ours = np.array([[0, 1, 2], [3, 4, 5], [1, 4, 7]], dtype=np.int32)
    fu = np.array([[0, 1, 3], [2, 5, 8], [6, 7, 8]], dtype=np.int32)
    fc = np.array([2, 1, 4], dtype=np.int64)
    got = standings_kernel(pts, ours, fu, fc, True)
    for a, b in zip(got, brute_force(pts, ours, fu, fc, True)):
        np.testing.assert_array_equal(a, b)


def test_grid_kernel_block_size_does_not_matter():
    from tailrace.contest.simulate import pair_slots

    rng = np.random.default_rng(9)
    pts, ours, fu, fc = contest(rng, 15, 6, 20, 200, True, S=101)
    g = grid_points(pts, 6)
    os_, fs = pair_slots(ours, 15), pair_slots(fu, 15)
    ref = standings_grid(g, os_, fs, fc.astype(np.int32), True, 1)
    for block in (7, 32, 500):
        for a, b in zip(standings_grid(g, os_, fs, fc.astype(np.int32), True, block), ref):
            np.testing.assert_array_equal(a, b)
