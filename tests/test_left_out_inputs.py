"""Other inputs that name a driver a scenario set left out (a non-starter, ``tailrace.sim.left_out``):
``review --scenarios`` reads such a set; an ownership file's row for him is skipped with one warning,
a field file's lineup holding him is dropped with one warning, and a spec naming him fails with the
true reason. Hand-made small slates here, and the real Las Vegas 2023 export (Chase Elliott, injured,
is in it but did not start) through the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.contest.field import read_field
from tailrace.contest.ownership import read_ownership
from tailrace.errors import InputError
from tailrace.sim.io import load_scenarios, save_scenarios
from tailrace.sim.left_out import LEFT_OUT_KEY, match_to_slate
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Driver, Slate
from tailrace.sites import get_site

ELLIOTT_ID = "26847294"  # his DraftKings ID in dk_2023_r03_las_vegas.csv
WHY = "not on grid"


def _slate() -> Slate:
    """Six starters and Chase Elliott (ID 9), as a salary file holding a non-starter reads."""
    drivers = tuple(Driver(id=str(i + 1), name=f"Driver {i + 1}", salary=5000 + 100 * i, start=i + 1)
                    for i in range(6)) + (Driver(id="9", name="Chase Elliott", salary=9000),)
    return Slate(site=get_site("dk"), drivers=drivers)


def _set() -> Scenarios:
    pts = np.arange(18, dtype=np.float32).reshape(3, 6)
    return Scenarios(points=pts, driver_ids=tuple(str(i + 1) for i in range(6)),
                     meta={LEFT_OUT_KEY: [{"id": "9", "name": "Chase Elliott", "reason": WHY}]})


def test_load_with_expected_ids_says_the_set_records_them(tmp_path: Path) -> None:
    """``load_scenarios(expected_ids=)`` does not drop recorded drivers: its fix says the set
    records them and which roads drop them (before: "these are not recorded", false)."""
    p = save_scenarios(tmp_path / "lo.npz", _set())
    with pytest.raises(InputError) as exc:
        load_scenarios(p, expected_ids=_slate().ids)
    (pr,) = exc.value.problems
    assert pr.message == "1 slate drivers have no column: 9"
    assert pr.fix.startswith("the set records them as left out of its slate (Chase Elliott (9); not on grid): "
                             "tailrace optimize, contest --scenarios and review --scenarios drop those")
    assert "load_for_slate" in pr.fix and "not recorded" not in pr.fix


def test_recorded_id_under_another_name_says_so() -> None:
    """match_to_slate drops by ID and name: a recorded ID whose name differs is not dropped, and
    the fix says the set records that ID under another name (not "these are not recorded")."""
    s = _set()
    s = Scenarios(points=s.points, driver_ids=s.driver_ids,
                  meta={LEFT_OUT_KEY: [{"id": "9", "name": "Chase Elliot", "reason": WHY}]})
    with pytest.raises(InputError) as exc:
        match_to_slate(s, _slate(), "lo.npz")
    (pr,) = exc.value.problems
    assert "the set records ID 9 as 'Chase Elliot', another name than the salary file's" in pr.fix
    assert "these are not recorded" not in pr.fix


def test_ownership_row_of_a_left_out_driver_is_skipped_with_one_warning(tmp_path: Path) -> None:
    """The reviewer's case: before, 'Chase Elliott is not on the slate (closest: none)'. Now his row
    (by name, and by ID in a second file) is skipped; the six others read as given (10..15 %,
    sum 75, scaled x 8 to 600)."""
    _, kept, _ = match_to_slate(_set(), _slate(), "lo.npz")
    body = "".join(f"Driver {i + 1},{10 + i}\n" for i in range(6))
    for head, his in (("name", "Chase Elliott"), ("id", "9")):
        p = tmp_path / f"own_{head}.csv"
        rows = body if head == "name" else "".join(f"{i + 1},{10 + i}\n" for i in range(6))
        p.write_text(f"{head},ownership\n" + rows + f"{his},0.5\n")
        warnings: list[str] = []
        own = read_ownership(p, kept, warnings)
        assert own.tolist() == [80.0, 88.0, 96.0, 104.0, 112.0, 120.0]
        assert warnings[0] == (f"1 row(s) of {p.name} skipped, their driver is left out of the slate "
                               f"({WHY}): Chase Elliott (9, row 8)")
    p.write_text("name,ownership\n" + body + "Chase Eliot,0.5\n")  # a name on no list still fails
    with pytest.raises(InputError, match="not on the slate"):
        read_ownership(p, kept)


def test_field_lineup_holding_a_left_out_driver_is_dropped(tmp_path: Path) -> None:
    _, kept, _ = match_to_slate(_set(), _slate(), "lo.npz")
    p = tmp_path / "field.csv"
    p.write_text("1,2,3,4,5,6\n9,2,3,4,5,6\n6,5,4,3,2,1\nChase Elliott (9),1,2,3,4,5\n")
    warnings: list[str] = []
    f = read_field(p, kept, warnings)
    assert f.lineups.tolist() == [[0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]]
    assert warnings == ["2 lineup(s) of the field file field.csv dropped: they hold a driver left out of the "
                        "slate (not on the race's starting grid), who has no points to score them with: "
                        "Chase Elliott (9) in 2"]


# ------------------------------------------------------------------ the real Las Vegas export, CLI


@pytest.fixture(scope="module")
def lv(real_slates_dir: Path, shared_results_path: Path, tmp_path_factory) -> dict[str, Path]:
    """The Las Vegas export, a 500-race set simulated on its history grid (records Elliott left
    out), a 3-lineup portfolio optimised on it, and inputs naming Elliott."""
    d = tmp_path_factory.mktemp("lv")
    sal = real_slates_dir / "dk_2023_r03_las_vegas.csv"
    sset = d / "set.npz"
    assert main(["simulate", "--site", "dk", "--salaries", str(sal), "--history", str(shared_results_path),
                 "--scenarios", "500", "--seed", "2", "--out", str(sset)]) == 0
    res = d / "res.json"
    assert main(["optimize", "--site", "dk", "--salaries", str(sal), "--scenarios", str(sset), "--lineups", "3",
                 "--no-explain", "--json", str(res)]) == 0
    with sal.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = [r["Name"] for r in rows]
    ids = {r["Name"]: r["ID"] for r in rows}
    assert ids["Chase Elliott"] == ELLIOTT_ID
    others = [n for n in names if n != "Chase Elliott"]
    (d / "own.csv").write_text("name,ownership\n" + "".join(f"{n},{0.3 if n == 'Chase Elliott' else 16}\n"
                                                           for n in names))
    (d / "field.csv").write_text("".join(",".join(ids[others[(k + j) % 36]] for j in range(6)) + "\n"
                                         for k in range(40))
                                 + ",".join([ELLIOTT_ID] + [ids[n] for n in others[:5]]) + "\n")
    (d / "lock.yaml").write_text("locks: ['Chase Elliott']\n")
    (d / "group.yaml").write_text("groups:\n  - drivers: ['Kyle Larson', 'Chase Elliott']\n    at_most: 1\n")
    # standings: five entries, one holding Elliott (a non-starter scores 0); every driver 10 points but
    # Elliott, so each lineup scores 60 - 10 per non-starter; his %Drafted 1 %
    fpts = {n: (0.0 if n == "Chase Elliott" else 10.0) for n in names}
    lus = [others[0:6], others[6:12], others[12:18], ["Chase Elliott"] + others[18:23], others[23:29]]
    left = [[str(k + 1), str(900 + k), f"user{k}" if k else "me", "0", f"{sum(fpts[n] for n in lu):.2f}",
             " ".join(f"D {n}" for n in lu)] for k, lu in enumerate(lus)]
    left.sort(key=lambda r: -float(r[4]))
    for k, r in enumerate(left):
        r[0] = str(k + 1)
    right = [[n, "D", "1.00%" if n == "Chase Elliott" else "16.00%", f"{fpts[n]:.2f}"] for n in names]
    with (d / "standings.csv").open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["Rank", "EntryId", "EntryName", "TimeRemaining", "Points", "Lineup", "", "Player",
                    "Roster Position", "%Drafted", "FPTS"])
        for k in range(len(right)):
            w.writerow((left[k] if k < len(left) else [""] * 6) + [""] + right[k])
    return {"dir": d, "sal": sal, "set": sset, "res": res}


@pytest.mark.shared_data
def test_cli_review_reads_a_set_with_a_left_out_driver(lv: dict[str, Path], capsys) -> None:
    """Before: exit 2, "1 slate drivers have no column: 26847294 ... these are not recorded". Now the
    set's non-starter leaves the ownership model's slate (modelled 0 %); the standings keep him, so
    the entry holding him is placed with its real 50 points and his real 1 % drafted is compared."""
    d = lv["dir"]
    out = d / "review.json"
    capsys.readouterr()
    code = main(["review", "--site", "dk", "--salaries", str(lv["sal"]), "--standings", str(d / "standings.csv"),
                 "--user", "user3", "--scenarios", str(lv["set"]), "--entry-fee", "10", "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert sum(f"Chase Elliott ({ELLIOTT_ID})" in ln and "dropped from the slate" in ln
               for ln in err.splitlines()) == 1
    r = json.loads(out.read_text())
    assert [x["points"] for x in r["lineups"]] == [50.0]  # five starters at 10, Elliott 0
    own = {o["name"]: o for o in r["ownership"]["drivers"]}
    assert len(own) == 37 and own["Chase Elliott"]["modelled"] == 0.0 and own["Chase Elliott"]["real"] == 1.0
    assert sum(o["modelled"] for o in own.values()) == pytest.approx(600.0)


@pytest.mark.shared_data
def test_cli_contest_skips_his_ownership_row_and_drops_his_field_lineup(lv: dict[str, Path], capsys) -> None:
    d = lv["dir"]
    base = ["contest", "--site", "dk", "--salaries", str(lv["sal"]), "--portfolio", str(lv["res"]),
            "--scenarios", str(lv["set"]), "--field-size", "2000"]
    capsys.readouterr()
    assert main(base + ["--ownership", str(d / "own.csv")]) == 0
    err = capsys.readouterr().err
    assert sum("own.csv skipped, their driver is left out of the slate" in ln and
               f"Chase Elliott ({ELLIOTT_ID}, row " in ln for ln in err.splitlines()) == 1
    assert main(base + ["--field", str(d / "field.csv")]) == 0
    err = capsys.readouterr().err
    assert sum(ln.startswith("warning: 1 lineup(s) of the field file field.csv dropped") and
               f"Chase Elliott ({ELLIOTT_ID}) in 1" in ln for ln in err.splitlines()) == 1
    # a contest's standings as the field: his player-table row skipped, the entry holding him has no
    # lineup, so the field is the other four entries' lineups (4 + our 3 = 7 entries)
    rep = d / "contest.json"
    assert main(base + ["--field", str(d / "standings.csv"), "--json", str(rep)]) == 0
    err = capsys.readouterr().err
    assert sum(ln.startswith("warning: standings.csv: drivers left out of the slate") and
               "1 entries read without a lineup" in ln for ln in err.splitlines()) == 1
    assert json.loads(rep.read_text())["n_entries"] == 7


@pytest.mark.shared_data
@pytest.mark.parametrize("spec,field", [("lock.yaml", "locks[0]"), ("group.yaml", "groups[0]")])
def test_cli_spec_naming_him_fails_with_the_true_reason(lv: dict[str, Path], capsys, spec: str,
                                                        field: str) -> None:
    """Before: "unknown driver 'Chase Elliott' (not a name or ID on this slate)", did you mean
    'Chase Briscoe'. Now: exit 2, he is left out (not on the starting grid), remove him."""
    capsys.readouterr()
    code = main(["optimize", "--site", "dk", "--salaries", str(lv["sal"]), "--scenarios", str(lv["set"]),
                 "--lineups", "1", "--no-explain", "--spec", str(lv["dir"] / spec)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert f"field '{field}" in err
    assert (f"Chase Elliott (ID {ELLIOTT_ID}) is left out of the slate: not on the starting grid from "
            "cup_results_2019_2023.csv (2023 race 3 starting grid)") in err
    assert "Fix: remove it from the spec" in err and "Traceback" not in err


@pytest.mark.shared_data
def test_cli_an_exclude_or_a_cap_naming_him_holds_as_it_is(lv: dict[str, Path], capsys) -> None:
    """A shared spec that excludes or caps a driver who then does not start needs no edit: no
    lineup can hold him, so the rule holds (exit 0). A misspelt name in the same places still
    fails, naming the field: only a recorded left-out driver passes."""
    d = lv["dir"]
    (d / "exclude.yaml").write_text("excludes: ['Chase Elliott']\nmax_exposure: {'Chase Elliott': 0.2}\n")
    (d / "typo.yaml").write_text("excludes: ['Chase Eliotte']\n")
    capsys.readouterr()
    js = d / "excl.json"
    code = main(["optimize", "--site", "dk", "--salaries", str(lv["sal"]), "--scenarios", str(lv["set"]),
                 "--lineups", "2", "--no-explain", "--spec", str(d / "exclude.yaml"), "--json", str(js)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert all(ELLIOTT_ID not in lu["driver_ids"] for lu in json.loads(js.read_text())["lineups"])
    code = main(["optimize", "--site", "dk", "--salaries", str(lv["sal"]), "--scenarios", str(lv["set"]),
                 "--lineups", "1", "--no-explain", "--spec", str(d / "typo.yaml")])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "field 'excludes[0]" in err and "Chase Eliotte" in err
