"""Strengths from projections, win odds, ratings: de-vig by hand, fits reproduce their targets."""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.race import simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.sim.simulate import simulate
from tailrace.sim.strength.from_slate import (
    devig,
    resolve_strengths,
    strength_from_start,
    strengths_from_projections,
    strengths_from_win_probs,
)
from tailrace.tracks import resolve_track
from tailrace.sites import DRAFTKINGS
from tailrace.slate import Driver, Slate

N = 36
KANSAS = resolve_track("Kansas")
P_INT = DEFAULT_PARAMS["intermediate"]
START = np.random.default_rng(5).permutation(N) + 1
TRUE = np.linspace(1.2, -1.2, N)


def test_devig_by_hand() -> None:
    # 2.0, 4.0, 4.0 -> 0.5 + 0.25 + 0.25 = 1: already fair
    np.testing.assert_allclose(devig([2.0, 4.0, 4.0]), [0.5, 0.25, 0.25])
    # two 1.8 shots: 1/1.8 = 0.5556 each, overround 11.1 %, fair 0.5 each (both methods)
    np.testing.assert_allclose(devig([1.8, 1.8]), [0.5, 0.5])
    np.testing.assert_allclose(devig([1.8, 1.8], "power"), [0.5, 0.5])
    # multiplicative: 1/1.5 = 0.6667, 1/3 = 0.3333, 1/6 = 0.1667 -> sum 1.1667 -> 4/7, 2/7, 1/7
    np.testing.assert_allclose(devig([1.5, 3.0, 6.0]), [4 / 7, 2 / 7, 1 / 7])
    # power: p_i = q_i**k with sum 1; check the defining property and that longshots shrink more
    q = 1 / np.array([1.5, 3.0, 6.0])
    p = devig([1.5, 3.0, 6.0], "power")
    k = np.log(p[0]) / np.log(q[0])
    np.testing.assert_allclose(p, q ** k, rtol=1e-9)
    assert p.sum() == pytest.approx(1.0) and p[2] / q[2] < p[0] / q[0]
    with pytest.raises(ValueError):
        devig([1.0, 2.0])


def test_projection_fit_reproduces_means() -> None:
    """Targets = simulated means of known strengths (200k scenarios); the fit must reproduce them
    in a fresh simulation within Monte Carlo error: 4 SE of the pilot (4,000) and final (100k)
    samples combined, plus 0.3 points of fit tolerance."""
    big = simulate_race(TRUE, START, KANSAS, P_INT, 200_000, np.random.default_rng(1))
    target = score_outcomes(DRAFTKINGS, START, big).mean(axis=0, dtype=np.float64)
    theta, achieved, warnings = strengths_from_projections(target, START, DRAFTKINGS, KANSAS, P_INT, seed=3)
    assert not warnings
    fresh = score_outcomes(DRAFTKINGS, START, simulate_race(theta, START, KANSAS, P_INT, 100_000,
                                                            np.random.default_rng(99)))
    sd = fresh.std(axis=0)
    tol = 4 * sd * np.sqrt(1 / 4000 + 1 / 100_000) + 0.3
    assert np.all(np.abs(fresh.mean(axis=0) - target) <= tol)
    assert np.corrcoef(theta, TRUE)[0, 1] > 0.99


def test_projection_sum_is_adjusted_with_a_warning() -> None:
    big = simulate_race(TRUE, START, KANSAS, P_INT, 20_000, np.random.default_rng(1))
    target = score_outcomes(DRAFTKINGS, START, big).mean(axis=0, dtype=np.float64) + 5.0
    _, achieved, warnings = strengths_from_projections(target, START, DRAFTKINGS, KANSAS, P_INT, seed=3)
    assert any("shifted by -5.0" in w for w in warnings)


def test_odds_fit_reproduces_devigged_win_probabilities() -> None:
    """Win probabilities of 8 % .. 0.5 %, offered with a 20 % overround; after the fit a fresh
    100k-scenario run wins at the fair rates within 4 SE (pilot 20,000 + final 100,000) + 0.3 pp."""
    w = np.exp(np.linspace(0, -3.5, N))
    p = w / w.sum()
    odds = 1.0 / (p * 1.20)
    fair = devig(odds)
    np.testing.assert_allclose(fair, p)
    theta, _, _ = strengths_from_win_probs(fair, START, KANSAS, P_INT, seed=4)
    out = simulate_race(theta, START, KANSAS, P_INT, 100_000, np.random.default_rng(98))
    won = (out.finish == 1).mean(axis=0)
    tol = 4 * np.sqrt(p * (1 - p) * (1 / 20_000 + 1 / 100_000)) + 0.003
    assert np.all(np.abs(won - p) <= tol)


def _slate(**cols) -> Slate:
    drivers = tuple(Driver(id=str(i), name=f"D{i}", salary=11000 - 200 * i, start=int(START[i]),
                           **{k: v[i] for k, v in cols.items()}) for i in range(N))
    return Slate(site=DRAFTKINGS, drivers=drivers, track="Kansas")


def test_priority_projection_then_odds_then_rating_then_salary() -> None:
    proj = list(np.linspace(55, 12, N))
    odds = list(1.0 / (np.exp(np.linspace(0, -3, N)) / np.exp(np.linspace(0, -3, N)).sum()))
    rating = list(np.linspace(1, -1, N))
    kw = dict(track=KANSAS, params=P_INT, seed=1, pilot=1000)
    assert resolve_strengths(_slate(projection=proj, win_odds=odds, rating=rating), **kw)[1] == "projection"
    assert resolve_strengths(_slate(win_odds=odds, rating=rating), **kw)[1].startswith("win_odds")
    s, src, warn = resolve_strengths(_slate(rating=rating), **kw)
    assert src == "rating" and not warn
    np.testing.assert_allclose(s, np.array(rating) - np.mean(rating))
    s, src, warn = resolve_strengths(_slate(), **kw)
    assert src == "salary" and warn and s[0] > s[-1]


def test_partial_projections_are_filled_and_named() -> None:
    proj = [float(x) for x in np.linspace(55, 12, N)]
    proj[3] = None
    s, src, warn = resolve_strengths(_slate(projection=proj), KANSAS, P_INT, seed=1, pilot=1000)
    assert src == "projection" and any("D3" in w for w in warn)


def test_start_only_strengths_follow_the_start() -> None:
    s = strength_from_start(np.array([1, 2, 40]), P_INT)
    assert s[0] > s[1] > s[2] and s[0] == 0.0


def test_simulate_uses_projections_and_records_the_source() -> None:
    proj = list(np.linspace(55, 12, N))
    sc = simulate(_slate(projection=proj), 2000, 5)
    assert sc.meta["strength_source"] == "projection"
    assert np.corrcoef(sc.points.mean(axis=0), proj)[0, 1] > 0.95


def test_shin_devig_inverts_shins_own_pricing() -> None:
    """Worked example: fair chances p and an insider share z = 0.04 priced by Shin's forward model,
    q_i = sqrt(z p_i + (1-z) p_i^2) * sum_j sqrt(z p_j + (1-z) p_j^2); de-vig must give p back."""
    p = np.array([0.30, 0.20, 0.15, 0.10, 0.08, 0.07, 0.05, 0.03, 0.015, 0.005])
    z = 0.04
    r = np.sqrt(z * p + (1 - z) * p ** 2)
    q = r * r.sum()
    assert q.sum() > 1.05  # a real margin
    np.testing.assert_allclose(devig(1.0 / q, "shin"), p, rtol=1e-9, atol=1e-12)
    # longshots lose a bigger share of their price than favourites: the favourite-longshot bias
    mult = devig(1.0 / q)
    assert mult[-1] > 1.3 * p[-1] and mult[0] < p[0]
    # the margin-free book is returned as it is
    np.testing.assert_allclose(devig([2.0, 4.0, 4.0], "shin"), [0.5, 0.25, 0.25])
