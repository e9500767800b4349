"""Real DraftKings exports as they come (issue 24, item 1): shared/data/real_slates.

Each file's facts were read off the files and the results CSV by hand (shared/data/README.md):
the Game Info texts, the placeholder ``Nasca`` team, the drivers who did not start (2019
Daytona 500: two non-qualifiers; 2023 Las Vegas: Chase Elliott, injured).
"""

from __future__ import annotations

import csv
import json
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


# ----------------------------------------------------------------- the four files, history grid only

# (file, Game Info as written, track, season, race_num, salary rows, drivers left out) read off the
# files and the results CSV by hand (shared/data/README.md)
REAL = [
    ("dk_2019_r01_daytona.csv", "DAYTONA 500", "Daytona International Speedway", 2019, 1, 42,
     {"Joey Gase", "Ryan Truex"}),
    ("dk_2023_r02_auto_club.csv", "Pala Casino 400", "Auto Club Speedway", 2023, 2, 36, set()),
    ("dk_2023_r03_las_vegas.csv", "Pennzoil 400 presented by Jiffy Lube", "Las Vegas Motor Speedway", 2023, 3, 37,
     {"Chase Elliott"}),
    ("dk_2023_r04_phoenix.csv", "United Rentals Work United 500", "Phoenix Raceway", 2023, 4, 36, set()),
]


@pytest.mark.parametrize("name,game,track,season,num,n_salary,out", REAL)
def test_real_file_reads_with_the_history_grid(real_slates_dir: Path, shared_results_path: Path, name: str,
                                               game: str, track: str, season: int, num: int, n_salary: int,
                                               out: set[str]) -> None:
    from tailrace.sim.strength.from_history import history_grid

    sal = real_slates_dir / name
    assert len(_salary_names(sal)) == n_salary
    bare = read_slate("dk", sal)
    assert (bare.race.track, bare.race.season, bare.race.race_num) == (track, season, num)
    hg = history_grid(shared_results_path, bare.race)
    assert hg.race_id == (season, num)
    starters = {r["driver"]: int(r["start"]) for r in _race_rows(shared_results_path, season, num)}
    assert dict(hg.grid) == starters
    slate = read_slate("dk", sal, grid=hg.grid)
    assert slate.n == n_salary - len(out) == len(starters)
    assert sorted(d.start for d in slate.drivers) == list(range(1, len(starters) + 1))
    assert not (set(slate.names) & out)
    left = [n for n in slate.notes if "left out" in n]
    assert (len(left) == 1 and all(o in left[0] for o in out)) if out else not left
    assert all(d.team is None for d in slate.drivers) and any("'Nasca'" in n for n in slate.notes)
    if (season, num) == (2019, 1):  # the file's first race: grid only, no ratings
        assert hg.model is None and "no complete race before" in (hg.note or "")
    else:
        assert hg.model is not None and hg.model.last_race < (season, num)


def test_history_grid_takes_no_result_of_the_race(real_slates_dir: Path, shared_results_path: Path,
                                                  tmp_path: Path) -> None:
    """A history copy whose finish, laps led, points and status of the race are scrambled gives the
    same slate and the same strengths: only the start column of the race is read."""
    import numpy as np

    from tailrace.sim.strength.from_history import history_grid
    from tailrace.sim.params import DEFAULT_PARAMS

    sal = real_slates_dir / "dk_2023_r03_las_vegas.csv"
    with shared_results_path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    mine = [r for r in rows if (r["season"], r["race_num"]) == ("2023", "3")]
    finishes = [r["finish"] for r in mine][::-1]
    for r, fin in zip(mine, finishes):
        r["finish"], r["points"], r["laps_led"], r["dk_points"] = fin, "1", "0", "0"
        r["status"] = "running" if r["status"] != "running" else "accident"
    scrambled = tmp_path / "scrambled.csv"
    with scrambled.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    race = read_slate("dk", sal).race
    a, b = history_grid(shared_results_path, race), history_grid(scrambled, race)
    assert a.grid == b.grid
    sa, sb = read_slate("dk", sal, grid=a.grid), read_slate("dk", sal, grid=b.grid)
    assert sa == sb
    p = DEFAULT_PARAMS["intermediate"]
    ha = a.model.strengths(sa.names, sa.starts(), "intermediate", p).strength
    hb = b.model.strengths(sb.names, sb.starts(), "intermediate", p).strength
    assert np.array_equal(ha, hb)


def test_history_without_the_race_asks_for_projections(real_slates_dir: Path, shared_results_path: Path,
                                                        tmp_path: Path) -> None:
    from tailrace.sim.strength.from_history import history_grid

    short = tmp_path / "to_2022.csv"
    with shared_results_path.open(newline="", encoding="utf-8") as f:
        lines = f.read().splitlines()
    short.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if not ln.startswith("2023,")]) + "\n",
                     encoding="utf-8")
    race = read_slate("dk", real_slates_dir / "dk_2023_r04_phoenix.csv").race
    with pytest.raises(InputError) as exc:
        history_grid(short, race)
    assert "holds no complete 2023 race at Phoenix Raceway" in str(exc.value)
    assert "give a projections file with the grid (name, start)" in str(exc.value)


def test_cli_optimize_with_history_only_names_race_and_track(real_slates_dir: Path, shared_results_path: Path,
                                                             tmp_path: Path) -> None:
    from tailrace.cli import main

    out = tmp_path / "out.json"
    code = main(["optimize", "--site", "dk", "--salaries", str(real_slates_dir / "dk_2023_r02_auto_club.csv"),
                 "--history", str(shared_results_path), "--lineups", "2", "--n-scenarios", "300", "--no-explain",
                 "--json", str(out)])
    assert code == 0
    d = json.loads(out.read_text())
    assert d["race"] == {"race": "Pala Casino 400", "track": "Auto Club Speedway", "track_type": "intermediate",
                         "season": 2023, "race_num": 2, "date": "2023-02-26", "resolved_by": "Game Info race name"}
    assert d["n_drivers"] == 36 and any("'Nasca'" in w for w in d["warnings"])


def test_cli_hand_projections_with_grid_complete(real_slates_dir: Path, shared_results_path: Path,
                                                 tmp_path: Path, capsys) -> None:
    from tailrace.cli import main

    sal = real_slates_dir / "dk_2023_r03_las_vegas.csv"
    grid = _grid_file(shared_results_path, 2023, 3, tmp_path / "lv.csv")
    args = ["optimize", "--site", "dk", "--salaries", str(sal), "--projections", str(grid),
            "--history", str(shared_results_path), "--lineups", "1", "--n-scenarios", "300", "--no-explain"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Chase Elliott" in err and "pass --grid-complete" in err and "Traceback" not in err
    out = tmp_path / "out.json"
    assert main(args + ["--grid-complete", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["race"]["track"] == "Las Vegas Motor Speedway" and d["race"]["race"].startswith("Pennzoil 400")
    assert d["n_drivers"] == 36 and any("Chase Elliott" in w and "left out" in w for w in d["warnings"])


def test_projections_with_a_history_holding_the_race_never_rate_on_it(real_slates_dir: Path,
                                                                       shared_results_path: Path,
                                                                       tmp_path: Path, capsys) -> None:
    """--projections with a --history that holds the race (and the rest of 2023): the ratings come
    from the races before it only — the run's scenarios are byte-identical to a run whose history
    file was cut, by hand here, just before 2023 race 4, and a warning says what was left out."""
    import numpy as np

    from tailrace.cli import main

    sal = real_slates_dir / "dk_2023_r04_phoenix.csv"
    grid = _grid_file(shared_results_path, 2023, 4, tmp_path / "phx.csv")
    with shared_results_path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    s, n = head.index("season"), head.index("race_num")
    cut = tmp_path / "before.csv"
    with cut.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([head] + [r for r in body if (int(r[s]), int(r[n])) < (2023, 4)])
    outs, errs = [], []
    for hist, tag in ((shared_results_path, "full"), (cut, "cut")):
        out = tmp_path / f"{tag}.npz"
        assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--projections", str(grid),
                     "--grid-complete", "--history", str(hist), "--scenarios", "400", "--seed", "3",
                     "--out", str(out)]) == 0
        outs.append(np.load(out)["points"])
        errs.append(capsys.readouterr().err)
    assert np.array_equal(outs[0], outs[1])
    assert "before 2023 race 4 (this slate's race)" in errs[0] and "left out" in errs[0]
    assert "this slate's race" not in errs[1]  # the cut file does not hold the race: nothing to say


def test_cli_simulate_takes_the_grid_from_the_history_as_optimize_does(real_slates_dir: Path,
                                                                       shared_results_path: Path,
                                                                       tmp_path: Path, capsys) -> None:
    """A real DraftKings export has no start column: with ``--history`` alone, ``simulate`` takes the
    race's starting grid from the history, as ``optimize`` and ``plan`` do (before, it stopped
    asking for start positions). Las Vegas 2023: Chase Elliott is in the export but did not start,
    so the scenario file holds the 36 starters of the 37 drivers; each starter's start is the
    history's."""
    from tailrace.cli import main
    from tailrace.sim.io import load_scenarios

    sal = real_slates_dir / "dk_2023_r03_las_vegas.csv"
    out = tmp_path / "lv.npz"
    code = main(["simulate", "--site", "dk", "--salaries", str(sal), "--history", str(shared_results_path),
                 "--scenarios", "300", "--seed", "3", "--out", str(out)])
    assert code == 0
    assert "grid: 2023 race 3 at Las Vegas Motor Speedway" in capsys.readouterr().err
    names = _salary_names(sal)
    starters = {r["driver"] for r in _race_rows(shared_results_path, 2023, 3)}
    assert "Chase Elliott" in names and "Chase Elliott" not in starters
    scen = load_scenarios(out)
    assert scen.points.shape == (300, len(names) - 1) and scen.n_drivers == len(starters) == 36


# ------------------------------------------ a set simulated on the history's grid, read back with the same export

def _salary_ids(path: Path) -> dict[str, str]:
    """Name -> DraftKings ID, read off the export."""
    with path.open(newline="", encoding="utf-8") as f:
        return {r["Name"]: r["ID"] for r in csv.DictReader(f)}


def _non_starters(sal: Path, results: Path, season: int, race_num: int) -> dict[str, str]:
    """The export's drivers who are not in the race's rows of the results file (name -> ID), names
    compared by their letters only (the export writes 'AJ Allmendinger', the results 'A.J.')."""
    def key(n: str) -> str:
        return "".join(ch for ch in n.lower() if ch.isalpha())

    starters = {key(r["driver"]) for r in _race_rows(results, season, race_num)}
    return {n: i for n, i in _salary_ids(sal).items() if key(n) not in starters}


@pytest.mark.parametrize("name,season,num,out", [
    ("dk_2023_r03_las_vegas.csv", 2023, 3, {"Chase Elliott"}),
    ("dk_2019_r01_daytona.csv", 2019, 1, {"Joey Gase", "Ryan Truex"}),
])
def test_cli_set_simulated_on_the_history_grid_optimizes_with_the_same_export(
        real_slates_dir: Path, shared_results_path: Path, tmp_path: Path, capsys, name: str, season: int,
        num: int, out: set[str]) -> None:
    """``simulate --history`` then ``optimize --scenarios`` with the same real export: the set
    records the non-starters it has no column for (ID, name, why), and optimize drops exactly
    those from the slate with one warning line naming them, instead of failing (before: exit 2,
    "slate drivers have no column"). No lineup holds a left-out driver."""
    from tailrace.cli import main
    from tailrace.sim.io import load_scenarios

    sal = real_slates_dir / name
    gone = _non_starters(sal, shared_results_path, season, num)
    assert set(gone) == out  # the hand-read facts of the files (module docstring)
    n_salary = len(_salary_names(sal))
    sset = tmp_path / "set.npz"
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--history", str(shared_results_path),
                 "--scenarios", "500", "--seed", "2", "--out", str(sset)]) == 0
    err = capsys.readouterr().err
    assert all(f"{n} ({i})" in err for n, i in gone.items()) and "records them" in err
    meta = load_scenarios(sset).meta
    assert [(r["id"], r["name"]) for r in meta["left_out"]] == sorted(((i, n) for n, i in gone.items()),
                                                                       key=lambda t: int(t[0]))
    assert all(r["reason"].startswith("not on the starting grid from cup_results_2019_2023.csv "
                                      f"({season} race {num} starting grid)") for r in meta["left_out"])

    res, upload = tmp_path / "res.json", tmp_path / "upload.csv"
    code = main(["optimize", "--site", "dk", "--salaries", str(sal), "--scenarios", str(sset), "--lineups", "3",
                 "--no-explain", "--json", str(res), "--out", str(upload)])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [ln for ln in err.splitlines() if "dropped from the slate" in ln]
    assert len(lines) == 1 and all(f"{n} ({i})" in lines[0] for n, i in gone.items())
    assert lines[0].startswith(f"warning: slate: {len(gone)} salary driver(s) dropped from the slate")
    d = json.loads(res.read_text())
    assert d["n_drivers"] == n_salary - len(gone)
    assert sum("dropped from the slate" in w for w in d["warnings"]) == 1
    held = {i for lu in d["lineups"] for i in lu["driver_ids"]}
    assert len(d["lineups"]) == 3 and not held & set(gone.values())
    with upload.open(newline="", encoding="utf-8") as f:
        cells = [c for row in list(csv.reader(f))[1:] for c in row]
    assert len(cells) == 3 * 6 and not any(i in c for c in cells for i in gone.values())

    if season == 2023:  # contest --scenarios reads the set the same way (its portfolio on the same slate)
        rep = tmp_path / "contest.json"
        code = main(["contest", "--site", "dk", "--salaries", str(sal), "--portfolio", str(res), "--scenarios",
                     str(sset), "--field-size", "2000", "--json", str(rep)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert sum("dropped from the slate" in ln for ln in err.splitlines()) == 1
        assert sum("Chase Elliott (26847294)" in w for w in json.loads(rep.read_text())["warnings"]) == 1


def test_cli_set_missing_an_unrecorded_driver_still_fails(real_slates_dir: Path, shared_results_path: Path,
                                                          tmp_path: Path, capsys) -> None:
    """Only the drivers a set records as left out are dropped: a salary driver the set has no
    column for and does not record (a different or edited export; a set written before the
    record existed; the recorded ID under another name) still fails with exit 2, the field and
    the fix."""
    import numpy as np

    from tailrace.cli import main

    sal = real_slates_dir / "dk_2023_r03_las_vegas.csv"
    sset = tmp_path / "set.npz"
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--history", str(shared_results_path),
                 "--scenarios", "500", "--seed", "2", "--out", str(sset)]) == 0
    with sal.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    c_name, c_id, c_nid = head.index("Name"), head.index("ID"), head.index("Name + ID")

    def export(tag: str, body: list[list[str]]) -> Path:
        p = tmp_path / f"{tag}.csv"
        with p.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([head] + body)
        return p

    extra = list(rows[-1])
    extra[c_name], extra[c_id], extra[c_nid] = "Jimmie Johnson", "99999999", "Jimmie Johnson (99999999)"
    renamed = [list(r) for r in rows[1:]]
    for r in renamed:
        if r[c_id] == "26847294":
            r[c_name], r[c_nid] = "Chase Elliot", "Chase Elliot (26847294)"
    with np.load(sset) as z:  # the same set without its record, as an older simulate wrote it
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta_json"]))
    meta.pop("left_out", None)
    arrays["meta_json"] = np.array(json.dumps(meta, sort_keys=True))
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)

    cases = [(export("extra", rows[1:] + [extra]), sset, "99999999"),  # Elliott dropped, Johnson not recorded
             (export("renamed", renamed), sset, "26847294"),  # recorded ID, another name: not the same export
             (sal, old, "26847294")]  # no record at all
    for salaries, scen, missing in cases:
        code = main(["optimize", "--site", "dk", "--salaries", str(salaries), "--scenarios", str(scen),
                     "--lineups", "1", "--no-explain"])
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"field 'driver_ids': 1 slate drivers have no column: {missing}." in err
        assert "Fix: add a column of points for each of them" in err and "Traceback" not in err
        assert "dropped from the slate" not in err
