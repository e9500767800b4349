"""The explanations' re-solves stop on a work budget (lineups evaluated), never on the clock.

Same inputs and seed, same output bytes: a clock that jumps 100 s at every reading must not
change a single byte of ``run_optimize``'s explanations (under the old 10 s wall-clock limit of
the binding re-solves it turned every re-solve into "time limit"). A budget too small to finish
gives bounds, checked against brute force over every lineup.
"""

from __future__ import annotations

import json
import time
import types

import numpy as np
import pytest

from _bruteforce import best as brute_best
from tailrace import pipeline
from tailrace.explain import BINDING_WORK, PortfolioContext, constraint_binding
from tailrace.optimize import lineup as lineup_mod
from tailrace.optimize import portfolio as portfolio_mod
from tailrace.optimize import search as search_mod
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.optimize.lineup import solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import GroupRule, LineupRules
from tailrace.sim.scenarios import Scenarios
from tailrace.sites import DRAFTKINGS
from tailrace.slate import Driver, Slate

N = 14
S = 600
NAMES = [f"Driver {chr(65 + i)}" for i in range(N)]
IDS = [str(31700000 + 13 * i) for i in range(N)]
SAL = np.array([11000, 10400, 9900, 9500, 9100, 8800, 8400, 8000, 7600, 7200, 6800, 6400, 6000, 5600])


def _points(seed: int = 12) -> np.ndarray:
    g = np.random.default_rng(seed)
    return (g.gamma(1.5, 1.0, size=(S, N)) * np.linspace(14, 6, N)).round(2).astype(np.float32)


class _JumpingClock:
    """A stand-in for the ``time`` module whose ``perf_counter`` moves 100 s at every call."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls = 0

    def perf_counter(self) -> float:
        self.calls += 1
        self.now += 100.0
        return self.now

    def __getattr__(self, name: str):
        return getattr(time, name)


def _explanations(points: np.ndarray) -> tuple[str, dict]:
    slate = Slate(site=DRAFTKINGS, drivers=tuple(Driver(id=i, name=n, salary=int(s))
                                                  for i, n, s in zip(IDS, NAMES, SAL)))
    scen = Scenarios(points=points, driver_ids=tuple(IDS), meta={"seed": 1})
    spec = ConstraintSpec.from_data({"n_lineups": 3, "global_max_exposure": 0.67, "max_overlap": 4,
                                     "objective": {"kind": "upper-cvar", "beta": 0.05}})
    res = pipeline.run_optimize(slate, scen, spec, binding_limit=3, timings=False,
                                share_figures=False).result.to_json()
    return json.dumps(res, sort_keys=True), res


def test_a_jumping_clock_changes_no_byte_of_the_explanations(monkeypatch):
    pts = _points()
    plain, res = _explanations(pts)
    items = [it for lu in res["lineups"] for it in lu["explain"]["constraint_binding"]]
    solved = [it for it in items if it["value_relaxed"] is not None]
    assert len(solved) >= 6 and all(it["exact"] for it in solved)  # the budget finishes every re-solve
    clock = _JumpingClock()
    for mod in (search_mod, lineup_mod, portfolio_mod, pipeline):  # every module on the path that reads it
        monkeypatch.setattr(mod, "time", clock)
    jumped, res_jumped = _explanations(pts)
    assert clock.calls > 0  # the clock was read, and jumped
    assert [lu["explain"] for lu in res_jumped["lineups"]] == [lu["explain"] for lu in res["lineups"]]
    assert jumped == plain  # and every other byte of the result


def _rules_and_context() -> tuple[LineupRules, PortfolioContext, tuple[int, ...]]:
    grp = GroupRule(members=frozenset({0, 1, 2}), max_count=1, name="top three")
    rules = LineupRules(roster_size=6, salary_cap=50000, groups=(grp,))
    mine = (1, 3, 6, 8, 10, 13)  # $48,300; shares 3 and 1 drivers with the others
    others = ((0, 4, 6, 8, 10, 12), (2, 5, 7, 9, 11, 13))
    ctx = PortfolioContext(lineups=(mine,) + others, position=0, max_overlap=4)
    return rules, ctx, mine


def test_a_spent_budget_bounds_the_true_gain_and_says_so():
    pts = _points(5)
    obj = Objective.upper_cvar(0.05)
    rules, ctx, lu = _rules_and_context()
    given = type(solve_lineup(pts, SAL, rules, obj))(lu, 0.0, 0.0, 0.0, True, "given", 0, 0.0)
    items = constraint_binding(pts, SAL, rules, obj, given, context=ctx, max_evaluated=1)
    full = constraint_binding(pts, SAL, rules, obj, given, context=ctx, max_evaluated=None)
    base = LineupRules(6, 50000, groups=rules.groups, differ_from=ctx.others(), min_differ=2)
    now, _ = brute_best(pts, SAL, base, obj)
    relaxed = {
        "salary_cap": LineupRules(6, 50500, groups=rules.groups, differ_from=ctx.others(), min_differ=2),
        "group": LineupRules(6, 50000, groups=(GroupRule(frozenset({0, 1, 2}), 0, 2, "top three"),),
                             differ_from=ctx.others(), min_differ=2),
        "overlap": LineupRules(6, 50000, groups=rules.groups, differ_from=ctx.others(), min_differ=1),
    }
    assert {it["kind"] for it in items} == set(relaxed)
    cut = 0
    for it, ref in zip(items, full):
        true_gain = brute_best(pts, SAL, relaxed[it["kind"]], obj)[0] - now
        assert ref["exact"] and ref["gain"] == pytest.approx(true_gain, rel=1e-6, abs=1e-6)
        tol = 1e-6 * (1 + abs(true_gain))
        assert it["gain_low"] - tol <= true_gain <= it["gain_high"] + tol
        if not it["exact"]:
            cut += 1
            assert it["gain_low"] < it["gain_high"]
            assert f"(work budget: between {it['gain_low']:.3g} and {it['gain_high']:.3g})" in it["text"]
            assert "time limit" not in it["text"]
    assert cut >= 1  # one evaluated lineup is not enough to prove these re-solves
    assert constraint_binding(pts, SAL, rules, obj, given, context=ctx, max_evaluated=1) == items  # same again


def test_the_budget_stops_the_search_with_a_valid_bound():
    pts = _points(5)
    obj = Objective.upper_cvar(0.05)
    rules = LineupRules(roster_size=6, salary_cap=50000)
    top, _ = brute_best(pts, SAL, rules, obj)
    cut = solve_lineup(pts, SAL, rules, obj, max_evaluated=1)
    assert cut.status == "work_budget" and not cut.optimal
    assert cut.value <= top + 1e-9 * (1 + top) and cut.bound >= top - 1e-9 * (1 + top)
    whole = solve_lineup(pts, SAL, rules, obj, max_evaluated=BINDING_WORK)
    assert whole.optimal and whole.value == pytest.approx(top, rel=1e-9)


def test_the_budget_scales_with_the_scenario_count():
    """Evaluating a lineup costs time in proportion to the scenarios, so the budget is counted in
    lineup x scenario cells: 100,000 lineups at 10,000 scenarios (the measured size), 10,000 at
    100,000, never below the floor; and constraint_binding hands the real solver that budget."""
    from tailrace.explain import BINDING_CELLS, BINDING_MIN, binding_work

    assert binding_work(10_000) == BINDING_WORK == 100_000
    assert binding_work(100_000) == 10_000 and binding_work(600) == BINDING_CELLS // 600
    assert binding_work(10**9) == BINDING_MIN and binding_work(0) == BINDING_CELLS
    seen: list[int | None] = []

    def recording(*args, **kw):  # the real solver; only the budget it was given is noted
        seen.append(kw.get("max_evaluated"))
        return solve_lineup(*args, **kw)

    pts = _points()
    rules = LineupRules(roster_size=6, salary_cap=50000)
    obj = Objective.upper_cvar(0.05)
    res = solve_lineup(pts, SAL, rules, obj)
    constraint_binding(pts, SAL, rules, obj, res, solver=recording)
    assert seen and set(seen) == {BINDING_CELLS // S}
