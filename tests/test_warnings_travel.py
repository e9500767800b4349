"""Warnings travel (issue 11, item 6): what the simulation stage warns reaches every command
that ran it — printed, in the JSON, and in the API response."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tailrace.cli import main
from tailrace.slate import demo_paths


def _odds_only_projections(tmp_path: Path) -> Path:
    """The demo projections with the projection column dropped and one driver's odds blanked."""
    _, proj = demo_paths()
    rows = list(csv.DictReader(proj.open(encoding="utf-8")))
    cols = [c for c in rows[0] if c != "projection"]
    rows[3]["win_odds"] = ""
    p = tmp_path / "odds.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return p


@pytest.fixture()
def odds_file(tmp_path: Path) -> Path:
    return _odds_only_projections(tmp_path)


def test_optimize_and_contest_carry_the_simulation_warning(odds_file: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    sal, _ = demo_paths()
    rows = list(csv.DictReader(odds_file.open(encoding="utf-8")))
    missing = next(r["name"] for r in rows if not r["win_odds"])

    res_json = tmp_path / "opt.json"
    up = tmp_path / "up.csv"
    assert main(["optimize", "--site", "dk", "--salaries", str(sal), "--projections", str(odds_file),
                 "--n-scenarios", "500", "--lineups", "1", "--json", str(res_json), "--out", str(up)]) == 0
    err = capsys.readouterr().err
    warned = [w for w in json.loads(res_json.read_text())["warnings"] if w.startswith("simulation:")]
    assert any(missing in w for w in warned), warned
    assert missing in err and "warning" in err

    c_json = tmp_path / "contest.json"
    assert main(["contest", "--site", "dk", "--salaries", str(sal), "--projections", str(odds_file),
                 "--portfolio", str(up), "--n-scenarios", "500", "--field-size", "200",
                 "--json", str(c_json)]) == 0
    err = capsys.readouterr().err
    cw = json.loads(c_json.read_text())["warnings"]
    assert any(missing in w for w in cw), cw
    assert missing in err
