"""Explanations checked by hand on tiny matrices (and against brute force where a solve is involved)."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest

from tailrace import tail
from tailrace.explain import PortfolioContext, constraint_binding, tail_vs_mean, why_high_tail
from tailrace.optimize.lineup import solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import GroupRule, LineupRules

# 10 scenarios x 3 drivers; the lineup is drivers 0 and 1
D0 = [9, 1, 4, 4, 4, 4, 4, 4, 4, 2]  # mean 4.0
D1 = [6, 8, 1, 1, 1, 1, 1, 1, 1, 9]  # mean 3.0
D2 = [0, 0, 7, 7, 7, 7, 7, 7, 7, 0]
P = np.array([D0, D1, D2], dtype=np.float32).T
# lineup scores: [15, 9, 5, 5, 5, 5, 5, 5, 5, 11]

LED = np.array([[100, 50, 10], [0, 80, 20]] + [[10, 0, 150]] * 7 + [[30, 30, 30]])
FINISH = np.array([[2, 1, 3], [1, 2, 3]] + [[3, 2, 1]] * 7 + [[3, 1, 2]])
FAST = np.zeros((10, 3), dtype=np.int16)
STARTS = np.array([12, 3, 1])


def test_why_high_tail_whole_tail_by_hand():
    out = why_high_tail(P, (0, 1), 0.2, names=["A", "B", "C"])
    # best 20 % = scenarios 0 (15) and 9 (11)
    assert out["tail_score"] == pytest.approx(13.0)
    assert out["mean_score"] == pytest.approx(7.0)
    a, b = out["drivers"]
    assert (a["name"], a["mean_points"], a["tail_mean_points"]) == ("A", pytest.approx(4.0), pytest.approx(5.5))
    assert (b["name"], b["mean_points"], b["tail_mean_points"]) == ("B", pytest.approx(3.0), pytest.approx(7.5))
    assert b["lift"] == pytest.approx(4.5) and b["share_of_tail_score"] == pytest.approx(7.5 / 13)
    assert "B lifts it most" in out["text"]
    assert out["events"] == {}
    json.dumps(out)


def test_why_high_tail_fractional_tail_adds_up_to_cvar():
    out = why_high_tail(P, (0, 1), 0.25)
    # k = 2.5: 15 + 11 + half of 9 -> 30.5 / 2.5
    assert out["tail_score"] == pytest.approx(12.2)
    assert out["drivers"][0]["tail_mean_points"] == pytest.approx(11.5 / 2.5)
    assert out["drivers"][1]["tail_mean_points"] == pytest.approx(19.0 / 2.5)
    x = P[:, [0, 1]].astype(np.float64).sum(axis=1)
    assert out["tail_score"] == pytest.approx(tail.cvar_upper(x, 0.25))
    assert sum(d["tail_mean_points"] for d in out["drivers"]) == pytest.approx(out["tail_score"])


def test_why_high_tail_events_by_hand():
    outcomes = {"finish": FINISH, "laps_led": LED, "fastest_laps": FAST}
    out = why_high_tail(P, (0, 1), 0.2, outcomes=outcomes, starts=STARTS, names=["A", "B", "C"])
    ev = out["events"]
    # a lineup driver led the most laps in scenarios 0, 1 and 9 (9 is a three-way tie)
    assert ev["led_most_laps"] == {"tail": pytest.approx(1.0), "overall": pytest.approx(0.3)}
    assert ev["most_fastest_laps"] == {"tail": 0.0, "overall": 0.0}  # nobody ran a fastest lap
    assert ev["won"] == {"tail": pytest.approx(1.0), "overall": pytest.approx(0.3)}
    # A starts 12th: gains 10 when 2nd (s0), 11 when 1st (s1), 9 when 3rd
    assert ev["gained_10_places"] == {"tail": pytest.approx(0.5), "overall": pytest.approx(0.2)}
    a, b = out["drivers"]
    assert a["events"]["led_most_laps"] == {"tail": pytest.approx(1.0), "overall": pytest.approx(0.2)}
    assert b["events"]["led_most_laps"] == {"tail": pytest.approx(0.5), "overall": pytest.approx(0.2)}
    assert b["events"]["won"] == {"tail": pytest.approx(1.0), "overall": pytest.approx(0.2)}
    assert "led the most laps in 100 % of them (vs 30 % of all races)" in out["text"]
    # with a fractional tail the third scenario (s1, lineup 9) counts half
    out = why_high_tail(P, (0, 1), 0.25, outcomes=outcomes, starts=STARTS)
    assert out["events"]["gained_10_places"]["tail"] == pytest.approx((1 + 0 + 0.5) / 2.5)
    json.dumps(out)


def test_tail_vs_mean_by_hand():
    rules = LineupRules(roster_size=2, salary_cap=100)
    sal = np.array([10, 10, 10])
    obj = Objective.upper_cvar(0.2)
    out = tail_vs_mean(P, sal, rules, obj, (0, 1), mean_lineup=(0, 2), names=["A", "B", "C"], betas=(0.2,))
    # (0, 2) scores [9, 1, 11, 11, 11, 11, 11, 11, 11, 2]: mean 8.9, top-20 % 11
    assert out["mean_lineup_profile"]["mean"] == pytest.approx(8.9)
    assert out["lineup_profile"]["mean"] == pytest.approx(7.0)
    assert out["lineup_profile"]["objective"] == pytest.approx(13.0)
    assert out["mean_lineup_profile"]["objective"] == pytest.approx(11.0)
    assert out["difference"]["mean"] == pytest.approx(-1.9)
    assert out["difference"]["objective"] == pytest.approx(2.0)
    assert out["swapped_in"] == ["B"] and out["swapped_out"] == ["C"]
    assert "Gives up 1.9 mean points" in out["text"]
    # without mean_lineup it solves: the mean-optimal pair is (0, 2) (4.0 + 4.9)
    solved = tail_vs_mean(P, sal, rules, obj, (0, 1))
    assert solved["mean_lineup"] == [0, 2]
    same = tail_vs_mean(P, sal, rules, obj, (0, 2), mean_lineup=(2, 0))
    assert "also the mean-optimal" in same["text"]
    json.dumps(out)


def brute(points, salaries, rules, objective) -> float | None:
    """Best objective value over every lineup the rules admit (None if none)."""
    n = points.shape[1]
    vals = [
        float(objective.evaluate(points[:, list(c)].astype(np.float64).sum(axis=1)))
        for c in combinations(range(n), rules.roster_size)
        if rules.admits(c, salaries)
    ]
    return max(vals) if vals else None


# salaries in dollars; constant points so the mean objective is easy to follow
SAL4 = np.array([5000, 5000, 5500, 4500])
P4 = np.tile(np.array([10.0, 8.0, 12.0, 3.0], dtype=np.float32), (3, 1))


def _by_kind(items):
    return {(it["kind"], it.get("driver")): it for it in items}


def test_constraint_binding_by_hand():
    obj = Objective.mean()
    rules = LineupRules(roster_size=2, salary_cap=10000)
    res = solve_lineup(P4, SAL4, rules, obj)
    assert res.lineup == (0, 1) and res.value == pytest.approx(18.0)
    items = _by_kind(constraint_binding(P4, SAL4, rules, obj, res, names=list("ABCD")))
    cap = items[("salary_cap", None)]
    # $10,000 used of $10,000; at $10,500 A + C (22) fits
    assert cap["tight"] and cap["left"] == 0 and cap["value_now"] == pytest.approx(18.0)
    assert cap["gain"] == pytest.approx(4.0) and "$10,500" in cap["step"]
    assert cap["exact"] and cap["gain_low"] == pytest.approx(4.0) and cap["gain_high"] == pytest.approx(4.0)

    # lock D, exclude C: best is A + D = 13
    locked = LineupRules(roster_size=2, salary_cap=10000, locks=frozenset({3}), excludes=frozenset({2}))
    res = solve_lineup(P4, SAL4, locked, obj)
    assert res.lineup == (0, 3) and res.value == pytest.approx(13.0)
    items = _by_kind(constraint_binding(P4, SAL4, locked, obj, res, names=list("ABCD")))
    assert items[("lock", "D")]["gain"] == pytest.approx(5.0)  # unlocked: A + B = 18
    assert items[("exclude", "C")]["gain"] == pytest.approx(2.0)  # C allowed: C + D = 15
    assert items[("salary_cap", None)]["gain"] == pytest.approx(0.0)  # $500 more buys nothing with D locked
    assert not items[("salary_cap", None)]["tight"]  # $500 left is not under the $500 step


def test_constraint_binding_group_and_portfolio_context_match_brute_force():
    g = np.random.default_rng(3)
    n = 9
    pts = g.gamma(2.0, 10.0, size=(400, n)).astype(np.float32)
    sal = g.integers(6, 12, size=n) * 1000
    obj = Objective.upper_cvar(0.05)
    grp = GroupRule(members=frozenset({0, 1, 2}), max_count=1, name="team")
    rules = LineupRules(roster_size=3, salary_cap=27000, groups=(grp,))
    lineups = ((0, 3, 4), (1, 5, 6), (2, 7, 8))
    ctx = PortfolioContext(lineups=lineups, position=0, max_exposure={i: 1 / 3 for i in range(n)}, max_overlap=1)
    res = solve_lineup(pts, sal, rules, obj)
    res = type(res)(lineups[0], 0.0, 0.0, 0.0, True, "given", 0, 0.0)
    items = constraint_binding(pts, sal, rules, obj, res, context=ctx, max_relaxations=50)
    # every driver of the other lineups is at its cap of 1 of 3 lineups: all excluded for "now"
    capped = {it["index"] for it in items if it["kind"] == "exposure_cap"}
    assert capped == {1, 2, 5, 6, 7, 8}
    base = LineupRules(roster_size=3, salary_cap=27000, groups=(grp,), excludes=frozenset(capped),
                       differ_from=lineups[1:], min_differ=2)
    now = brute(pts, sal, base, obj)
    for it in items:
        assert it["value_now"] == pytest.approx(now, rel=1e-6)
        if it["kind"] == "exposure_cap":
            want = brute(pts, sal, LineupRules(3, 27000, groups=(grp,), excludes=frozenset(capped - {it["index"]}),
                                               differ_from=lineups[1:], min_differ=2), obj)
            assert it["value_relaxed"] == pytest.approx(want, rel=1e-6)
            assert it["gain"] == pytest.approx(want - now, rel=1e-6, abs=1e-9)
        if it["kind"] == "group":
            want = brute(pts, sal, LineupRules(3, 27000, groups=(GroupRule(grp.members, 0, 2, "team"),),
                                               excludes=frozenset(capped), differ_from=lineups[1:], min_differ=2), obj)
            assert it["value_relaxed"] == pytest.approx(want, rel=1e-6)
        if it["kind"] == "overlap":
            assert it["max_overlap"] == 1 and it["lineups_at_limit"] == 0 and not it["tight"]
            want = brute(pts, sal, LineupRules(3, 27000, groups=(grp,), excludes=frozenset(capped),
                                               differ_from=lineups[1:], min_differ=1), obj)
            assert it["value_relaxed"] == pytest.approx(want, rel=1e-6)
    assert any(it["kind"] == "group" and it["tight"] for it in items)  # lineup holds 1 of the team: at its max
    json.dumps(items)


def test_constraint_binding_respects_the_relaxation_budget():
    obj = Objective.mean()
    rules = LineupRules(roster_size=2, salary_cap=10000, excludes=frozenset({2, 3}))
    res = solve_lineup(P4, SAL4, rules, obj)
    items = constraint_binding(P4, SAL4, rules, obj, res, max_relaxations=1)
    assert sum(it["value_relaxed"] is not None for it in items) == 1
    assert any("not re-solved" in it["text"] for it in items)
