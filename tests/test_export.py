"""Upload CSVs: round trips, formula injection, DKEntries.csv filling."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from tailrace.errors import InputError
from tailrace.export import (
    fill_dk_entries,
    fill_dk_entries_text,
    read_upload,
    read_upload_text,
    safe_cell,
    upload_text,
    write_upload,
)
from tailrace.sites import DRAFTKINGS, FANDUEL
from tailrace.slate import Driver, Slate


def dk_slate(n: int = 14) -> Slate:
    return Slate(
        site=DRAFTKINGS,
        drivers=tuple(Driver(id=str(29500100 + i), name=f"Driver {i}", salary=5000 + 300 * i) for i in range(n)),
    )


def fd_slate(n: int = 12) -> Slate:
    return Slate(
        site=FANDUEL,
        drivers=tuple(Driver(id=f"98765-{4000 + i}", name=f"Racer {i}", salary=6000 + 400 * i) for i in range(n)),
    )


def random_lineups(n_drivers: int, r: int, m: int, seed: int) -> list[tuple[int, ...]]:
    g = np.random.default_rng(seed)
    return [tuple(int(i) for i in g.choice(n_drivers, r, replace=False)) for _ in range(m)]


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("seed", range(5))
def test_dk_upload_round_trip(tmp_path, seed):
    slate = dk_slate()
    lus = random_lineups(slate.n, 6, 1 + 7 * seed, seed)
    p = write_upload(tmp_path / "up.csv", lus, slate)
    raw = p.read_bytes()
    assert raw.startswith(b"D,D,D,D,D,D\r\n")
    rows = rows_of(raw.decode())
    assert len(rows) == 1 + len(lus)
    for row, lu in zip(rows[1:], lus):
        assert row == [slate.drivers[i].id for i in lu]  # cells are the site IDs, in lineup order
    assert read_upload(p, slate) == [tuple(sorted(lu)) for lu in lus]


def test_fd_upload_uses_id_colon_name_and_round_trips(tmp_path):
    slate = fd_slate()
    lus = random_lineups(slate.n, 5, 6, 11)
    text = upload_text(lus, slate)
    rows = rows_of(text)
    assert rows[0] == ["D"] * 5
    assert rows[1][0] == f"{slate.drivers[lus[0][0]].id}:{slate.drivers[lus[0][0]].name}"
    p = tmp_path / "fd.csv"
    p.write_text(text)
    assert read_upload(p, slate) == [tuple(sorted(lu)) for lu in lus]


def test_read_accepts_dk_name_id_cells_and_skips_blank_rows():
    slate = dk_slate()
    d = slate.drivers
    text = "D,D,D,D,D,D,,Instructions\n" + ",".join(f"{d[i].name} ({d[i].id})" for i in (5, 0, 1, 2, 3, 4)) + ",,x\n"
    text += ",,,,,,,more instructions\n"
    assert read_upload_text(text, slate) == [(0, 1, 2, 3, 4, 5)]


def test_formula_injection_is_neutralised(tmp_path):
    evil = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain"]
    drivers = tuple(Driver(id=f"{e}", name=f"{e} name", salary=5000) for e in evil)
    fd_drivers = tuple(Driver(id=f"id{i}", name=e, salary=5000) for i, e in enumerate(evil[:5]))
    for slate in (Slate(site=DRAFTKINGS, drivers=drivers), Slate(site=FANDUEL, drivers=fd_drivers)):
        r = slate.site.roster_size
        text = upload_text([tuple(range(r))], slate)
        for row in rows_of(text):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        p = tmp_path / f"{slate.site.key}.csv"
        p.write_text(text, newline="")
        assert read_upload(p, slate) == [tuple(range(r))]  # the quote is undone on read
    assert safe_cell("=1") == "'=1" and safe_cell("-5") == "'-5" and safe_cell("12345") == "12345"
    assert safe_cell("\rx") == "'\rx" and safe_cell(None) == ""


DK_ENTRIES = (
    "Entry ID,Contest Name,Contest ID,Entry Fee,D,D,D,D,D,D,,Instructions\r\n"
    "4123456001,NASCAR $25K Pit Road [$5K to 1st],160123456,$5,,,,,,,,1. Locate the player you want to select in the list below\r\n"
    "4123456002,NASCAR $25K Pit Road [$5K to 1st],160123456,$5,,,,,,,,2. Copy the ID of your player\r\n"
    "4123456003,\"NASCAR Single Entry, $1\",160123999,$1,Driver 1 (29500101),,,,,,,3. Paste the ID into the roster position desired\r\n"
    ",,,,,,,,,,,4. You must include an ID for each player; you cannot use just the player's name\r\n"
    ",,,,,,,,,,,\r\n"
    ",,,,,,,,,,,Position,Name + ID,Name,ID,Roster Position,Salary,Game Info,TeamAbbrev,AvgPointsPerGame\r\n"
    ",,,,,,,,,,,D,Driver 0 (29500100),Driver 0,29500100,D,5000,Kansas Speedway 05/05/2024 03:00PM ET,,41.5\r\n"
    ",,,,,,,,,,,D,Driver 1 (29500101),Driver 1,29500101,D,5300,Kansas Speedway 05/05/2024 03:00PM ET,,-1.25\r\n"
)


def test_fill_dk_entries_keeps_everything_else(tmp_path):
    slate = dk_slate()
    lus = random_lineups(slate.n, 6, 3, 4)
    src = tmp_path / "DKEntries.csv"
    src.write_bytes(b"\xef\xbb\xbf" + DK_ENTRIES.encode())  # DK files may carry a BOM
    out = fill_dk_entries(src, lus, slate, tmp_path / "filled.csv")
    before, after = rows_of(DK_ENTRIES), rows_of(out.read_text(encoding="utf-8"))
    assert len(before) == len(after)
    assert after[0] == before[0]
    for k, lu in enumerate(lus, start=1):
        assert after[k][:4] == before[k][:4]  # entry columns kept
        assert after[k][4:10] == [slate.drivers[i].id for i in lu]  # D cells filled in entry order
        assert after[k][10:] == before[k][10:]  # instructions kept
    for k in range(4, len(before)):
        want = [safe_cell(c) for c in before[k]]  # kept, but formula-safe ('-1.25 -> "'-1.25")
        assert after[k] == want
    assert after[8][-1] == "'-1.25"
    assert read_upload(out, slate) == [tuple(sorted(lu)) for lu in lus]
    assert out.read_bytes().count(b"\r\n") == len(before)  # CRLF kept


def test_fill_dk_entries_count_mismatch_says_which():
    slate = dk_slate()
    with pytest.raises(InputError) as ei:
        fill_dk_entries_text(DK_ENTRIES, random_lineups(slate.n, 6, 2, 0), slate)
    assert "3 entries but there are only 2 lineups" in str(ei.value)
    with pytest.raises(InputError) as ei:
        fill_dk_entries_text(DK_ENTRIES, random_lineups(slate.n, 6, 5, 0), slate)
    assert "5 lineups but the entries file has only 3 entries" in str(ei.value)
    with pytest.raises(InputError, match="Entry ID"):
        fill_dk_entries_text("D,D,D,D,D,D\n1,2,3,4,5,6\n", random_lineups(slate.n, 6, 1, 0), slate)
    with pytest.raises(InputError, match="not DraftKings"):
        fill_dk_entries_text(DK_ENTRIES, random_lineups(12, 5, 3, 0), fd_slate())


def test_read_upload_errors_name_row_and_column(tmp_path):
    slate = dk_slate()
    ids = [d.id for d in slate.drivers]
    text = "D,D,D,D,D,D\n" + ",".join(ids[:6]) + "\n" + ",".join(ids[:5] + ["99999999"]) + "\n"
    text += ",".join(ids[:5]) + ",\n"
    text += ",".join(ids[:5] + [ids[0]]) + "\n"
    with pytest.raises(InputError) as ei:
        read_upload_text(text, slate, source="up.csv")
    probs = ei.value.problems
    assert any(p.row == 3 and p.field == "D6" and "99999999" in p.message for p in probs)
    assert any(p.row == 4 and p.field == "D6" and "empty" in p.message for p in probs)
    assert any(p.row == 5 and "twice" in p.message for p in probs)
    with pytest.raises(InputError, match="5 'D' columns but a DraftKings lineup has 6"):
        read_upload_text("D,D,D,D,D\n1,2,3,4,5\n", slate)
    with pytest.raises(InputError, match="not found"):
        read_upload(tmp_path / "nope.csv", slate)


def test_export_rejects_malformed_lineups():
    slate = dk_slate()
    with pytest.raises(ValueError):
        upload_text([(0, 1, 2, 3, 4)], slate)
    with pytest.raises(ValueError):
        upload_text([(0, 1, 2, 3, 4, 4)], slate)
    with pytest.raises(ValueError):
        upload_text([(0, 1, 2, 3, 4, 99)], slate)
