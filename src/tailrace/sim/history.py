"""Race history: read a results file (one row per driver per race) into per-race arrays.

The file is a CSV in the shape of ``shared/data/cup_results_2019_2023.csv``. Columns (header
names matched case-insensitively; extra columns are ignored):

Required
    ``season`` (int), ``race_num`` (int, points-race number within the season),
    ``track`` (track name, e.g. ``Kansas Speedway``), ``driver`` (name),
    ``start`` (1-based starting position), ``finish`` (1-based official finish),
    ``laps`` (laps completed), ``laps_led`` (laps led), ``status`` (``running`` at the
    finish, otherwise why not: ``accident``, ``engine``, ...).
Optional
    ``fastest_laps`` (laps with the field's fastest lap; absent column = unknown, scored 0),
    ``team``, ``manufacturer``, ``car``, ``race_date`` (ISO date, informative only).

Races are ordered by ``(season, race_num)``; that order is what "before a race" means.

What happens to bad rows (row numbers count the header as row 1, as a spreadsheet does):

* A value that is present but wrong (not a whole number, negative, a start/finish of 0,
  ``laps_led`` above ``laps``, a driver twice in one race, finishes or starts of a complete
  race that are not 1..n) raises one ``InputError`` listing every such problem.
* A row that is merely incomplete (an empty required field) is skipped and reported in
  ``History.notes``; its race is then incomplete (its finishing order has a hole) and is
  kept out of ``races()``, listed in ``History.incomplete`` with the reason instead.
* An empty optional ``fastest_laps`` cell counts as 0 and is reported in ``History.notes``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.sites import MAX_FIELD
from tailrace.textfile import csv_rows, read_text_file
from tailrace.sim.track_params import RaceRecord
from tailrace.tracks import track_type_for

REQUIRED_COLUMNS: tuple[str, ...] = (
    "season", "race_num", "track", "driver", "start", "finish", "laps", "laps_led", "status",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("fastest_laps", "team", "manufacturer", "car", "race_date")
_INT_FIELDS = ("season", "race_num", "start", "finish", "laps", "laps_led")

MAX_WHOLE = 100_000  # any season, race number, position or lap count (a bigger one would overflow int64 arrays)
MAX_HISTORY_ROWS = 1_000_000  # about 700 seasons of Cup results; more is not a history file
RaceId = tuple[int, int]
# Statuses that mean the car retired in a crash (the rest of non-"running" are mechanical etc.).
CRASH_STATUSES = frozenset({"accident", "dvp", "crash", "damage", "wreck"})

README_TEXT = """\
### Race history file (`--history`)

A CSV with one row per driver per race, like the bundled example's source
(`cup_results_2019_2023.csv`). Required columns: `season`, `race_num`, `track`, `driver`,
`start`, `finish`, `laps`, `laps_led`, `status` (`running` if the car finished, otherwise
the reason it retired). Optional: `fastest_laps`, `team`, `manufacturer`, `car`,
`race_date`. Other columns are ignored. Races are taken in `(season, race_num)` order.
Wrong values (text where a number belongs, a driver twice in a race, finishes that are not
1..n) stop the run with every problem listed by row; a row with an empty required cell is
skipped, reported, and its race is left out of fitting and calibration.
"""


@dataclass(frozen=True)
class RaceResult:
    """One past race: per-driver arrays in file order (all of length ``n``).

    ``finish``/``start`` are 1-based; ``dnf`` is ``status != "running"``; ``track_type`` comes
    from ``tailrace.tracks.track_type_for(track, season)``.
    """

    season: int
    race_num: int
    track: str
    track_type: str
    race_date: str | None
    drivers: tuple[str, ...]
    start: np.ndarray
    finish: np.ndarray
    laps: np.ndarray
    laps_led: np.ndarray
    fastest_laps: np.ndarray
    status: tuple[str, ...]
    team: tuple[str | None, ...]
    manufacturer: tuple[str | None, ...]
    fastest_laps_known: bool = True
    first_row: int = 2

    @property
    def race_id(self) -> RaceId:
        """``(season, race_num)``: the race's place in the chronological order."""
        return (self.season, self.race_num)

    @property
    def n(self) -> int:
        """Number of drivers in the race."""
        return len(self.drivers)

    @cached_property
    def dnf(self) -> np.ndarray:
        """Retired cars: status other than ``running`` (bool, per driver)."""
        return np.array([s.strip().lower() != "running" for s in self.status], dtype=bool)

    @cached_property
    def crash(self) -> np.ndarray:
        """DNFs caused by an accident or the damaged-vehicle policy (status in CRASH_STATUSES)."""
        return np.array([s.strip().lower() in CRASH_STATUSES for s in self.status], dtype=bool)

    @property
    def race_laps(self) -> int:
        """Laps the race ran (the winner's laps completed)."""
        return int(self.laps.max()) if self.n else 0

    def to_record(self) -> Any:
        """This race as the simulator's ``RaceRecord`` (for ``fit_track_type_params``)."""

        return RaceRecord(
            track_type=self.track_type,
            start=self.start.copy(),
            finish=self.finish.copy(),
            laps_led=self.laps_led.copy(),
            fastest_laps=self.fastest_laps.copy(),
            laps_completed=self.laps.copy(),
            dnf=self.dnf.copy(),
            race_laps=self.race_laps,
            crash=self.crash.copy(),
            drivers=self.drivers,
        )


@dataclass(frozen=True)
class History:
    """Complete past races in chronological order, plus what was left out and why."""

    source: str
    _races: tuple[RaceResult, ...]
    incomplete: dict[RaceId, str] = field(default_factory=dict)
    notes: tuple[Problem, ...] = ()

    def races(self) -> list[RaceResult]:
        """Complete races, oldest first."""
        return list(self._races)

    def __len__(self) -> int:
        return len(self._races)

    def race(self, season: int, race_num: int) -> RaceResult:
        """One race by id; KeyError if absent or incomplete."""
        for r in self._races:
            if r.race_id == (season, race_num):
                return r
        raise KeyError((season, race_num))

    def race_ids(self, seasons: list[int] | None = None) -> list[RaceId]:
        """Ids of every race in the file (complete or not), optionally for some seasons."""
        ids = {r.race_id for r in self._races} | set(self.incomplete)
        return sorted(i for i in ids if seasons is None or i[0] in seasons)

    def before(self, season: int, race_num: int) -> History:
        """The history strictly before race ``(season, race_num)``."""
        key = (season, race_num)
        return History(
            source=self.source,
            _races=tuple(r for r in self._races if r.race_id < key),
            incomplete={k: v for k, v in self.incomplete.items() if k < key},
            notes=self.notes,
        )

    def to_records(self) -> list[Any]:
        """Every complete race as the simulator's ``RaceRecord``."""
        return [r.to_record() for r in self._races]


def _track_type(track: str, season: int) -> str:

    return str(track_type_for(track, season))


def read_history(path: str | Path) -> History:
    """Read a race-history CSV (see module docstring); InputError lists every bad value."""
    return parse_history(read_text_file(path, param="history"), str(path))


def parse_history(text: str, name: str) -> History:
    """A race history from the text of a results CSV named ``name`` (as ``read_history``)."""
    reader = iter(csv_rows(text, name, max_rows=MAX_HISTORY_ROWS, what="results history"))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(Problem("the file is empty", file=name, fix="give a results CSV with a header row")) from None
    cols = {h.strip().lower(): i for i, h in enumerate(header)}
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise InputError(
            Problem(
                f"missing required column(s): {', '.join(missing)}",
                file=name,
                row=1,
                fix=f"the header must include {', '.join(REQUIRED_COLUMNS)}",
            )
        )
    has_fl = "fastest_laps" in cols
    errors: list[Problem] = []
    notes: list[Problem] = []
    incomplete: dict[RaceId, list[str]] = defaultdict(list)
    groups: dict[RaceId, list[dict[str, Any]]] = defaultdict(list)

    def cell(row: list[str], col: str) -> str:
        i = cols.get(col)
        return row[i].strip() if i is not None and i < len(row) else ""

    for rownum, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        rec: dict[str, Any] = {"row": rownum}
        empty: list[str] = []
        bad = False
        for col in REQUIRED_COLUMNS:
            v = cell(row, col)
            if v == "":
                empty.append(col)
                continue
            if col in _INT_FIELDS:
                try:
                    f = float(v)
                    if not f.is_integer():
                        raise ValueError
                    iv = int(f)
                except ValueError:
                    errors.append(Problem(f"'{v}' is not a whole number", name, rownum, col, "write a whole number"))
                    bad = True
                    continue
                lo = 1 if col in ("start", "finish", "race_num") else 0
                if iv < lo:
                    errors.append(Problem(f"{iv} is below {lo}", name, rownum, col, f"use a value of at least {lo}"))
                    bad = True
                elif iv > MAX_WHOLE:
                    errors.append(Problem(f"{v} is too large for a {col}", name, rownum, col,
                                          f"check the value for a typo (at most {MAX_WHOLE:,})"))
                    bad = True
                rec[col] = iv
            else:
                rec[col] = v
        if "season" in empty or "race_num" in empty:
            errors.append(
                Problem("no season/race number, so the row belongs to no race", name, rownum,
                        "season" if "season" in empty else "race_num", "fill in season and race_num")
            )
            continue
        if bad:
            continue
        rid = (rec["season"], rec["race_num"])
        if empty:
            notes.append(Problem(f"row skipped: empty {', '.join(empty)}", name, rownum, empty[0],
                                 "fill in the value; the race is left out until then"))
            incomplete[rid].append(f"row {rownum} has no {', '.join(empty)}")
            continue
        if rec["laps_led"] > rec["laps"]:
            errors.append(Problem(f"laps_led {rec['laps_led']} exceeds laps completed {rec['laps']}",
                                  name, rownum, "laps_led", "check the laps and laps_led values"))
            continue
        fl = 0
        if has_fl:
            v = cell(row, "fastest_laps")
            if v == "":
                notes.append(Problem("empty fastest_laps counted as 0", name, rownum, "fastest_laps"))
            else:
                try:
                    f = float(v)
                    if not f.is_integer() or not 0 <= f <= MAX_WHOLE:
                        raise ValueError
                    fl = int(f)
                except ValueError:
                    errors.append(Problem(f"'{v}' is not a whole number >= 0", name, rownum, "fastest_laps",
                                          "write a whole number or leave it empty"))
                    continue
        rec["fastest_laps"] = fl
        for opt in ("team", "manufacturer", "race_date"):
            rec[opt] = cell(row, opt) or None
        groups[rid].append(rec)

    races: list[RaceResult] = []
    for rid in sorted(groups):
        recs = groups[rid]
        seen: dict[str, int] = {}
        for r in recs:
            key = r["driver"].lower()
            if key in seen:
                errors.append(Problem(f"driver '{r['driver']}' appears twice in race {rid[0]}-{rid[1]} "
                                      f"(also row {seen[key]})", name, r["row"], "driver", "keep one row per driver per race"))
            seen[key] = r["row"]
        tracks = {r["track"] for r in recs}
        if len(tracks) > 1:
            errors.append(Problem(f"race {rid[0]}-{rid[1]} has several tracks: {sorted(tracks)}",
                                  name, recs[0]["row"], "track", "one track per (season, race_num)"))
        if rid in incomplete:
            continue
        n = len(recs)
        if n > MAX_FIELD:
            errors.append(Problem(f"race {rid[0]}-{rid[1]} has {n} drivers; fields of at most {MAX_FIELD} are scored",
                                  name, recs[0]["row"], "driver", "check for rows of another race filed under this "
                                  "season and race_num"))
            continue
        for col in ("finish", "start"):
            vals = sorted(r[col] for r in recs)
            if vals != list(range(1, n + 1)):
                errors.append(Problem(f"{col} values of race {rid[0]}-{rid[1]} are not 1 to {n}, once each",
                                      name, recs[0]["row"], col, f"give each of the {n} drivers a distinct {col} from 1 to {n}"))
        if errors:
            continue
        track = recs[0]["track"]
        try:
            ttype = _track_type(track, rid[0])
        except InputError as exc:
            errors.extend(Problem(q.message, name, recs[0]["row"], "track", q.fix) for q in exc.problems)
            continue
        races.append(
            RaceResult(
                season=rid[0],
                race_num=rid[1],
                track=track,
                track_type=ttype,
                race_date=recs[0]["race_date"],
                drivers=tuple(r["driver"] for r in recs),
                start=np.array([r["start"] for r in recs], dtype=np.int64),
                finish=np.array([r["finish"] for r in recs], dtype=np.int64),
                laps=np.array([r["laps"] for r in recs], dtype=np.int64),
                laps_led=np.array([r["laps_led"] for r in recs], dtype=np.int64),
                fastest_laps=np.array([r["fastest_laps"] for r in recs], dtype=np.int64),
                status=tuple(r["status"] for r in recs),
                team=tuple(r["team"] for r in recs),
                manufacturer=tuple(r["manufacturer"] for r in recs),
                fastest_laps_known=has_fl,
                first_row=recs[0]["row"],
            )
        )
    if errors:
        raise InputError(errors)
    if not races and not incomplete:
        raise InputError(Problem("no race rows found", file=name, fix="add one row per driver per race"))
    return History(
        source=name,
        _races=tuple(races),
        incomplete={k: "; ".join(v) for k, v in incomplete.items()},
        notes=tuple(notes),
    )
