"""The one-lineup search's speed paths give what the slower steps they replace gave.

* ``Engine._top_bounds``: the same set of top bounds as ``argpartition`` (the same array when
  the boundary is tied);
* ``_excess.tighten_bounds``: the bounds ``gather_bounds`` returns, taken into ``static_bound``
  (and ``bound``) in place;
* ``Engine._leaf_stats``: from an evaluation, the very numbers of ``sum_rows`` + ``leaf_values``;
* ``scenario_optimal.scenario_optima``: a repeated call (memo) equals a fresh search, and its
  arrays are copies;
* ``Engine._find_lineup`` / ``_scenario_starts``: enumeration indices of the per-scenario
  optima, checked against the enumeration and brute force.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from _bruteforce import best
from tailrace.optimize import _excess, _kernels, scenario_optimal
from tailrace.optimize.bounds import EngineBounds
from tailrace.optimize.lineup import build_engine, solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules


def _slate(seed: int, n: int = 14, S: int = 1500):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 1, (S, 1))
    pts = (rng.gamma(1.5, 8.0, (S, n)) * rng.uniform(0.5, 2.0, n) + 6 * common * rng.uniform(-1, 1, n))
    sal = (rng.integers(40, 110, n) * 100).astype(np.int64)
    cap = int(np.sort(sal)[:6].sum() + 0.45 * (np.sort(sal)[-6:].sum() - np.sort(sal)[:6].sum()))
    return pts.astype(np.float32), sal, LineupRules(6, cap)


def _bounds_holder(bound: np.ndarray) -> EngineBounds:
    eb = EngineBounds.__new__(EngineBounds)
    eb.bound = bound
    return eb


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_bounds_is_the_argpartition_set(seed):
    rng = np.random.default_rng(seed)
    n, q = 300_000, 64  # large enough for the sampled threshold (64 * 64 * q)
    bound = rng.gamma(2.0, 50.0, n)
    idx = np.sort(rng.choice(n, n - 1000, replace=False)).astype(np.int64)
    got = _bounds_holder(bound)._top_bounds(idx, q)
    want = idx[np.argpartition(-bound[idx], q - 1)[:q]]
    assert len(got) == q
    assert set(got.tolist()) == set(want.tolist())
    # the q best by a full sort, independently
    assert set(got.tolist()) == set(idx[np.argsort(-bound[idx], kind="stable")[:q]].tolist())


def test_top_bounds_tied_boundary_falls_back_to_argpartition():
    rng = np.random.default_rng(5)
    n, q = 300_000, 64
    bound = rng.gamma(2.0, 50.0, n)
    top = np.argsort(-bound)[:200]
    bound[top[50:150]] = bound[top[50]]  # the 64th best is tied with 100 others
    idx = np.arange(n, dtype=np.int64)
    got = _bounds_holder(bound)._top_bounds(idx, q)
    np.testing.assert_array_equal(got, idx[np.argpartition(-bound, q - 1)[:q]])
    # small inputs take argpartition directly
    small = idx[:5000]
    np.testing.assert_array_equal(_bounds_holder(bound)._top_bounds(small, q),
                                  small[np.argpartition(-bound[small], q - 1)[:q]])


@pytest.mark.parametrize("direct", [True, False])
def test_tighten_bounds_in_place_equals_gather_then_minimum(direct):
    rng = np.random.default_rng(3)
    S, n, r = 600, 11, 5
    pts = rng.normal(5.0, 12.0, (S, n)).round(1)
    sal = rng.integers(40, 110, n) * 100
    cap = int(np.sort(sal)[:r].sum() + 0.5 * (np.sort(sal)[-r:].sum() - np.sort(sal)[:r].sum()))
    cand = np.arange(n, dtype=np.int64)[::-1].copy()
    binom = _excess.binomials(n, r)
    hi = np.sort(pts, axis=1)[:, -r:].sum(axis=1)
    taus = np.array([np.quantile(hi, 0.8), np.quantile(hi, 0.5)])
    acc, _ = _excess.excess_sums(pts, cand, sal, cap, int(sal.min()), r, taus, binom, 2)
    rows = np.array([c for c in itertools.combinations(range(n), r) if sal[list(c)].sum() <= cap], np.uint8)
    pos_of = np.full(n, -1, np.int64)
    pos_of[cand] = np.arange(n)  # position in the array excess_sums was given
    idx = np.sort(rng.choice(len(rows), len(rows) // 2, replace=False)).astype(np.int64)
    ks, w, tleaf = np.array([6.0]), np.array([1.0]), np.array([0, 0])
    other = np.zeros(len(idx))
    got = _excess.gather_bounds(rows, idx, pos_of, binom, acc, taus, tleaf, ks, w, other)
    # independently: the smaller Rockafellar-Uryasev bound of the two thresholds per lineup
    x = np.stack([pts[:, list(rows[m])].sum(axis=1) for m in idx], axis=1)
    ru = np.minimum(*[t + np.maximum(x - t, 0.0).sum(axis=0) / 6.0 for t in taus])
    np.testing.assert_allclose(got, ru, rtol=1e-12, atol=1e-9)
    static = rng.uniform(ru.min(), ru.max(), len(rows))
    bound = static + rng.uniform(-5.0, 5.0, len(rows))
    s0, b0 = static.copy(), bound.copy()
    _excess.tighten_bounds(rows, idx, pos_of, binom, acc, taus, tleaf, ks, w, other, static, bound, direct)
    want_s = s0.copy()
    want_s[idx] = np.minimum(s0[idx], got)
    np.testing.assert_array_equal(static, want_s)
    want_b = b0.copy()
    if direct:
        want_b[idx] = np.minimum(b0[idx], want_s[idx])
    np.testing.assert_array_equal(bound, want_b)


def test_leaf_stats_from_evaluation_are_the_kernel_numbers():
    pts, sal, rules = _slate(7)
    obj = Objective.blend([(0.6, Objective.upper_cvar(0.02)), (0.4, Objective.upper_cvar(0.1))])
    _, _, eng = build_engine(pts, sal, rules, obj)
    batch = np.arange(0, eng.n_lineups, 7, dtype=np.int64)
    out, lv, lvar = eng._evaluate(batch)
    m = int(batch[int(np.argmax(out))])
    assert m in eng._leaf_memo
    vals, var = eng._leaf_stats(m)
    x = np.zeros(eng.n_scenarios)
    _kernels.sum_rows(eng.driver_points, eng.lineups[m].astype(np.int64), x)
    want_vals, want_var = _kernels.leaf_values(x, eng.kinds, eng.k0s, eng.fs, eng.targets)
    np.testing.assert_array_equal(vals, want_vals)
    np.testing.assert_array_equal(var, want_var)
    # a lineup the memo does not hold takes the kernels
    other = int(batch[0]) if int(batch[0]) != m else int(batch[1])
    assert other not in eng._leaf_memo
    x[:] = pts[:, list(eng.lineups[other])].astype(np.float64).sum(axis=1)
    np.testing.assert_allclose(eng._leaf_stats(other)[0], [obj.leaves()[0][1].evaluate(x),
                                                           obj.leaves()[1][1].evaluate(x)], rtol=1e-12)


def test_scenario_optima_memo_equals_a_fresh_search_and_hands_out_copies():
    pts, sal, rules = _slate(9)
    scenario_optimal._memo.clear()
    a, ok_a = scenario_optimal.scenario_optima(pts, sal, rules)
    fresh, ok_f = scenario_optimal._solve_all(pts, sal, rules, None)
    a[:] = -7  # the caller's copy only
    b, ok_b = scenario_optimal.scenario_optima(pts, sal, rules)
    np.testing.assert_array_equal(b, fresh)
    np.testing.assert_array_equal(ok_b, ok_f)
    # brute force on a few scenarios: each row is that scenario's best lineup under the cap
    combos = [c for c in itertools.combinations(range(pts.shape[1]), 6) if sal[list(c)].sum() <= rules.salary_cap]
    X = np.stack([pts[:, list(c)].astype(np.float64).sum(axis=1) for c in combos], axis=1)
    for s in (0, 17, 400):
        assert X[s, combos.index(tuple(int(i) for i in b[s]))] == X[s].max()
    # other inputs: another key
    c, _ = scenario_optimal.scenario_optima(pts[:700], sal, rules)
    assert c.shape[0] == 700


def test_find_lineup_and_scenario_starts():
    pts, sal, rules = _slate(4, n=15)
    _, _, eng = build_engine(pts, sal, rules, Objective.upper_cvar(0.01))
    for m in list(range(0, eng.n_lineups, 97)) + [eng.n_lineups - 1]:
        assert eng._find_lineup(eng.lineups[m]) == m
    over = np.argsort(-sal)[:6]  # the six dearest drivers break the cap
    assert sal[over].sum() > rules.salary_cap
    assert eng._find_lineup(np.sort(over)) == -1
    starts = eng._scenario_starts(np.arange(eng.n_lineups, dtype=np.int64))
    assert 0 < len(starts) <= 16
    lus, ok = scenario_optimal.scenario_optima(pts, sal, rules)
    optima = {tuple(int(i) for i in r) for r in lus[ok]}
    assert {tuple(int(i) for i in eng.lineups[m]) for m in starts} <= optima
    # not a first solve over every lineup: no starts
    assert len(eng._scenario_starts(np.arange(eng.n_lineups - 1, dtype=np.int64))) == 0


@pytest.mark.parametrize("beta", [0.01, 0.05])
def test_solve_with_scenario_starts_matches_brute_force(beta):
    pts, sal, rules = _slate(12, n=15)
    obj = Objective.upper_cvar(beta)
    want, _ = best(pts, sal, rules, obj)
    res = solve_lineup(pts, sal, rules, obj)
    assert res.optimal and res.value == pytest.approx(want, rel=1e-9)


def test_enumeration_one_pass_equals_count_then_fill(monkeypatch):
    from _bruteforce import feasible
    from tailrace.optimize.lineup import _rule_arrays
    from tailrace.optimize.problem import GroupRule

    pts, sal, rules = _slate(2, n=16)
    cap = rules.salary_cap
    for r in (LineupRules(6, cap), LineupRules(6, cap, min_salary=cap - 2500, locks=frozenset({3}),
                                               excludes=frozenset({0, 7})),
              LineupRules(6, cap, groups=(GroupRule(frozenset({0, 1, 2, 3, 4}), 0, 2, "A"),)),
              LineupRules(6, cap, locks=frozenset({1, 2, 3, 4, 5, 6}))):
        allowed, locks, gm, gmin, gmax, gall, prev = _rule_arrays(r, len(sal))
        args = (sal, allowed, locks, r.roster_size, r.salary_cap, r.min_salary, gm, gmin, gmax, prev,
                r.roster_size - r.min_differ, gall)
        rows, masks = _kernels.enumerate_lineups(*args)
        with monkeypatch.context() as mp:
            mp.setattr(_kernels, "_ONE_PASS_ROWS", 0)  # the count-then-fill path
            rows2, masks2 = _kernels.enumerate_lineups(*args)
        np.testing.assert_array_equal(rows, rows2)  # the same rows in the same order
        np.testing.assert_array_equal(masks, masks2)
        want = feasible(r, sal, len(sal))
        assert sorted(tuple(int(i) for i in x) for x in rows) == sorted(want)
        np.testing.assert_array_equal(masks, [sum(1 << int(i) for i in x) for x in rows])
