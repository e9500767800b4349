"""Contest-aware portfolios: the greedy's marginal values equal the simulator's EV differences exactly."""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.contest import Contest, Field, PayoutTable, simulate_contest
from tailrace.optimize.contest_mode import generate_contest_portfolio, select_contest_portfolio
from tailrace.optimize.lineup import enumerate_feasible
from tailrace.optimize.problem import LineupRules


def _toy(seed: int = 0):
    rng = np.random.default_rng(seed)
    n, S = 12, 300
    sal = rng.integers(30, 60, n) * 100
    # coarse grid: ties between different lineups are common
    pts = (rng.integers(0, 8, (S, n)) * 0.5 + np.linspace(0, 2, n)).astype(np.float32)
    rules = LineupRules(roster_size=3, salary_cap=14_000)
    cands, _ = enumerate_feasible(rules, sal, n)
    field_lu = np.sort(np.array([rng.choice(n, 3, replace=False) for _ in range(80)]), axis=1).astype(np.int32)
    prizes = np.array([60.0, 30.0, 20.0, 12.0, 12.0, 8.0, 8.0, 8.0, 5.0, 5.0, 5.0, 5.0, 3.0, 3.0, 3.0, 3.0])
    contest = Contest(entry_fee=2.0, field_size=90, payouts=PayoutTable(prizes), field=Field(field_lu, source="given"))
    return pts, sal, rules, cands.astype(np.int64), contest


@pytest.mark.parametrize("cap_place", [1, 4])
def test_marginal_gains_equal_simulated_ev_differences(cap_place: int) -> None:
    pts, sal, rules, cands, contest = _toy(1)
    port = select_contest_portfolio(pts, cands, 8, contest, cap_place=cap_place)
    table = contest.payouts.capped(cap_place)
    prev = 0.0
    for i in range(1, 9):
        r = simulate_contest(pts, port.lineups[:i], contest.field, table, contest.entry_fee)
        total_pay = r.portfolio.expected_profit + contest.entry_fee * i
        assert port.marginal_ev[i - 1] == pytest.approx(total_pay - prev, abs=1e-9)
        prev = total_pay
    # the first pick is the best single lineup
    single = [simulate_contest(pts, c[None], contest.field, table, 2.0).portfolio.expected_profit for c in cands]
    assert port.marginal_ev[0] - 2.0 == pytest.approx(max(single))
    assert len({tuple(x) for x in port.lineups}) == 8


def test_exposure_and_overlap_limits_hold() -> None:
    pts, sal, rules, cands, contest = _toy(2)
    port = select_contest_portfolio(pts, cands, 10, contest, max_exposure=0.4, max_overlap=1)
    counts = np.bincount(port.lineups.ravel(), minlength=pts.shape[1])
    assert counts.max() <= 4
    sets = [set(x) for x in port.lineups]
    assert all(len(a & b) <= 1 for i, a in enumerate(sets) for b in sets[i + 1 :])
    assert np.allclose(port.exposures, counts / 10)


def test_generate_is_deterministic_and_fits_rules() -> None:
    pts, sal, rules, cands, contest = _toy(3)
    a = generate_contest_portfolio(pts, sal, rules, 12, contest, max_exposure=0.5)
    b = generate_contest_portfolio(pts, sal, rules, 12, contest, max_exposure=0.5)
    assert np.array_equal(a.lineups, b.lineups)
    assert all(rules.admits(tuple(x), sal) for x in a.lineups)
    assert np.bincount(a.lineups.ravel(), minlength=12).max() <= 6


def test_refill_when_the_pool_runs_out() -> None:
    pts, sal, rules, cands, contest = _toy(4)
    # a 3-lineup pool cannot give 8 lineups: the pool is refilled from the rules, picks kept
    port = generate_contest_portfolio(pts, sal, rules, 8, contest, max_exposure=0.5, candidates=cands[:3])
    assert port.n_candidates > 3 and len({tuple(x) for x in port.lineups}) == 8
    assert np.bincount(port.lineups.ravel(), minlength=12).max() <= 4
    # the marginal values stay exact across the refill
    prev = 0.0
    table = contest.payouts.capped(port.cap_place)
    for i in range(1, 9):
        r = simulate_contest(pts, port.lineups[:i], contest.field, table, contest.entry_fee)
        total_pay = r.portfolio.expected_profit + contest.entry_fee * i
        assert port.marginal_ev[i - 1] == pytest.approx(total_pay - prev, abs=1e-9)
        prev = total_pay


@pytest.mark.parametrize("lazy", [True, False])
def test_ranked_alone_takes_the_best_single_lineups_under_the_rules(lazy: bool) -> None:
    """cap_place=ALONE (the sim-ROI rule, a setting the CV chooses between): each lineup's value is
    its own expected payout against the field on the true table (the simulator, one lineup at a
    time), and the portfolio walks them best first, skipping what the exposure cap and the
    overlap rule (roster - 2 shared drivers) rule out."""
    from tailrace.optimize.contest_mode import ALONE, CV_CAPS

    assert ALONE in CV_CAPS
    pts, sal, rules, cands, contest = _toy(4)
    port = select_contest_portfolio(pts, cands, 6, contest, cap_place=ALONE, max_exposure=0.5, lazy=lazy)
    single = np.array([simulate_contest(pts, c[None], contest.field, contest.payouts, 2.0).portfolio.expected_profit
                       for c in cands]) + 2.0
    # the walk by hand: best first (ties to the earlier candidate), a driver in at most 3 of 6,
    # two lineups sharing at most roster - 2 = 1 driver (the sim-ROI workflow's diversification)
    want, counts = [], np.zeros(pts.shape[1], dtype=int)
    for c in np.argsort(-single, kind="stable"):
        if len(want) == 6:
            break
        if (counts[cands[c]] < 3).all() and all(len(set(cands[c]) & set(cands[w])) <= 1 for w in want):
            want.append(c)
            counts[cands[c]] += 1
    assert [tuple(x) for x in port.lineups] == [tuple(cands[c]) for c in want]
    assert port.marginal_ev == pytest.approx(single[want], abs=1e-9)
    assert port.cap_place == ALONE
