"""NASCAR Cup tracks as data: name, aliases, track type, typical laps, length.

Public API (stable):

* ``TRACK_TYPES`` — ``("superspeedway", "intermediate", "short", "road", "large-flat")``.
* ``Track`` — frozen dataclass ``(name, track_type, laps, length_mi, aliases)``; a bare type
  resolves to ``Track(name="<type> (generic)", track_type=<type>, laps=TYPICAL_LAPS[type], ...)``.
* ``TRACKS`` — the table (tuple of ``Track``).
* ``track_type_for(name, season=None) -> str`` — type of a named track in a season (Atlanta is
  ``intermediate`` before 2022 and ``superspeedway`` from its 2022 reconfiguration on).
* ``resolve_track(text, season=None) -> Track`` — tolerant lookup (case, accents, punctuation,
  optional "Speedway"/"Motor Speedway"/"International Raceway"/..., aliases) or a bare type;
  unknown text raises ``InputError`` listing close matches and the bare types.

Sources: every track of ``shared/data/cup_results_2019_2023.csv`` (lengths and 2023 race
lengths from that file), plus the 2024 Cup schedule (NASCAR.com) for Iowa Speedway, North
Wilkesboro Speedway and Autódromo Hermanos Rodríguez (Mexico City), and NASCAR's 2025-10-21
announcement of the Naval Base Coronado street course (San Diego, 2026: 3.4 miles, 16 turns; as
printed by 10news.com and newsbeep.com; its race distance was not yet set, so its laps are the
road type's typical laps until a race has run there). Typical laps = the
scheduled distance of the track's most recent points race. Type choices: Daytona, Talladega
and Atlanta (2022 on) are drafting superspeedways; Pocono and the Indianapolis oval are
large flat tracks; flat tracks of about a mile or less (Phoenix, Richmond, New Hampshire,
Dover, Gateway, Iowa) count as short; every road and street course is road; the rest
(1.3–2 mile banked ovals, Darlington, Michigan, Auto Club) are intermediate.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from tailrace.errors import InputError, Problem, as_text

TRACK_TYPES: tuple[str, ...] = ("superspeedway", "intermediate", "short", "road", "large-flat")

# Typical scheduled laps of a generic race of each type (medians of 2019–2023 race lengths).
TYPICAL_LAPS: dict[str, int] = {
    "superspeedway": 188,
    "intermediate": 267,
    "short": 400,
    "road": 90,
    "large-flat": 160,
}
_TYPICAL_LENGTH: dict[str, float] = {
    "superspeedway": 2.5, "intermediate": 1.5, "short": 0.75, "road": 2.5, "large-flat": 2.5,
}


@dataclass(frozen=True)
class Track:
    """One Cup track: official name, type, typical scheduled laps, length in miles, aliases."""

    name: str
    track_type: str
    laps: int
    length_mi: float
    aliases: tuple[str, ...] = ()


# name, type, typical laps, length (mi), aliases. Source: see module docstring.
_TABLE: tuple[tuple[str, str, int, float, tuple[str, ...]], ...] = (
    ("Daytona International Speedway", "superspeedway", 200, 2.5, ("Daytona", "Daytona 500")),
    ("Talladega Superspeedway", "superspeedway", 188, 2.66, ("Talladega", "Dega")),
    ("Atlanta Motor Speedway", "superspeedway", 260, 1.54, ("Atlanta", "EchoPark Speedway", "Hampton")),
    ("Auto Club Speedway", "intermediate", 200, 2.0, ("Fontana", "California Speedway", "Auto Club")),
    ("Charlotte Motor Speedway", "intermediate", 400, 1.5, ("Charlotte", "Charlotte Oval", "Coca-Cola 600")),
    ("Chicagoland Speedway", "intermediate", 267, 1.5, ("Chicagoland", "Joliet")),
    ("Darlington Raceway", "intermediate", 367, 1.366, ("Darlington", "Southern 500")),
    ("Homestead-Miami Speedway", "intermediate", 267, 1.5, ("Homestead", "Miami", "Homestead Miami")),
    ("Kansas Speedway", "intermediate", 267, 1.5, ("Kansas",)),
    ("Kentucky Speedway", "intermediate", 267, 1.5, ("Kentucky",)),
    ("Las Vegas Motor Speedway", "intermediate", 267, 1.5, ("Las Vegas", "Vegas", "LVMS")),
    ("Texas Motor Speedway", "intermediate", 267, 1.5, ("Texas", "TMS", "Fort Worth")),
    ("Nashville Superspeedway", "intermediate", 300, 1.333, ("Nashville",)),
    ("Michigan International Speedway", "intermediate", 200, 2.0, ("Michigan", "MIS")),
    ("Bristol Motor Speedway", "short", 500, 0.533, ("Bristol",)),
    ("Bristol Motor Speedway Dirt Track", "short", 250, 0.533, ("Bristol Dirt",)),
    ("Martinsville Speedway", "short", 500, 0.526, ("Martinsville",)),
    ("Richmond Raceway", "short", 400, 0.75, ("Richmond", "Richmond International Raceway")),
    ("Phoenix Raceway", "short", 312, 1.0, ("Phoenix", "ISM Raceway")),
    ("New Hampshire Motor Speedway", "short", 301, 1.058, ("New Hampshire", "Loudon", "NHMS")),
    ("Dover International Speedway", "short", 400, 1.0, ("Dover", "Dover Motor Speedway", "Monster Mile")),
    ("World Wide Technology Raceway at Gateway", "short", 240, 1.25,
     ("Gateway", "World Wide Technology Raceway", "WWT Raceway", "WWTR", "St. Louis")),
    ("Iowa Speedway", "short", 350, 0.875, ("Iowa", "Newton")),
    ("North Wilkesboro Speedway", "short", 400, 0.625, ("North Wilkesboro", "Wilkesboro")),
    ("Pocono Raceway", "large-flat", 160, 2.5, ("Pocono", "Long Pond")),
    ("Indianapolis Motor Speedway", "large-flat", 160, 2.5, ("Indianapolis", "Indy", "Brickyard", "Indianapolis Oval")),
    ("Indianapolis Motor Speedway Road Course", "road", 82, 2.439, ("Indianapolis Road Course", "Indy Road Course", "Indy RC")),
    ("Charlotte Motor Speedway Road Course", "road", 109, 2.28, ("Charlotte Roval", "Roval", "Charlotte Road Course")),
    ("Chicago Street Course", "road", 75, 2.2, ("Chicago", "Chicago Street Race", "Grant Park")),
    ("Naval Base Coronado Street Course", "road", TYPICAL_LAPS["road"], 3.4,
     ("Naval Base Coronado", "Coronado", "San Diego", "San Diego Street Race", "San Diego Street Course")),
    ("Circuit of the Americas", "road", 68, 3.41, ("COTA", "Austin")),
    ("Daytona International Speedway Road Course", "road", 70, 3.61, ("Daytona Road Course", "Daytona RC")),
    ("Road America", "road", 62, 4.048, ("Elkhart Lake",)),
    ("Sonoma Raceway", "road", 110, 2.52, ("Sonoma", "Sears Point")),
    ("Watkins Glen International", "road", 90, 2.45, ("Watkins Glen", "The Glen")),
    ("Autódromo Hermanos Rodríguez", "road", 100, 2.42,
     ("Mexico City", "Autodromo Hermanos Rodriguez", "Hermanos Rodriguez", "AHR")),
)

TRACKS: tuple[Track, ...] = tuple(Track(n, t, laps, mi, al) for n, t, laps, mi, al in _TABLE)

# Drafting package at Atlanta from the 2022 reconfiguration on (shared/data/README.md).
_SEASON_OVERRIDES: dict[str, tuple[int, str, str]] = {
    "Atlanta Motor Speedway": (2022, "intermediate", "superspeedway"),  # (from season, before, from)
}

_GENERIC_WORDS = (
    "motor speedway", "international speedway", "international raceway", "superspeedway",
    "speedway", "raceway", "international", "motorsports park", "race track", "track",
)


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9 ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def _core(text: str) -> str:
    t = " " + _norm(text) + " "
    for w in _GENERIC_WORDS:
        t = t.replace(" " + w + " ", " ")
    return re.sub(r"\s+", " ", t).strip()


def _keys(track: Track) -> set[str]:
    keys = set()
    for s in (track.name, *track.aliases):
        keys.add(_norm(s))
        keys.add(_core(s))
    keys.discard("")
    return keys


_INDEX: dict[str, Track] = {}
for _t in TRACKS:
    for _k in _keys(_t):
        _INDEX.setdefault(_k, _t)
_TYPE_ALIASES: dict[str, str] = {
    "superspeedway": "superspeedway", "drafting": "superspeedway", "ss": "superspeedway",
    "intermediate": "intermediate", "mile and a half": "intermediate",
    "short": "short", "short track": "short", "flat": "short",
    "road": "road", "road course": "road", "street": "road", "street course": "road",
    "large flat": "large-flat", "large-flat": "large-flat", "largeflat": "large-flat",
}


def _find(text: str) -> Track | None:
    n = _norm(text)
    if n in _INDEX:
        return _INDEX[n]
    c = _core(text)
    return _INDEX.get(c) if c else None


def track_type_for(name: str, season: int | None = None) -> str:
    """Track type of a named track in a season (Atlanta changes in 2022); InputError if unknown."""
    track = resolve_track(name, season)
    return track.track_type


def generic_track(track_type: str) -> Track:
    """A generic race of a bare track type with the type's typical laps."""
    return Track(f"{track_type} (generic)", track_type, TYPICAL_LAPS[track_type], _TYPICAL_LENGTH[track_type])


def find_track(text: str, season: int | None = None) -> Track | None:
    """The Track named by ``text`` (tolerant match, as :func:`resolve_track`) or a generic track of a
    bare type; None when it names neither (no error: a race name may still name it)."""
    raw = (text or "").strip()
    key = _norm(raw)
    if key in _TYPE_ALIASES or key.replace(" ", "-") in _TYPE_ALIASES:
        return generic_track(_TYPE_ALIASES.get(key, _TYPE_ALIASES.get(key.replace(" ", "-"), "")))
    track = _find(raw)
    if track is None:
        return None
    if season is not None and track.name in _SEASON_OVERRIDES:
        first, before, after = _SEASON_OVERRIDES[track.name]
        ttype = before if season < first else after
        if ttype != track.track_type:
            track = Track(track.name, ttype, track.laps, track.length_mi, track.aliases)
    return track


def resolve_track(text: str, season: int | None = None) -> Track:
    """The Track named by ``text`` (tolerant match) or a generic track of a bare type.

    ``season`` selects the type of tracks that changed (Atlanta: intermediate before 2022);
    without it the current configuration is used. Unknown text raises InputError with the
    closest names and the bare types, as one whole sentence.
    """
    raw = (text or "").strip()
    track = find_track(raw, season)
    if track is None:
        names = [t.name for t in TRACKS] + [a for t in TRACKS for a in t.aliases]
        close = difflib.get_close_matches(raw, names, n=4, cutoff=0.5)
        close += [t.name for t in TRACKS if _core(raw) and _core(raw) in _norm(t.name) and t.name not in close]
        hint = f" (closest: {', '.join(as_text(c) for c in close[:5])})" if close else ""
        raise InputError(Problem(
            f"unknown track '{as_text(raw)}'",
            param="track",
            fix=f"pass {{track}} with a track name{hint} or a bare track type ({', '.join(TRACK_TYPES)}).",
        ))
    return track
