"""scenario_optimal_lineups against brute force: every feasible lineup, argmax per scenario."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tailrace.optimize.problem import GroupRule, LineupRules
from tailrace.optimize.scenario_optimal import scenario_optimal_lineups

N, S, R = 13, 200, 6


def _slate(seed: int):
    rng = np.random.default_rng(seed)
    sal = rng.integers(50, 110, size=N).astype(np.int64) * 100
    # heavy-tailed scores, correlated with salary so the cap matters
    pts = (rng.gamma(2.0, 8.0, size=(S, N)) * (sal / sal.mean())).astype(np.float32)
    return pts, sal


def _brute(pts, sal, rules, scenarios):
    feas = np.array([c for c in itertools.combinations(range(N), rules.roster_size) if rules.admits(c, sal)],
                    dtype=np.int64)
    tot = pts[np.asarray(scenarios)][:, feas].sum(axis=2, dtype=np.float64)  # (k, M)
    return feas, tot


def _check(pts, sal, rules, scenarios, *, exact_set: bool = True):
    got = scenario_optimal_lineups(pts, sal, rules, scenarios)
    feas, tot = _brute(pts, sal, rules, scenarios)
    assert got.dtype == np.int64 and got.ndim == 2 and got.shape[1] == rules.roster_size
    assert len({tuple(x) for x in got}) == got.shape[0], "rows must be distinct"
    assert (np.diff(got, axis=1) > 0).all(), "rows sorted"
    for x in got:
        assert rules.admits(tuple(x), sal)
    best = tot.max(axis=1)
    # every scenario's optimum value is attained by a returned lineup (ties: any optimum is fine)
    gv = pts[np.asarray(scenarios)][:, got].sum(axis=2, dtype=np.float64)  # (k, G)
    if exact_set:
        np.testing.assert_allclose(gv.max(axis=1), best, rtol=0, atol=1e-3)
        # and each returned lineup is optimal in some scenario
        assert (np.abs(gv - best[:, None]) <= 1e-3).any(axis=0).all()
    return got, feas, tot


def test_cap_binds_and_matches_brute_force():
    pts, sal = _slate(1)
    cap = int(np.sort(sal)[-R:].sum() * 0.8)  # the six dearest cost well over the cap
    rules = LineupRules(roster_size=R, salary_cap=cap)
    feas, tot = _brute(pts, sal, rules, np.arange(S))
    unconstrained = np.sort(np.argsort(-pts, axis=1)[:, :R], axis=1)
    assert (sal[unconstrained].sum(axis=1) > cap).mean() > 0.5, "cap must bind in most scenarios"
    got, _, _ = _check(pts, sal, rules, np.arange(S))
    # without ties the set is exactly the per-scenario argmaxes
    expect = {tuple(feas[j]) for j in tot.argmax(axis=1)}
    assert {tuple(x) for x in got} == expect


def test_loose_cap_is_top_r_per_scenario():
    pts, sal = _slate(2)
    rules = LineupRules(roster_size=R, salary_cap=int(sal.sum()))
    got = scenario_optimal_lineups(pts, sal, rules, np.arange(S))
    expect = {tuple(sorted(np.argsort(-pts[s])[:R])) for s in range(S)}
    assert {tuple(x) for x in got} == expect


def test_subset_of_scenarios_and_order():
    pts, sal = _slate(3)
    rules = LineupRules(roster_size=R, salary_cap=int(np.sort(sal)[-R:].sum() * 0.8))
    sc = np.array([5, 17, 17, 199, 0, 42])
    got, _, _ = _check(pts, sal, rules, sc)
    assert got.shape[0] <= len(set(sc.tolist()))
    again = scenario_optimal_lineups(pts, sal, rules, sc)
    np.testing.assert_array_equal(got, again)


@pytest.mark.parametrize("seed", [4, 5])
def test_locks_and_excludes(seed):
    pts, sal = _slate(seed)
    cap = int(np.sort(sal)[-R:].sum() * 0.8)
    rules = LineupRules(roster_size=R, salary_cap=cap, locks=frozenset({int(np.argmax(sal))}),
                        excludes=frozenset({int(np.argmax(pts.mean(axis=0))) if int(np.argmax(pts.mean(axis=0)))
                                            != int(np.argmax(sal)) else 0}))
    got, feas, tot = _check(pts, sal, rules, np.arange(S))
    assert all(int(np.argmax(sal)) in x for x in got)


def test_rules_the_search_filters():
    pts, sal = _slate(6)
    cap = int(np.sort(sal)[-R:].sum() * 0.85)
    rules = LineupRules(roster_size=R, salary_cap=cap, min_salary=cap - 1500,
                        groups=(GroupRule(members=frozenset({0, 1, 2}), min_count=0, max_count=1),))
    got = scenario_optimal_lineups(pts, sal, rules, np.arange(S))
    feas, tot = _brute(pts, sal, rules, np.arange(S))
    fs = {tuple(x) for x in feas}
    assert all(tuple(x) in fs for x in got)
    # what survives is optimal (under the cap alone) for some scenario
    base = LineupRules(roster_size=R, salary_cap=cap)
    plain = {tuple(x) for x in scenario_optimal_lineups(pts, sal, base, np.arange(S))}
    assert {tuple(x) for x in got} <= plain


def test_infeasible_and_empty():
    pts, sal = _slate(7)
    rules = LineupRules(roster_size=R, salary_cap=int(np.sort(sal)[:R].sum()) - 1)
    assert scenario_optimal_lineups(pts, sal, rules, np.arange(S)).shape == (0, R)
    ok = LineupRules(roster_size=R, salary_cap=int(sal.sum()))
    assert scenario_optimal_lineups(pts, sal, ok, np.arange(0)).shape == (0, R)
