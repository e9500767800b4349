"""Exact single-lineup search against brute force over every feasible lineup."""

from __future__ import annotations

import numpy as np
import pytest

from _bruteforce import best, feasible, values
from tailrace.errors import InfeasibleError
from tailrace.optimize.lineup import solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import GroupRule, LineupRules

OBJECTIVES = [
    Objective.mean(),
    Objective.upper_cvar(0.01),
    Objective.upper_cvar(0.0537),
    Objective.lower_cvar(0.2),
    Objective.lower_cvar(0.013),
    Objective.target_prob(0.0),  # replaced per slate by a level near the top scores
    Objective.blend([(0.7, Objective.upper_cvar(0.01)), (0.3, Objective.upper_cvar(0.05))]),
    Objective.blend([(0.5, Objective.upper_cvar(0.02)), (0.25, Objective.lower_cvar(0.1)), (0.25, Objective.mean())]),
]


def slate(seed: int, kind: str, n: int = 15, S: int = 2000):
    """Small slates, including nasty ones: integer ties, identical columns, negative points."""
    rng = np.random.default_rng(seed)
    if kind == "ties":
        pts = rng.integers(0, 6, (S, n)).astype(np.float32) * 5
    elif kind == "equal":
        base = rng.gamma(2.0, 8.0, (S, n))
        base[:, 1] = base[:, 0]
        base[:, 2] = base[:, 0]
        base[:, 5] = 12.0  # a constant column
        pts = base.astype(np.float32)
    elif kind == "negative":
        pts = rng.normal(0.0, 10.0, (S, n)).astype(np.float32) - 3.0
    else:
        common = rng.normal(0, 1, (S, 1))
        pts = (rng.gamma(1.5, 8.0, (S, n)) * rng.uniform(0.5, 2.0, n) + 6 * common * rng.uniform(-1, 1, n))
        pts = pts.astype(np.float32)
    sal = (rng.integers(40, 110, n) * 100).astype(np.int64)
    return pts, sal


def rule_sets(sal: np.ndarray, n: int) -> dict[str, LineupRules]:
    cap = int(np.sort(sal)[: 6].sum() + 0.45 * (np.sort(sal)[-6:].sum() - np.sort(sal)[:6].sum()))
    base = LineupRules(6, cap)
    return {
        "cap": base,
        "locks": LineupRules(6, cap, min_salary=cap - 2500, locks=frozenset({3}), excludes=frozenset({0, 7})),
        "groups": LineupRules(6, cap, groups=(GroupRule(frozenset({0, 1, 2, 3, 4}), 0, 2, "team A"),
                                             GroupRule(frozenset({10, 11, 12}), 1, None, "team B"))),
        "five": LineupRules(5, cap - 9000),
    }


def _objective_for(obj: Objective, pts: np.ndarray) -> Objective:
    if obj.kind == "target_prob":
        # a target reached by a few per cent of lineups' scenarios
        return Objective.target_prob(float(np.quantile(np.sort(pts, axis=1)[:, -6:].sum(axis=1), 0.6)))
    return obj


def _check(pts, sal, rules, obj, search=None):
    want, winners = best(pts, sal, rules, obj)
    res = solve_lineup(pts, sal, rules, obj, **({} if search is None else {"search": search}))
    assert res.optimal and res.status == "optimal" and res.gap == 0.0
    assert rules.admits(res.lineup, sal)
    assert res.value == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert res.bound == res.value
    # the value is exactly tail.py's number for the chosen lineup
    x = pts[:, list(res.lineup)].astype(np.float64).sum(axis=1)
    assert res.value == obj.evaluate(x)
    assert tuple(sorted(res.lineup)) == res.lineup
    return res


@pytest.mark.parametrize("kind", ["plain", "ties", "equal", "negative"])
@pytest.mark.parametrize("obj", OBJECTIVES, ids=lambda o: o.name)
def test_every_objective_matches_brute_force(kind, obj, screen):
    pts, sal = slate(11, kind)
    rules = rule_sets(sal, pts.shape[1])["cap"]
    _check(pts, sal, rules, _objective_for(obj, pts), screen)


@pytest.mark.parametrize("rules_name", ["locks", "groups", "five"])
@pytest.mark.parametrize("obj", OBJECTIVES, ids=lambda o: o.name)
def test_constraint_sets_match_brute_force(rules_name, obj, screen):
    pts, sal = slate(5, "plain", n=16)
    rules = rule_sets(sal, pts.shape[1])[rules_name]
    _check(pts, sal, rules, _objective_for(obj, pts), screen)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_many_seeds_tail_objectives(seed, screen):
    kinds = ["plain", "ties", "equal", "negative"]
    pts, sal = slate(100 + seed, kinds[seed % 4], n=14 + seed % 5)
    rules = rule_sets(sal, pts.shape[1])["cap"]
    for obj in (Objective.upper_cvar(0.01), Objective.lower_cvar(0.2),
                Objective.blend([(0.6, Objective.upper_cvar(0.03)), (0.4, Objective.lower_cvar(0.05))])):
        _check(pts, sal, rules, obj, screen)


def test_differ_from_earlier_lineups():
    pts, sal = slate(3, "plain")
    base = rule_sets(sal, pts.shape[1])["cap"]
    obj = Objective.upper_cvar(0.02)
    first = solve_lineup(pts, sal, base, obj).lineup
    rules = LineupRules(6, base.salary_cap, differ_from=(first,), min_differ=3)
    res = _check(pts, sal, rules, obj)
    assert len(set(res.lineup) & set(first)) <= 3


def test_tail_objective_sees_the_tail_when_means_are_equal():
    # Two steady drivers (always 10) and two volatile ones (0 or 20, independent): both pairs
    # have mean 20. Upper CVaR must pick the volatile pair, lower CVaR the steady one, and
    # the objective value must change with the lineup (an R-U "upper CVaR" that ignores the
    # lineup would not).
    rng = np.random.default_rng(4)
    S = 2000
    vol = rng.integers(0, 2, (S, 2)) * 20.0
    pts = np.column_stack([np.full(S, 10.0), np.full(S, 10.0), vol]).astype(np.float32)
    sal = np.array([5000, 5000, 5000, 5000])
    rules = LineupRules(2, 10000)
    steady, volatile = (0, 1), (2, 3)
    assert pts[:, steady].sum(1).mean() == 20.0
    assert abs(pts[:, volatile].astype(np.float64).sum(1).mean() - 20.0) < 1.0
    up = solve_lineup(pts, sal, rules, Objective.upper_cvar(0.05))
    assert up.lineup == volatile and up.value == 40.0
    lo = solve_lineup(pts, sal, rules, Objective.lower_cvar(0.05))
    assert lo.lineup == steady and lo.value == 20.0
    obj = Objective.upper_cvar(0.05)
    v = values(pts, [steady, volatile], obj)
    assert v[0] == 20.0 and v[1] == 40.0


def test_infeasible_rules_are_named():
    pts, sal = slate(2, "plain")
    order = np.argsort(-sal)
    cap = int(sal[order[:3]].sum() + sal[order[-3:]].sum()) - 100
    rules = LineupRules(6, cap, locks=frozenset(int(i) for i in order[:3]))
    assert not feasible(rules, sal, pts.shape[1])
    assert feasible(LineupRules(6, cap), sal, pts.shape[1])
    with pytest.raises(InfeasibleError) as e:
        solve_lineup(pts, sal, rules, Objective.mean())
    text = " ".join(e.value.conflicts)
    assert "salary cap" in text and "locks" in text
    with pytest.raises(InfeasibleError) as e2:
        solve_lineup(pts, sal, LineupRules(6, 10**6, locks=frozenset({1}), excludes=frozenset({1})), Objective.mean())
    assert "both locked and excluded" in e2.value.conflicts[0]


def test_time_limit_keeps_a_valid_certificate():
    pts, sal = slate(8, "plain", n=18)
    rules = rule_sets(sal, pts.shape[1])["cap"]
    obj = Objective.lower_cvar(0.2)
    want, _ = best(pts, sal, rules, obj)
    res = solve_lineup(pts, sal, rules, obj, time_limit=0.0)
    assert res.status in ("time_limit", "optimal")
    assert res.bound >= want - 1e-9 and res.value <= want + 1e-9
    assert res.gap == pytest.approx(res.bound - res.value)
    if res.status == "optimal":
        assert res.value == pytest.approx(want, rel=1e-9)
    else:
        assert not res.optimal
