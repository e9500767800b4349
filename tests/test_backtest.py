"""The real-race backtest: exact percentile (brute force), real-result ROI (hand calculation),
no leak of a race's results or later races into its portfolios, the real slates end to end,
the salary curve, and the CLI's errors."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tailrace.backtest.inputs import (SALARY_CURVE, SALARY_CURVE_Q, fit_salary_curve, find_slates,
                                      synthetic_salaries)
from tailrace.backtest.score import all_lineups, lineup_cents, placement, real_roi, to_cents
from tailrace.contest.field import Field
from tailrace.contest.payouts import PayoutTable
from tailrace.errors import InputError

TINY = ["--lineups", "2", "--scenarios", "300", "--field-size", "200", "--cash-field-size", "40",
        "--field-draws", "2"]


def test_percentile_and_gap_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    n, roster, cap = 10, 6, 40_000
    sal = rng.integers(45, 110, n) * 100
    real = rng.integers(0, 1200, n) * 0.05  # DK points lie on a 0.05 grid
    legal = all_lineups(sal, roster, cap)
    brute = [c for c in itertools.combinations(range(n), roster) if sal[list(c)].sum() <= cap]
    assert 0 < len(brute) < 210  # the cap binds
    assert sorted(map(tuple, legal.tolist())) == brute
    score = {c: round(sum(real[i] for i in c), 2) for c in brute}
    ours = np.array([brute[5], brute[-1]])
    best = max(score[tuple(c)] for c in ours.tolist())
    above = sum(1 for v in score.values() if v > best + 1e-9)
    cents = to_cents(real)
    pl = placement(lineup_cents(cents, legal), lineup_cents(cents, ours))
    assert pl.above == above and pl.n_lineups == len(brute)
    assert pl.percentile == pytest.approx(100 * (1 - above / len(brute)))
    assert pl.gap == pytest.approx(max(score.values()) - best)
    assert pl.in_top(0.5) == (above < 0.5 * len(brute))
    top = max(brute, key=lambda c: score[c])
    assert placement(lineup_cents(cents, legal), lineup_cents(cents, np.array([top]))).percentile == 100.0


def test_real_roi_matches_a_hand_calculation() -> None:
    # roster 2; points d0..d5 = 10, 8, 6, 4, 2, 0
    real = np.array([10.0, 8.0, 6.0, 4.0, 2.0, 0.0])
    ours = np.array([[0, 1], [2, 3]])  # 18 and 10 points
    pay = PayoutTable(np.array([10.0, 5.0, 3.0, 2.0]), source="hand")
    # draw 1: opponents 16, 12, 10, 2 (+ a fifth entry the 2-lineup portfolio displaces)
    f1 = Field(np.array([[0, 2], [1, 3], [2, 3], [4, 5], [0, 1]], dtype=np.int32))
    # draw 2: opponents 14, 2, 1 ... ours 18 first; ours 10 second alone
    f2 = Field(np.array([[1, 2], [4, 5], [3, 5], [1, 5], [0, 1]], dtype=np.int32))
    roi = real_roi(real, ours, [f1, f2], pay, entry_fee=3.0)
    # draw 1: 18 wins 10; 10 ties the opponent (2,3) for places 4-5: (2 + 0) / 2 = 1 -> 11 paid, fees 6
    # draw 2: opponents 14, 2, 4, 8: 18 -> 10; 14 -> 2nd; 10 -> 3rd, 3 -> 13 paid
    assert roi == pytest.approx([(11 - 6) / 6, (13 - 6) / 6])


def test_salary_curve_is_the_fit_of_the_real_files(real_slates_dir: Path) -> None:
    from tailrace.slate import read_salaries

    files = sorted(real_slates_dir.glob("dk_*.csv"))
    assert len(files) == 4
    fit = fit_salary_curve([np.array([d.salary for d in read_salaries(f, "dk")]) for f in files])
    assert fit.tolist() == list(SALARY_CURVE)


def test_synthetic_salaries_follow_the_rank() -> None:
    strength = np.array([0.1, 2.0, -1.0, 0.5, 0.3])
    sal = synthetic_salaries(strength)
    # ranks (0 = strongest) 3, 0, 4, 1, 2 -> shares 0.75, 0, 1, 0.25, 0.5 of the curve, rounded to $100
    want = [round(float(np.interp(q, SALARY_CURVE_Q, SALARY_CURVE)) / 100) * 100 for q in (0.75, 0, 1, 0.25, 0.5)]
    assert sal.tolist() == want
    assert sal[1] == max(sal) and sal[2] == min(sal)


def test_find_slates_reads_names_and_manifest(tmp_path: Path) -> None:
    (tmp_path / "dk_2023_r04_phoenix.csv").write_text("x")
    (tmp_path / "dk_2023_r02_auto_club.csv").write_text("x")
    got = find_slates(tmp_path)
    assert [(s.site, s.season, s.race_num, s.track_hint) for s in got] == [
        ("dk", 2023, 2, "auto club"), ("dk", 2023, 4, "phoenix")]
    (tmp_path / "DKSalaries.csv").write_text("x")
    with pytest.raises(InputError, match="DKSalaries.csv.*rename it like dk_2023_r02"):
        find_slates(tmp_path)
    (tmp_path / "manifest.csv").write_text("file,season,race_num,track\nDKSalaries.csv,2022,7,Phoenix\n")
    got = find_slates(tmp_path)
    assert [(s.path.name, s.season, s.race_num, s.track_hint) for s in got] == [("DKSalaries.csv", 2022, 7, "Phoenix")]


# ----------------------------------------------------------------------------- real data


def _scrambled_history(path: Path, race: tuple[int, int]) -> str:
    """The history's text with the results of ``race`` and of every later race shuffled among
    each race's drivers (finish, laps, laps led, fastest laps, status move together; the
    driver, car, team and start stay): the grid and track stay, what happened changes."""
    rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    fields = list(rows[0])
    moved = [c for c in ("finish", "laps", "laps_led", "fastest_laps", "status", "dk_points") if c in fields]
    rng = np.random.default_rng(11)
    by_race: dict[tuple[int, int], list[int]] = {}
    for k, r in enumerate(rows):
        by_race.setdefault((int(r["season"]), int(r["race_num"])), []).append(k)
    for rid, idx in by_race.items():
        if rid < race:
            continue
        vals = [[rows[k][c] for c in moved] for k in idx]
        perm = rng.permutation(len(idx))
        while rid == race and perm[0] == 0:  # make sure the race's winner changes
            perm = rng.permutation(len(idx))
        for k, p in zip(idx, perm):
            rows[k].update(dict(zip(moved, vals[p])))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


@pytest.mark.shared_data
@pytest.mark.slow
def test_no_row_of_the_race_or_later_reaches_the_portfolios(shared_results_path: Path, real_slates_dir: Path) -> None:
    from tailrace.backtest.run import BacktestOptions, RaceJob, backtest_race
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.sim.history import parse_history, read_history

    sf = next(s for s in find_slates(real_slates_dir) if (s.season, s.race_num) == (2023, 3))
    opts = BacktestOptions(spec=ConstraintSpec(n_lineups=2), n_scenarios=300, field_size=200, cash_field_size=40,
                           field_draws=2)
    real = backtest_race(RaceJob(2023, 3, sf), history=read_history(shared_results_path), options=opts)
    fake_hist = parse_history(_scrambled_history(shared_results_path, (2023, 3)), "scrambled")
    fake = backtest_race(RaceJob(2023, 3, sf), history=fake_hist, options=opts)
    for m in opts.methods:
        assert real.methods[m].lineups == fake.methods[m].lineups, m  # same portfolio, byte for byte
    assert real.sim_mean == fake.sim_mean  # the same simulated race
    # ... but scored on a different result, so the scramble did reach the scoring
    assert real.real_points != fake.real_points
    assert any(real.methods[m].lineup_points != fake.methods[m].lineup_points for m in opts.methods)


@pytest.mark.shared_data
@pytest.mark.slow
def test_real_slates_end_to_end(shared_results_path: Path, real_slates_dir: Path, tmp_path: Path) -> None:
    from tailrace.cli import main
    from tailrace.slate import normalize_name  # salary-file names ('Jr') against the history's ('Jr.')

    out, plots = tmp_path / "bt.json", tmp_path / "plots"
    code = main(["backtest", "--slates", str(real_slates_dir), "--history", str(shared_results_path), *TINY,
                 "--json", str(out), "--plots", str(plots)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert [(r["season"], r["race_num"]) for r in doc["races"]] == [(2023, 2), (2023, 3), (2023, 4)]
    assert [(s["season"], s["race_num"]) for s in doc["skipped"]] == [(2019, 1)]  # no earlier race to fit
    assert "0 complete races before it" in doc["skipped"][0]["reason"]
    # real DK points, from the file's own dk_points column (not the code's scoring)
    dk: dict[tuple[int, int, str], float] = {}
    for r in csv.DictReader(shared_results_path.open(encoding="utf-8")):
        if r["dk_points"]:  # one row of another race has none (README: known quirks)
            dk[(int(r["season"]), int(r["race_num"]), normalize_name(r["driver"]))] = float(r["dk_points"])
    for race in doc["races"]:
        assert race["salaries"] == "real" and not race["params_in_sample"]
        for m, s in race["methods"].items():
            assert len(s["lineups"]) == 2
            for names, pts in zip(s["lineups"], s["lineup_points"]):
                assert pts == pytest.approx(sum(dk[(race["season"], race["race_num"], normalize_name(n))]
                                           for n in names), abs=1e-6)
            assert s["best_points"] == max(s["lineup_points"])
            assert 0 <= s["percentile"] <= 100 and s["gap"] == pytest.approx(race["optimum_points"] - s["best_points"])
    vegas = doc["races"][1]
    assert any("Chase Elliott" in n for n in vegas["notes"])  # on the salary file, did not start (injured)
    assert set(doc["pooled"]) == {"real"} and doc["pooled"]["real"]["races"] == 3
    assert set(doc["start_buckets"]["real"]["all"]) == {"1-5", "6-15", "16-25", "26-32", "33+"}
    assert (plots / "percentile.png").stat().st_size > 1000


def test_cli_errors_name_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tailrace.cli import main

    hist = tmp_path / "h.csv"
    hist.write_text("season,race_num\n")
    assert main(["backtest", "--slates", str(tmp_path / "nope"), "--history", str(hist)]) == 2
    err = capsys.readouterr().err
    assert "slate folder not found" in err and "dk_2023_r02_auto_club.csv" in err and "Traceback" not in err
    d = tmp_path / "slates"
    d.mkdir()
    (d / "salaries week 3.csv").write_text("x")
    assert main(["backtest", "--slates", str(d), "--history", str(hist)]) == 2
    err = capsys.readouterr().err
    assert "salaries week 3.csv" in err and "rename it like" in err and "manifest.csv" in err
    assert main(["backtest", "--history", str(hist)]) == 2
    assert "--slates" in capsys.readouterr().err
    assert main(["backtest", "--slates", str(d), "--history", str(tmp_path / "missing.csv")]) == 2
    assert "history file not found" in capsys.readouterr().err
    assert main(["backtest", "--synthetic-salaries", "--history", str(hist)]) == 2
    assert "--seasons" in capsys.readouterr().err
    assert main(["backtest", "--slates", str(d), "--history", str(hist), "--methods", "magic"]) == 2
    assert "unknown method" in capsys.readouterr().err
