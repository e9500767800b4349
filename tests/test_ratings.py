"""Strength fit: recovers known strengths from a history simulated with the race model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tailrace.sim.history import History, RaceResult, read_history
from tailrace.sim.params import TrackTypeParams, start_term
from tailrace.sim.race import simulate_race
from tailrace.sim.strength.ratings import (
    RatingConfig,
    UpcomingRace,
    blend_strengths,
    fit_ratings,
    fit_recent_form,
    fit_start_only,
    to_strength,
)

N_DRIVERS = 30
TEAMS = tuple(f"Team {i % 6}" for i in range(N_DRIVERS))


def simulated_history(theta: np.ndarray, n_races: int, params: TrackTypeParams, seed: int,
                      drivers: tuple[str, ...] | None = None) -> History:
    """A history of ``n_races`` intermediate races, each one scenario of the race model run
    from the true strengths ``theta`` and a random start order."""
    rng = np.random.default_rng(seed)
    n = len(theta)
    names = drivers or tuple(f"Driver {i:02d}" for i in range(n))
    races = []
    for k in range(n_races):
        start = rng.permutation(n) + 1
        out = simulate_race(theta, start, 200, params, 1, rng)
        status = tuple("accident" if d else "running" for d in out.dnf[0])
        races.append(RaceResult(
            season=2020 + k // 36, race_num=k % 36 + 1, track="Kansas Speedway", track_type="intermediate",
            race_date=None, drivers=names, start=start.astype(np.int64),
            finish=out.finish[0].astype(np.int64), laps=out.laps_completed[0].astype(np.int64),
            laps_led=out.laps_led[0].astype(np.int64), fastest_laps=out.fastest_laps[0].astype(np.int64),
            status=status, team=TEAMS[:n], manufacturer=("Ford",) * n,
        ))
    return History(source="synthetic", _races=tuple(races))


PARAMS = TrackTypeParams("intermediate", noise=1.0, start_weight=0.3)


@pytest.fixture(scope="module")
def truth() -> tuple[np.ndarray, History]:
    theta = np.random.default_rng(11).normal(0.0, 0.6, N_DRIVERS)
    theta -= theta.mean()
    return theta, simulated_history(theta, 120, PARAMS, seed=3)


def test_recovers_known_strengths_and_start_effect(truth: tuple[np.ndarray, History]) -> None:
    theta, hist = truth
    cfg = RatingConfig(half_life=1e9, ridge_driver=0.01, ridge_other=0.01, features=("driver", "start_linear"))
    fit = fit_ratings(hist, cfg)
    assert fit.converged
    est = np.array([fit.coef[f"d:driver {i:02d}"] for i in range(N_DRIVERS)])
    est -= est.mean()
    # Model: order of running cars ~ PL(theta + 0.3 * start_term); noise 1, so u = that.
    slope = float(np.polyfit(theta, est, 1)[0])
    assert np.corrcoef(theta, est)[0, 1] > 0.95
    assert slope == pytest.approx(1.0, abs=0.15)
    assert np.max(np.abs(est - theta)) < 0.45
    # linear start coefficient on (start-1)/10 is -start_weight = -0.3
    assert fit.coef["sl:intermediate"] == pytest.approx(-0.3, abs=0.08)


def test_noise_scale_is_divided_out(truth: tuple[np.ndarray, History]) -> None:
    # With noise 2 the same strengths give utilities theta / 2: the fit sees half the gaps.
    theta, _ = truth
    hist = simulated_history(theta, 120, dataclasses.replace(PARAMS, noise=2.0), seed=4)
    cfg = RatingConfig(half_life=1e9, ridge_driver=0.01, ridge_other=0.01, features=("driver", "start_linear"))
    fit = fit_ratings(hist, cfg)
    est = np.array([fit.coef[f"d:driver {i:02d}"] for i in range(N_DRIVERS)])
    assert float(np.polyfit(theta, est - est.mean(), 1)[0]) == pytest.approx(0.5, abs=0.1)


def test_default_model_ranks_drivers_and_shrinks(truth: tuple[np.ndarray, History]) -> None:
    theta, hist = truth
    fit = fit_ratings(hist)
    race = UpcomingRace(tuple(f"Driver {i:02d}" for i in range(N_DRIVERS)), np.arange(1, N_DRIVERS + 1),
                        "intermediate", TEAMS, ("Ford",) * N_DRIVERS)
    u = fit.strengths(race)
    expected = theta + 0.3 * start_term(race.start)
    assert np.corrcoef(u, expected)[0, 1] > 0.9
    assert abs(u.mean()) < 1e-12
    # ridge shrinks: the fitted spread is no larger than the truth's
    assert np.std(u) <= np.std(expected) * 1.05
    # an unknown driver in a known team sits at that team's level (driver effect 0)
    new = UpcomingRace(("Somebody New", "Driver 00"), np.array([1, 2]), "intermediate", ("Team 0", "Team 0"))
    gap = fit.strengths(new)
    assert gap[0] - gap[1] == pytest.approx(fit.config.temperature * (
        -fit.coef["d:driver 00"] - fit.coef.get("dt:driver 00|intermediate", 0.0)
        - 0.1 * fit.coef["sl:intermediate"] + fit.novice_coef), abs=1e-9)


def test_to_strength_reproduces_the_same_race_exactly() -> None:
    rng = np.random.default_rng(2)
    u = rng.normal(0, 0.7, 36)
    start = rng.permutation(36) + 1
    p = TrackTypeParams("intermediate", noise=1.7, start_weight=0.45)
    p_unit = dataclasses.replace(p, noise=1.0, start_weight=0.0)
    a = simulate_race(to_strength(u, start, p), start, 267, p, 400, np.random.default_rng(9))
    b = simulate_race(u, start, 267, p_unit, 400, np.random.default_rng(9))
    # identical orders and pools, up to float rounding in near-ties of performance
    assert np.mean(a.finish == b.finish) > 0.999
    assert np.mean(a.laps_led == b.laps_led) > 0.995


def test_blend_is_a_weighted_average_of_centred_strengths() -> None:
    h = np.array([1.0, 0.0, -1.0])
    p = np.array([2.0, 2.0, 5.0])  # centred: -1, -1, 2
    # weight = the history's share: 0.75 * [1, 0, -1] + 0.25 * [-1, -1, 2] = [0.5, -0.25, -0.25]
    assert blend_strengths(h, p, 0.75).tolist() == pytest.approx([0.5, -0.25, -0.25])
    assert blend_strengths(h, p, 1.0).tolist() == pytest.approx(h.tolist())
    assert blend_strengths(h, p, 0.0).tolist() == pytest.approx([-1.0, -1.0, 2.0])
    with pytest.raises(ValueError):
        blend_strengths(h, p, 1.5)


def test_baselines_fit_on_synthetic_history(truth: tuple[np.ndarray, History]) -> None:
    theta, hist = truth
    so = fit_start_only(hist)
    # start-only on log(start): a negative coefficient (better start, higher strength)
    assert so.start_coef["intermediate"] < -0.1
    rf = fit_recent_form(hist)
    assert rf.coef < 0  # lower average finish, higher strength
    race = UpcomingRace(tuple(f"Driver {i:02d}" for i in range(N_DRIVERS)), np.arange(1, N_DRIVERS + 1), "intermediate")
    assert np.corrcoef(rf.strengths(race), theta)[0, 1] > 0.7
    assert np.all(np.diff(so.strengths(race)) < 0)


def test_real_history_fit_is_sensible(shared_results_path: Path) -> None:
    hist = read_history(shared_results_path)
    before = hist.before(2023, 1)
    fit = fit_ratings(before)
    assert fit.converged
    # on ovals and road courses a better start means a higher strength (same unknown driver)
    for ttype in ("intermediate", "short", "road"):
        u = fit.strengths(UpcomingRace(("X", "Y"), np.array([1, 30]), ttype))
        assert u[0] > u[1] + 0.5
    # debutants start below average
    assert fit.novice_coef < 0
    race = UpcomingRace.from_result(hist.race(2023, 1))
    u = fit.strengths(race)
    assert u.shape == (race.start.size,) and np.all(np.isfinite(u))


def test_history_strengths_on_the_simulator_scale(truth: tuple[np.ndarray, History]) -> None:
    from tailrace.sim.strength.ratings import history_strengths

    _, hist = truth
    race = UpcomingRace(tuple(f"Driver {i:02d}" for i in range(N_DRIVERS)), np.arange(1, N_DRIVERS + 1),
                        "intermediate", TEAMS, ("Ford",) * N_DRIVERS)
    p = TrackTypeParams("intermediate", noise=2.0, start_weight=0.5)
    s = history_strengths(hist, race, p)
    u = fit_ratings(hist).strengths(race)
    assert s == pytest.approx(2.0 * u - 0.5 * start_term(race.start))
