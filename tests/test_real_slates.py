"""Real DraftKings exports as they come (issue 24, item 1): shared/data/real_slates.

Each file's facts were read off the files and the results CSV by hand (shared/data/README.md):
the Game Info texts, the placeholder ``Nasca`` team, the drivers who did not start (2019
Daytona 500: two non-qualifiers; 2023 Las Vegas: Chase Elliott, injured).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tailrace.errors import InputError
from tailrace.slate import read_slate

RESULTS_COLS = ("season", "race_num", "driver", "start")


def _race_rows(results: Path, season: int, race_num: int) -> list[dict[str, str]]:
    with results.open(newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if int(r["season"]) == season and int(r["race_num"]) == race_num]


def _grid_file(results: Path, season: int, race_num: int, out: Path) -> Path:
    """A hand-made projections file: the race's real starting grid (name, start)."""
    rows = sorted(_race_rows(results, season, race_num), key=lambda r: int(r["start"]))
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "start"])
        for r in rows:
            w.writerow([r["driver"], r["start"]])
    return out


def _salary_names(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return [r["Name"] for r in csv.DictReader(f)]


def test_las_vegas_grid_complete_leaves_out_chase_elliott(real_slates_dir: Path, shared_results_path: Path,
                                                          tmp_path: Path) -> None:
    sal = real_slates_dir / "dk_2023_r03_las_vegas.csv"
    grid = _grid_file(shared_results_path, 2023, 3, tmp_path / "lv.csv")
    names = _salary_names(sal)
    assert len(names) == 37 and "Chase Elliott" in names  # 36 starters + Elliott (injured)
    with pytest.raises(InputError) as exc:
        read_slate("dk", sal, grid)
    msg = str(exc.value)
    assert "Chase Elliott" in msg and "grid_complete=True" in msg
    assert len(exc.value.problems) == 1
    slate = read_slate("dk", sal, grid, grid_complete=True)
    assert slate.n == 36 and "Chase Elliott" not in slate.names
    assert sorted(d.start for d in slate.drivers) == list(range(1, 37))
    left = [n for n in slate.notes if "left out" in n]
    assert len(left) == 1 and "Chase Elliott" in left[0] and "1 salary driver" in left[0]


def test_placeholder_team_is_ignored_with_a_note(real_slates_dir: Path, shared_results_path: Path,
                                                 tmp_path: Path) -> None:
    sal = real_slates_dir / "dk_2023_r04_phoenix.csv"
    with sal.open(newline="", encoding="utf-8") as f:
        assert {r["TeamAbbrev"] for r in csv.DictReader(f)} == {"Nasca"}
    grid = _grid_file(shared_results_path, 2023, 4, tmp_path / "phx.csv")
    slate = read_slate("dk", sal, grid, grid_complete=True)
    assert all(d.team is None for d in slate.drivers)
    assert any("'Nasca'" in n and "placeholder" in n for n in slate.notes)


def test_placeholder_team_leaves_team_rules_asking_for_teams(real_slates_dir: Path, shared_results_path: Path,
                                                             tmp_path: Path) -> None:
    from tailrace.optimize.constraints import ConstraintSpec

    sal = real_slates_dir / "dk_2023_r04_phoenix.csv"
    slate = read_slate("dk", sal, _grid_file(shared_results_path, 2023, 4, tmp_path / "phx.csv"),
                       grid_complete=True)
    spec = ConstraintSpec.from_data({"team_max": 2})
    with pytest.raises(InputError) as exc:
        spec.resolve(slate)
    assert "no team is known" in str(exc.value) and "'team' column" in str(exc.value)


def _demo_with_teams(tmp_path: Path, teams: list[str]) -> Path:
    from tailrace.slate import demo_paths

    rows = list(csv.reader(demo_paths()[0].open(newline="", encoding="utf-8")))
    j = rows[0].index("TeamAbbrev")
    for k, r in enumerate(rows[1:]):
        r[j] = teams[k % len(teams)]
    out = tmp_path / "DKSalaries.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return out


def test_one_team_for_all_is_a_placeholder_but_real_teams_are_kept(tmp_path: Path) -> None:
    # salaries alone: the team can only come from TeamAbbrev (a projections 'team' column would win)
    one = read_slate("dk", _demo_with_teams(tmp_path, ["Nasca"]))
    assert all(d.team is None for d in one.drivers) and any("placeholder" in n for n in one.notes)
    two = read_slate("dk", _demo_with_teams(tmp_path, ["HMS", "JGR"]))
    assert [d.team for d in two.drivers[:3]] == ["HMS", "JGR", "HMS"]
    assert not any("placeholder" in n for n in two.notes)
