"""`tailrace simulate` on the bundled demo slate: the npz, the table, errors without tracebacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tailrace.cli import main
from tailrace.sites import DRAFTKINGS

DEMO = Path(__file__).resolve().parents[1] / "src" / "tailrace" / "data" / "demo"


def _args(*extra: str) -> list[str]:
    return ["simulate", "--site", "dk", "--salaries", str(DEMO / "dk_salaries.csv"),
            "--projections", str(DEMO / "projections.csv"), *extra]


def test_simulate_writes_the_matrix_and_prints_the_table(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "cache1"))  # each run simulates: no shared cache entry
    out = tmp_path / "sims.npz"
    assert main(_args("--scenarios", "3000", "--seed", "7", "--out", str(out))) == 0
    text = capsys.readouterr().out
    assert "3,000 scenarios in" in text and "p99" in text and "Kansas Speedway" in text
    with np.load(out, allow_pickle=False) as z:
        pts, ids = z["points"], z["driver_ids"]
        assert pts.dtype == np.float32 and pts.shape == (3000, len(ids))
        finish, led, fl = z["finish"], z["laps_led"], z["fastest_laps"]
        assert np.all(np.sort(finish, axis=1) == np.arange(1, len(ids) + 1))
        assert np.all(led.sum(axis=1) == 267)
        assert np.all(fl >= 0) and np.all(fl.sum(axis=1) <= 267)  # at most one fastest lap per lap
    again = tmp_path / "again.npz"
    monkeypatch.setenv("TAILRACE_CACHE_DIR", str(tmp_path / "cache2"))
    assert main(_args("--scenarios", "3000", "--seed", "7", "--out", str(again))) == 0
    with np.load(out) as a, np.load(again) as b:
        assert a["points"].tobytes() == b["points"].tobytes()


def test_points_in_npz_match_rules(tmp_path) -> None:
    from tailrace.slate import read_slate

    out = tmp_path / "s.npz"
    assert main(_args("--scenarios", "500", "--seed", "3", "--out", str(out), "--track", "short")) == 0
    slate = read_slate(DRAFTKINGS, DEMO / "dk_salaries.csv", DEMO / "projections.csv", track="short")
    with np.load(out) as z:
        assert list(z["driver_ids"]) == slate.ids
        want = DRAFTKINGS.score(slate.starts()[None, :], z["finish"].astype(np.int64), z["laps_led"],
                                z["fastest_laps"]).astype(np.float32)
        assert np.array_equal(want, z["points"])
        assert np.all(z["laps_led"].sum(axis=1) == 400)  # a generic short track: 400 laps


def test_unknown_track_is_a_clear_error(capsys) -> None:
    assert main(_args("--scenarios", "100", "--track", "Kansass")) == 2
    err = capsys.readouterr().err
    assert "unknown track or race 'Kansass'. Fix: pass --track with a track name (closest: Kansas" in err and "Traceback" not in err


def test_bad_out_suffix(tmp_path, capsys) -> None:
    assert main(_args("--scenarios", "100", "--out", str(tmp_path / "x.csv"))) == 2
    assert ".npz" in capsys.readouterr().err
