"""Fields of 41 to 43 cars (issue 11, item 4): history, scoring, `tailrace score` and the simulator.

The 2025 Daytona 500 had 41 starters; before, a history file holding it stopped `tailrace
calibrate` with ``ValueError: finish positions must lie in 1..40``.
"""

from __future__ import annotations

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.errors import InputError
from tailrace.sim.history import read_history
from tailrace.sim.params import DEFAULT_PARAMS
from tailrace.sim.race import simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.sites import DRAFTKINGS, FANDUEL

HEADER = "season,race_num,track,driver,start,finish,laps,laps_led,status,fastest_laps\n"


def _race_rows(n: int, race_num: int = 1) -> str:
    """A made-up n-car race: driver k starts k, finishes n + 1 - k (the back of the grid wins)."""
    rows = []
    for k in range(1, n + 1):
        finish = n + 1 - k
        status = "running" if finish <= n - 2 else "accident"
        laps = 200 if status == "running" else 150
        led = 120 if finish == 1 else (80 if finish == 2 else 0)
        rows.append(f"2025,{race_num},Daytona International Speedway,Driver {k},{k},{finish},{laps},{led},"
                    f"{status},{5 if finish <= 10 else 0}\n")
    return "".join(rows)


def test_a_41_car_history_is_read_and_scored(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text(HEADER + _race_rows(41), encoding="utf-8")
    hist = read_history(p)
    race = hist.races()[0]
    assert race.n == 41 and sorted(race.finish.tolist()) == list(range(1, 42))
    pts = DRAFTKINGS.score(race.start, race.finish, race.laps_led, race.fastest_laps)
    i = int(np.flatnonzero(race.finish == 41)[0])  # started 1st, finished 41st: 0 finish, -40 places
    assert pts[i] == pytest.approx(-40.0)
    w = int(np.flatnonzero(race.finish == 1)[0])  # from 41st to 1st, led 120, 5 fastest laps
    assert pts[w] == pytest.approx(45 + 40 + 30 + 2.25)


def test_a_44_car_race_is_a_row_error(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text(HEADER + _race_rows(44), encoding="utf-8")
    with pytest.raises(InputError) as ei:
        read_history(p)
    assert "44 drivers" in str(ei.value) and "at most 43" in str(ei.value)


def test_score_accepts_41st_and_rejects_44th(tmp_path, capsys):
    ok = tmp_path / "r.csv"
    ok.write_text("driver,start,finish,laps_led,fastest_laps\nA,30,41,3,0\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    assert main(["score", "--site", "dk", str(ok), "--out", str(out)]) == 0
    assert out.read_text().splitlines()[1].endswith(",-10.25")  # 0 - 11 + 3 * 0.25
    bad = tmp_path / "b.csv"
    bad.write_text("driver,start,finish,laps_led,fastest_laps\nA,30,44,0,0\n", encoding="utf-8")
    assert main(["score", "--site", "dk", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "44" in err and "Traceback" not in err


@pytest.mark.parametrize("n", [41, 43])
@pytest.mark.parametrize("site", [DRAFTKINGS, FANDUEL], ids=["dk", "fd"])
def test_simulating_a_big_field(n, site):
    strength = np.linspace(1.0, -1.0, n)
    start = np.arange(1, n + 1)
    params = DEFAULT_PARAMS["superspeedway"]
    out = simulate_race(strength, start, 200, params, 400, np.random.default_rng(3))
    assert np.array_equal(np.sort(out.finish, axis=1), np.tile(np.arange(1, n + 1), (400, 1)))
    assert np.all(out.laps_led.sum(axis=1) == 200)
    pts = score_outcomes(site, start, out)
    table = np.array(site.finish_points)
    want = (table[out.finish - 1] + site.place_diff * (start[None, :] - out.finish)
            + site.laps_led * out.laps_led + site.fastest_laps * out.fastest_laps
            + site.laps_completed * out.laps_completed)
    np.testing.assert_allclose(pts, want, atol=1e-4)
    assert np.all(table[40:n] == 0)
