"""Driver and Slate: one race on one site; readers for the sites' salary exports and projections.

The dataclasses below are the contract every other module uses. Readers live further down:
``read_salaries`` (DraftKings export, FanDuel player list), ``read_projections``,
``read_slate`` (both, names matched tolerantly), ``demo_paths``/``demo_slate``.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.sites import SiteRules, get_site
from tailrace.textfile import csv_rows, decode_text


@dataclass(frozen=True)
class Driver:
    """One driver on a slate. ``start`` is the 1-based starting (qualifying) position."""

    id: str  # the site's player ID, as a string (DK "12345678", FD "98765-4321")
    name: str
    salary: int
    start: int | None = None
    projection: float | None = None  # mean site points, from the user
    win_odds: float | None = None  # decimal odds (American converted on read)
    rating: float | None = None  # user rating: higher = stronger (log-strength scale)
    ownership: float | None = None  # projected ownership, percent
    team: str | None = None
    manufacturer: str | None = None
    top3_odds: float | None = None  # decimal odds to finish in the top 3 (American converted on read)
    top5_odds: float | None = None  # decimal odds to finish in the top 5
    top10_odds: float | None = None  # decimal odds to finish in the top 10


@dataclass(frozen=True)
class Slate:
    """One race on one site: its drivers (in file order), the site rules, and the track."""

    site: SiteRules
    drivers: tuple[Driver, ...]
    track: str | None = None  # track name as read (e.g. from DK "Game Info"), unresolved
    source: dict[str, str] = field(default_factory=dict)  # file names it was read from
    notes: tuple[str, ...] = ()  # what the reader decided for the user (placeholder team, drivers left out)
    race: Any = None  # tailrace.races.RaceInfo: the race and track it resolved to, and how (None: unknown)

    @property
    def n(self) -> int:
        return len(self.drivers)

    @property
    def ids(self) -> list[str]:
        return [d.id for d in self.drivers]

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.drivers]

    def salaries(self) -> np.ndarray:
        return np.array([d.salary for d in self.drivers], dtype=np.int64)

    def starts(self) -> np.ndarray:
        """Start positions as int64; raises ValueError if any driver lacks one."""
        if any(d.start is None for d in self.drivers):
            missing = [d.name for d in self.drivers if d.start is None]
            raise ValueError(f"no start position for: {', '.join(missing)}")
        return np.array([d.start for d in self.drivers], dtype=np.int64)

    def index_of(self, driver_id: str) -> int:
        for i, d in enumerate(self.drivers):
            if d.id == driver_id:
                return i
        raise KeyError(driver_id)


# ---------------------------------------------------------------------------------------
# Readers: user files -> Drivers. Every problem found (file, 1-based spreadsheet row,
# field, fix) is collected and raised together as one InputError.
# ---------------------------------------------------------------------------------------

#: DraftKings salary export header, as DraftKings writes it (DKSalaries.csv).
DK_HEADER: tuple[str, ...] = (
    "Position", "Name + ID", "Name", "ID", "Roster Position", "Salary", "Game Info",
    "TeamAbbrev", "AvgPointsPerGame",
)
#: FanDuel player list ("Download players list"). Its tail varies by sport and over time
#: (blank columns, "Roster Position"), so columns are found by name, not position.
FD_HEADER: tuple[str, ...] = (
    "Id", "Position", "First Name", "Nickname", "Last Name", "FPPG", "Played", "Salary",
    "Game", "Team", "Opponent", "Injury Indicator", "Injury Details", "Tier",
)

_DK_DRIVER_POSITIONS = frozenset({"D"})  # DraftKings NASCAR Classic: every slot is "D"
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_LETTER_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L",
                              "đ": "d", "Đ": "D", "ß": "ss", "œ": "oe", "Œ": "OE"})
_SCAN_ROWS = 30  # how far down a file to look for the header row (DK entry templates)

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


@dataclass(frozen=True)
class NameMatch:
    """How one name matched a candidate list: ``index`` is set when exactly one matched."""

    query: str
    index: int | None
    ambiguous: bool = False
    candidates: tuple[str, ...] = ()  # the tied names (ambiguous) or the closest (unmatched)


@dataclass
class _SalaryRecord:
    row: int
    id: str
    name: str
    salary: int | None
    team: str | None
    game: str


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


# ----------------------------------------------------------------------------- files --


def _read_text(path: str | Path, label: str) -> tuple[str | None, list[Problem]]:
    """The file's text (``tailrace.textfile.decode_text``: UTF-8 with or without BOM, UTF-16 with
    a BOM, else cp1252; binary data refused), or the problem."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [Problem("file not found", file=label, fix="check the path")]
    except OSError as exc:
        return None, [Problem(f"cannot read the file ({exc.strerror})", file=label,
                              fix="check the path and its permissions")]
    try:
        text = decode_text(data, label)
    except InputError as exc:
        return None, list(exc.problems)
    if not text.strip():
        return None, [Problem("the file is empty", file=label,
                              fix="export it again: a header row, then one row per driver")]
    return text, []


MAX_SLATE_ROWS = 2_000  # a slate holds at most 43 drivers; DraftKings exports add a few lines


def _records(text: str, label: str) -> list[list[str]]:
    """CSV records, blank lines kept as [] so that index + 1 is the spreadsheet row; a file
    the CSV reader cannot split is an InputError naming the row (``tailrace.textfile.csv_rows``)."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delim = max((",", ";", "\t"), key=first.count)
    return [[c.strip() for c in rec]
            for rec in csv_rows(text, label, delimiter=delim, max_rows=MAX_SLATE_ROWS, what="salary or projections file")]


def _norm_header(h: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold(h).lower())


def _header_index(header: list[str]) -> dict[str, int]:
    """Normalised header -> first column index holding it."""
    out: dict[str, int] = {}
    for j, h in enumerate(header):
        k = _norm_header(h)
        if k and k not in out:
            out[k] = j
    return out


def _find_header(records: list[list[str]], ok: Callable[[set[str]], bool]) -> int | None:
    for i, rec in enumerate(records[:_SCAN_ROWS]):
        if ok({_norm_header(c) for c in rec if c}):
            return i
    return None


def _first_nonempty(records: list[list[str]]) -> tuple[int, list[str]]:
    for i, r in enumerate(records):
        if any(r):
            return i, r
    return 0, []


def _cell(rec: list[str], idx: int | None) -> str:
    if idx is None or idx >= len(rec):
        return ""
    return rec[idx].strip()


def _shown(header: list[str]) -> str:
    cols = [c for c in header if c]
    return ", ".join(cols) if cols else "(none)"


# ---------------------------------------------------------------------------- values --


def _parse_money(s: str) -> int | None:
    """'8500', '$8,500', '8500.0' -> 8500; anything else None."""
    t = re.sub(r"[\s$,]", "", s)
    try:
        v = float(t)
    except ValueError:
        return None
    if not math.isfinite(v) or v != int(v):
        return None
    return int(v)


def _parse_int(s: str) -> int | None:
    """'7', '7.0' -> 7; anything else None."""
    try:
        v = float(s)
    except ValueError:
        return None
    if not math.isfinite(v) or v != int(v):
        return None
    return int(v)


def _parse_float(s: str) -> float | None:
    try:
        v = float(s.replace(",", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_odds(text: str) -> float | None:
    """Win odds as decimal odds, or None if unreadable.

    American '+350' -> 4.5 and '-120' -> 1.8333; decimal '4.5'; fractional '7/2' -> 4.5;
    'even' -> 2.0.
    An unsigned number of 100 or more is American (spreadsheets drop the '+'); an unsigned
    number below 100 is decimal and must exceed 1.
    """
    t = text.strip().replace(",", "").replace(" ", "")
    if not t:
        return None
    if t.lower() in ("even", "evens", "evs"):
        return 2.0
    m = re.fullmatch(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", t)
    if m:
        num, den = float(m.group(1)), float(m.group(2))
        return 1.0 + num / den if num > 0 and den > 0 else None
    try:
        v = float(t)
    except ValueError:
        return None
    if not math.isfinite(v):
        return None
    if t[0] in "+-" or v >= 100:
        if abs(v) < 100:
            return None
        return 1.0 + v / 100.0 if v > 0 else 1.0 + 100.0 / -v
    return v if v > 1.0 else None


# ----------------------------------------------------------------------------- names --


def _fold(s: str) -> str:
    """Strip accents: 'Suárez' -> 'Suarez'."""
    s = unicodedata.normalize("NFKD", s.translate(_LETTER_FOLD))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def _name_tokens(name: str) -> list[str]:
    s = _fold(name).lower()
    if "," in s:  # "Larson, Kyle" -> "kyle larson"; "Stenhouse Jr., Ricky" likewise
        parts = [p.strip() for p in s.split(",") if p.strip()]
        suffixes = [p for p in parts if re.sub(r"[^a-z]", "", p) in _NAME_SUFFIXES]
        rest = [p for p in parts if p not in suffixes]
        if len(rest) == 2:
            rest = [rest[1], rest[0]]
        s = " ".join(rest + suffixes)
    s = re.sub(r"[.'\u2019`]", "", s)  # A.J. -> aj, O'Neil -> oneil
    s = re.sub(r"[^a-z0-9]+", " ", s)  # hyphens and other marks -> space
    tokens: list[str] = []
    in_initials = False
    for t in s.split():  # a run of single letters is one token: "a j smith" -> "aj smith"
        if len(t) == 1 and in_initials:
            tokens[-1] += t
        else:
            tokens.append(t)
            in_initials = len(t) == 1
    return tokens


def normalize_name(name: str, *, drop_suffix: bool = True) -> str:
    """Matching key for a driver name, ignoring case, accents, punctuation ('A.J.' = 'AJ'),
    spacing and, with ``drop_suffix``, generational suffixes (Jr., Sr., II, III, IV)."""
    toks = _name_tokens(name)
    if drop_suffix:
        core = [t for t in toks if t not in _NAME_SUFFIXES]
        if len(core) >= 2:
            toks = core
    return " ".join(toks)


def match_names(queries: Sequence[str], candidates: Sequence[str]) -> list[NameMatch]:
    """Match each query to one candidate name, tolerantly but never by guesswork.

    A query matches the one candidate with the same key (``normalize_name``) keeping
    suffixes; failing that, the one with the same key ignoring suffixes. Two or more equal
    keys make it ambiguous (all listed); none leaves it unmatched with the closest
    candidates by ``difflib`` similarity.
    """
    strict: dict[str, list[int]] = {}
    loose: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        strict.setdefault(normalize_name(c, drop_suffix=False), []).append(i)
        loose.setdefault(normalize_name(c), []).append(i)
    loose_keys = list(loose)
    out: list[NameMatch] = []
    for q in queries:
        hits = strict.get(normalize_name(q, drop_suffix=False)) or loose.get(normalize_name(q), [])
        if len(hits) == 1:
            out.append(NameMatch(q, hits[0]))
        elif hits:
            out.append(NameMatch(q, None, True, tuple(candidates[i] for i in hits)))
        else:
            close = difflib.get_close_matches(normalize_name(q), loose_keys, n=3, cutoff=0.5)
            names = tuple(candidates[i] for k in close for i in loose[k])
            out.append(NameMatch(q, None, False, names[:3]))
    return out


def _closest_text(names: Sequence[str]) -> str:
    return ("closest: " + ", ".join(f"'{n}'" for n in names)) if names else "no similar name"


# ------------------------------------------------------------------------- salaries --


def _looks_fd(cols: set[str]) -> bool:
    return "nickname" in cols or "fppg" in cols or {"firstname", "lastname"} <= cols


def _looks_dk(cols: set[str]) -> bool:
    return bool({"nameid", "teamabbrev", "avgpointspergame", "gameinfo"} & cols)


def _salary_header_ok(site: SiteRules) -> Callable[[set[str]], bool]:
    if site.key == "fd":
        return lambda c: "id" in c and "salary" in c and (
            "nickname" in c or {"firstname", "lastname"} <= c)
    return lambda c: "salary" in c and ("id" in c or "nameid" in c) and (
        "name" in c or "nameid" in c)


def _parse_salaries(
    path: str | Path, site: SiteRules
) -> tuple[list[_SalaryRecord], list[Problem]]:
    """Salary rows (invalid values kept as None so names still match) and the problems."""
    label = str(path)
    text, problems = _read_text(path, label)
    if text is None:
        return [], problems
    records = _records(text, label)
    export = "DraftKings salary export (DKSalaries.csv)" if site.key == "dk" else \
        "FanDuel player list"
    h = _find_header(records, _salary_header_ok(site))
    if h is None:
        hi, header = _first_nonempty(records)
        cols = {_norm_header(c) for c in header if c}
        if site.key == "dk" and _looks_fd(cols):
            return [], [Problem("this is a FanDuel player list, not a DraftKings salary export",
                                file=label, row=hi + 1,
                                fix="pass {site=fd} for this file, or pass the DraftKings "
                                    "export (DKSalaries.csv)")]
        if site.key == "fd" and _looks_dk(cols):
            return [], [Problem("this is a DraftKings salary export, not a FanDuel player list",
                                file=label, row=hi + 1,
                                fix="pass {site=dk} for this file, or pass the FanDuel "
                                    "player list")]
        need = ("ID", "Name", "Salary") if site.key == "dk" else ("Id", "Nickname", "Salary")
        missing = [c for c in need if _norm_header(c) not in cols]
        return [], [Problem(
            f"missing required column(s) {', '.join(missing) or ', '.join(need)}; "
            f"columns found: {_shown(header)}",
            file=label, row=hi + 1, field=(missing or list(need))[0],
            fix=f"pass the {export} as downloaded, header "
                f"'{','.join(DK_HEADER if site.key == 'dk' else FD_HEADER)}'")]

    header = records[h]
    col = _header_index(header)
    if site.key == "dk":
        i_id, i_name, i_nameid = col.get("id"), col.get("name"), col.get("nameid")
        i_team, i_game = col.get("teamabbrev"), col.get("gameinfo")
        i_pos = col.get("rosterposition", col.get("position"))
        pos_field = "Roster Position" if "rosterposition" in col else "Position"
    else:
        i_id, i_name, i_nameid = col.get("id"), col.get("nickname"), None
        i_team, i_game, i_pos = col.get("team"), col.get("game"), None
        pos_field = ""
    i_first, i_last = col.get("firstname"), col.get("lastname")
    i_sal = col["salary"]
    id_field = "ID" if site.key == "dk" else "Id"
    name_field = "Name" if site.key == "dk" else "Nickname"
    lo, hi_sal = site.salary_range

    out: list[_SalaryRecord] = []
    seen_id: dict[str, int] = {}
    seen_name: dict[str, tuple[int, str]] = {}
    bad_pos: list[tuple[int, str]] = []
    used = [i for i in (i_id, i_name, i_nameid, i_sal, i_first, i_last) if i is not None]
    for k in range(h + 1, len(records)):
        rec, row = records[k], k + 1
        if not any(_cell(rec, i) for i in used):
            continue
        name = _cell(rec, i_name)
        if not name and site.key == "fd":
            name = " ".join(x for x in (_cell(rec, i_first), _cell(rec, i_last)) if x)
        pid = _cell(rec, i_id)
        nameid = _cell(rec, i_nameid)
        if nameid and (not name or not pid):  # DK "Kyle Larson (12345678)"
            m = re.fullmatch(r"(.*?)\s*\((\w[\w-]*)\)\s*", nameid)
            if m:
                name = name or m.group(1).strip()
                pid = pid or m.group(2)
        if not name:
            problems.append(Problem("no driver name", file=label, row=row, field=name_field,
                                    fix="fill in the driver's name or delete the row"))
        if not pid:
            problems.append(Problem("no player ID", file=label, row=row, field=id_field,
                                    fix="use the file as exported by the site; IDs are needed "
                                        "to upload lineups"))
        elif pid in seen_id:
            problems.append(Problem(f"duplicate ID {pid} (also on row {seen_id[pid]})",
                                    file=label, row=row, field=id_field,
                                    fix="delete the repeated row"))
        else:
            seen_id[pid] = row
        if name:
            key = normalize_name(name, drop_suffix=False)
            if key in seen_name:
                prev_row, prev_name = seen_name[key]
                also = f"also on row {prev_row}" if prev_name == name else \
                    f"row {prev_row} has '{prev_name}'"
                problems.append(Problem(
                    f"duplicate driver name '{name}' ({also})",
                    file=label, row=row, field=name_field, fix="delete the repeated row"))
            else:
                seen_name[key] = (row, name)
        raw_sal = _cell(rec, i_sal)
        salary = _parse_money(raw_sal)
        if salary is None:
            problems.append(Problem(
                f"salary '{raw_sal}' is not a whole number" if raw_sal else "salary is empty",
                file=label, row=row, field=header[i_sal] or "Salary",
                fix="write the salary in dollars, e.g. 8500 or $8,500"))
        elif not lo <= salary <= hi_sal:
            problems.append(Problem(
                f"salary {salary} is outside the {site.name} range {lo}-{hi_sal}",
                file=label, row=row, field=header[i_sal] or "Salary",
                fix="check the value (dollars, not thousands) and the {site}"))
            salary = None
        pos = _cell(rec, i_pos)
        if i_pos is not None and pos and not set(pos.split("/")) & _DK_DRIVER_POSITIONS:
            bad_pos.append((row, pos))
        out.append(_SalaryRecord(row, pid, name, salary, _cell(rec, i_team) or None,
                                 _cell(rec, i_game)))
    if bad_pos:
        rows = ", ".join(str(r) for r, _ in bad_pos[:5]) + (" ..." if len(bad_pos) > 5 else "")
        kinds = ", ".join(sorted({p for _, p in bad_pos})[:5])
        problems.append(Problem(
            f"{len(bad_pos)} row(s) ({rows}) have position(s) {kinds}, not a NASCAR driver (D)",
            file=label, row=bad_pos[0][0], field=pos_field,
            fix="pass the salary export of a NASCAR contest"))
    if not out:
        problems.append(Problem("no driver rows below the header", file=label, row=h + 2,
                                fix="export the file again; it needs one row per driver"))
    elif len(out) < site.roster_size:
        problems.append(Problem(
            f"only {len(out)} driver(s), fewer than a {site.name} roster of {site.roster_size}",
            file=label, fix=f"pass the full salary file (at least {site.roster_size} drivers)"))
    return out, problems


def _track_from_game_info(values: Sequence[str]) -> str | None:
    """Track name from a DK 'Game Info' cell: the text before the date and time.

    'Kansas Speedway 05/11/2025 03:00PM ET' -> 'Kansas Speedway'. A team pairing
    ('AAA@BBB ...', other sports) or an empty cell gives None.
    """
    for v in values:
        t = re.sub(r"\s*\d{1,2}/\d{1,2}/\d{2,4}.*$", "", v).strip()
        t = re.sub(r"\s+\d{1,2}:\d{2}\s*[AaPp][Mm].*$", "", t).strip()
        if t and "@" not in t:
            return t
    return None


def read_salaries(path: str | Path, site: SiteRules | str) -> list[Driver]:
    """Drivers from a site's salary file (DK export or FD player list), in file order.

    Start positions and projections are left empty (they come from a projections file).
    Raises InputError listing every problem found.
    """
    rules = get_site(site) if isinstance(site, str) else site
    recs, problems = _parse_salaries(path, rules)
    if problems:
        raise InputError(problems)
    return [Driver(id=r.id, name=r.name, salary=int(r.salary or 0), team=r.team) for r in recs]


# ----------------------------------------------------------------------- projections --

# A projection is a driver's *mean* site points. The best real Cup mean over a season is about
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


# ----------------------------------------------------------------------------- slate --


def read_slate(
    site: SiteRules | str,
    salaries_path: str | Path,
    projections_path: str | Path | None = None,
    *,
    track: str | None = None,
    grid_complete: bool = False,
    season: int | None = None,
    grid: Sequence[tuple[str, int]] | None = None,
    grid_label: str = "the history",
) -> Slate:
    """A Slate from a site's salary file plus (optionally) a projections file.

    Projection names are matched to salary names tolerantly (``match_names``); every
    unmatched or ambiguous name is reported with its closest candidates. ``track`` (e.g. from
    ``--track``) wins over the track read from DraftKings' 'Game Info'.

    A salary driver without a projections row is an error, unless ``grid_complete``: the
    projections file is then the whole starting grid, and salary drivers missing from it
    (non-qualifiers, an injured driver) are left out of the slate, each named in
    ``Slate.notes``. A fewer-rows grid does not imply ``grid_complete`` by itself (a
    forgotten row would then silently drop a starter); the error says to pass it.

    A ``TeamAbbrev`` / ``Team`` column that holds one value for every driver (DraftKings'
    ``Nasca`` on NASCAR exports) is a placeholder, not a team: it is ignored (teams stay
    unknown, so team rules ask for a team column or a history) and a note says so.

    The race and track (``Slate.race``, ``tailrace.races.identify_race``): ``track`` if
    given, else the 'Game Info' text (a date, a track name or a race name), else the salary
    file's name (``dk_<season>_r<NN>_<track>.csv``); ``season`` helps when the file has no date.
    A Game Info name that is no known track or race is kept as ``Slate.track`` and the
    simulation says so (the slate alone does not need a track).
    ``grid`` (instead of a projections file): ``(driver, start)`` of every starter, e.g. this
    race's grid from a history (``tailrace.sim.strength.from_history.history_grid``), named
    ``grid_label`` in messages; it is a complete grid (``grid_complete`` implied).
    Raises one InputError listing all problems.
    """
    rules = get_site(site) if isinstance(site, str) else site
    sal_label = str(salaries_path)
    recs, problems = _parse_salaries(salaries_path, rules)
    source = {"salaries": sal_label}
    notes: list[str] = []
    matched: dict[int, _ProjRecord] = {}  # index into recs -> its projection row
    left_out: list[int] = []  # salary rows not on the grid (grid_complete)
    if projections_path is not None:
        proj_label = str(projections_path)
        source["projections"] = proj_label
        prows, pproblems = _parse_projections(projections_path)
        problems += pproblems
        matched, mproblems, left_out = _match_rows(recs, [p for p in prows if p.name], sal_label,
                                                   proj_label, grid_complete=grid_complete)
        problems += mproblems
        if len(prows) > rules.max_field:
            problems.append(Problem(
                f"{len(prows)} drivers start, but {rules.name} scores only {rules.max_field} "
                "finishing places", file=proj_label, field="start",
                fix=f"keep only the {rules.max_field} drivers in the race"))
    elif grid is not None:
        source["grid"] = grid_label
        grows = [_ProjRecord(row=k + 1, name=str(n), start=int(st)) for k, (n, st) in enumerate(grid)]
        matched, mproblems, left_out = _match_rows(recs, grows, sal_label, grid_label, grid_complete=True)
        problems += mproblems
    if problems:
        order = {label: j for j, label in enumerate(source.values())}
        problems.sort(key=lambda p: (order.get(p.file or "", len(order)),
                                     p.row if p.row is not None else 10**9))
        raise InputError(problems)

    placeholder = _placeholder_team(recs)
    if placeholder is not None:
        notes.append(f"the salary file's team column holds '{placeholder}' for every driver: a placeholder, "
                     "not a team, so it is ignored (team rules need a 'team' column in the projections "
                     "or a race history)")
    if left_out:
        who = ", ".join(f"{recs[i].name} (row {recs[i].row})" for i in left_out)
        notes.append(f"{len(left_out)} salary driver(s) not on the starting grid of "
                     f"{source.get('projections', source.get('grid', 'the grid'))}, left out of the slate: {who}")
    skip = set(left_out)
    drivers = []
    for i, r in enumerate(recs):
        if i in skip:
            continue
        p = matched.get(i)
        drivers.append(Driver(
            id=r.id, name=r.name, salary=int(r.salary or 0),
            start=p.start if p else None,
            projection=p.projection if p else None,
            win_odds=p.win_odds if p else None,
            rating=p.rating if p else None,
            ownership=p.ownership if p else None,
            team=(p.team if p and p.team else (None if placeholder is not None else r.team)),
            manufacturer=p.manufacturer if p else None,
            top3_odds=p.top3_odds if p else None,
            top5_odds=p.top5_odds if p else None,
            top10_odds=p.top10_odds if p else None,
        ))
    race, track_name, race_notes = _identify(recs, track, salaries_path, season)
    notes = race_notes + notes
    return Slate(site=rules, drivers=tuple(drivers), track=track_name, source=source, notes=tuple(notes),
                 race=race)


def _identify(recs: list[_SalaryRecord], track: str | None, salaries_path: str | Path,
              season: int | None) -> tuple[Any, str | None, list[str]]:
    """(RaceInfo or None, the slate's track text, notes) for ``read_slate``."""
    from tailrace.races import identify_race

    game = next((r.game for r in recs if r.game and "@" not in r.game), None)
    try:
        race, notes = identify_race(game, track=track, file_name=salaries_path, season=season)
    except InputError:
        if track and track.strip():
            raise  # the user's own --track is wrong: say so now
        return None, _track_from_game_info([r.game for r in recs if r.game]), []  # the simulation says why
    if race is None:
        return None, _track_from_game_info([r.game for r in recs if r.game]), notes
    generic = race.track.endswith("(generic)")  # a bare type: the slate keeps the type's word
    return race, (race.track_type if generic else race.track), notes


def _placeholder_team(recs: list[_SalaryRecord]) -> str | None:
    """The one team value every salary row holds (DraftKings' ``Nasca``), or None.

    A real slate has drivers of many teams; one value for all (on more drivers than a lineup
    holds, so a tiny file is not judged) is the export's placeholder.
    """
    teams = {r.team for r in recs}
    if len(recs) > 6 and len(teams) == 1 and None not in teams:
        return next(iter(teams))
    return None


def _match_rows(
    recs: list[_SalaryRecord], prows: list[_ProjRecord], sal_label: str, proj_label: str,
    *, grid_complete: bool = False,
) -> tuple[dict[int, _ProjRecord], list[Problem], list[int]]:
    """Pair projection rows with salary rows by name; every failure becomes a Problem.

    Returns the matches, the problems and (``grid_complete``) the salary rows without a
    projections row, which are then left out instead of being problems.
    """
    named: list[int] = []  # salary rows to match: named, first of any repeated name
    keys: set[str] = set()
    for i, r in enumerate(recs):
        k = normalize_name(r.name, drop_suffix=False)
        if r.name and k not in keys:
            keys.add(k)
            named.append(i)
    if not named or not prows:
        return {}, [], []
    sal_names = [recs[i].name for i in named]
    problems: list[Problem] = []
    matched: dict[int, _ProjRecord] = {}
    for pr, m in zip(prows, match_names([p.name for p in prows], sal_names)):
        if m.index is not None:
            i = named[m.index]
            if i in matched:
                problems.append(Problem(
                    f"'{pr.name}' and row {matched[i].row} ('{matched[i].name}') both match "
                    f"salary driver '{recs[i].name}'", file=proj_label, row=pr.row, field="name",
                    fix="keep one row per driver, spelled as in the salary file"))
            else:
                matched[i] = pr
        elif m.ambiguous:
            problems.append(Problem(
                f"'{pr.name}' matches several salary drivers: "
                + ", ".join(f"'{c}'" for c in m.candidates),
                file=proj_label, row=pr.row, field="name",
                fix="spell the name exactly as in the salary file (with its Jr./Sr.)"))
        else:
            problems.append(Problem(
                f"'{pr.name}' is not in the salary file {sal_label} ({_closest_text(m.candidates)})",
                file=proj_label, row=pr.row, field="name",
                fix="spell the name as in the salary file, or delete the row if the driver "
                    "is not on this slate"))
    used = {id(p) for p in matched.values()}
    spare = [p.name for p in prows if id(p) not in used]
    left_out: list[int] = []
    for i in named:
        if i in matched:
            continue
        if grid_complete:
            left_out.append(i)
            continue
        close: tuple[str, ...] = ()
        if spare:
            m = match_names([recs[i].name], spare)[0]
            close = (spare[m.index],) if m.index is not None else m.candidates
        problems.append(Problem(
            f"salary driver '{recs[i].name}' (row {recs[i].row} of {sal_label}) has no row here "
            f"({_closest_text(close)})", file=proj_label, field="name",
            fix="add a row with the driver's name and start; if the driver does not start "
                "(did not qualify, withdrew), pass {grid_complete=true} to leave out every salary driver "
                "the projections do not list"))
    return matched, problems, left_out


# ------------------------------------------------------------------------------ demo --


def demo_paths() -> tuple[Path, Path]:
    """(salaries, projections) of the bundled 38-driver DraftKings demo slate at Kansas."""
    base = Path(str(resources.files("tailrace") / "data" / "demo"))
    return base / "dk_salaries.csv", base / "projections.csv"


def demo_slate(track: str | None = None) -> Slate:
    """The bundled demo slate, read through the same readers as a user's files."""
    sal, proj = demo_paths()
    return read_slate("dk", sal, proj, track=track)
