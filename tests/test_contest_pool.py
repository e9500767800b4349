"""Contest mode's structural pool and cross-validated cap."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from tailrace.contest import make_contest, simulate
from tailrace.optimize.contest_mode import (
    CV_CAPS,
    MIN_LIVE,
    _cv_field,
    cross_validate_cap,
    generate_contest_portfolio,
    pool_context,
    select_contest_portfolio,
    structural_pool,
)
from tailrace.optimize.lineup import enumerate_feasible
from tailrace.optimize.problem import LineupRules


def _slate(seed: int = 0, n: int = 15, S: int = 400):
    rng = np.random.default_rng(seed)
    sal = (rng.integers(40, 100, n) * 100).astype(np.int64)
    base = np.linspace(4, 1, n)
    pts = np.round((base + rng.gamma(1.5, 2.0, (S, n))) * 20) / 20  # DK-like multiples of 0.05
    rules = LineupRules(roster_size=4, salary_cap=30_000)
    return pts.astype(np.float32), sal, rules


def _contest(pts, sal, rules, field_size=300, seed=3):
    return make_contest(sal, rules.roster_size, rules.salary_cap, entry_fee=2.0, field_size=field_size,
                        projections=pts.mean(axis=0), min_salary=0, rng=seed)


def test_pool_protects_every_subset_of_the_top_drivers() -> None:
    pts, sal, rules = _slate(1)
    n = pts.shape[1]
    per_subset = 20
    pool, ctx = structural_pool(pts, sal, rules, n_top=30, n_protect=5, per_subset=per_subset)
    assert len(ctx.protected) == 5
    keys = {tuple(x) for x in pool.tolist()}
    assert len(keys) == pool.shape[0] and all(rules.admits(tuple(x), sal) for x in pool)
    lu, _ = enumerate_feasible(rules, sal, n)
    lu = lu.astype(np.int64)
    quota = -(-per_subset // len(ctx.criteria))
    for k in range(1, 6):
        for sub in combinations(ctx.protected, k):
            avoid = ~np.isin(lu, sub).any(axis=1)
            if not avoid.any():
                continue
            live = [x for x in pool.tolist() if not set(x) & set(sub)]
            # the pool holds live candidates avoiding the subset: at least a quota's worth
            assert len(live) >= min(quota, int(avoid.sum()))
            # and, for every criterion, the best lineup avoiding the subset
            for v in ctx.criteria.values():
                w = np.where(avoid, v, -np.inf)
                best = np.flatnonzero(w == w.max())
                assert any(tuple(lu[i]) in keys for i in best)


def test_pool_criteria_are_exact_at_the_top() -> None:
    pts, sal, rules = _slate(2)
    ctx = pool_context(pts, sal, rules, levels=(0.05,), n_exact=50)
    lu = ctx.lineups.astype(np.int64)
    x = pts[:, lu].astype(np.float64).sum(axis=2)  # (S, M)
    k = int(round(0.05 * pts.shape[0]))
    exact = np.sort(x, axis=0)[-k:].mean(axis=0)
    v = ctx.criteria["upper_cvar_0.05"]
    assert np.all(v <= exact + 1e-6)  # a lower bound everywhere ...
    assert int(np.argmax(v)) == int(np.argmax(exact))  # ... that finds the optimum
    assert np.allclose(ctx.criteria["mean"], x.mean(axis=0))


def test_refill_keeps_live_candidates_when_the_caps_bind() -> None:
    pts, sal, rules = _slate(3)
    contest = _contest(pts, sal, rules)
    pool, ctx = structural_pool(pts, sal, rules, n_top=10, n_protect=3, per_subset=8)
    calls = []

    def refill(full, chosen):
        calls.append(tuple(full))
        return ctx.refill(full, chosen)

    port = select_contest_portfolio(pts, pool[:20], 12, contest, max_exposure=0.5, cap_place=4, refill=refill,
                                    min_live=50)
    assert calls and port.n_candidates > 20
    assert np.bincount(port.lineups.ravel(), minlength=pts.shape[1]).max() <= 6
    assert len({tuple(x) for x in port.lineups}) == 12


def test_cross_validated_cap_uses_the_optimisation_scenarios_only() -> None:
    pts, sal, rules = _slate(4)
    contest = _contest(pts, sal, rules)
    a = generate_contest_portfolio(pts, sal, rules, 10, contest, max_exposure=0.5, seed=5)
    assert a.cap_place in CV_CAPS and set(a.cv_scores) == set(CV_CAPS)
    assert a.cv_scores[a.cap_place] == max(a.cv_scores.values())
    # two different evaluation sets judge the portfolio; neither can move the cap or the lineups
    rng = np.random.default_rng(9)
    for ev_seed in (10, 11):
        ev = np.random.default_rng(ev_seed).permutation(pts + rng.gamma(1.0, 1.0, pts.shape).astype(np.float32))
        simulate(contest, ev, a.lineups)
        b = generate_contest_portfolio(pts, sal, rules, 10, contest, max_exposure=0.5, seed=5)
        assert b.cap_place == a.cap_place and b.cv_scores == a.cv_scores
        assert np.array_equal(a.lineups, b.lineups)
    # the CV table is what the recipe says: select on one half, true-table ROI on the other
    # against the separately seeded field, both ways, averaged
    judge = _cv_field(contest, sal, rules, 5)
    assert not np.array_equal(judge.field.lineups, contest.field.lineups)
    pool, ctx = structural_pool(pts, sal, rules)
    h = pts.shape[0] // 2
    for cap in (3, 1):
        rois = []
        for A, B in ((slice(0, h), slice(h, None)), (slice(h, None), slice(0, h))):
            lu = select_contest_portfolio(pts[A], pool, 10, contest, max_exposure=0.5, cap_place=cap,
                                          refill=ctx.refill, min_live=MIN_LIVE).lineups
            rois.append(simulate(judge, pts[B], lu).portfolio.roi)
        assert a.cv_scores[cap] == pytest.approx(np.mean(rois), abs=1e-9)
    # and the final portfolio is the selection on all scenarios with the chosen cap
    direct = generate_contest_portfolio(pts, sal, rules, 10, contest, max_exposure=0.5, cap_place=a.cap_place)
    assert np.array_equal(direct.lineups, a.lineups)


def test_cross_validation_is_deterministic_and_seeded() -> None:
    pts, sal, rules = _slate(5)
    contest = _contest(pts, sal, rules)
    pool, _ = structural_pool(pts, sal, rules)
    r1 = cross_validate_cap(pts, sal, rules, pool, 8, contest, seed=1)
    r2 = cross_validate_cap(pts, sal, rules, pool, 8, contest, seed=1)
    assert r1 == r2


def test_run_optimize_reports_the_cap_and_the_cv_table() -> None:
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.pipeline import contest_from_options, run_optimize
    from tailrace.sim.scenarios import Scenarios
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import Driver, Slate

    rng = np.random.default_rng(7)
    n = 14
    sal = (rng.integers(60, 105, n) * 100).tolist()
    ids = [str(1000 + i) for i in range(n)]
    slate = Slate(site=DRAFTKINGS, drivers=tuple(Driver(id=i, name=f"Driver {i}", salary=s) for i, s in zip(ids, sal)))
    P = (np.round((np.linspace(30, 10, n) + rng.gamma(1.5, 12.0, (300, n))) * 20) / 20).astype(np.float32)
    scen = Scenarios(points=P, driver_ids=tuple(ids), meta={"seed": 1})
    contest = contest_from_options(slate, P, entry_fee=5.0, field_size=300, seed=4)
    spec = ConstraintSpec.from_data({"n_lineups": 4, "mode": "contest"})
    res = run_optimize(slate, scen, spec, contest=contest, explain=False).result.to_json()
    info = res["portfolio"]["contest"]
    assert info["cap_place_source"] == "cross-validated"
    assert set(info["cv_scores"]) == {str(c) for c in CV_CAPS}
    assert info["cap_place"] in CV_CAPS
    assert info["cv_scores"][str(info["cap_place"])] == max(info["cv_scores"].values())
    direct = generate_contest_portfolio(P, slate.salaries(), spec.resolve(slate).rules, 4, contest)
    assert direct.cap_place == info["cap_place"]
