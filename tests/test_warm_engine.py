"""Warm engines (search.keep_warm): state kept between calls makes them faster, never different.

Each warm call is compared field by field with the same call made with the store off (the
engine built and searched from scratch), and its first lineup with a brute force over every
feasible lineup; the hit counters show the stored state was actually taken.
"""

from __future__ import annotations

import numpy as np
import pytest

from _bruteforce import feasible, values
from tailrace.optimize import search
from tailrace.optimize.objectives import Objective
from tailrace.optimize.portfolio import generate_portfolio
from tailrace.optimize.problem import LineupRules

N_DRIVERS, ROSTER = 13, 5


def slate(seed: int = 3, S_: int = 1500):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 1, (S_, 1))
    pts = rng.gamma(1.5, 8.0, (S_, N_DRIVERS)) * rng.uniform(0.5, 2.0, N_DRIVERS) + 5 * common * rng.uniform(-1, 1, N_DRIVERS)
    sal = (rng.integers(40, 110, N_DRIVERS) * 100).astype(np.int64)
    cap = int(np.sort(sal)[:ROSTER].sum() + 0.6 * (np.sort(sal)[-ROSTER:].sum() - np.sort(sal)[:ROSTER].sum()))
    return pts.astype(np.float32), sal, LineupRules(ROSTER, cap)


def facts(pf) -> list[tuple]:
    """Everything a portfolio says about its lineups but the seconds."""
    return [(r.lineup, r.value, r.bound, r.gap, r.optimal, r.status, r.n_evaluated) for r in pf.lineups]


@pytest.fixture
def warm_store():
    search.keep_warm(False)  # an empty store, whatever ran before in this process
    search.keep_warm(True)
    yield
    search.keep_warm(False)


@pytest.mark.parametrize("obj", [Objective.upper_cvar(0.02), Objective.lower_cvar(0.2),
                                 Objective.blend([(0.5, Objective.upper_cvar(0.05)), (0.5, Objective.mean())])],
                         ids=lambda o: o.name)
def test_warm_calls_give_what_cold_calls_give(obj, screen, warm_store):
    pts, sal, rules = slate()
    N = 6
    cold = {}
    search.keep_warm(False)
    for gmax in (0.5, 0.67):
        cold[gmax] = facts(generate_portfolio(pts, sal, rules, obj, N, global_max_exposure=gmax, search=screen))
    search.keep_warm(True)
    h0 = dict(search.warm_hits)
    first = generate_portfolio(pts, sal, rules, obj, N, global_max_exposure=0.5, search=screen)  # fills the store
    assert search.warm_hits == h0, "an empty store cannot have been hit"
    assert facts(first) == cold[0.5]
    again = generate_portfolio(pts, sal, rules, obj, N, global_max_exposure=0.5, search=screen)
    assert facts(again) == cold[0.5]
    assert search.warm_hits["built"] == h0["built"] + 1 and search.warm_hits["first_solve"] == h0["first_solve"] + 1
    # another exposure leaves the first step's allowed set alone: the first solve is taken from
    # the store, the later ones run on from its state, and the answer is the cold one's
    other = generate_portfolio(pts, sal, rules, obj, N, global_max_exposure=0.67, search=screen)
    assert facts(other) == cold[0.67]
    assert search.warm_hits["first_solve"] == h0["first_solve"] + 2
    # the first lineup is the best of all (brute force), warm or not
    lus = feasible(rules, sal, N_DRIVERS)
    v = values(pts, lus, obj)
    assert other.lineups[0].value == pytest.approx(float(v.max()), rel=1e-9)
    assert other.lineups[0].lineup == lus[int(np.argmax(v))]


def test_other_scenarios_or_rules_miss_the_store(warm_store):
    pts, sal, rules = slate()
    obj = Objective.upper_cvar(0.02)
    generate_portfolio(pts, sal, rules, obj, 3)
    h0 = dict(search.warm_hits)
    pts2 = pts.copy()
    pts2[0, 0] += 1.0  # one point of one scenario differs
    a = generate_portfolio(pts2, sal, rules, obj, 3)
    b = generate_portfolio(pts, sal, LineupRules(ROSTER, rules.salary_cap - 100), obj, 3)
    assert search.warm_hits == h0
    search.keep_warm(False)
    assert facts(a) == facts(generate_portfolio(pts2, sal, rules, obj, 3))
    assert facts(b) == facts(generate_portfolio(pts, sal, LineupRules(ROSTER, rules.salary_cap - 100), obj, 3))


def test_warm_engines_block_is_this_threads_only():
    import threading

    pts, sal, rules = slate()
    obj = Objective.upper_cvar(0.02)
    search.keep_warm(False)
    with search.warm_engines():
        generate_portfolio(pts, sal, rules, obj, 2)
        assert len(search._warm) == 1
        other = threading.Thread(target=lambda: generate_portfolio(pts, sal, rules, obj, 3))
        h0 = dict(search.warm_hits)
        other.start()
        other.join()
        assert search.warm_hits == h0 and len(search._warm) == 1  # the other thread neither took nor left state
    h0 = dict(search.warm_hits)
    generate_portfolio(pts, sal, rules, obj, 2)  # outside the block: a cold engine
    assert search.warm_hits == h0
    search.keep_warm(False)


def test_keep_warm_off_empties_the_store(warm_store):
    pts, sal, rules = slate()
    generate_portfolio(pts, sal, rules, Objective.upper_cvar(0.02), 2)
    assert len(search._warm) == 1
    search.keep_warm(False)
    assert len(search._warm) == 0
    generate_portfolio(pts, sal, rules, Objective.upper_cvar(0.02), 2)
    assert len(search._warm) == 0


def _masked(x):
    """An /optimize answer without what differs between two runs by design (timings, ids, cache flags)."""
    if isinstance(x, dict):
        return {k: ("<masked>" if k in ("timings", "portfolio_id", "cache_hit") or k.endswith("seconds") else _masked(v))
                for k, v in x.items()}
    if isinstance(x, list):
        return [_masked(v) for v in x]
    return x


def test_api_repeat_and_exposure_change_are_the_cold_answers(tmp_path):
    """POST /optimize's work function, as the server runs it (warm store on): a repeat and an
    exposure change give the bytes a cold server gives, and take the stored state."""
    from tailrace.api.optimize_work import optimize_work
    from tailrace.api.schemas import OptimizeRequest
    from tailrace.api.context import Context
    from tailrace.api.records import save_slate, slate_from_uploads
    from tailrace.api.settings import Settings
    from tailrace.slate import demo_paths

    ctx = Context.create(Settings(data_dir=tmp_path / "data", sync_time_limit=600))
    sal, proj = demo_paths()
    sid, _ = save_slate(ctx.store, slate_from_uploads("dk", sal.read_bytes(), "s.csv", proj.read_bytes(), "p.csv", None))

    def run(exp: float) -> dict:
        req = OptimizeRequest(slate_id=sid, n_scenarios=2000, seed=5,
                              spec={"n_lineups": 4, "global_max_exposure": exp,
                                    "objective": {"kind": "upper-cvar", "beta": 0.02}})
        return _masked(optimize_work(ctx, req))

    try:
        search.keep_warm(False)  # empty store: the next call computes from scratch
        cold_05 = run(0.5)
        search.keep_warm(False)
        cold_075 = run(0.75)
        h0 = dict(search.warm_hits)
        assert run(0.75) == cold_075  # the repeat
        assert run(0.5) == cold_05  # another exposure: the same first step, taken from the store
        assert search.warm_hits["built"] == h0["built"] + 2 and search.warm_hits["first_solve"] == h0["first_solve"] + 2
        assert cold_05["lineups"] != cold_075["lineups"], "the exposure must change the portfolio for this test to bite"
    finally:
        search.keep_warm(False)
