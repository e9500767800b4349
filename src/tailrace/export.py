"""Upload CSVs for the sites, a filled DKEntries.csv, and reading an upload back into lineups.

Formats (as the sites publish them):

* DraftKings upload: header ``D,D,D,D,D,D`` (six driver slots), one lineup a row, each cell
  the driver's DraftKings ID.
* DraftKings entries file (``DKEntries.csv``, downloaded from "Edit Entries"): header
  ``Entry ID,Contest Name,Contest ID,Entry Fee,D,D,D,D,D,D``, then an empty column and the
  site's instructions and player pool to the right (and below the entries). We fill the ``D``
  cells of the entry rows in order and keep every other cell as it was.
* FanDuel upload (lineup-upload template): header of the roster slots — five ``D`` for NASCAR —
  with cells ``ID:Name`` (FanDuel accepts ``ID:Name`` or the bare ID).

CSV formula injection: a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading ``'`` so a spreadsheet shows it as text (OWASP advice). This
applies to every cell we write, including cells kept from a user's file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tailrace.errors import InputError, Problem
from tailrace.outputs import atomic_write_text, csv_text, safe_cell
from tailrace.slate import Slate
from tailrace.textfile import csv_rows, read_text_file

__all__ = [
    "SLOT",
    "safe_cell",
    "upload_rows",
    "upload_text",
    "write_upload",
    "fill_dk_entries_text",
    "fill_dk_entries",
    "DayEntries",
    "dk_entry_rows",
    "fill_dk_entries_by_contest_text",
    "contest_entry_counts",
    "read_upload_text",
    "read_upload",
]

SLOT = "D"  # the only NASCAR roster slot on both sites


def _unsafe_cell(s: str) -> str:
    """Undo :func:`safe_cell` on read: drop a ``'`` we (or a spreadsheet) put before a formula char."""
    s = s.strip()
    if len(s) >= 2 and s[0] == "'" and s[1] in "=+-@\t\r":
        return s[1:]
    return s


def _check_lineups(lineups: Sequence[Sequence[int]], slate: Slate) -> list[tuple[int, ...]]:
    r = slate.site.roster_size
    out: list[tuple[int, ...]] = []
    for k, lu in enumerate(lineups):
        t = tuple(int(i) for i in lu)
        if len(t) != r or len(set(t)) != r or min(t) < 0 or max(t) >= slate.n:
            raise ValueError(f"lineup {k + 1} {t} is not {r} distinct driver indices of this {slate.n}-driver slate")
        out.append(t)
    return out


def _cell_for(slate: Slate, i: int) -> str:
    d = slate.drivers[i]
    return f"{d.id}:{d.name}" if slate.site.key == "fd" else d.id


def upload_rows(lineups: Sequence[Sequence[int]], slate: Slate) -> list[list[str]]:
    """Header plus one row per lineup for the slate's site (DK: IDs; FD: ``ID:Name``), unescaped."""
    checked = _check_lineups(lineups, slate)
    rows = [[SLOT] * slate.site.roster_size]
    rows += [[_cell_for(slate, i) for i in lu] for lu in checked]
    return rows


def upload_text(lineups: Sequence[Sequence[int]], slate: Slate) -> str:
    """The site's upload CSV as text (formula-safe cells, CRLF line ends as the sites write them)."""
    return csv_text(upload_rows(lineups, slate))


def write_upload(path: str | Path, lineups: Sequence[Sequence[int]], slate: Slate) -> Path:
    """Write the site's upload CSV to ``path``; returns the path."""
    return atomic_write_text(path, upload_text(lineups, slate))


# ---------------------------------------------------------------------------- DKEntries.csv


def _read_rows(text: str, source: str) -> list[list[str]]:
    return csv_rows(text, source)


def fill_dk_entries_text(
    text: str, lineups: Sequence[Sequence[int]], slate: Slate, source: str = "DKEntries.csv"
) -> str:
    """Fill the ``D`` cells of a DKEntries.csv (as text) with the lineups, in entry order.

    Every other cell (entry columns, instructions, player pool) is kept. InputError if the file
    is not an entries file, or if it holds more or fewer entries than there are lineups.
    """
    if slate.site.key != "dk":
        raise InputError(Problem("DKEntries.csv is a DraftKings file but the slate is not DraftKings", file=source,
                                 fix="use {site=dk}, or write a FanDuel upload instead"))
    checked = _check_lineups(lineups, slate)
    rows = _read_rows(text, source)
    h = next((k for k, row in enumerate(rows) if row and row[0].strip().lower() == "entry id"), None)
    if h is None:
        raise InputError(Problem("no 'Entry ID' header row found", file=source, row=1, field="Entry ID",
                                 fix="download the entries file from DraftKings (My Contests > Edit Entries)"))
    header = rows[h]
    d_cols = _slot_columns(header)
    r = slate.site.roster_size
    if len(d_cols) != r:
        raise InputError(Problem(f"expected {r} 'D' columns in the header, found {len(d_cols)}", file=source,
                                 row=h + 1, field="D", fix="use the entries file of a DraftKings NASCAR contest"))
    entry_rows = [k for k in range(h + 1, len(rows)) if rows[k] and rows[k][0].strip()]
    n_e, n_l = len(entry_rows), len(checked)
    if n_e != n_l:
        if n_e > n_l:
            msg = (f"the entries file has {n_e} entries but there are only {n_l} lineups "
                   f"({n_e - n_l} entries would stay empty)")
            fix = f"build {n_e} lineups ({{n_lineups={n_e}}}) or delete {n_e - n_l} entry rows"
        else:
            msg = (f"there are {n_l} lineups but the entries file has only {n_e} entries "
                   f"({n_l - n_e} lineups would be lost)")
            fix = (f"enter {n_l - n_e} more contest entries on DraftKings and download the file again, "
                   f"or build {n_e} lineups")
        raise InputError(Problem(msg, file=source, field="Entry ID", fix=fix))
    _put_lineups(rows, d_cols, zip(entry_rows, checked), slate)
    return csv_text(rows, _newline_of(text))


def _put_lineups(rows: list[list[str]], d_cols: Sequence[int], placed, slate: Slate) -> None:
    """Write each ``(row index, lineup)`` of ``placed`` into ``rows``' driver columns ``d_cols``
    (site IDs), padding a short row; every other cell is kept."""
    for k, lu in placed:
        row = rows[k]
        if len(row) <= d_cols[-1]:
            row.extend([""] * (d_cols[-1] + 1 - len(row)))
        for col, i in zip(d_cols, lu):
            row[col] = slate.drivers[i].id


def _newline_of(text: str) -> str:
    """The line ending a filled file keeps: the entries file's own."""
    return "\r\n" if "\r\n" in text else "\n"


def fill_dk_entries(
    entries_path: str | Path, lineups: Sequence[Sequence[int]], slate: Slate, out_path: str | Path
) -> Path:
    """Read a DKEntries.csv, fill its ``D`` cells with the lineups and write it to ``out_path``."""
    src = Path(entries_path)
    if not src.is_file():
        raise InputError(Problem("entries file not found", file=str(src), fix="check the path"))
    text = fill_dk_entries_text(read_text_file(src, param="entries"), lineups, slate, source=str(src))
    return atomic_write_text(out_path, text)


# ---------------------------------------------------------------------------- DKEntries.csv, several contests


def _norm(s: str) -> str:
    return " ".join(_unsafe_cell(s).split()).casefold()


def dk_entry_rows(text: str, source: str = "DKEntries.csv") -> list[tuple[int, str, str]]:
    """The entry rows of a DKEntries.csv: ``(row index, Contest Name, Contest ID)`` in file order.

    InputError when there is no ``Entry ID`` header or it lacks the ``Contest Name`` / ``Contest ID``
    columns.
    """
    rows = _read_rows(text, source)
    h = next((k for k, row in enumerate(rows) if row and row[0].strip().lower() == "entry id"), None)
    if h is None:
        raise InputError(Problem("no 'Entry ID' header row found", file=source, row=1, field="Entry ID",
                                 fix="download the entries file from DraftKings (My Contests > Edit Entries)"))
    header = [c.strip().lower() for c in rows[h]]
    cols = {}
    for want in ("contest name", "contest id"):
        if want not in header:
            raise InputError(Problem(f"no '{want.title()}' column in the header", file=source, row=h + 1,
                                     field=want.title(), fix="use the entries file as DraftKings writes it"))
        cols[want] = header.index(want)
    out = []
    for k in range(h + 1, len(rows)):
        row = rows[k]
        if row and row[0].strip():
            cell = (lambda j: row[j].strip() if j < len(row) else "")
            out.append((k, cell(cols["contest name"]), cell(cols["contest id"])))
    return out


@dataclass(frozen=True)
class DayEntries:
    """One contest's lineups for a DKEntries.csv holding several contests: its rows are those
    whose ``Contest ID`` is ``contest_id`` when given, else whose ``Contest Name`` is ``name``
    (case and spacing aside)."""

    name: str
    contest_id: str | None
    lineups: Sequence[Sequence[int]]

    def matches(self, contest_name: str, contest_id: str) -> bool:
        if self.contest_id:
            return _unsafe_cell(contest_id) == str(self.contest_id).strip()
        return _norm(contest_name) == _norm(self.name)


def contest_entry_counts(text: str, contests: Sequence[DayEntries], source: str = "DKEntries.csv") -> list[int]:
    """Entry rows the file holds for each contest (same order as ``contests``)."""
    rows = dk_entry_rows(text, source)
    return [sum(1 for _, n, i in rows if c.matches(n, i)) for c in contests]


def fill_dk_entries_by_contest_text(text: str, contests: Sequence[DayEntries], slate: Slate,
                                    source: str = "DKEntries.csv") -> tuple[str, list[str]]:
    """Fill a DKEntries.csv holding several contests: each contest's rows, in file order, with its lineups.

    A contest with fewer lineups than rows leaves its last rows as they were (said in the notes
    returned: withdraw those entries on DraftKings, or they keep whatever lineup they hold);
    rows of contests not listed are kept. Every cell besides the filled ``D`` cells is kept.

    Returns
    -------
    (str, list of str)
        The filled file's text and the notes.

    Raises
    ------
    InputError
        Not a DraftKings slate; no entries header; a contest with no rows in the file, or with
        more lineups than rows (each named, with the fix).
    """
    if slate.site.key != "dk":
        raise InputError(Problem("DKEntries.csv is a DraftKings file but the slate is not DraftKings", file=source,
                                 fix="use {site=dk}, or write a FanDuel upload instead"))
    entry = dk_entry_rows(text, source)
    rows = _read_rows(text, source)
    h = next(k for k, row in enumerate(rows) if row and row[0].strip().lower() == "entry id")
    d_cols = _slot_columns(rows[h])
    r = slate.site.roster_size
    if len(d_cols) != r:
        raise InputError(Problem(f"expected {r} 'D' columns in the header, found {len(d_cols)}", file=source,
                                 row=h + 1, field="D", fix="use the entries file of a DraftKings NASCAR contest"))
    problems: list[Problem] = []
    notes: list[str] = []
    plan: list[tuple[list[int], list[tuple[int, ...]]]] = []
    for c in contests:
        lus = _check_lineups(c.lineups, slate)
        mine = [k for k, n, i in entry if c.matches(n, i)]
        by = f"Contest ID {c.contest_id}" if c.contest_id else f"Contest Name '{c.name}'"
        if len(lus) > len(mine):
            problems.append(Problem(f"contest '{c.name}' has {len(lus)} lineups but the entries file has "
                                    f"{len(mine)} entries with {by}", file=source,
                                    field="Contest ID" if c.contest_id else "Contest Name",
                                    fix=f"enter {len(lus) - len(mine)} more entries in that contest on DraftKings and "
                                        "download the file again, or give the contest's contest_id / exact name"))
            continue
        if len(mine) > len(lus):
            notes.append(f"contest '{c.name}': {len(mine) - len(lus)} of its {len(mine)} entries left as they were "
                         f"(the plan enters {len(lus)}); withdraw them on DraftKings")
        plan.append((mine, lus))
    if problems:
        raise InputError(problems)
    for mine, lus in plan:
        _put_lineups(rows, d_cols, zip(mine, lus), slate)
    return csv_text(rows, _newline_of(text)), notes


# ---------------------------------------------------------------------------- reading back


def _slot_columns(header: list[str]) -> list[int]:
    return [j for j, c in enumerate(header) if c.strip().upper() == SLOT]


_DK_NAME_ID = re.compile(r"^(?P<name>.*?)\s*\((?P<id>[^()]+)\)\s*$")


def _parse_cell(cell: str, by_id: dict[str, int]) -> int | None:
    s = _unsafe_cell(cell)
    if s in by_id:
        return by_id[s]
    m = _DK_NAME_ID.match(s)  # DraftKings "Name (ID)"
    if m and m.group("id").strip() in by_id:
        return by_id[m.group("id").strip()]
    if ":" in s:  # FanDuel "ID:Name"
        head = s.split(":", 1)[0].strip()
        if head in by_id:
            return by_id[head]
    return None


def lineups_from_ids(id_lists: Sequence[Sequence[object]], slate: Slate, *, field: str, file: str | None = None,
                     fix: str = "use the slate's driver IDs, each lineup's drivers once") -> list[list[int]]:
    """Lineups given as lists of site driver IDs, as driver indices in the order given.

    Every lineup is checked (IDs on the slate, the site's roster, no driver twice) and every
    problem is reported at once, each at ``field`` formatted with the lineup's index
    (``"lineups[{k}]"``). The one reader of ID lists for the CLI's JSON portfolio and the API's
    review."""
    roster = slate.site.roster_size
    pos = {d: i for i, d in enumerate(slate.ids)}
    out: list[list[int]] = []
    problems: list[Problem] = []
    for k, raw in enumerate(id_lists):
        ids = [str(x) for x in raw]
        where = field.format(k=k)
        bad = next((i for i in ids if i not in pos), None)
        if bad is not None:
            problems.append(Problem(f"driver ID '{bad}' is not on the slate", file=file, field=where, fix=fix))
        elif len(ids) != roster:
            problems.append(Problem(f"{len(ids)} drivers, a {slate.site.name} lineup has {roster}", file=file,
                                    field=where, fix=fix))
        elif len(set(ids)) != roster:
            problems.append(Problem(f"a driver ID is given twice: a lineup needs {roster} different drivers",
                                    file=file, field=where, fix=fix))
        else:
            out.append([pos[i] for i in ids])
    if problems:
        raise InputError(problems)
    return out


def read_upload_text(text: str, slate: Slate, source: str = "upload.csv") -> list[tuple[int, ...]]:
    """Lineups (sorted driver indices) from an upload CSV, a filled DKEntries.csv or a FanDuel upload.

    The header is the first row with the site's number of ``D`` columns; rows whose ``D`` cells
    are all empty (instructions, player pool) are skipped. Cells may be IDs, ``Name (ID)`` or
    ``ID:Name``. InputError names the row and column of every unknown or missing driver.
    """
    rows = _read_rows(text, source)
    r = slate.site.roster_size
    h = next((k for k, row in enumerate(rows) if len(_slot_columns(row)) >= 1), None)
    if h is None:
        raise InputError(Problem(f"no header with '{SLOT}' columns found", file=source, row=1, field=SLOT,
                                 fix=f"the first line of an upload file is {','.join([SLOT] * r)}"))
    cols = _slot_columns(rows[h])
    if len(cols) != r:
        raise InputError(Problem(f"the header has {len(cols)} '{SLOT}' columns but a {slate.site.name} lineup has {r}",
                                 file=source, row=h + 1, field=SLOT,
                                 fix=f"use a {slate.site.name} file, or the {{site}} that matches it"))
    by_id = {d.id: i for i, d in enumerate(slate.drivers)}
    problems: list[Problem] = []
    out: list[tuple[int, ...]] = []
    for k in range(h + 1, len(rows)):
        row = rows[k]
        cells = [row[c].strip() if c < len(row) else "" for c in cols]
        if not any(_unsafe_cell(c) for c in cells):
            continue
        idx: list[int] = []
        for n, c in enumerate(cells, start=1):
            if not _unsafe_cell(c):
                problems.append(Problem(f"driver slot {n} is empty", file=source, row=k + 1, field=f"{SLOT}{n}",
                                        fix=f"give all {r} drivers of the lineup"))
                continue
            i = _parse_cell(c, by_id)
            if i is None:
                problems.append(Problem(f"'{c}' is not a driver ID on this slate", file=source, row=k + 1,
                                        field=f"{SLOT}{n}",
                                        fix="use the IDs of the salary file this slate was read from"))
            else:
                idx.append(i)
        if len(idx) == r:
            if len(set(idx)) != r:
                problems.append(Problem("the same driver appears twice in this lineup", file=source, row=k + 1,
                                        field=SLOT, fix="give distinct drivers"))
            else:
                out.append(tuple(sorted(idx)))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError(Problem("no lineups found", file=source, fix="fill at least one row of driver IDs"))
    return out


def read_upload(path: str | Path, slate: Slate) -> list[tuple[int, ...]]:
    """Lineups from an upload CSV file (see :func:`read_upload_text`)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(Problem("upload file not found", file=str(p), fix="check the path"))
    return read_upload_text(read_text_file(p, param="portfolio"), slate, source=str(p))
