"""Cup race names -> track: the sponsored names DraftKings puts in 'Game Info', as data.

Public API::

    Race                       # frozen: season, race_num (or None), date (ISO or None), track, name
    RACES                      # the table, oldest first
    race_key(name) -> str      # the tolerant matching key of a race name
    find_races(name, season=None, date=None) -> list[Race]   # every race of that name (filtered)
    RaceInfo                   # what a slate's race resolved to, and how
    identify_race(game_info, *, track=None, file_name=None, season=None) -> RaceInfo | None
    resolve_track_or_race(text, season=None, date=None) -> (Track, RaceInfo)

Data (``tailrace/data/races/``): ``cup_races_2019_2023.csv`` is generated from the real
results file by ``scripts/make_race_table.py`` (every points race 2019-2023, source named in
its header); ``cup_races_2024_2026.csv`` is kept by hand from the published schedules (its
header names them, and says which seasons are incomplete).

Matching ignores case, accents, punctuation (``O'Reilly`` = ``OReilly``), a trailing
"presented by / powered by / in partnership with ..." and a parenthesised suffix
(``Drydene 311 (1)``). A name two tracks used (a sponsor moving: "Quaker State 400 presented
by Walmart" was Kentucky in 2019-2020 and Atlanta from 2021; "Cook Out 400" Richmond in 2023,
Martinsville in 2026) resolves by the date when one is known, else by the season, else it is
an ambiguity error naming the tracks and seasons and how to settle it.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tailrace.errors import InputError, Problem, as_text
from tailrace.tracks import TRACK_TYPES, TRACKS, Track, find_track, resolve_track

__all__ = ["Race", "RaceInfo", "RACES", "race_key", "find_races", "identify_race", "resolve_track_or_race",
           "parse_game_info", "season_from_file_name"]

_DATA_FILES = ("cup_races_2019_2023.csv", "cup_races_2024_2026.csv")
_SUFFIX = re.compile(r"\s+(presented by|powered by|in partnership with)\s.*$")
_FILE_NAME = re.compile(r"^dk_(\d{4})_r(\d{1,2})_([a-z0-9_]+)$", re.IGNORECASE)
# four-digit year first: with "\d{2}|\d{4}" the regex took "20" of "2026" and read 2020
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?!\d)")


@dataclass(frozen=True)
class Race:
    """One Cup points race: season, points-race number (None where unknown), ISO date, track, name."""

    season: int
    race_num: int | None
    date: str | None
    track: str  # a ``tailrace.tracks.TRACKS`` name
    name: str


@dataclass(frozen=True)
class RaceInfo:
    """What a slate's race resolved to, and how (``how``: one short phrase for output)."""

    name: str | None  # the race's name (as the table spells it, else as the file gave it)
    track: str  # the Track's name
    track_type: str
    season: int | None
    race_num: int | None
    date: str | None  # ISO
    how: str

    def to_json(self) -> dict[str, object]:
        return {"race": self.name, "track": self.track, "track_type": self.track_type, "season": self.season,
                "race_num": self.race_num, "date": self.date, "resolved_by": self.how}


def race_key(name: str) -> str:
    """The matching key of a race name (module docstring)."""
    t = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"\([^)]*\)", " ", t).replace("&", " and ")
    t = re.sub(r"['\u2019`.]", "", t)
    t = re.sub(r"[^a-z0-9]+", " ", t).strip()
    return _SUFFIX.sub("", " " + t).strip()


@lru_cache(maxsize=1)
def _table() -> tuple[Race, ...]:
    base = Path(str(resources.files("tailrace") / "data" / "races"))
    out: list[Race] = []
    for name in _DATA_FILES:
        lines = [ln for ln in (base / name).read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
        for r in csv.DictReader(lines):
            out.append(Race(int(r["season"]), int(r["race_num"]) if r["race_num"] else None, r["race_date"] or None,
                            r["track"], r["race_name"]))
    return tuple(sorted(out, key=lambda r: (r.season, r.date or "", r.race_num or 0)))


RACES: tuple[Race, ...] = _table()
_BY_KEY: dict[str, list[Race]] = {}
for _r in RACES:
    _BY_KEY.setdefault(race_key(_r.name), []).append(_r)


def _days(a: str, b: str) -> int:
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)


def find_races(name: str, season: int | None = None, date: str | None = None) -> list[Race]:
    """Every race called ``name`` (tolerant key); with ``date`` those within 2 days of it (the
    table's dates before 2022 are loop-data dates, a night race may show the next day), else
    with ``season`` those of that season; a filter that leaves none is not applied."""
    hits = list(_BY_KEY.get(race_key(name), []))
    if date is not None and hits:
        near = [r for r in hits if r.date and _days(r.date, date) <= 2]
        if near:  # the nearest (Dover's two 2020 races ran on consecutive days)
            best = min(_days(r.date or date, date) for r in near)
            return [r for r in near if _days(r.date or date, date) == best]
        season = season or int(date[:4])
    if season is not None:
        same = [r for r in hits if r.season == season]
        if same:
            return same
    return hits


def parse_game_info(text: str) -> tuple[str, str | None]:
    """``(name part, ISO date or None)`` of a DK 'Game Info' cell: 'Kansas Speedway 05/11/2025
    03:00PM ET' -> ('Kansas Speedway', '2025-05-11'); 'Pala Casino 400' -> ('Pala Casino 400', None)."""
    m = _DATE.search(text)
    date = None
    if m:
        mo, d, y = (int(g) for g in m.groups())
        y = y + 2000 if y < 100 else y
        try:
            date = dt.date(y, mo, d).isoformat()
        except ValueError:
            date = None
        text = text[:m.start()]
    text = re.sub(r"\s+\d{1,2}:\d{2}\s*[AaPp][Mm].*$", "", text).strip()
    return text, date


def season_from_file_name(path: str | Path | None) -> tuple[int | None, int | None, str | None]:
    """``(season, race_num, track words)`` from a salary file named ``dk_<season>_r<NN>_<track>.csv``."""
    if path is None:
        return None, None, None
    m = _FILE_NAME.match(Path(str(path)).stem)
    if not m:
        return None, None, None
    return int(m.group(1)), int(m.group(2)), m.group(3).replace("_", " ")


def _ambiguous(text: str, hits: list[Race]) -> InputError:
    by_track: dict[str, list[int]] = {}
    for r in hits:
        by_track.setdefault(r.track, []).append(r.season)
    where = "; ".join(f"{t} ({', '.join(str(s) for s in sorted(set(v)))})" for t, v in by_track.items())
    return InputError(Problem(
        f"race '{as_text(text)}' was run at more than one track: {where}",
        param="track",
        fix="pass {track} with the track's name, or say the season ({season}) or the race date "
            "(a Game Info with its date, e.g. 'Name 02/26/2023 03:30PM ET')"))


def unknown_error(text: str) -> InputError:
    """The whole-sentence error for a name that is neither a track nor a known race."""
    names = [t.name for t in TRACKS] + [a for t in TRACKS for a in t.aliases]
    close = difflib.get_close_matches(text, names, n=3, cutoff=0.5)
    races = difflib.get_close_matches(race_key(text), list(_BY_KEY), n=2, cutoff=0.6)
    close += [_BY_KEY[k][-1].name for k in races]
    closest = f" (closest: {', '.join(as_text(c) for c in close)})" if close else ""
    return InputError(Problem(
        f"unknown track or race '{as_text(text)}'",
        param="track",
        fix=f"pass {{track}} with a track name{closest} or a bare track type ({', '.join(TRACK_TYPES)})."))


def _from_races(text: str, hits: list[Race], how: str, season: int | None, date: str | None) -> RaceInfo:
    tracks = {r.track for r in hits}
    if len(tracks) > 1:
        raise _ambiguous(text, hits)
    track = resolve_track(hits[0].track)
    one = hits[0] if len(hits) == 1 else None
    if season is None and len({r.season for r in hits}) == 1:
        season = hits[0].season
    if one is not None and season is not None and one.season != season:
        one = None  # the name, known from another season: the track only
    s = season if season is not None else (one.season if one else None)
    if s is not None:
        track = resolve_track(track.name, s)
    return RaceInfo(one.name if one else text, track.name, track.track_type, s, one.race_num if one else None,
                    date or (one.date if one else None), how)


def resolve_track_or_race(text: str, season: int | None = None, date: str | None = None) -> tuple[Track, RaceInfo]:
    """The Track of ``text``, a track name, bare type or race name; InputError (whole sentence,
    naming ``{track}``) for an unknown or ambiguous name."""
    raw = (text or "").strip()
    hits = find_races(raw, season, date)  # first: "Daytona 500" is a race as well as a track's alias
    if hits:
        info = _from_races(raw, hits, "race name", season, date)
        return resolve_track(info.track, info.season), info
    trk = find_track(raw, season)
    if trk is not None:
        return trk, RaceInfo(None, trk.name, trk.track_type, season, None, date, "track name")
    raise unknown_error(raw)


def identify_race(game_info: str | None, *, track: str | None = None, file_name: str | Path | None = None,
                  season: int | None = None) -> tuple[RaceInfo | None, list[str]]:
    """The slate's race and track, and notes, in this order (the first that names a track wins):

    1. ``track`` (the user's ``--track``), noted when the file names another track;
    2. the 'Game Info' text: a date in it gives the season, the text a track name or race name;
    3. the salary file's name ``dk_<season>_r<NN>_<track>.csv``.

    The season is the first of: the date in Game Info, ``season``, the file name, the race
    table when the name is unique to one season. Returns ``(None, notes)`` when nothing names a
    track; an unknown or ambiguous Game Info name raises only when nothing else settles the track.
    """
    notes: list[str] = []
    name, date = parse_game_info(game_info or "")
    f_season, f_num, f_track = season_from_file_name(file_name)
    s = int(date[:4]) if date else (season if season is not None else f_season)
    file_info: RaceInfo | None = None
    if f_track:
        ft = find_track(f_track, s)
        if ft is not None:
            file_info = RaceInfo(None, ft.name, ft.track_type, s, f_num, date, "salary file name")
    from_file: RaceInfo | None = None
    error: InputError | None = None
    if name:
        try:
            _, from_file = resolve_track_or_race(name, s, date)
            if from_file.how == "race name" and from_file.name is None:
                from_file = RaceInfo(name, from_file.track, from_file.track_type, from_file.season,
                                     from_file.race_num, from_file.date, from_file.how)
            how = "Game Info " + from_file.how + (" and date" if date else "")
            if f_num is not None and from_file.race_num is None and from_file.season == f_season:
                from_file = RaceInfo(from_file.name, from_file.track, from_file.track_type, from_file.season, f_num,
                                     from_file.date, how)
            else:
                from_file = RaceInfo(from_file.name, from_file.track, from_file.track_type, from_file.season,
                                     from_file.race_num, from_file.date, how)
        except InputError as exc:
            error = exc
    if track and track.strip():
        trk, given = resolve_track_or_race(track.strip(), s, date)
        base = from_file or file_info
        if base is not None and base.track != trk.name:
            notes.append(f"the track given ({trk.name}) wins over the salary file's {base.track} "
                         f"({base.how.lower()})")
        keep = base if base is not None and base.track == trk.name else None
        return RaceInfo(keep.name if keep else (name or given.name), trk.name, trk.track_type,
                        given.season if given.season is not None else (keep.season if keep else s),
                        keep.race_num if keep else None, date, "given track"), notes
    if from_file is not None:
        return from_file, notes
    if file_info is not None:
        if error is not None:
            notes.append(f"Game Info '{name}' names no known track or race; the track comes from the salary "
                         f"file's name ({file_info.track})")
        return RaceInfo(name or None, file_info.track, file_info.track_type, file_info.season, file_info.race_num,
                        date, file_info.how), notes
    if error is not None:
        raise error
    return None, notes
