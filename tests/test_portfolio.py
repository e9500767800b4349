"""Portfolios: each lineup checked against brute force over the lineups still allowed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from _bruteforce import feasible, scores, values
from tailrace import tail
from tailrace.errors import InfeasibleError
from tailrace.optimize.objectives import Objective
from tailrace.optimize.portfolio import MARGINAL_POOL, generate_portfolio
from tailrace.optimize.problem import LineupRules

N_DRIVERS, ROSTER = 12, 5


def slate(seed: int, S: int = 1000):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 1, (S, 1))
    pts = rng.gamma(1.5, 8.0, (S, N_DRIVERS)) * rng.uniform(0.5, 2.0, N_DRIVERS) + 5 * common * rng.uniform(-1, 1, N_DRIVERS)
    sal = (rng.integers(40, 110, N_DRIVERS) * 100).astype(np.int64)
    cap = int(np.sort(sal)[:ROSTER].sum() + 0.6 * (np.sort(sal)[-ROSTER:].sum() - np.sort(sal)[:ROSTER].sum()))
    return pts.astype(np.float32), sal, LineupRules(ROSTER, cap)


def _allowed(lus, chosen, counts, caps, max_overlap):
    out = []
    for lu in lus:
        if lu in chosen:
            continue
        if max_overlap is not None and any(len(set(lu) & set(c)) > max_overlap for c in chosen):
            continue
        if any(counts[i] >= caps[i] for i in lu):
            continue
        out.append(lu)
    return out


@pytest.mark.parametrize("obj", [Objective.upper_cvar(0.02), Objective.lower_cvar(0.2),
                                 Objective.blend([(0.5, Objective.upper_cvar(0.05)), (0.5, Objective.mean())])],
                         ids=lambda o: o.name)
def test_independent_lineups_are_each_optimal_given_the_earlier_ones(obj, screen):
    pts, sal, rules = slate(1)
    N, gmax, max_overlap = 6, 0.67, 3
    pf = generate_portfolio(pts, sal, rules, obj, N, global_max_exposure=gmax, max_overlap=max_overlap, search=screen)
    assert len(pf.lineups) == N
    lus = feasible(rules, sal, N_DRIVERS)
    caps = [math.floor(gmax * N)] * N_DRIVERS
    chosen: list[tuple[int, ...]] = []
    counts = np.zeros(N_DRIVERS, int)
    for res in pf.lineups:
        allowed = _allowed(lus, chosen, counts, caps, max_overlap)
        v = values(pts, allowed, obj)
        assert res.lineup in allowed
        assert res.optimal and res.gap == 0.0
        assert res.value == pytest.approx(float(v.max()), rel=1e-9)
        chosen.append(res.lineup)
        for i in res.lineup:
            counts[i] += 1
    np.testing.assert_allclose(pf.exposures, counts / N)
    assert pf.exposures.max() <= gmax + 1e-12


def test_min_and_max_exposure_hold_over_the_finished_portfolio():
    pts, sal, rules = slate(2)
    obj = Objective.upper_cvar(0.02)
    weak = int(np.argmin(pts.mean(axis=0)))
    strong = int(np.argmax(pts.mean(axis=0)))
    N = 10
    pf = generate_portfolio(pts, sal, rules, obj, N, min_exposure={weak: 0.5}, max_exposure={strong: 0.3},
                            max_overlap=4)
    assert len(pf.lineups) == N
    assert pf.exposures[weak] >= 0.5
    assert pf.exposures[strong] <= 0.3
    lus = [r.lineup for r in pf.lineups]
    assert len(set(lus)) == N
    assert all(len(set(a) & set(b)) <= 4 for i, a in enumerate(lus) for b in lus[i + 1 :])
    assert all(rules.admits(lu, sal) for lu in lus)


def test_marginal_maximises_the_portfolio_measure_step_by_step():
    pts, sal, rules = slate(3)
    obj = Objective.upper_cvar(0.05)
    N = 6
    while len(feasible(rules, sal, N_DRIVERS)) > MARGINAL_POOL:
        rules = LineupRules(ROSTER, rules.salary_cap - 500)
    lus = feasible(rules, sal, N_DRIVERS)
    assert N * 4 < len(lus) <= MARGINAL_POOL  # the candidate pool is then every allowed lineup
    pf = generate_portfolio(pts, sal, rules, obj, N, mode="marginal", max_overlap=3)
    X = scores(pts, lus)
    col = {lu: i for i, lu in enumerate(lus)}
    best = None
    chosen: list[tuple[int, ...]] = []
    for res in pf.lineups:
        allowed = [lu for lu in _allowed(lus, chosen, np.zeros(N_DRIVERS), [N] * N_DRIVERS, 3)]
        cols = X[:, [col[lu] for lu in allowed]]
        cand = cols if best is None else np.maximum(cols, best[:, None])
        gains = obj.evaluate(cand)
        mine = X[:, col[res.lineup]] if best is None else np.maximum(X[:, col[res.lineup]], best)
        assert obj.evaluate(mine) == pytest.approx(float(gains.max()), rel=1e-9)
        best = X[:, col[res.lineup]] if best is None else np.maximum(best, X[:, col[res.lineup]])
        chosen.append(res.lineup)
        assert res.value == obj.evaluate(X[:, col[res.lineup]])
    assert pf.portfolio_value == pytest.approx(float(obj.evaluate(best)), rel=1e-12)
    # the marginal portfolio covers the tail at least as well as the independent one
    ind = generate_portfolio(pts, sal, rules, obj, N, max_overlap=3)
    assert pf.portfolio_value >= ind.portfolio_value - 1e-9


@pytest.mark.parametrize("obj", [Objective.upper_cvar(0.03), Objective.lower_cvar(0.2),
                                 Objective.blend([(0.7, Objective.upper_cvar(0.01)), (0.3, Objective.mean())])],
                         ids=lambda o: o.name)
def test_marginal_step_is_exact_over_the_stated_pool(obj, screen):
    # pool smaller than the allowed set: each step's gain is the brute-force best over the pool
    # as the docstring states it (top-K by single-lineup value, rebuilt below a quarter left)
    pts, sal, rules = slate(7, S=600)
    N, K, gmax = 10, 40, 0.6
    pf = generate_portfolio(pts, sal, rules, obj, N, mode="marginal", max_overlap=3, global_max_exposure=gmax, search=screen,
                            marginal_pool=K)
    lus = feasible(rules, sal, N_DRIVERS)
    assert len(lus) > 4 * K
    X = scores(pts, lus)
    col = {lu: i for i, lu in enumerate(lus)}
    own = values(pts, lus, obj)
    caps = [math.floor(gmax * N)] * N_DRIVERS
    counts = np.zeros(N_DRIVERS, int)
    chosen: list[tuple[int, ...]] = []
    pool: list[tuple[int, ...]] = []
    best = None
    rebuilt = 0
    for res in pf.lineups:
        allowed = _allowed(lus, chosen, counts, caps, 3)
        live = [lu for lu in pool if lu in set(allowed)]
        if len(live) < max(1, len(pool) // 4) or not pool:
            order = np.argsort([-own[col[lu]] for lu in allowed], kind="stable")
            pool = [allowed[i] for i in order[:K]]
            live, rebuilt = list(pool), rebuilt + 1
        assert res.lineup in live
        cols = X[:, [col[lu] for lu in live]]
        cand = cols if best is None else np.maximum(cols, best[:, None])
        mine = X[:, col[res.lineup]] if best is None else np.maximum(X[:, col[res.lineup]], best)
        assert obj.evaluate(mine) == pytest.approx(float(np.max(obj.evaluate(cand))), rel=1e-9, abs=1e-9)
        best = mine
        chosen.append(res.lineup)
        for i in res.lineup:
            counts[i] += 1
    assert rebuilt >= 2  # the refill path was exercised
    assert pf.portfolio_value == pytest.approx(float(obj.evaluate(best)), rel=1e-12)


def test_upper_tail_gains_shrink_as_the_portfolio_grows():
    # the lazy marginal search relies on this: for a <= b (per scenario) and any x,
    # F(b v x) - F(b) <= F(a v x) - F(a) for upper CVaR (fractional tails, ties) and hit rate
    rng = np.random.default_rng(11)
    for trial in range(300):
        S = int(rng.integers(5, 60))
        a = np.round(rng.normal(0, 3, S))  # rounding makes ties
        b = a + np.round(rng.exponential(2, S)) * (rng.random(S) < 0.5)
        x = np.round(rng.normal(1, 4, S))
        beta = float(rng.uniform(0.01, 1.0))
        for f in (lambda v: tail.cvar_upper(v, beta), lambda v: tail.hit_rate(v, 2.0)):
            ga = f(np.maximum(a, x)) - f(a)
            gb = f(np.maximum(b, x)) - f(b)
            assert gb <= ga + 1e-9 * (1 + abs(ga))


def test_conflicting_min_exposures_with_overlap_are_named():
    pts, sal, rules = slate(4)
    with pytest.raises(InfeasibleError) as e:
        generate_portfolio(pts, sal, rules, Objective.mean(), 10, min_exposure={0: 0.6, 1: 0.6}, max_overlap=1)
    assert any("driver 0" in c and "driver 1" in c and "max overlap 1" in c for c in e.value.conflicts)
    with pytest.raises(InfeasibleError) as e2:
        generate_portfolio(pts, sal, rules, Objective.mean(), 10, min_exposure={2: 0.5}, max_exposure={2: 0.3})
    assert "above its max exposure" in e2.value.conflicts[0]


def test_never_silently_fewer_lineups():
    pts, sal, rules = slate(5)
    m = len(feasible(rules, sal, N_DRIVERS))
    with pytest.raises(InfeasibleError, match=f"only {m} distinct lineups"):
        generate_portfolio(pts, sal, rules, Objective.mean(), m + 1)
    # overlap 0 between 5-driver lineups from 12 drivers allows at most 2 lineups
    with pytest.raises(InfeasibleError) as e:
        generate_portfolio(pts, sal, rules, Objective.mean(), 3, max_overlap=0)
    assert "max overlap 0" in str(e.value)


def test_progress_is_reported_per_lineup():
    pts, sal, rules = slate(6)
    seen = []
    generate_portfolio(pts, sal, rules, Objective.upper_cvar(0.05), 4, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


@pytest.mark.parametrize("obj", [Objective.upper_cvar(0.03), Objective.lower_cvar(0.2)], ids=lambda o: o.name)
def test_marginal_time_limit_still_gives_every_lineup_and_says_so(obj):
    pts, sal, rules = slate(8)
    N, gmax, max_overlap = 6, 0.67, 3
    kw = dict(mode="marginal", global_max_exposure=gmax, max_overlap=max_overlap, marginal_pool=40)
    late = generate_portfolio(pts, sal, rules, obj, N, time_limit=0.0, **kw)
    assert len(late.lineups) == N and len({r.lineup for r in late.lineups}) == N
    # the first pool was built after the limit had passed: unproven, and said so
    assert late.lineups[0].status == "time_limit"
    assert all(r.status in ("time_limit", "marginal") for r in late.lineups)
    for r in late.lineups:
        assert rules.admits(r.lineup, sal)
    for a in range(N):
        for b in range(a + 1, N):
            assert len(set(late.lineups[a].lineup) & set(late.lineups[b].lineup)) <= max_overlap
    assert late.exposures.max() <= gmax + 1e-12
    on_time = generate_portfolio(pts, sal, rules, obj, N, time_limit=600.0, **kw)
    assert all(r.status == "marginal" for r in on_time.lineups)
    assert [r.lineup for r in on_time.lineups] == [r.lineup for r in generate_portfolio(pts, sal, rules, obj, N, **kw).lineups]


def test_marginal_lower_cvar_honours_the_time_limit_in_its_first_solve():
    # issue 16's bug: top_k with cutting planes ran its first solve without the deadline, so
    # a lower-CVaR portfolio in marginal mode ignored time_limit until that solve ended. With
    # the limit already spent, that solve stops at its first batch of evaluations; counted in
    # lineups evaluated (not seconds), so the check does not depend on the machine's speed.
    rng = np.random.default_rng(3)
    n, S = 22, 3000
    pts = (rng.gamma(2.0, 12.0, (S, n)) + rng.normal(0, 3, (S, 1))).astype(np.float32)
    sal = (rng.integers(50, 110, n) * 100).astype(np.int64)
    rules = LineupRules(6, 50_000)
    obj = Objective.lower_cvar(0.2)
    full = generate_portfolio(pts, sal, rules, obj, 2, mode="marginal")
    first_full = full.lineups[0].n_evaluated
    assert first_full > 5_000  # the premise: an unlimited first step is long
    cut = generate_portfolio(pts, sal, rules, obj, 2, mode="marginal", time_limit=1e-9)
    assert len(cut.lineups) == 2
    assert all(r.status == "time_limit" for r in cut.lineups)
    assert cut.lineups[0].n_evaluated < 600  # the first batch (64) and one pool batch (256), not a full solve
