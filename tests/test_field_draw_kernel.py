"""The field sampler's one-pass kernel against its array form and a by-hand reading of the rule.

``_complete_draws`` (numba) must give, row by row, what ``_draw_numpy`` (argpartition and
masks) gives: the same kept drivers as a set, the same last driver, the same accept flag, so
a sampled field is the same bytes. Checked on random batches with drivers of zero weight
(-inf keys), every roster size the sites use and tight salary windows, and against a plain
Python reading of the rule; a tie at the kept/not-kept boundary is reported, not guessed.
"""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.contest.field import _complete_draws, _draw_numpy, sample_field


def batch(seed: int, B: int, n: int, zero: int):
    rng = np.random.default_rng(seed)
    logw = np.log(rng.uniform(0.05, 1.0, n))
    logw[rng.choice(n, zero, replace=False)] = -np.inf
    g_keys = rng.gumbel(size=(B, n))
    g_last = rng.gumbel(size=(B, n))
    sal = (rng.integers(45, 115, n) * 100).astype(np.int64)
    return logw, g_keys, g_last, sal


def by_hand(keys, last, sal, lo, hi, roster):
    """The rule read plainly: the roster - 1 largest keys, then the largest last key among the
    other drivers whose salary lands the total in [lo, hi] (first on equal keys)."""
    out = []
    for k, lk in zip(keys, last):
        kept = sorted(range(len(k)), key=lambda j: -k[j])[: roster - 1]
        if not all(np.isfinite(k[j]) for j in kept):
            out.append(None)
            continue
        part = sum(int(sal[j]) for j in kept)
        cands = [j for j in range(len(k)) if j not in kept and lo <= part + sal[j] <= hi and np.isfinite(lk[j])]
        if not cands:
            out.append(None)
            continue
        best = max(lk[j] for j in cands)
        out.append(tuple(sorted(kept + [min(j for j in cands if lk[j] == best)])))
    return out


@pytest.mark.parametrize("roster", [1, 2, 5, 6])
@pytest.mark.parametrize("zero", [0, 3, 30])
def test_kernel_equals_the_array_steps(roster, zero):
    logw, gk, gl, sal = batch(roster * 100 + zero, 3000, 36, zero)
    keys, last = logw + gk, logw + gl
    lo_hi = [(0, 10**9), (int(sal.mean() * roster * 0.9), int(sal.mean() * roster)), (int(sal.mean() * roster * 1.05), int(sal.mean() * roster * 1.1))]
    for lo, hi in lo_hi:
        rows, ok, tie = _complete_draws(logw, gk, gl, sal, lo, hi, roster - 1)
        want_rows, want_ok = _draw_numpy(keys, last, sal, lo, hi, roster)
        assert not tie
        np.testing.assert_array_equal(ok, want_ok)
        np.testing.assert_array_equal(np.sort(rows[ok], axis=1), np.sort(want_rows[want_ok], axis=1))
        if lo == lo_hi[1][0] and roster >= 5 and zero < 30:
            assert 0 < ok.sum() < len(ok), "the window must both accept and reject rows"


def test_kernel_equals_a_plain_reading_of_the_rule():
    logw, gk, gl, sal = batch(5, 300, 20, 2)
    lo, hi = 40_000, 50_000
    rows, ok, _ = _complete_draws(logw, gk, gl, sal, lo, hi, 5)
    got = [tuple(sorted(r)) if a else None for r, a in zip(rows.tolist(), ok)]
    assert got == by_hand(logw + gk, logw + gl, sal, lo, hi, 6)


def test_a_tie_at_the_boundary_is_reported():
    logw, gk, gl, sal = batch(9, 4, 12, 0)
    order = np.argsort(-(logw + gk[2]))
    # the 5th and 6th largest keys equal: which 5 are kept?
    logw[order[5]], gk[2, order[5]] = logw[order[4]], gk[2, order[4]]
    assert _complete_draws(logw, gk, gl, sal, 0, 10**9, 5)[2]
    gk[2, order[5]] = -50.0  # no tie at the boundary
    assert not _complete_draws(logw, gk, gl, sal, 0, 10**9, 5)[2]


def test_sampled_field_unchanged_by_seed_and_matches_ownership():
    rng = np.random.default_rng(2)
    n = 30
    sal = (rng.integers(45, 115, n) * 100).astype(np.int64)
    own = rng.uniform(1, 40, n)
    own[:2] = 0.0
    own *= 600 / own.sum()
    a = sample_field(own, sal, 6, 50_000, 2000, rng=11)
    b = sample_field(own, sal, 6, 50_000, 2000, rng=11)
    np.testing.assert_array_equal(a.lineups, b.lineups)
    assert not np.isin(a.lineups, [0, 1]).any()  # zero ownership never appears
    tot = sal[a.lineups].sum(axis=1)
    assert (tot <= 50_000).all() and (tot >= 45_000).all()
    assert (np.diff(np.sort(a.lineups, axis=1), axis=1) > 0).all()  # distinct drivers
