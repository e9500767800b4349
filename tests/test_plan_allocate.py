"""The day plan's allocation: against a brute force over entry counts, and log-growth by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tailrace.plan.allocate import allocate, day_profit, growth, prefix_profits


def _tables(seed: int, ms: tuple[int, ...], fees: tuple[float, ...], S: int = 400) -> list[np.ndarray]:
    """Random payouts per lineup: rare big prizes (a GPP) or frequent small ones (a cash game)."""
    rng = np.random.default_rng(seed)
    out = []
    for c, (m, fee) in enumerate(zip(ms, fees)):
        if c % 2 == 0:  # top-heavy: 3 % of scenarios pay 20x, 10 % pay 2x
            u = rng.random((S, m))
            pay = np.where(u < 0.03, 20 * fee, np.where(u < 0.13, 2 * fee, 0.0))
        else:  # double-up-like: 52 % pay 1.8x, correlated across lineups through a shared draw
            z = rng.random((S, 1)) < 0.5
            pay = np.where(z | (rng.random((S, m)) < 0.04), 1.8 * fee, 0.0)
        out.append(prefix_profits(pay, fee))
    return out


def _brute(tables, fees, bankroll, max_stake, kelly):
    best, best_k = -math.inf, None
    for k in itertools.product(*[range(t.shape[0]) for t in tables]):
        if sum(kc * f for kc, f in zip(k, fees)) > max_stake * bankroll + 1e-9:
            continue
        P = sum(t[kc] for t, kc in zip(tables, k))
        v = float(np.mean(np.log(1 + kelly * P / bankroll)))
        if v > best + 1e-15:
            best, best_k = v, k
    return best_k, best


@pytest.mark.parametrize("seed,ms,fees,bankroll,max_stake,kelly", [
    (1, (8, 3, 2), (3.0, 10.0, 25.0), 200.0, 0.3, 1.0),
    (2, (6, 4), (5.0, 5.0), 100.0, 0.25, 0.5),
    (3, (10, 2, 3), (1.0, 20.0, 4.0), 120.0, 0.4, 0.25),
])
def test_allocation_matches_brute_force(seed, ms, fees, bankroll, max_stake, kelly):
    tables = _tables(seed, ms, fees)
    k_bf, v_bf = _brute(tables, fees, bankroll, max_stake, kelly)
    a = allocate(tables, fees, bankroll, max_stake, kelly)
    assert a.method == "exhaustive"
    assert a.growth == pytest.approx(v_bf, abs=1e-12)
    assert a.entries == k_bf
    assert a.stake <= max_stake * bankroll + 1e-9
    # coordinate ascent (forced) never beats the exhaustive optimum and lands within the cap
    b = allocate(tables, fees, bankroll, max_stake, kelly, max_work=0)
    assert b.method == "coordinate ascent"
    assert b.growth <= a.growth + 1e-12 and b.stake <= max_stake * bankroll + 1e-9


def test_greedy_steps_add_one_entry_each_and_raise_growth():
    fees = (3.0, 10.0, 25.0)
    tables = _tables(1, (8, 3, 2), fees)
    a = allocate(tables, fees, 200.0, 0.3)
    prev = 0.0
    k = [0, 0, 0]
    for st in a.steps:
        k[st["contest"]] += 1
        assert st["entries_after"] == k[st["contest"]]
        assert st["growth_after"] > prev
        assert st["growth_after"] == pytest.approx(growth(day_profit(tables, k), 200.0))
        prev = st["growth_after"]
    assert tuple(k) == a.greedy_entries


def test_log_growth_by_hand_two_contests():
    # Contest A: fee $10, 2 lineups; contest B: fee $5, 1 lineup; four equally likely scenarios.
    pay_a = np.array([[50.0, 0.0], [0.0, 0.0], [0.0, 20.0], [0.0, 0.0]])
    pay_b = np.array([[9.0], [9.0], [0.0], [0.0]])
    ta, tb = prefix_profits(pay_a, 10.0), prefix_profits(pay_b, 5.0)
    # prefix profits by hand
    assert ta.tolist() == [[0, 0, 0, 0], [40, -10, -10, -10], [30, -20, 0, -20]]
    assert tb.tolist() == [[0, 0, 0, 0], [4, 4, -5, -5]]
    B = 100.0
    # k = (2, 1): day profit (34, -16, -5, -25)
    by_hand = (math.log(1.34) + math.log(0.84) + math.log(0.95) + math.log(0.75)) / 4
    assert growth(day_profit([ta, tb], (2, 1)), B) == pytest.approx(by_hand, abs=1e-15)
    # half Kelly: log(1 + P / 200)
    half = (math.log(1.17) + math.log(0.92) + math.log(0.975) + math.log(0.875)) / 4
    assert growth(day_profit([ta, tb], (2, 1)), B, 0.5) == pytest.approx(half, abs=1e-15)
    # the allocations by hand (stake cap $25 at 25 %): (0,0) 0; (1,0) log(1.4 .9^3)/4 = 0.00510;
    # (0,1) log(1.04^2 .95^2)/4 = -0.00603; (1,1) log(1.44 .94 .85 .85)/4 = -0.00167; (2,0) stake 20:
    # log(1.3 .8 1 .8)/4 = -0.04818; (2,1) stake 25: by_hand = -0.07617
    a = allocate([ta, tb], [10.0, 5.0], B, 0.25)
    assert a.entries == (1, 0)
    assert a.growth == pytest.approx(math.log(1.4 * 0.9 ** 3) / 4, abs=1e-15)
    assert a.stake == 10.0
    # a cap of $9 allows only B's one entry or nothing: nothing wins
    assert allocate([ta, tb], [10.0, 5.0], B, 0.09).entries == (0, 0)
