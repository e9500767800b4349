"""State kept between calls in one process (issue 25) makes repeats faster, never different."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from tailrace.optimize import lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules


def _brute(sal: np.ndarray, r: int, cap: int, excludes: set[int]) -> set[tuple[int, ...]]:
    return {c for c in combinations(range(len(sal)), r) if sal[list(c)].sum() <= cap and not excludes & set(c)}


def test_enumeration_memo_is_shared_read_only_and_matches_brute_force() -> None:
    rng = np.random.default_rng(5)
    sal = rng.integers(40, 120, 14).astype(np.int64) * 100
    rules = LineupRules(4, 30_000)
    a = lineup.enumerate_feasible(rules, sal, 14)
    b = lineup.enumerate_feasible(rules, sal.copy(), 14)  # same content, another array: a hit
    assert a[0] is b[0] and a[1] is b[1]
    assert not a[0].flags.writeable and not a[1].flags.writeable
    with pytest.raises(ValueError):
        a[0][0, 0] = 0
    assert {tuple(int(i) for i in row) for row in a[0]} == _brute(sal, 4, 30_000, set())
    # other rules and other salaries are other entries, each still right after the old ones are evicted
    for k in range(lineup._MEMO_SIZE + 2):
        s2 = sal.copy()
        s2[k] += 100
        ex = {k + 1}
        got = lineup.enumerate_feasible(LineupRules(4, 30_000, excludes=frozenset(ex)), s2, 14)[0]
        assert {tuple(int(i) for i in row) for row in got} == _brute(s2, 4, 30_000, ex)
    assert len(lineup._memo) == lineup._MEMO_SIZE
    c = lineup.enumerate_feasible(rules, sal, 14)  # evicted: enumerated again, same rows
    assert c[0] is not a[0] and np.array_equal(c[0], a[0]) and np.array_equal(c[1], a[1])


def test_repeated_solve_gives_the_same_answer() -> None:
    rng = np.random.default_rng(11)
    pts = rng.gamma(2.0, 8.0, (3000, 16)).astype(np.float32)
    sal = rng.integers(45, 110, 16).astype(np.int64) * 100
    rules = LineupRules(5, 37_000)
    obj = Objective.upper_cvar(0.02)
    lineup._memo.clear()
    first = lineup.solve_lineup(pts, sal, rules, obj)
    again = lineup.solve_lineup(pts, sal, rules, obj)  # enumeration from the memo
    drop = lambda r: (r.lineup, r.value, r.bound, r.gap, r.optimal, r.status, r.n_evaluated)  # noqa: E731
    assert drop(first) == drop(again)
    # the optimum by brute force over every lineup under the cap
    best = max((c for c in combinations(range(16), 5) if sal[list(c)].sum() <= 37_000),
               key=lambda c: obj.evaluate(pts[:, list(c)].astype(np.float64).sum(axis=1)))
    assert obj.evaluate(pts[:, list(best)].astype(np.float64).sum(axis=1)) == pytest.approx(first.value, rel=1e-12)


def _same_scenarios(a, b) -> None:
    for f in ("points", "finish", "laps_led", "fastest_laps", "laps_completed", "dnf"):
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f
    ma, mb = dict(a.meta), dict(b.meta)
    ma.pop("seconds"), mb.pop("seconds")
    assert ma == mb


def test_strength_fit_cache_gives_the_same_bytes(tmp_path, monkeypatch) -> None:
    from tailrace.sim.simulate import simulate
    from tailrace.slate import demo_slate

    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path))
    slate = demo_slate()
    cold = simulate(slate, 1500, 21)
    files = list((tmp_path / "strengths").glob("*.json"))
    assert len(files) == 1
    warm = simulate(slate, 1500, 21)  # the fit read back from the file
    _same_scenarios(cold, warm)
    # a hit really is read: a planted (wrong) strength vector changes the simulation
    import json

    doc = json.loads(files[0].read_text())
    doc["strength"] = [0.0] * len(doc["strength"])
    files[0].write_text(json.dumps(doc))
    assert simulate(slate, 1500, 21).meta["strength"] == [0.0] * slate.n
    # an unreadable file is ignored (the fit runs again and rewrites it): the same bytes as cold
    files[0].write_text("{not json")
    _same_scenarios(cold, simulate(slate, 1500, 21))
    assert json.loads(files[0].read_text())["strength"] == cold.meta["strength"]
    # another seed is another fit
    simulate(slate, 200, 22)
    assert len(list((tmp_path / "strengths").glob("*.json"))) == 2
