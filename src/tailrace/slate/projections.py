"""Projection reader: a user's projections file -> checked rows (``read_projections``).

Headers are matched by alias; every problem found (file, 1-based spreadsheet row, field, fix) is
collected and raised together as one InputError.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from tailrace.errors import InputError, Problem
from tailrace.slate.cells import (
    _cell, _first_nonempty, _norm_header, _parse_float, _parse_int, _read_text, _records, _shown,
    parse_odds,
)
from tailrace.slate.names import normalize_name


# Projection headers, compared after lower-casing and dropping everything but a-z0-9.
_PROJ_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "driver", "drivername", "player", "playername", "fullname"),
    "start": ("start", "startpos", "startposition", "starting", "startingposition",
              "startingpos", "qualifying", "qualifyingposition", "qual", "qualpos",
              "grid", "gridposition", "st"),
    "projection": ("projection", "proj", "projected", "projectedpoints", "projpoints",
                   "projpts", "projectedfpts", "projfpts", "fpts", "points", "pts",
                   "meanpoints", "projectedfantasypoints", "fantasypoints"),
    "win_odds": ("winodds", "odds", "oddstowin", "winningodds", "outrightodds"),
    "top3_odds": ("top3odds", "top3", "oddstop3", "top3finish", "top3finishodds"),
    "top5_odds": ("top5odds", "top5", "oddstop5", "top5finish", "top5finishodds"),
    "top10_odds": ("top10odds", "top10", "oddstop10", "top10finish", "top10finishodds"),
    "rating": ("rating", "strength", "logstrength"),
    "ownership": ("ownership", "own", "projown", "projownership", "projectedownership",
                  "ownershippct", "ownpct", "pown", "ownershippercent"),
    "team": ("team", "teamname"),
    "manufacturer": ("manufacturer", "make", "manu", "mfr", "manufacturers"),
}
_PROJ_LOOKUP = {alias: key for key, aliases in _PROJ_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class ProjectionRow:
    """One row of a projections file, parsed and checked (odds stored as decimal odds)."""

    name: str
    start: int
    row: int  # 1-based spreadsheet row in its file (header = row 1)
    projection: float | None = None  # mean site points
    win_odds: float | None = None  # decimal
    rating: float | None = None
    ownership: float | None = None  # percent
    team: str | None = None
    manufacturer: str | None = None
    top3_odds: float | None = None  # decimal
    top5_odds: float | None = None  # decimal
    top10_odds: float | None = None  # decimal


@dataclass
class _ProjRecord:
    row: int
    name: str
    start: int | None = None
    projection: float | None = None
    win_odds: float | None = None
    rating: float | None = None
    ownership: float | None = None
    team: str | None = None
    manufacturer: str | None = None
    top3_odds: float | None = None
    top5_odds: float | None = None
    top10_odds: float | None = None


# 60 DraftKings points (2019-2023 results); a single race's maximum is about 260 (win from the
# back at a 400-lap track leading most laps). No mean can be negative on either site. A value
# outside this range is a typo (``4795`` for ``47.95``) that would otherwise shift every other
# driver when projections are matched to the race's total points.
PROJECTION_RANGE = (0.0, 150.0)


def _parse_projections(path: str | Path) -> tuple[list[_ProjRecord], list[Problem]]:
    label = str(path)
    text, problems = _read_text(path, label)
    if text is None:
        return [], problems
    records = _records(text, label)
    h, header = _first_nonempty(records)
    fields: dict[str, int] = {}
    for j, raw in enumerate(header):
        key = _PROJ_LOOKUP.get(_norm_header(raw))
        if key is None:
            continue
        if key in fields:
            problems.append(Problem(
                f"columns '{header[fields[key]]}' and '{raw}' both give {key}",
                file=label, row=h + 1, field=raw, fix="delete or rename one of them"))
            continue
        fields[key] = j
    missing = [k for k in ("name", "start") if k not in fields]
    if missing:
        return [], problems + [Problem(
            f"missing required column(s) {', '.join(missing)}; columns found: {_shown(header)}",
            file=label, row=h + 1, field=missing[0],
            fix="name the columns 'name' and 'start' (also accepted: driver/player, "
                "start_pos/starting position/qualifying); optional: projection, win_odds, "
                "top3_odds, top5_odds, top10_odds, rating, ownership, team, manufacturer")]

    def colname(k: str) -> str:
        return header[fields[k]]

    out: list[_ProjRecord] = []
    seen: dict[str, int] = {}
    for k in range(h + 1, len(records)):
        rec, row = records[k], k + 1
        vals = {f: _cell(rec, j) for f, j in fields.items()}
        if not any(vals.values()):
            continue
        r = _ProjRecord(row=row, name=vals["name"])
        if not r.name:
            problems.append(Problem("no driver name", file=label, row=row, field=colname("name"),
                                    fix="fill in the name or delete the row"))
        else:
            key = normalize_name(r.name, drop_suffix=False)
            if key in seen:
                problems.append(Problem(f"duplicate driver '{r.name}' (also on row {seen[key]})",
                                        file=label, row=row, field=colname("name"),
                                        fix="keep one row per driver"))
            else:
                seen[key] = row
        s = vals["start"]
        r.start = _parse_int(s)
        if r.start is None or r.start < 1:
            problems.append(Problem(
                f"start '{s}' is not a position (1, 2, 3, ...)" if s else "start is empty",
                file=label, row=row, field=colname("start"),
                fix="write the starting (qualifying) position as a whole number from 1"))
            r.start = None
        for f in ("projection", "rating"):
            if vals.get(f):
                v = _parse_float(vals[f])
                if v is None:
                    problems.append(Problem(f"{f} '{vals[f]}' is not a number", file=label,
                                            row=row, field=colname(f),
                                            fix="write a number, e.g. 42.5, or leave it empty"))
                elif f == "projection" and not PROJECTION_RANGE[0] <= v <= PROJECTION_RANGE[1]:
                    lo, hi = PROJECTION_RANGE
                    problems.append(Problem(
                        f"projection {vals[f]} is outside the plausible range {lo:g} to {hi:g} mean points",
                        file=label, row=row, field=colname(f),
                        fix="check this row for a typo (a missing decimal point?) or leave it empty"))
                    v = None
                setattr(r, f, v)
        if vals.get("win_odds"):
            r.win_odds = parse_odds(vals["win_odds"])
            if r.win_odds is None:
                problems.append(Problem(f"win odds '{vals['win_odds']}' are not odds", file=label,
                                        row=row, field=colname("win_odds"),
                                        fix="write American odds (+350, -120), decimal odds "
                                            "above 1 (4.5) or leave it empty"))
        for f, k in (("top3_odds", 3), ("top5_odds", 5), ("top10_odds", 10)):
            if vals.get(f):
                v = parse_odds(vals[f])
                if v is None:
                    problems.append(Problem(f"top-{k} odds '{vals[f]}' are not odds", file=label,
                                            row=row, field=colname(f),
                                            fix="write American odds (+350, -120), decimal odds "
                                                "above 1 (1.45) or leave it empty"))
                setattr(r, f, v)
        priced = [(f, k, getattr(r, f)) for f, k in (("win_odds", 1), ("top3_odds", 3),
                                                     ("top5_odds", 5), ("top10_odds", 10))
                  if getattr(r, f) is not None]
        for (f1, k1, o1), (f2, k2, o2) in itertools.pairwise(priced):
            if o2 > o1:  # finishing top k2 cannot be less likely than top k1 < k2
                problems.append(Problem(
                    f"{f2} {vals[f2]} are longer odds than {f1} {vals[f1]}, but finishing in the "
                    f"top {k2} is at least as likely as {'winning' if k1 == 1 else f'the top {k1}'}",
                    file=label, row=row, field=colname(f2),
                    fix=f"check that the {colname(f1)} and {colname(f2)} columns are not swapped "
                        "or mistyped, or leave one empty"))
        if vals.get("ownership"):
            r.ownership = _parse_float(vals["ownership"].rstrip("%").strip())
            if r.ownership is None or not 0.0 <= r.ownership <= 100.0:
                problems.append(Problem(f"ownership '{vals['ownership']}' is not a percentage",
                                        file=label, row=row, field=colname("ownership"),
                                        fix="write a percent from 0 to 100, e.g. 12.5 or 12.5%"))
                r.ownership = None
        r.team = vals.get("team") or None
        r.manufacturer = vals.get("manufacturer") or None
        out.append(r)
    if not out:
        problems.append(Problem("no driver rows below the header", file=label, row=h + 2,
                                fix="add one row per driver"))
    owns = [r.ownership for r in out if r.ownership is not None]
    if len(owns) >= 5 and max(owns) <= 1.0:  # a slate's ownership sums to ~100% per slot
        problems.append(Problem(
            f"ownership values are all 1 or less (sum {sum(owns):.2f}): they look like "
            "fractions, not percents", file=label, field=colname("ownership"),
            fix="write percents: 0.125 -> 12.5 (or 12.5%)"))
    problems += _start_problems(out, label, colname("start"))
    return out, problems


def _start_problems(recs: list[_ProjRecord], label: str, field_name: str) -> list[Problem]:
    """Starts must be 1..n, each once; names duplicates, positions beyond n, and gaps."""
    n = len(recs)
    rows_of: dict[int, list[int]] = {}
    for r in recs:
        if r.start is not None:
            rows_of.setdefault(r.start, []).append(r.row)
    # some starts unreadable (already reported): duplicates and starts past the field are still
    # reported now, all at once, but not the list of gaps, which would mislead
    unreadable = len(rows_of) + sum(len(v) - 1 for v in rows_of.values()) < n
    out: list[Problem] = []
    fix = f"give each of the {n} drivers a different start from 1 to {n}"
    for s in sorted(rows_of):
        rows = rows_of[s]
        if len(rows) > 1:
            out.append(Problem(f"start {s} is given to several drivers (rows "
                               f"{', '.join(map(str, rows))})", file=label, row=rows[1],
                               field=field_name, fix=fix))
        if s > n:
            out.append(Problem(f"start {s} is beyond the field of {n} drivers", file=label,
                               row=rows[0], field=field_name, fix=fix))
    gaps = [s for s in range(1, n + 1) if s not in rows_of]
    if gaps and not unreadable:
        out.append(Problem(f"start positions are not 1 to {n} each once: nobody starts "
                           f"{', '.join(map(str, gaps))}", file=label, field=field_name, fix=fix))
    return out


def read_projections(path: str | Path) -> list[ProjectionRow]:
    """Rows of a projections file keyed by driver name (``name`` and ``start`` required).

    Headers are matched ignoring case, spaces and punctuation, with common spellings
    (driver/player, start_pos/qualifying, proj/fpts, odds, own/proj_own ...). Win odds
    are stored as decimal odds, ownership as percent. Raises InputError on any problem.
    """
    recs, problems = _parse_projections(path)
    if problems:
        raise InputError(problems)
    return [_to_row(r) for r in recs]


def _to_row(r: _ProjRecord) -> ProjectionRow:
    return ProjectionRow(name=r.name, start=int(r.start or 0), row=r.row,
                         projection=r.projection, win_odds=r.win_odds, rating=r.rating,
                         ownership=r.ownership, team=r.team, manufacturer=r.manufacturer,
                         top3_odds=r.top3_odds, top5_odds=r.top5_odds, top10_odds=r.top10_odds)
