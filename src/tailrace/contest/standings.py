"""A contest's final standings, as DraftKings exports them ("Download contest standings").

Format (the columns DraftKings writes; see the review notes for what was assumed)::

    Rank,EntryId,EntryName,TimeRemaining,Points,Lineup,,Player,Roster Position,%Drafted,FPTS
    1,3456789012,someone (3/150),0,301.55,D Kyle Larson D William Byron D ...,,Kyle Larson,D,38.61%,111.55
    2,3456789013,other,0,298.10,D ...,,William Byron,D,22.10%,84.15
    ...

The left part is one row per entry: rank (tied entries share it), entry id, the user's name
(a multi-entry user's entries are ``name (3/150)``), time remaining, points, and the lineup as
one text cell, each driver preceded by the roster-slot token (``D`` for NASCAR on both sites).
An entry withdrawn or left empty has an empty lineup. After a blank column, the right part is a
per-player table (player, roster slot, share of entries that drafted him as ``23.45%``, his
fantasy points) filled on the first K rows only (K players), independent of the entry on the
same row.

:func:`read_standings` reads it against a slate: lineup names are matched to the slate's drivers
tolerantly (``tailrace.slate.match_names``), names holding spaces, periods or ``Jr.`` included;
every problem (an unknown name, a lineup of the wrong size, a bad number) is listed with its
row, column and fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tailrace.errors import InputError, Problem, as_text
from tailrace.slate import NameMatch, Slate, find_left_out, match_names
from tailrace.textfile import csv_rows, read_text_file

__all__ = ["MAX_STANDINGS_ROWS", "SLOT_TOKEN", "Standings", "StandingsEntry", "looks_like_standings",
           "read_standings", "read_standings_text"]

# DraftKings' largest NASCAR tournaments take a few hundred thousand entries; a file past this is
# not a standings export, and reading stops there.
MAX_STANDINGS_ROWS = 2_000_000
SLOT_TOKEN = "D"  # the roster-slot token before each driver in a NASCAR lineup cell (DK and FD)

# Columns by normalised header (lower case, letters and digits only) -> the name DraftKings writes.
_ENTRY_COLS = {"rank": "Rank", "entryid": "EntryId", "entryname": "EntryName", "points": "Points",
               "lineup": "Lineup"}
_PLAYER_COLS = {"player": "Player", "drafted": "%Drafted", "fpts": "FPTS"}  # Roster Position, TimeRemaining: unused
_MULTI_ENTRY = re.compile(r"\s*\(\d+\s*/\s*\d+\)\s*$")  # "name (3/150)"


@dataclass(frozen=True)
class StandingsEntry:
    """One entry of the standings, as read.

    Attributes
    ----------
    rank : int
        Rank as DraftKings printed it (tied entries share one).
    entry_id : str
    entry_name : str
        As written, e.g. ``"someone (3/150)"``.
    user : str
        The user's name without the multi-entry count (``"someone"``).
    points : float
    lineup : tuple of int or None
        Sorted slate driver indices, None for an entry with no lineup.
    row : int
        1-based row in the file (header = row 1).
    """

    rank: int
    entry_id: str
    entry_name: str
    user: str
    points: float
    lineup: tuple[int, ...] | None
    row: int


@dataclass(frozen=True)
class Standings:
    """A contest's standings read against a slate.

    Attributes
    ----------
    entries : tuple of StandingsEntry
        Every entry in file order.
    drafted : ndarray of shape (n_drivers,)
        Percent of entries that drafted each slate driver (DraftKings' ``%Drafted``); 0 for a
        driver the player table does not list.
    fpts : ndarray of shape (n_drivers,)
        Each driver's fantasy points from the player table; NaN where it does not list him.
    listed : ndarray of shape (n_drivers,), bool
        Whether the player table lists the driver.
    source : str
        The file read.
    warnings : tuple of str
        What looked odd but could be read (points that disagree with the player table, ranks
        that disagree with points).
    """

    entries: tuple[StandingsEntry, ...]
    drafted: np.ndarray
    fpts: np.ndarray
    listed: np.ndarray
    source: str
    warnings: tuple[str, ...] = ()

    @property
    def n_entries(self) -> int:
        return len(self.entries)

    def points(self) -> np.ndarray:
        """Every entry's points, shape (n_entries,), float64."""
        return np.array([e.points for e in self.entries], dtype=np.float64)

    def lineups(self) -> np.ndarray:
        """The lineups of the entries that have one, in file order: int32, shape (n_with_lineup, roster)."""
        rows = [e.lineup for e in self.entries if e.lineup is not None]
        width = len(rows[0]) if rows else 0
        return np.asarray(rows, dtype=np.int32).reshape(len(rows), width)


def _key(h: str) -> str:
    return re.sub(r"[^a-z0-9]", "", h.lower())


def looks_like_standings(header: list[str]) -> bool:
    """Whether a CSV header row is a contest-standings header (has ``EntryId`` and ``Lineup``)."""
    keys = {_key(h) for h in header}
    return "entryid" in keys and "lineup" in keys


def _number(text: str) -> float | None:
    t = text.strip().replace(",", "")
    if t.endswith("%"):
        t = t[:-1].strip()
    try:
        v = float(t)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


class _Names:
    """Slate driver lookup by name (``match_names``), each distinct text matched once."""

    def __init__(self, slate: Slate) -> None:
        self.names = slate.names
        self._seen: dict[str, NameMatch] = {}

    def match(self, text: str) -> NameMatch:
        m = self._seen.get(text)
        if m is None:
            m = self._seen[text] = match_names([text], self.names)[0]
        return m

    def index(self, text: str) -> int | None:
        return self.match(text).index


def _split_lineup(cell: str, names: _Names, token: str) -> tuple[list[int] | None, list[str]]:
    """Driver indices of a lineup cell, and the pieces no driver matched.

    The cell is ``TOKEN name TOKEN name ...``; a name may itself hold a word equal to the token,
    so the split points are chosen so that every piece names a slate driver (a search over the
    token positions, memoised). Failing that, the cell is split at every token and the pieces
    that match nothing are returned.
    """
    head = token + " "
    if cell.startswith(head):  # the common case: single spaces, no name holding the token
        found = [names.index(p) for p in cell[len(head):].split(f" {head}")]
        if None not in found:
            return found, []  # type: ignore[return-value]
    words = cell.split()
    if not words or words[0] != token:
        return None, [cell.strip()]
    marks = [i for i, w in enumerate(words) if w == token] + [len(words)]
    memo: dict[int, list[int] | None] = {}

    def solve(k: int) -> list[int] | None:  # drivers from the k-th token mark to the end
        if marks[k] == len(words):
            return []
        if k in memo:
            return memo[k]
        best = None
        for j in range(k + 1, len(marks)):
            piece = " ".join(words[marks[k] + 1: marks[j]])
            if not piece:
                continue
            i = names.index(piece)
            if i is None:
                continue
            rest = solve(j)
            if rest is not None:
                best = [i, *rest]
                break
        memo[k] = best
        return best

    got = solve(0)
    if got is not None:
        return got, []
    pieces = [" ".join(words[marks[k] + 1: marks[k + 1]]) for k in range(len(marks) - 1)]
    return None, [p for p in pieces if names.index(p) is None] or [cell.strip()]


def read_standings(path: str | Path, slate: Slate) -> Standings:
    """Read a contest-standings CSV against ``slate`` (see the module docstring for the format).

    Parameters
    ----------
    path : str or Path
        The file as downloaded (UTF-8 with or without BOM, UTF-16, cp1252).
    slate : Slate
        The contest's slate: lineup and player names are matched to its drivers.

    Returns
    -------
    Standings

    Raises
    ------
    InputError
        Listing every problem: a missing column, a rank or points that are not numbers, an entry
        id given twice, a name that is not on the slate (once per name, with its rows and the
        closest slate names), a lineup without ``roster_size`` different drivers, a player
        listed twice or with a bad ``%Drafted`` / ``FPTS``, no entries at all.
    """
    p = Path(path)
    return read_standings_text(read_text_file(p, param="standings"), slate, source=str(p))


def read_standings_text(text: str, slate: Slate, source: str = "standings.csv") -> Standings:
    """:func:`read_standings` on the file's text."""
    rows = csv_rows(text, source, max_rows=MAX_STANDINGS_ROWS, what="contest's standings")
    h = next((k for k, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if h is None:
        raise InputError(Problem("the file is empty", file=source,
                                 fix="download the standings again (contest page > Export Lineups to CSV)"))
    header = rows[h]
    col: dict[str, int] = {}
    for j, c in enumerate(header):
        col.setdefault(_key(c), j)
    need = {**_ENTRY_COLS, **_PLAYER_COLS}
    missing = [name for k, name in need.items() if k not in col]
    if missing:
        raise InputError([Problem(f"column '{name}' is missing (the header has: "
                                  f"{as_text(', '.join(c for c in header if c.strip()) or '(none)')})",
                                  file=source, row=h + 1, field=name,
                                  fix="use DraftKings' contest-standings export as downloaded: "
                                      + ",".join(["Rank", "EntryId", "EntryName", "TimeRemaining", "Points", "Lineup",
                                                  "", "Player", "Roster Position", "%Drafted", "FPTS"]))
                          for name in missing])
    names = _Names(slate)
    roster = slate.site.roster_size
    problems: list[Problem] = []
    unknown: dict[str, list[int]] = {}  # a name no slate driver matches -> rows
    entries: list[StandingsEntry] = []
    ids_seen: dict[str, int] = {}
    drafted = np.zeros(slate.n)
    fpts = np.full(slate.n, np.nan)
    listed_row: dict[int, int] = {}
    cache: dict[str, tuple[tuple[int, ...] | None, list[str], int, int]] = {}  # cell -> lineup, bad, found, distinct
    # drivers of slate.left_out (in the salary file, not on the starting grid): named, not errors
    gone_players: list[str] = []
    gone_entries: dict[str, int] = {}  # "Name (ID)" -> entries whose lineup holds him (read without a lineup)

    def cell(rec: list[str], key: str) -> str:
        j = col[key]
        return rec[j].strip() if j < len(rec) else ""

    entry_idx = [col[key] for key in _ENTRY_COLS]
    for k in range(h + 1, len(rows)):
        rec, rn = rows[k], k + 1
        if not "".join(rec).strip():
            continue
        # ---- the player table (right part), independent of the entry on this row
        player = cell(rec, "player")
        if player:
            m = names.match(player)
            pct, pts = _number(cell(rec, "drafted")), _number(cell(rec, "fpts"))
            if m.index is None and not m.ambiguous and (lo := find_left_out(player, slate)) is not None:
                gone_players.append(f"{lo.name} ({lo.id})")
            elif m.index is None:
                what = "matches several slate drivers: " if m.ambiguous else "is not on the slate ("
                close = ", ".join(f"'{c}'" for c in m.candidates) if m.candidates else "no similar name"
                problems.append(Problem(f"player '{as_text(player)}' {what}{as_text(close)}"
                                        + ("" if m.ambiguous else ")"),
                                        file=source, row=rn, field="Player",
                                        fix="use the salary file of this contest's slate"))
            elif m.index in listed_row:
                problems.append(Problem(f"player '{as_text(player)}' is listed twice (also row {listed_row[m.index]})",
                                        file=source, row=rn, field="Player", fix="keep one row per player"))
            else:
                listed_row[m.index] = rn
                if pct is None or not 0 <= pct <= 100:
                    problems.append(Problem(f"%Drafted '{as_text(cell(rec, 'drafted'))}' is not a percentage",
                                            file=source, row=rn, field="%Drafted", fix="give a share like 23.45%"))
                else:
                    drafted[m.index] = pct
                if pts is None:
                    problems.append(Problem(f"FPTS '{as_text(cell(rec, 'fpts'))}' is not a number", file=source,
                                            row=rn, field="FPTS", fix="give the player's fantasy points, e.g. 47.25"))
                else:
                    fpts[m.index] = pts
        elif cell(rec, "drafted") or cell(rec, "fpts"):
            problems.append(Problem("a %Drafted or FPTS value without a player", file=source, row=rn, field="Player",
                                    fix="give the player's name, or clear the row's player cells"))
        # ---- the entry (left part)
        entry_cells = [rec[j].strip() if j < len(rec) else "" for j in entry_idx]
        if not any(entry_cells):
            continue
        rank_t, eid, ename, points_t, lineup_t = entry_cells
        rank = _number(rank_t)
        if rank is None or rank < 1 or rank != int(rank):
            problems.append(Problem(f"rank '{as_text(rank_t)}' is not a whole number of at least 1", file=source,
                                    row=rn, field="Rank", fix="keep the Rank column as DraftKings wrote it"))
        points = _number(points_t)
        if points is None:
            problems.append(Problem(f"points '{as_text(points_t)}' is not a number", file=source, row=rn,
                                    field="Points", fix="keep the Points column as DraftKings wrote it"))
        if not eid:
            problems.append(Problem("the entry id is empty", file=source, row=rn, field="EntryId",
                                    fix="keep the EntryId column as DraftKings wrote it"))
        elif eid in ids_seen:
            problems.append(Problem(f"entry id {as_text(eid)} is listed twice (also row {ids_seen[eid]})",
                                    file=source, row=rn, field="EntryId", fix="keep one row per entry"))
        else:
            ids_seen[eid] = rn
        lineup: tuple[int, ...] | None = None
        if lineup_t:
            if lineup_t not in cache:
                got, bad = _split_lineup(lineup_t, names, SLOT_TOKEN)
                found = got or []
                ok = len(found) == roster and len(set(found)) == roster
                cache[lineup_t] = (tuple(sorted(found)) if ok else None, bad, len(found), len(set(found)))
            lineup, bad, n_found, n_distinct = cache[lineup_t]
            gone = [lo for b in bad if (lo := find_left_out(b, slate)) is not None]
            held_gone = bool(gone) and len(gone) == len(bad)  # every unmatched name a non-starter
            if held_gone:
                for lo in gone:
                    gone_entries[f"{lo.name} ({lo.id})"] = gone_entries.get(f"{lo.name} ({lo.id})", 0) + 1
                bad = []
            for b in bad:
                unknown.setdefault(b, []).append(rn)
            if lineup is None and not bad and not held_gone:
                problems.append(Problem(f"the lineup has {n_found} drivers ({n_distinct} different), a "
                                        f"{slate.site.name} lineup has {roster} different drivers",
                                        file=source, row=rn, field="Lineup",
                                        fix=f"check the file is this slate's {slate.site.name} contest"))
        if rank is not None and points is not None and eid and not (rank < 1 or rank != int(rank)):
            entries.append(StandingsEntry(int(rank), eid, ename, _MULTI_ENTRY.sub("", ename), float(points), lineup, rn))
    for name, rns in unknown.items():
        m = names.match(name)
        close = ", ".join(f"'{c}'" for c in m.candidates) if m.candidates else "no similar name"
        more = f" and {len(rns) - 3:,} more" if len(rns) > 3 else ""
        what = (f"matches several slate drivers ({as_text(close)})" if m.ambiguous
                else f"is not a driver on the slate (closest: {as_text(close)})")
        problems.append(Problem(f"'{as_text(name)}' in the lineups of rows {', '.join(map(str, rns[:3]))}{more} {what}",
                                file=source, row=rns[0], field="Lineup",
                                fix=f"lineups are '{SLOT_TOKEN} name {SLOT_TOKEN} name ...' with the slate's driver "
                                    "names; use the salary file of this contest's slate"))
    if problems:
        problems.sort(key=lambda q: q.row or 0)
        raise InputError(problems)
    if not entries:
        raise InputError(Problem("no entries found below the header", file=source, field="EntryId",
                                 fix="download the standings again once the contest has finished"))
    listed = np.zeros(slate.n, dtype=bool)
    listed[list(listed_row)] = True
    warnings = _consistency(entries, fpts, listed, source)
    if gone_players or gone_entries:
        warnings.append(_left_out_line(gone_players, gone_entries, source))
    return Standings(tuple(entries), drafted, fpts, listed, source, tuple(warnings))


def _left_out_line(players: list[str], entries: dict[str, int], source: str) -> str:
    """One warning for the standings' mentions of drivers the slate left out (non-starters): their
    player-table rows are skipped, and entries holding them are read without a lineup (their
    points kept), since the slate has no column to score such a lineup with."""
    parts = []
    if players:
        parts.append(f"player-table row(s) skipped: {', '.join(players)}")
    if entries:
        parts.append(f"{sum(entries.values())} entries read without a lineup (their points kept; a field "
                     f"file drops them), holding " + ", ".join(f"{k} in {v}" for k, v in entries.items()))
    return f"{Path(source).name}: drivers left out of the slate (not on the race's starting grid): " + "; ".join(parts)


def _consistency(entries: list[StandingsEntry], fpts: np.ndarray, listed: np.ndarray, source: str) -> list[str]:
    """Warnings for points that disagree with the player table and ranks that disagree with points."""
    out: list[str] = []
    with_lu = [e for e in entries if e.lineup is not None]
    if with_lu:
        lu = np.array([e.lineup for e in with_lu], dtype=np.int64)
        pts = np.array([e.points for e in with_lu])
        unlisted = ~listed[lu].all(axis=1)
        if unlisted.any():
            out.append(f"{source}: {int(unlisted.sum()):,} lineups hold a driver the player table does not list "
                       f"(first: row {with_lu[int(np.argmax(unlisted))].row})")
        summed = np.where(unlisted, np.nan, np.nansum(fpts[lu], axis=1))
        off = ~unlisted & (np.abs(summed - pts) > 0.011)
        if off.any():
            j = int(np.argmax(off))
            out.append(f"{source}: {int(off.sum()):,} entries' points differ from the sum of their drivers' FPTS "
                       f"(first: row {with_lu[j].row}, {pts[j]:.2f} against {summed[j]:.2f})")
    cents = np.round(np.array([e.points for e in entries]) * 100).astype(np.int64)
    ranks = np.array([e.rank for e in entries], dtype=np.int64)
    s = np.sort(-cents)
    expect = np.searchsorted(s, -cents, side="left") + 1  # 1 + entries with strictly more points
    bad = ranks != expect
    if bad.any():
        j = int(np.argmax(bad))
        out.append(f"{source}: {int(bad.sum()):,} entries' ranks differ from 1 + the entries with more points "
                   f"(first: row {entries[j].row}, rank {ranks[j]} against {expect[j]})")
    return out
