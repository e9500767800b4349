"""Slate readers: DraftKings export, FanDuel list, projections, name matching, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailrace.cli.options import say_as_flag
from tailrace.errors import InputError
from tailrace.sites import DRAFTKINGS, FANDUEL
from tailrace.slate import (
    match_names,
    normalize_name,
    parse_odds,
    read_projections,
    read_salaries,
    read_slate,
)

DK_HEAD = "Position,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,AvgPointsPerGame"
FD_HEAD = ("Id,Position,First Name,Nickname,Last Name,FPPG,Played,Salary,Game,Team,Opponent,"
           "Injury Indicator,Injury Details,Tier,,,Roster Position")
GAME = "Kansas Speedway 05/11/2025 03:00PM ET"
NAMES = ["Colt Halvorsen", "A.J. Pennington", "Dale Whitaker Jr.", "Tomás Echeverría",
         "Brody Ashcombe", "Wade Sizemore", "Travis Kimbrough", "Mason Tolliver"]


def dk_text(names=NAMES, salaries=None, ids=None, game=GAME) -> str:
    salaries = salaries or [str(10000 - 500 * i) for i in range(len(names))]
    ids = ids or [str(30000001 + i) for i in range(len(names))]
    lines = [DK_HEAD] + [f'D,{n} ({i}),{n},{i},D,"{s}",{game},,30.5'
                         for n, s, i in zip(names, salaries, ids)]
    return "\n".join(lines) + "\n"


def proj_text(names=NAMES, starts=None, head="name,start,projection,win_odds,ownership",
              extra=None) -> str:
    starts = starts or list(range(1, len(names) + 1))
    rows = [f"{n},{s},{40 - i},+{400 + 100 * i},{10 + i}"
            for i, (n, s) in enumerate(zip(names, starts))]
    if extra:
        rows = extra(rows)
    return head + "\n" + "\n".join(rows) + "\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def problems_of(exc: pytest.ExceptionInfo[InputError]) -> list:
    return exc.value.problems


def assert_names_row_field_fix(problem, row, field_name):
    """The message names the file, row, field and a fix (the acceptance criterion)."""
    text = str(problem)
    assert problem.file, text
    assert problem.row == row and f"row {row}" in text, text
    assert problem.field == field_name and f"field '{field_name}'" in text, text
    assert problem.fix and "Fix:" in text, text


# ------------------------------------------------------------------- DraftKings export --


def test_dk_export_reads_with_bom_and_dollar_salaries(tmp_path):
    text = dk_text(salaries=["$11,500", "9800", "$8,500", "8500.0", "7000", "6500", "6000",
                             "5500"])
    p = write(tmp_path, "DKSalaries.csv", "\ufeff" + text)
    drivers = read_salaries(p, "dk")
    assert [d.name for d in drivers] == NAMES
    assert [d.salary for d in drivers][:4] == [11500, 9800, 8500, 8500]
    assert drivers[0].id == "30000001" and drivers[0].start is None


def test_dk_export_in_cp1252_keeps_the_accent(tmp_path):
    p = write(tmp_path, "DKSalaries.csv", dk_text(), encoding="cp1252")
    drivers = read_salaries(p, DRAFTKINGS)
    assert drivers[3].name == "Tomás Echeverría"


def test_dk_track_from_game_info_and_track_option_wins(tmp_path):
    sal = write(tmp_path, "DKSalaries.csv", dk_text())
    assert read_slate("dk", sal).track == "Kansas Speedway"
    # the track resolved to its table name (issue 24); a bare type keeps its word
    assert read_slate("dk", sal, track="Martinsville").track == "Martinsville Speedway"
    assert read_slate("dk", sal, track="intermediate").track == "intermediate"
    bare = write(tmp_path, "bare.csv", dk_text(game=""))
    assert read_slate("dk", bare).track is None


def test_dk_entries_template_with_pool_below_and_right(tmp_path):
    """DK's entry-upload file puts the player pool a few rows down and to the right."""
    pool = dk_text().strip().splitlines()
    lines = ["Entry ID,Contest Name,D,D,D,D,D,D,,Instructions"]
    lines += [f"{4000 + i},Contest,,,,,,,," for i in range(3)]
    lines += [",,,,,,,,," + row for row in pool]
    drivers = read_salaries(write(tmp_path, "DKEntries.csv", "\n".join(lines) + "\n"), "dk")
    assert [d.name for d in drivers] == NAMES


# --------------------------------------------------------------------- FanDuel list --


def test_fanduel_player_list(tmp_path):
    rows = [FD_HEAD]
    for i, n in enumerate(NAMES):
        first, last = n.split(" ", 1)
        rows.append(f'98765-{4321 + i},D,{first},{n},{last},35.2,10,"${12000 - 500 * i:,}",'
                    f",Team {i},,,,,,,D")
    rows[-1] = rows[-1].replace(",Mason Tolliver,", ",,")  # no Nickname: First + Last used
    drivers = read_salaries(write(tmp_path, "fd.csv", "\n".join(rows) + "\n"), "fd")
    assert [d.name for d in drivers] == NAMES
    assert drivers[0].id == "98765-4321" and drivers[0].salary == 12000
    assert drivers[1].team == "Team 1"


# ------------------------------------------------------------------------ projections --


def test_projection_headers_odds_and_ownership_spellings(tmp_path):
    text = ("Driver,Starting Position,Projected Points,Win Odds,Proj_Own,Rating,Make\n"
            "Colt Halvorsen,2,44.5,+350,12.5%,1.2,Ford\n"
            "Brody Ashcombe,1,39,-120,30,0.1,Toyota\n"
            "Wade Sizemore,3,20,4.5,0.5,-1,Chevrolet\n"
            "Mason Tolliver,4,18,7/2,1,,\n"
            "Travis Kimbrough,5,17,2500,,,\n")
    rows = read_projections(write(tmp_path, "proj.csv", text))
    assert [r.start for r in rows] == [2, 1, 3, 4, 5]
    assert rows[0].projection == 44.5 and rows[0].ownership == 12.5
    assert rows[0].win_odds == pytest.approx(4.5)  # +350 -> 1 + 350/100
    assert rows[1].win_odds == pytest.approx(1 + 100 / 120)  # -120
    assert rows[2].win_odds == pytest.approx(4.5)  # decimal
    assert rows[3].win_odds == pytest.approx(4.5)  # 7/2
    assert rows[4].win_odds == pytest.approx(26.0)  # 2500 read as +2500
    assert rows[0].rating == 1.2 and rows[2].rating == -1.0 and rows[3].rating is None
    assert rows[0].manufacturer == "Ford" and rows[3].manufacturer is None
    assert rows[0].row == 2  # header is row 1


@pytest.mark.parametrize("text, decimal", [("+350", 4.5), ("-200", 1.5), ("+100", 2.0),
                                           ("2.25", 2.25), ("5000", 51.0), ("1/1", 2.0),
                                           ("Evens", 2.0)])
def test_parse_odds(text, decimal):
    assert parse_odds(text) == pytest.approx(decimal)


@pytest.mark.parametrize("text", ["", "abc", "+50", "-99", "0.9", "1", "0/5"])
def test_parse_odds_rejects(text):
    assert parse_odds(text) is None


# --------------------------------------------------------------------- name matching --


@pytest.mark.parametrize(
    "a, b",
    [("A.J. Allmendinger", "AJ Allmendinger"), ("A. J. Allmendinger", "aj allmendinger"),
     ("Ricky Stenhouse Jr.", "Ricky Stenhouse"), ("Ricky Stenhouse, Jr.", "ricky stenhouse jr"),
     ("Daniel Suárez", "Daniel Suarez"), ("  Kyle   LARSON ", "Kyle Larson"),
     ("Larson, Kyle", "Kyle Larson"), ("John Hunter-Nemechek", "John Hunter Nemechek")],
)
def test_normalize_name_equates(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_keeps_suffix_when_asked():
    assert normalize_name("Dale Earnhardt Jr.", drop_suffix=False) == "dale earnhardt jr"
    assert normalize_name("Dale Earnhardt Jr.") == "dale earnhardt"


def test_match_names_exact_suffix_beats_loose_and_ambiguity_is_reported():
    cands = ["Dale Earnhardt", "Dale Earnhardt Jr.", "Kyle Larson"]
    m = match_names(["Dale Earnhardt Jr", "dale earnhardt", "Dale Earnhardt Sr.", "Kyle Larsen",
                     "Zed Nobody"], cands)
    assert m[0].index == 1 and m[1].index == 0
    assert m[2].index is None and m[2].ambiguous
    assert set(m[2].candidates) == {"Dale Earnhardt", "Dale Earnhardt Jr."}
    assert m[3].index is None and not m[3].ambiguous and m[3].candidates[0] == "Kyle Larson"
    assert m[4].index is None and m[4].candidates == ()


def test_slate_matches_initials_suffix_and_accents(tmp_path):
    sal = write(tmp_path, "DKSalaries.csv", dk_text())
    spelled = ["Colt Halvorsen", "AJ Pennington", "Dale Whitaker", "Tomas Echeverria",
               "brody ashcombe", "Wade  Sizemore", "Travis Kimbrough", "Mason Tolliver"]
    proj = write(tmp_path, "proj.csv", proj_text(names=spelled, starts=[8, 7, 6, 5, 4, 3, 2, 1]))
    slate = read_slate("dk", sal, proj)
    assert slate.names == NAMES  # the site's spelling is kept
    assert list(slate.starts()) == [8, 7, 6, 5, 4, 3, 2, 1]
    assert slate.drivers[1].projection == 39 and slate.drivers[1].win_odds == pytest.approx(6.0)
    assert slate.source == {"salaries": str(sal), "projections": str(proj)}


def test_slate_reports_unmatched_ambiguous_and_missing_rows_together(tmp_path):
    names = NAMES[:6] + ["Dale Whitaker Sr.", "Travis Kimbrough"]
    sal = write(tmp_path, "DKSalaries.csv", dk_text(names=names))
    spelled = ["Colt Halverson", "A.J. Pennington", "Dale Whitaker", "Tomás Echeverría",
               "Brody Ashcombe", "Wade Sizemore", "Travis Kimbrough", "Nobody Atall"]
    proj = write(tmp_path, "proj.csv", proj_text(names=spelled))
    with pytest.raises(InputError) as exc:
        read_slate("dk", sal, proj)
    msgs = [str(p) for p in problems_of(exc)]
    joined = "\n".join(msgs)
    # the misspelt name, with the closest salary name offered
    assert any("'Colt Halverson' is not in the salary file" in m and "'Colt Halvorsen'" in m
               and "row 2" in m for m in msgs), joined
    # the name that fits two salary drivers, with both listed
    assert any("'Dale Whitaker' matches several" in m and "'Dale Whitaker Jr.'" in m
               and "'Dale Whitaker Sr.'" in m and "row 4" in m for m in msgs), joined
    # a name with no close candidate at all
    assert any("'Nobody Atall'" in m and "no similar name" in m for m in msgs), joined
    # salary drivers without a projection row, each named
    assert any("salary driver 'Colt Halvorsen'" in m and "has no row" in m for m in msgs)
    assert any("salary driver 'Dale Whitaker Sr.'" in m for m in msgs), joined
    assert all("Fix:" in m for m in msgs)


def test_two_projection_rows_for_one_driver(tmp_path):
    sal = write(tmp_path, "DKSalaries.csv", dk_text())
    spelled = NAMES[:7] + ["AJ Pennington"]
    with pytest.raises(InputError) as exc:
        read_slate("dk", sal, write(tmp_path, "p.csv", proj_text(names=spelled)))
    msgs = [str(p) for p in problems_of(exc)]
    assert any("both match salary driver 'A.J. Pennington'" in m and "row 9" in m for m in msgs)
    assert any("salary driver 'Mason Tolliver'" in m for m in msgs)


# ------------------------------------------------------------------------ validation --


def test_missing_required_column_names_the_columns_found(tmp_path):
    text = dk_text().replace(",Salary,", ",Pay,")
    with pytest.raises(InputError) as exc:
        read_salaries(write(tmp_path, "DKSalaries.csv", text), "dk")
    (p,) = problems_of(exc)
    assert_names_row_field_fix(p, 1, "Salary")
    assert "Pay" in p.message and "Game Info" in p.message


def test_projection_missing_start_column(tmp_path):
    with pytest.raises(InputError) as exc:
        read_projections(write(tmp_path, "p.csv", "driver,proj\nColt Halvorsen,40\n"))
    (p,) = problems_of(exc)
    assert_names_row_field_fix(p, 1, "start")
    assert "driver, proj" in p.message


def test_duplicate_id_and_duplicate_name(tmp_path):
    names = NAMES[:7] + ["colt  halvorsen"]
    ids = [str(30000001 + i) for i in range(7)] + ["30000002"]
    with pytest.raises(InputError) as exc:
        read_salaries(write(tmp_path, "DKSalaries.csv", dk_text(names=names, ids=ids)), "dk")
    probs = problems_of(exc)
    dup_id = next(p for p in probs if "duplicate ID" in p.message)
    assert_names_row_field_fix(dup_id, 9, "ID")
    assert "row 3" in dup_id.message
    dup_name = next(p for p in probs if "duplicate driver name" in p.message)
    assert_names_row_field_fix(dup_name, 9, "Name")
    assert "row 2" in dup_name.message


def test_bad_salaries_all_reported_at_once(tmp_path):
    sal = ["10000", "abc", "", "250", "99999", "8000.5", "7000", "6000"]
    with pytest.raises(InputError) as exc:
        read_salaries(write(tmp_path, "DKSalaries.csv", dk_text(salaries=sal)), "dk")
    probs = problems_of(exc)
    assert [p.row for p in probs] == [3, 4, 5, 6, 7]
    for p in probs:
        assert_names_row_field_fix(p, p.row, "Salary")
    assert "'abc' is not a whole number" in probs[0].message
    assert "empty" in probs[1].message
    assert "outside the DraftKings range 3000-15000" in probs[2].message
    assert "outside" in probs[3].message and "not a whole number" in probs[4].message
    assert str(exc.value).startswith("5 problems:")


def test_start_positions_not_a_permutation(tmp_path):
    starts = [1, 2, 3, 3, 5, 6, 7, 9]  # 3 twice, 4 and 8 missing, 9 beyond 8 drivers
    with pytest.raises(InputError) as exc:
        read_projections(write(tmp_path, "p.csv", proj_text(starts=starts)))
    probs = problems_of(exc)
    dup = next(p for p in probs if "several drivers" in p.message)
    assert_names_row_field_fix(dup, 5, "start")
    assert "rows 4, 5" in dup.message
    beyond = next(p for p in probs if "beyond" in p.message)
    assert_names_row_field_fix(beyond, 9, "start")
    gap = next(p for p in probs if "nobody starts" in p.message)
    assert gap.message.endswith("nobody starts 4, 8") and gap.field == "start" and gap.fix


def test_non_numeric_start_projection_and_odds(tmp_path):
    def spoil(rows):
        rows[0] = rows[0].replace(",1,", ",pole,")
        rows[1] = rows[1].replace(",39,", ",lots,")
        rows[2] = rows[2].replace(",+600,", ",longshot,")
        rows[3] = rows[3].replace(",13", ",13x%")
        return rows
    with pytest.raises(InputError) as exc:
        read_projections(write(tmp_path, "p.csv", proj_text(extra=spoil)))
    probs = {p.field: p for p in problems_of(exc)}
    assert_names_row_field_fix(probs["start"], 2, "start")
    assert_names_row_field_fix(probs["projection"], 3, "projection")
    assert_names_row_field_fix(probs["win_odds"], 4, "win_odds")
    assert_names_row_field_fix(probs["ownership"], 5, "ownership")
    assert "'longshot'" in probs["win_odds"].message and "+350" in probs["win_odds"].fix


def test_ownership_given_as_fractions_is_refused(tmp_path):
    text = "name,start,own\n" + "".join(f"{n},{i + 1},0.{i + 1}\n" for i, n in enumerate(NAMES))
    with pytest.raises(InputError) as exc:
        read_projections(write(tmp_path, "p.csv", text))
    (p,) = problems_of(exc)
    assert "look like fractions" in p.message and p.field == "own" and "12.5" in p.fix


def test_fewer_drivers_than_a_roster(tmp_path):
    with pytest.raises(InputError) as exc:
        read_salaries(write(tmp_path, "DKSalaries.csv", dk_text(names=NAMES[:5])), "dk")
    (p,) = problems_of(exc)
    assert "fewer than a DraftKings roster of 6" in p.message and p.fix and p.file
    # FanDuel rosters are 5, so the same five drivers are enough there
    rows = [FD_HEAD] + [f"1-{i},D,A,{n},B,1,1,9000,,,,,,,,,D" for i, n in enumerate(NAMES[:5])]
    assert len(read_salaries(write(tmp_path, "fd.csv", "\n".join(rows)), FANDUEL)) == 5


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(InputError) as exc:
        read_salaries(write(tmp_path, "empty.csv", "  \n"), "dk")
    (p,) = problems_of(exc)
    assert "empty" in p.message and p.file.endswith("empty.csv") and p.fix
    with pytest.raises(InputError) as exc:
        read_projections(write(tmp_path, "head.csv", "name,start\n"))
    (p,) = problems_of(exc)
    assert "no driver rows" in p.message and p.row == 2


def test_wrong_site_file(tmp_path):
    fd_rows = [FD_HEAD] + [f"1-{i},D,A,{n},B,1,1,9000,,,,,,,,,D" for i, n in enumerate(NAMES)]
    fd = write(tmp_path, "fd.csv", "\n".join(fd_rows))
    with pytest.raises(InputError) as exc:
        read_salaries(fd, "dk")
    (p,) = problems_of(exc)
    # the library names its parameter; the CLI says it as the flag
    assert "FanDuel player list" in p.message and "site='fd'" in str(p) and "--" not in str(p) and p.row == 1
    assert "--site fd" in p.worded(say_as_flag).fix
    dk = write(tmp_path, "DKSalaries.csv", dk_text())
    with pytest.raises(InputError) as exc:
        read_salaries(dk, "fd")
    (p,) = problems_of(exc)
    assert "DraftKings salary export" in p.message and "--site dk" in p.worded(say_as_flag).fix


def test_other_sport_export_is_refused(tmp_path):
    text = dk_text().replace("\nD,", "\nQB,").replace(",D,", ",QB/FLEX,")
    with pytest.raises(InputError) as exc:
        read_salaries(write(tmp_path, "DKSalaries.csv", text), "dk")
    (p,) = problems_of(exc)
    assert "not a NASCAR driver" in p.message and p.row == 2 and p.field == "Roster Position"


def test_salary_and_projection_problems_come_in_one_error(tmp_path):
    sal = write(tmp_path, "DKSalaries.csv", dk_text(salaries=["x"] + ["9000"] * 7))
    proj = write(tmp_path, "p.csv", proj_text(starts=[1, 1, 3, 4, 5, 6, 7, 8]))
    with pytest.raises(InputError) as exc:
        read_slate("dk", sal, proj)
    files = {Path(p.file).name for p in problems_of(exc)}
    assert files == {"DKSalaries.csv", "p.csv"}


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_slate("dk", tmp_path / "nope.csv")


# ------------------------------------------------------------------------------ demo --


def test_demo_slate_loads_through_the_readers():
    from tailrace.slate import demo_paths, demo_slate

    sal, proj = demo_paths()
    assert sal.exists() and proj.exists()
    assert sal.read_text(encoding="utf-8").splitlines()[0] == DK_HEAD
    slate = demo_slate()
    assert slate.n == 38 and slate.site.roster_size == 6 and slate.track == "Kansas Speedway"
    assert sorted(slate.starts().tolist()) == list(range(1, 39))
    assert all(4500 <= d.salary <= 11500 and d.salary % 100 == 0 for d in slate.drivers)
    assert sum(d.ownership for d in slate.drivers) == pytest.approx(600.0)
    assert all(15 <= d.projection <= 55 and d.win_odds > 1 for d in slate.drivers)
    assert {d.manufacturer for d in slate.drivers} == {"Chevrolet", "Ford", "Toyota"}
    # the projections sheet spells some names differently; all are matched anyway
    proj_names = {r.name for r in read_projections(proj)}
    assert len(proj_names - set(slate.names)) >= 2
    # strongest (favourite) is the top projection
    fav = min(slate.drivers, key=lambda d: d.win_odds)
    assert fav.projection == max(d.projection for d in slate.drivers)


def test_demo_generator_is_deterministic():
    """Re-running the generator gives the committed files byte for byte."""
    import importlib.util

    from tailrace.slate import demo_paths

    script = Path(__file__).resolve().parents[1] / "scripts" / "make_demo_slate.py"
    spec = importlib.util.spec_from_file_location("make_demo_slate", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sal_text, proj_text_, _ = mod.build()
    sal, proj = demo_paths()
    assert sal.read_bytes() == sal_text.encode("utf-8")
    assert proj.read_bytes() == proj_text_.encode("utf-8")


def test_binary_file_is_a_clear_error_not_a_csv_crash(tmp_path):
    """A PNG passed as the salary file: InputError naming the file, not csv.Error."""
    png = tmp_path / "DKSalaries.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(InputError) as exc:
        read_salaries(png, DRAFTKINGS)
    assert "not a text file" in str(exc.value) and "DKSalaries.csv" in str(exc.value)


def test_projection_typo_is_a_row_error_not_a_shift_of_the_slate(tmp_path):
    """Issue 12, defect 1: ``47.95`` typed as ``4795`` used to shift every driver's projection by
    -127.68 (exit 0). Now that row is an error naming its row, field and a fix; so is a negative one."""
    from tailrace.errors import InputError
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import demo_paths, read_slate

    sal, proj = demo_paths()
    lines = proj.read_text(encoding="utf-8").splitlines()
    row = next(i for i, ln in enumerate(lines) if ",47.95" in ln)
    for bad in ("4795", "-3"):
        edited = lines.copy()
        edited[row] = edited[row].replace("47.95", bad)
        p = tmp_path / f"proj_{bad}.csv"
        p.write_text("\n".join(edited) + "\n", encoding="utf-8")
        with pytest.raises(InputError) as ei:
            read_slate(DRAFTKINGS, sal, p)
        probs = ei.value.problems
        assert len(probs) == 1
        assert probs[0].row == row + 1 and probs[0].field == "projection"
        assert bad in probs[0].message and probs[0].fix
