"""Reading DraftKings contest standings (tailrace.contest.standings) from hand-made files that
follow the export's format: the blank column, multi-entry names, ties, entries without a
lineup, a player table shorter than the entries, a BOM, and malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tailrace.contest import read_field
from tailrace.contest.standings import read_standings
from tailrace.errors import InputError
from tailrace.slate import Driver, Slate, demo_slate
from tailrace.sites import get_site

HEADER = "Rank,EntryId,EntryName,TimeRemaining,Points,Lineup,,Player,Roster Position,%Drafted,FPTS"
L1 = "D Riley Marchetti D Dale Whitaker Jr. D R.J. Pennington D Tomás Echeverría D Grant Tillery D Chase Dunleavy"
L2 = "D Dale Whitaker Jr. D Riley Marchetti D R.J. Pennington D Tomás Echeverría D Grant Tillery D T.J. Vandermeer"
L3 = "D Riley Marchetti D R.J. Pennington D Tomás Echeverría D Grant Tillery D Chase Dunleavy D T.J. Vandermeer"
L3_SPELT = "D Grant Tillery D RJ Pennington D Tomas Echeverria D Riley Marchetti D T.J. Vandermeer D Chase Dunleavy"
L5 = "D Dale Whitaker Jr. D R.J. Pennington D Tomás Echeverría D Grant Tillery D Chase Dunleavy D Mitch Lowery Jr."
L6 = "D T.J. Vandermeer D Mitch Lowery Jr. D Chase Dunleavy D Grant Tillery D Tomás Echeverría D R.J. Pennington"
# points by hand: Marchetti 60.25, Whitaker 41.5, Pennington 33, Echeverría 28.75, Tillery 25, Dunleavy 12,
# Vandermeer 8.45, Lowery -2. L1 = 200.50, L2 = 196.95, L3 = 167.45, L5 = 138.25, L6 = 105.20.
LEFT = [
    f"1,9001,alice (1/3),0,200.5,{L1}",
    f"2,9002,alice (2/3),0,196.95,{L2}",
    f"3,9003,bob,0,167.45,{L3}",
    f"3,9004,carol (1/2),0,167.45,{L3_SPELT}",
    f"5,9005,alice (3/3),0,138.25,{L5}",
    f"5,9006,erin,0,138.25,{L5}",
    f"7,9007,frank,0,105.2,{L6}",
    "8,9008,carol (2/2),0,0,",
    "8,9009,dave,0,0,",
]
RIGHT = [  # eight players: the table ends before the entries do
    "Riley Marchetti,D,80.00%,60.25", "Dale Whitaker Jr.,D,45.50%,41.5", "R.J. Pennington,D,88.89%,33",
    "Tomás Echeverría,D,77.78%,28.75", "Grant Tillery,D,77.78%,25", "Chase Dunleavy,D,66.67%,12",
    "T.J. Vandermeer,D,44.44%,8.45", "Mitch Lowery Jr.,D,22.22%,-2",
]


def standings_text(left: list[str] = LEFT, right: list[str] = RIGHT, header: str = HEADER) -> str:
    lines = [header]
    for k in range(max(len(left), len(right))):
        a = left[k] if k < len(left) else ",,,,,"
        b = right[k] if k < len(right) else ",,,"
        lines.append(f"{a},,{b}")
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, text: str, bom: bool = True) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def idx(slate: Slate, *names: str) -> tuple[int, ...]:
    return tuple(sorted(slate.names.index(n) for n in names))


def test_reads_entries_players_ties_and_empty_lineups(tmp_path: Path) -> None:
    slate = demo_slate()
    st = read_standings(write(tmp_path / "standings.csv", standings_text()), slate)
    assert [e.rank for e in st.entries] == [1, 2, 3, 3, 5, 5, 7, 8, 8]
    assert [e.entry_id for e in st.entries] == [f"900{k}" for k in range(1, 10)]
    assert [e.user for e in st.entries] == ["alice", "alice", "bob", "carol", "alice", "erin", "frank", "carol", "dave"]
    assert st.entries[0].entry_name == "alice (1/3)"
    assert st.points().tolist() == [200.5, 196.95, 167.45, 167.45, 138.25, 138.25, 105.2, 0.0, 0.0]
    l3 = idx(slate, "Riley Marchetti", "R.J. Pennington", "Tomás Echeverría", "Grant Tillery", "Chase Dunleavy",
             "T.J. Vandermeer")
    assert st.entries[2].lineup == l3 and st.entries[3].lineup == l3  # "RJ Pennington", "Tomas Echeverria" match
    assert st.entries[0].lineup == idx(slate, "Riley Marchetti", "Dale Whitaker Jr.", "R.J. Pennington",
                                       "Tomás Echeverría", "Grant Tillery", "Chase Dunleavy")
    assert st.entries[7].lineup is None and st.entries[8].lineup is None
    assert st.lineups().shape == (7, 6)
    assert [e.row for e in st.entries] == list(range(2, 11))
    assert st.listed.sum() == 8
    assert st.drafted[slate.names.index("Riley Marchetti")] == 80.0
    assert st.drafted[slate.names.index("Mitch Lowery Jr.")] == pytest.approx(22.22)
    assert st.fpts[slate.names.index("Mitch Lowery Jr.")] == -2.0
    assert np.isnan(st.fpts[slate.names.index("Kurt Bramwell")]) and st.drafted[slate.names.index("Kurt Bramwell")] == 0
    assert st.warnings == ()  # points and ranks agree with the table


def test_consistency_warnings(tmp_path: Path) -> None:
    left = list(LEFT)
    left[1] = left[1].replace(",196.95,", ",196.00,").replace("2,9002", "3,9002")  # points off; rank now wrong too
    st = read_standings(write(tmp_path / "s.csv", standings_text(left)), demo_slate())
    assert len(st.warnings) == 2
    assert "1 entries' points differ" in st.warnings[0] and "row 3, 196.00 against 196.95" in st.warnings[0]
    assert "1 entries' ranks differ" in st.warnings[1] and "row 3, rank 3 against 2" in st.warnings[1]


def test_a_name_holding_the_slot_token() -> None:
    rules = get_site("dk")
    names = ["J D Gibbs", "Kyle Busch", "Ty Dillon", "Austin Dillon", "D. Hamlin", "Chase Elliott", "Bubba Wallace"]
    slate = Slate(rules, tuple(Driver(str(100 + k), n, 7000) for k, n in enumerate(names)))
    from tailrace.contest.standings import read_standings_text

    lu = "D J D Gibbs D Kyle Busch D Ty Dillon D Austin Dillon D D. Hamlin D Chase Elliott"
    st = read_standings_text(standings_text([f"1,1,x,0,60,{lu}"], ["Kyle Busch,D,10%,10", "J D Gibbs,D,10%,10",
                                                                    "Ty Dillon,D,1%,10", "Austin Dillon,D,1%,10",
                                                                    "D. Hamlin,D,1%,10", "Chase Elliott,D,1%,10"]),
                             slate)
    assert st.entries[0].lineup == (0, 1, 2, 3, 4, 5)


def problems(tmp_path: Path, text: str) -> list:
    with pytest.raises(InputError) as ei:
        read_standings(write(tmp_path / "bad.csv", text), demo_slate())
    return ei.value.problems


def test_missing_column_names_it(tmp_path: Path) -> None:
    ps = problems(tmp_path, standings_text(header=HEADER.replace("Lineup", "Lineups").replace("FPTS", "Pts")))
    assert [(p.field, p.row) for p in ps] == [("Lineup", 1), ("FPTS", 1)]
    assert "column 'Lineup' is missing" in str(ps[0]) and "Rank,EntryId,EntryName" in str(ps[0])


def test_bad_rows_are_listed_with_row_field_and_fix(tmp_path: Path) -> None:
    left = list(LEFT)
    left[0] = left[0].replace("Chase Dunleavy", "Chase Dunleavey")
    left[5] = left[5].replace("Chase Dunleavy", "Chase Dunleavey")
    left[2] = left[2].replace(" D T.J. Vandermeer", "")  # five drivers
    left[3] = left[3].replace(",167.45,", ",lots,")
    left[6] = left[6].replace("9007", "9001")  # entry id twice
    right = list(RIGHT)
    right[1] = right[1].replace("45.50%", "abc")
    right[2] = "Nobody Known,D,1%,1"
    ps = problems(tmp_path, standings_text(left, right))
    got = [(p.row, p.field) for p in ps]
    assert got == [(2, "Lineup"), (3, "%Drafted"), (4, "Player"), (4, "Lineup"), (5, "Points"), (8, "EntryId")]
    unknown = str(ps[0])
    assert "'Chase Dunleavey' in the lineups of rows 2, 7" in unknown and "closest: 'Chase Dunleavy'" in unknown
    assert "the lineup has 5 drivers (5 different), a DraftKings lineup has 6" in str(ps[3])
    assert "entry id 9001 is listed twice (also row 2)" in str(ps[5])
    assert all(p.fix for p in ps)


def test_empty_and_entryless_files(tmp_path: Path) -> None:
    assert "the file is empty" in str(problems(tmp_path, "\r\n\r\n")[0])
    ps = problems(tmp_path, standings_text(left=[]))
    assert "no entries found" in str(ps[0])


def test_the_cli_says_a_bad_file_in_one_message(tmp_path: Path, capsys) -> None:
    from tailrace.cli import main
    from tailrace.slate import demo_paths

    sal, proj = demo_paths()
    bad = write(tmp_path / "bad.csv", standings_text(header=HEADER.replace("Lineup", "Team")))
    assert main(["review", "--standings", str(bad), "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
                 "--user", "alice"]) == 2
    err = capsys.readouterr().err
    assert "field 'Lineup'" in err and "column 'Lineup' is missing" in err and "Traceback" not in err


def test_standings_are_a_contest_field(tmp_path: Path) -> None:
    slate = demo_slate()
    f = read_field(write(tmp_path / "standings.csv", standings_text()), slate)
    st = read_standings(tmp_path / "standings.csv", slate)
    assert f.n_entries == 7 and f.lineups.dtype == np.int32
    assert [tuple(r) for r in f.lineups] == [e.lineup for e in st.entries if e.lineup is not None]
