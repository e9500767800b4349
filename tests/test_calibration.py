"""Calibration metrics against hand-computed values, and the end-to-end loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tailrace.calibration import (
    brier,
    central_coverage,
    crps_samples,
    log_loss,
    randomized_pit,
    top_k_share,
)


def test_crps_hand_computed() -> None:
    # Samples 1,2,3,4 and y = 2.5: E|X-y| = 1.0; E|X-X'| = 20/16 = 1.25 -> CRPS = 1 - 0.625.
    # Same by the integral of (F(x) - 1{x >= y})^2: .0625 + .125 + .125 + .0625 = .375.
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    assert crps_samples(x, np.array([2.5]))[0] == pytest.approx(0.375, abs=1e-12)
    # Order of samples does not matter; one sample = absolute error.
    assert crps_samples(x[::-1], np.array([2.5]))[0] == pytest.approx(0.375, abs=1e-12)
    assert crps_samples(np.array([[3.0, -1.0]]), np.array([1.0, 1.0])).tolist() == [2.0, 2.0]


def test_crps_matches_normal_closed_form() -> None:
    # CRPS of N(0,1) at y: y(2Φ(y)-1) + 2φ(y) - 1/sqrt(pi) (Gneiting & Raftery 2007).
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200_000, 1))
    y = 0.7
    exact = y * (2 * stats.norm.cdf(y) - 1) + 2 * stats.norm.pdf(y) - 1 / math.sqrt(math.pi)
    assert crps_samples(x, np.array([y]))[0] == pytest.approx(exact, abs=3e-3)


def test_brier_and_log_loss_hand_computed() -> None:
    p = np.array([0.2, 0.9])
    o = np.array([0.0, 1.0])
    assert brier(p, o) == pytest.approx((0.04 + 0.01) / 2)
    assert log_loss(p, o) == pytest.approx(-(math.log(0.8) + math.log(0.9)) / 2)
    # A zero-probability event costs -log(eps), not infinity.
    assert log_loss(np.array([0.0]), np.array([1.0]), eps=1e-4) == pytest.approx(-math.log(1e-4))


def test_central_coverage_hand_computed() -> None:
    pit = np.array([0.1, 0.3, 0.5, 0.8, 0.99])
    assert central_coverage(pit, 0.5) == pytest.approx(0.4)  # [0.25, 0.75]: 0.3, 0.5
    assert central_coverage(pit, 0.8) == pytest.approx(0.8)  # [0.1, 0.9]: all but 0.99
    assert central_coverage(pit, 0.95) == pytest.approx(0.8)  # [0.025, 0.975]


def test_randomized_pit_spreads_ties() -> None:
    rng = np.random.default_rng(0)
    samples = np.repeat(np.array([[1.0], [1.0], [2.0], [2.0]]), 1, axis=1)
    pits = np.array([randomized_pit(samples, np.array([1.0]), rng)[0] for _ in range(2000)])
    assert pits.min() >= 0.0 and pits.max() <= 0.5  # F(1-) = 0, F(1) = 0.5
    assert pits.mean() == pytest.approx(0.25, abs=0.01)
    # tolerance joins values that differ by float32 rounding into one tie
    assert randomized_pit(samples, np.array([2.0 + 1e-6]), rng, tol=1e-3)[0] >= 0.5
    assert randomized_pit(samples, np.array([2.0 + 1e-6]), rng)[0] == 1.0


def test_calibrated_discrete_model_gives_uniform_pit_and_nominal_coverage() -> None:
    # Truth and model the same discrete distribution (Poisson with per-column means):
    # randomised PITs are exactly uniform, so coverage is nominal and KS does not reject.
    rng = np.random.default_rng(5)
    lam = rng.uniform(1.0, 12.0, size=3000)
    samples = rng.poisson(lam, size=(1000, lam.size)).astype(np.float64)
    actual = rng.poisson(lam).astype(np.float64)
    pit = randomized_pit(samples, actual, rng)
    assert stats.kstest(pit, "uniform").pvalue > 0.01
    for lv in (0.5, 0.8, 0.95):  # within 4 binomial standard errors of nominal
        assert central_coverage(pit, lv) == pytest.approx(lv, abs=4 * math.sqrt(lv * (1 - lv) / lam.size))
    # A model too narrow (half the spread) fails: too few outcomes in its central intervals.
    narrow = lam[None, :] + 0.5 * (samples - lam[None, :])
    pit_n = randomized_pit(narrow, actual, rng)
    assert central_coverage(pit_n, 0.5) < 0.42 and stats.kstest(pit_n, "uniform").pvalue < 1e-6


def test_top_k_share() -> None:
    v = np.array([[10.0, 50.0, 0.0, 40.0], [0.0, 0.0, 0.0, 0.0]])
    s1 = top_k_share(v, 1)
    assert s1[0] == pytest.approx(0.5) and np.isnan(s1[1])
    assert top_k_share(v, 3)[0] == pytest.approx(1.0)
    assert top_k_share(np.array([1.0, 3.0]), 1)[0] == pytest.approx(0.75)


# ----------------------------------------------------------------------------- with the simulator

import json  # noqa: E402
from pathlib import Path  # noqa: E402

from tailrace.calibration import (  # noqa: E402
    actual_dk_points,
    end_to_end_calibration,
    simulate_dk,
    write_report,
)
from tailrace.sim.history import History, RaceResult  # noqa: E402
from tailrace.sim.params import TrackTypeParams  # noqa: E402
from tailrace.sim.race import simulate_race  # noqa: E402


def _history(theta: np.ndarray, n_races: int, params: TrackTypeParams, seed: int) -> History:
    rng = np.random.default_rng(seed)
    n = len(theta)
    names = tuple(f"Driver {i:02d}" for i in range(n))
    races = []
    for k in range(n_races):
        start = rng.permutation(n) + 1
        out = simulate_race(theta, start, 200, params, 1, rng)
        races.append(RaceResult(
            season=2020 + k // 36, race_num=k % 36 + 1, track="Kansas Speedway", track_type="intermediate",
            race_date=None, drivers=names, start=start.astype(np.int64), finish=out.finish[0].astype(np.int64),
            laps=out.laps_completed[0].astype(np.int64), laps_led=out.laps_led[0].astype(np.int64),
            fastest_laps=out.fastest_laps[0].astype(np.int64),
            status=tuple("accident" if d else "running" for d in out.dnf[0]),
            team=tuple(f"Team {i % 6}" for i in range(n)), manufacturer=("Ford",) * n,
        ))
    return History(source="synthetic", _races=tuple(races))


PARAMS = TrackTypeParams("intermediate", noise=1.0, start_weight=0.3, laps_down_scale=0.5, laps_down_power=1.3)


def test_true_model_gives_uniform_pit_through_the_simulator() -> None:
    # Races drawn from the simulator with known utilities; the same simulator with the same
    # utilities is then a perfectly calibrated forecast: PITs of finish and DK points uniform.
    rng = np.random.default_rng(21)
    n = 36
    u = rng.normal(0.0, 0.6, n)
    hist = _history(u, 100, PARAMS, seed=22)
    pit_rng = np.random.default_rng(23)
    pf, pd = [], []
    p = {"intermediate": PARAMS}
    for k, race in enumerate(hist.races()):
        # utilities incl. start effect, as the ratings produce them
        util = u + PARAMS.start_weight * (-(race.start - 1) / 10.0)
        pts, out = simulate_dk(util, race, p, 300, np.random.default_rng([5, k]))
        pf.append(randomized_pit(out.finish, race.finish, pit_rng))
        pd.append(randomized_pit(pts, actual_dk_points(race).astype(np.float32), pit_rng, tol=1e-3))
    for pit in (np.concatenate(pf), np.concatenate(pd)):
        m = pit.size  # 3600 driver-races; allow 4 binomial standard errors (+ MC noise of 300 sims)
        for lv in (0.5, 0.8, 0.95):
            assert central_coverage(pit, lv) == pytest.approx(lv, abs=4 * math.sqrt(lv * (1 - lv) / m) + 0.01)
        hist10, _ = np.histogram(pit, bins=10, range=(0, 1))
        assert hist10.min() > 0.08 * m and hist10.max() < 0.12 * m


@pytest.fixture(scope="module")
def small_run() -> tuple[History, object]:
    rng = np.random.default_rng(31)
    theta = rng.normal(0.0, 0.6, 30)
    hist = _history(theta, 16, PARAMS, seed=32)
    races = list(hist.races())
    # make race 16 incomplete: dropped from races(), listed with a reason
    hist = History(source="synthetic", _races=tuple(races[:15]), incomplete={races[15].race_id: "row 9 has no start"})
    ids = [r.race_id for r in races[8:]]  # 8..14 lack history (< 10 before), 15 incomplete
    res = end_to_end_calibration(hist, ids + [(2031, 1)], n_scenarios=300, seed=3, min_history_races=10)
    return hist, res


def test_calibration_loop_evaluates_and_lists_skips(small_run: tuple[History, object]) -> None:
    _, res = small_run
    assert res.races_evaluated == 5  # races 11..15 have 10..14 races before them
    reasons = {(s.season, s.race_num): s.reason for s in res.races_skipped}
    assert reasons[(2020, 9)] == "only 8 complete races before it (need at least 10)"
    assert reasons[(2020, 16)].startswith("incomplete results: row 9 has no start")
    assert reasons[(2031, 1)] == "race not in the history file"
    assert set(res.models) == {"tailrace", "start_position", "recent_form"}
    for sc in res.models.values():
        assert set(sc.coverage) == {"dk_points", "finish"}
        assert all(0.0 <= v <= 1.0 for d in sc.coverage.values() for v in d.values())
        assert sc.crps_dk_points > 0 and set(sc.brier) == set(sc.log_loss) == {"win", "top5", "top10"}
        assert sum(sc.pit_finish.histogram) == 5 * 30
    assert res.track_types["intermediate"].races == 5


def test_calibration_is_reproducible(small_run: tuple[History, object]) -> None:
    hist, res = small_run
    ids = [(2020, 11), (2020, 12)]
    a = end_to_end_calibration(hist, ids, n_scenarios=300, seed=3)
    b = end_to_end_calibration(hist, ids, n_scenarios=300, seed=3)
    da, db = a.model_dump(), b.model_dump()
    da.pop("seconds"), db.pop("seconds")
    assert da == db


def test_write_report_json_keys_and_plots(small_run: tuple[History, object], tmp_path: Path) -> None:
    _, res = small_run
    files = write_report(res, tmp_path / "out.json", tmp_path / "plots")
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["races_evaluated"] == 5 and len(doc["races_skipped"]) == 4
    assert all("reason" in s for s in doc["races_skipped"])
    for m in ("tailrace", "start_position", "recent_form"):
        mm = doc["models"][m]
        assert set(mm["coverage"]["dk_points"]) == {"50", "80", "95"} == set(mm["coverage"]["finish"])
        assert isinstance(mm["crps_dk_points"], float)
        assert set(mm["brier"]) == {"win", "top5", "top10"} == set(mm["log_loss"])
    tt = doc["track_types"]["intermediate"]
    assert tt["races"] == 5
    for k in ("dnf_rate", "top1_laps_led_share", "top3_laps_led_share"):
        assert set(tt[k]) >= {"sim", "real"}
    names = sorted(p.name for p in files)
    assert names == ["coverage.png", "out.json", "pit_histogram.png", "reliability_top10.png"]
    assert all(p.stat().st_size > 1000 for p in files)


def _write_csv(hist: History, path: Path) -> None:
    lines = ["season,race_num,track,driver,start,finish,laps,laps_led,status,fastest_laps,team,manufacturer,notes"]
    for r in hist.races():
        for i in range(r.n):
            lines.append(f"{r.season},{r.race_num},{r.track},{r.drivers[i]},{r.start[i]},{r.finish[i]},{r.laps[i]},"
                         f"{r.laps_led[i]},{r.status[i]},{r.fastest_laps[i]},{r.team[i]},{r.manufacturer[i]},x")
    path.write_text("\n".join(lines) + "\n")


def test_cli_calibrate_writes_json_and_prints_table(small_run: tuple[History, object], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from tailrace.cli import main

    hist, _ = small_run
    csv_path = tmp_path / "hist.csv"
    _write_csv(hist, csv_path)
    out = tmp_path / "cal.json"
    code = main(["calibrate", "--history", str(csv_path), "--seasons", "2020", "--scenarios", "200",
                 "--seed", "4", "--json", str(out), "--plots", str(tmp_path / "plots")])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["races_evaluated"] == 5 and len(doc["races_skipped"]) == 10  # races 1..10 lack history
    printed = capsys.readouterr().out
    assert "tailrace" in printed and "start_position" in printed and "recent_form" in printed
    assert (tmp_path / "plots" / "coverage.png").exists()
    # a season the file does not hold: a clear error, exit code 2
    assert main(["calibrate", "--history", str(csv_path), "--seasons", "1999", "--json", str(out)]) == 2
    assert "no races of season(s) 1999" in capsys.readouterr().err
    assert main(["calibrate", "--history", str(csv_path), "--seasons", "twenty", "--json", str(out)]) == 2


# ----------------------------------------------------------------------------- the goals on 2023

@pytest.fixture(scope="module")
def season_2023(shared_results_path: Path):  # type: ignore[no-untyped-def]
    from tailrace.sim.history import read_history

    hist = read_history(shared_results_path)
    return end_to_end_calibration(hist, hist.race_ids([2023]), n_scenarios=10_000, seed=7)


@pytest.mark.slow
def test_2023_all_races_evaluated(season_2023) -> None:  # type: ignore[no-untyped-def]
    assert season_2023.races_evaluated == 36 and season_2023.races_skipped == []


@pytest.mark.slow
@pytest.mark.parametrize("what,level", [
    ("dk_points", "50"), ("dk_points", "80"), ("dk_points", "95"),
    ("finish", "50"), ("finish", "80"), ("finish", "95"),
])
def test_2023_interval_coverage_within_3pp(season_2023, what: str, level: str) -> None:  # type: ignore[no-untyped-def]
    cov = season_2023.models["tailrace"].coverage[what][level]
    assert cov == pytest.approx(int(level) / 100, abs=0.03), (what, level, cov)


@pytest.mark.slow
def test_2023_top10_log_loss_beats_both_baselines(season_2023) -> None:  # type: ignore[no-untyped-def]
    ll = {m: s.log_loss["top10"] for m, s in season_2023.models.items()}
    assert ll["tailrace"] < ll["start_position"] and ll["tailrace"] < ll["recent_form"], ll


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="goal not met on 2023: CRPS 12.36 vs start-position 13.09 "
                                       "(5.6 % better, goal 10 %; race-model-4; before it 12.44 vs 13.15, "
                                       "5.4 %; ratings fitted with the race itself seen reach 11.0 %: "
                                       "benchmarks/crps_bound.py); reported in the issue-11 closing note")
def test_2023_crps_10pct_better_than_start_position(season_2023) -> None:  # type: ignore[no-untyped-def]
    m = season_2023.models
    assert m["tailrace"].crps_dk_points <= 0.9 * m["start_position"].crps_dk_points


@pytest.mark.slow
def test_2023_dnf_and_laps_led_within_3pp_pooled_over_track_types(season_2023) -> None:  # type: ignore[no-untyped-def]
    f = season_2023.track_types_overall
    assert f.dnf_rate.sim == pytest.approx(f.dnf_rate.real, abs=0.03)
    assert f.top1_laps_led_share.sim == pytest.approx(f.top1_laps_led_share.real, abs=0.03)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "goal not met per track type on 2023 (1-12 races a type). DNF sim/real: superspeedway .315/.237, "
    "short .110/.078, road .113/.080; 2023 was cleaner than every earlier season on superspeedways "
    "(2019-2022: .26-.36) and short tracks (.10-.14), so no weighting of earlier seasons reaches it "
    "(season weights halving each year: about .31, .11, .12). Top-1 laps led (race-model-4): intermediate "
    ".452/.420, road .450/.550 (2019-2022 road: .39-.62), large-flat one race .411/.375; reported in the "
    "issue-11 closing note"))
def test_2023_dnf_and_laps_led_within_3pp_by_track_type(season_2023) -> None:  # type: ignore[no-untyped-def]
    for name, f in season_2023.track_types.items():
        assert f.dnf_rate.sim == pytest.approx(f.dnf_rate.real, abs=0.03), (name, "dnf")
        assert f.top1_laps_led_share.sim == pytest.approx(f.top1_laps_led_share.real, abs=0.03), (name, "top1")
