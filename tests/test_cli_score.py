"""`tailrace score` end to end in a subprocess, on real rows of the shared race data."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "tailrace.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def real_rows(shared_results_path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of the 2019 Daytona 500 top 4, plus the one row lacking fastest laps."""
    with open(shared_results_path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    top4 = rows[:4]
    no_fast = [r for r in rows if r["fastest_laps"] == ""]
    assert [r["driver"] for r in top4][0] == "Denny Hamlin" and len(no_fast) == 1
    return header, top4 + no_fast


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return path


def test_dk_score_to_csv_matches_published_points(tmp_path, real_rows):
    header, rows = real_rows
    src = write_rows(tmp_path / "results.csv", header, rows[:4])
    out = tmp_path / "scored.csv"
    res = run("score", "--site", "dk", str(src), "--out", str(out))
    assert res.returncode == 0, res.stderr
    with open(out, newline="", encoding="utf-8") as f:
        got = list(csv.reader(f))
    # every input column kept in order; the shared data already has 'points' (championship
    # points), so the new column is 'points_dk'
    assert got[0] == header + ["points_dk"]
    assert [g[:-1] for g in got[1:]] == [[r[h] for h in header] for r in rows[:4]]
    assert [float(g[-1]) for g in got[1:]] == pytest.approx([float(r["dk_points"])
                                                             for r in rows[:4]], abs=0.005)


def test_fd_score_on_screen(tmp_path):
    # Start 10, finish 1, led 30, 207 laps (Hamlin, 2019 Daytona 500) on FanDuel:
    # 43 + 0.5 * (10 - 1) + 30 * 0.1 + 207 * 0.1 = 43 + 4.5 + 3 + 20.7 = 71.2.
    # No fastest_laps column: FanDuel does not score them, so none is needed.
    src = tmp_path / "r.csv"
    src.write_text("driver,start,finish,laps_led,laps\nDenny Hamlin,10,1,30,207\n",
                   encoding="utf-8")
    res = run("score", "--site", "fd", str(src))
    assert res.returncode == 0, res.stderr
    assert "Denny Hamlin" in res.stdout and "71.20" in res.stdout


def test_missing_fastest_laps_is_an_error_naming_the_row(tmp_path, real_rows):
    header, rows = real_rows
    src = write_rows(tmp_path / "results.csv", header, rows)  # row 6 lacks fastest_laps
    res = run("score", "--site", "dk", str(src))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    err = " ".join(res.stderr.split())
    assert "row 6" in err and "fastest_laps" in err and "Fix:" in err
    # FanDuel does not score fastest laps, so the same file scores there
    ok = run("score", "--site", "fd", str(src), "--out", str(tmp_path / "fd.csv"))
    assert ok.returncode == 0, ok.stderr


def test_bad_values_and_bad_site(tmp_path):
    src = tmp_path / "r.csv"
    src.write_text("driver,start,finish,laps_led,fastest_laps\nA,3,44,0,0\nB,x,2,0,0\n",
                   encoding="utf-8")
    res = run("score", "--site", "dk", str(src))
    err = " ".join(res.stderr.split())
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "row 2" in err and "finish 44 is outside 1 to 43" in err
    assert "row 3" in err and "'start'" in err
    res = run("score", "--site", "yahoo", str(src))
    assert res.returncode == 2 and "Traceback" not in res.stderr and "--site" in res.stderr


def test_scored_output_neutralises_formulas_but_keeps_numbers(tmp_path):
    """Issue 12, defect 7: a driver named like a formula is written with a leading ' (as the
    upload exports do); negative points stay plain numbers."""
    import csv

    from tailrace.cli import main

    src = tmp_path / "results.csv"
    src.write_text(
        "driver,start,finish,laps_led,fastest_laps\n"
        "=HYPERLINK(\"http://x\"),1,40,0,0\n"
        "+cmd|' /C calc'!A0,2,1,10,5\n"
        "@SUM(1+1),3,2,0,0\n", encoding="utf-8")
    out = tmp_path / "scored.csv"
    assert main(["score", "--site", "dk", str(src), "--out", str(out)]) == 0
    rows = list(csv.reader(out.open(newline="", encoding="utf-8")))
    names = [r[0] for r in rows[1:]]
    assert names == ["'=HYPERLINK(\"http://x\")", "'+cmd|' /C calc'!A0", "'@SUM(1+1)"]
    # start 1, finish 40: 1 finish point, 39 places lost -> 1 - 39 = -38.00, written as a number
    assert rows[1][-1] == "-38.00"
