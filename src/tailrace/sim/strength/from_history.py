"""Strengths for the coming race from a results history, and their blend with the user's numbers.

Public API (stable)::

    load_history_model(path) -> HistoryModel          # read + fit, memoised by the file's text
    history_model_from_text(text, name) -> HistoryModel  # the same for uploaded text
    history_model(history, key=None) -> HistoryModel  # fit an already-read History
    HistoryModel.strengths(slate, track_type, params) -> HistoryStrengths
    blend(history, user, known, weight) -> blended strengths
    blend_weight(weight=None) -> (history weight, how)
    history_grid(path, race) / history_grid_from_text(text, name, race) -> HistoryGrid  # this race's
        starting grid, ratings of the races before it
    slate_from_history_grid(site, salaries, text, name, track=, season=) -> (Slate, HistoryGrid, line)
    history_model_for_race(path, race) / history_model_for_race_text(text, name, race) -> (model, note)

``HistoryModel`` holds the reversed Plackett–Luce ratings of :func:`tailrace.sim.strength.ratings.fit_ratings`
(driver, driver x track type, team, manufacturer, start, novice and form terms) fitted on every
complete race of the file. Its ``key`` is the sha256 of the file's text and the
rating configuration, so the same file is read and fitted once per process however many times
it is asked for (the API and repeated CLI runs in one process) and scenario caches keyed on it
are content-addressed. Reading and fitting five seasons (180 races) takes about 0.2 s, so there
is no disk layer: the scenario cache, which is keyed on this key, already keeps the expensive part.

**Team and make** of a slate driver are the ones of that driver's latest race in the history
(the slate rarely carries them). **Names** match as the ratings do (case, full stops and spacing
ignored); slate drivers the history does not know get the novice effect and are named in a
warning with the closest history name when there is one, since a misspelt name must not pass
silently as a rookie.

**Blending** (when the slate also has projections, odds or ratings): both are simulator
log-strengths for the same start positions, ``h`` from the history and ``u`` from the user's
numbers, and the simulated race uses ``w h + (1 - w) u`` (each centred) for drivers the history
knows and ``u`` alone for the others. ``w``, the history's share, is 0.5 unless the user gives
it (``--history-weight``). It is not fitted because fitting it needs the user's past
projections or odds beside the results, which no history file holds. A per-slate estimate was
tried (the ratings' own error from split halves against the spread of ``u - h``). On a made-up
history drawn from known strengths it put the ratings' error variance at 0.024 when the truth
was 0.154: split halves see sampling noise but not the shrinkage and form drift that make
ratings fitted on results lag the truth. It would have given the history 85 % of the blend
where the user's numbers were the truth, so it is not used.
"""

from __future__ import annotations

import difflib
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tailrace.sim.history import History, parse_history
from tailrace.sim.strength.ratings import RatingConfig, RatingFit, UpcomingRace, _norm, fit_ratings, to_strength
from tailrace.errors import InputError, Problem
from tailrace.slate import read_slate
from tailrace.textfile import read_text_file
from tailrace.tracks import find_track
from tailrace.sim.strength.blend import DEFAULT_WEIGHT, blend, blend_weight  # re-exported: the public API above

__all__ = ["HistoryModel", "HistoryStrengths", "blend", "blend_weight", "history_model",
           "history_model_from_text", "load_history_model"]

_MEMO: OrderedDict[str, "HistoryModel"] = OrderedDict()
_MEMO_SIZE = 8
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class HistoryStrengths:
    """History-fitted strengths of one slate's drivers (slate order).

    ``strength`` (n,) simulator log-strength; ``known`` (n,) bool; ``unknown`` the slate names
    the history does not hold; ``warnings`` what the user should see.
    """

    strength: np.ndarray
    unknown: tuple[str, ...]
    warnings: tuple[str, ...]
    known: np.ndarray  # (n,) bool: the history holds the driver


@dataclass(frozen=True)
class HistoryModel:
    """Ratings fitted on a history file, ready to give strengths for a coming race."""

    key: str
    source: str
    n_races: int
    last_race: tuple[int, int] | None
    fit: RatingFit
    latest: dict[str, tuple[str | None, str | None]] = field(repr=False)  # norm name -> (team, make)
    names: dict[str, str] = field(repr=False)  # norm name -> name as written in the history
    notes: tuple[str, ...] = ()  # rows of the file skipped or filled
    scope: str | None = None  # how the races were chosen, when not the whole file (history_model_for_race)

    def describe(self) -> str:
        """One line for output: file, races, last race."""
        last = f", last {self.last_race[0]} race {self.last_race[1]}" if self.last_race else ""
        return f"{Path(self.source).name} ({self.n_races} races{last})"

    def affiliations(self, drivers: list[str]) -> list[tuple[str | None, str | None]]:
        """``(team, manufacturer)`` of each of ``drivers`` in its latest race here (None if unknown)."""
        return [self.latest.get(_norm(d), (None, None)) for d in drivers]

    def strengths(self, drivers: list[str], start: np.ndarray, track_type: str, params: object,
                  team: list[str | None] | None = None, make: list[str | None] | None = None) -> HistoryStrengths:
        """Strengths for drivers ``drivers`` starting at ``start`` (n,) on a ``track_type`` track,
        on the scale of ``params`` (that type's ``TrackTypeParams``). ``team`` / ``make`` (the
        slate's, None where unknown) win over the driver's latest ones in the history."""
        start = np.asarray(start)
        keys = [_norm(d) for d in drivers]
        n = len(keys)
        team_in, make_in = (team or [None] * n), (make or [None] * n)
        team = tuple(team_in[i] or self.latest.get(k, (None, None))[0] for i, k in enumerate(keys))
        make = tuple(make_in[i] or self.latest.get(k, (None, None))[1] for i, k in enumerate(keys))
        race = UpcomingRace(tuple(drivers), start, track_type, team, make)
        h = to_strength(self.fit.strengths(race), start, params)
        known = np.array([k in self.names for k in keys])
        unknown = tuple(d for d, ok in zip(drivers, known) if not ok)
        warnings: list[str] = []
        if unknown:
            parts = []
            for d in unknown[:8]:
                close = difflib.get_close_matches(_norm(d), list(self.names), n=1, cutoff=0.8)
                parts.append(f"{d} (did you mean {self.names[close[0]]}?)" if close else d)
            more = f", and {len(unknown) - 8} more" if len(unknown) > 8 else ""
            warnings.append(
                f"{len(unknown)} slate driver(s) not in the history {Path(self.source).name}: "
                f"{', '.join(parts)}{more}; rated as newcomers (fix the name in the projections file "
                "if it is a spelling difference)")
        return HistoryStrengths(h, unknown, tuple(warnings), known)


def history_model(history: History, key: str | None = None, config: RatingConfig | None = None) -> HistoryModel:
    """Fit the ratings of an already-read ``history`` (``key``: its content key, else one from
    its race ids)."""
    cfg = config or RatingConfig()
    races = history.races()
    full = fit_ratings(history, cfg)
    latest: dict[str, tuple[str | None, str | None]] = {}
    names: dict[str, str] = {}
    for r in races:  # oldest first, so the latest race wins
        for i, d in enumerate(r.drivers):
            k = _norm(d)
            latest[k] = (r.team[i] if r.team else None, r.manufacturer[i] if r.manufacturer else None)
            names[k] = d
    if key is None:
        key = hashlib.sha256(repr((history.source, [r.race_id for r in races], cfg)).encode()).hexdigest()
    notes = tuple(p.message for p in history.notes) if history.notes else ()
    return HistoryModel(key=key, source=history.source, n_races=len(races),
                        last_race=races[-1].race_id if races else None, fit=full,
                        latest=latest, names=names, notes=notes)


def load_history_model(path: str | Path, config: RatingConfig | None = None, *,
                       name: str | None = None) -> HistoryModel:
    """Read and fit a history file, memoised by the sha256 of its text and the configuration.

    ``name`` (optional) is how messages name the file. Raises ``InputError`` for a missing or
    bad file (``tailrace.sim.history``) and for a file without one complete race.
    """

    label = name or str(path)
    return history_model_from_text(read_text_file(path, label, param="history"), label, config)


def history_model_from_text(text: str, name: str, config: RatingConfig | None = None) -> HistoryModel:
    """``load_history_model`` for a history held as text (e.g. uploaded), named ``name``."""
    from dataclasses import replace


    cfg = config or RatingConfig()
    key = hashlib.sha256(text.encode("utf-8") + repr(cfg).encode()).hexdigest()
    with _MEMO_LOCK:
        hit = _MEMO.get(key)
        if hit is not None:
            if hit.source != name:  # the same text under another name: keep the latest name, so
                hit = _MEMO[key] = replace(hit, source=name)  # asking again by it gives this very model
            _MEMO.move_to_end(key)
            return hit
    history = parse_history(text, name)
    if len(history) == 0:
        raise InputError(Problem("the history holds no complete race", file=name, param="history",
                                 fix="give a results file with at least one race whose every row is complete"))
    model = history_model(history, key, cfg)
    with _MEMO_LOCK:
        _MEMO[key] = model
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return model


@dataclass(frozen=True)
class HistoryGrid:
    """This race's starting grid from a history, and ratings fitted only on the races before it.

    ``grid``: ``(driver, start)`` of every car that started, in start order, as the history
    gives them (its ``start`` column only: never a result of the race). ``model``: the ratings
    of every complete race before ``race_id``.
    """

    race_id: tuple[int, int]
    track: str
    grid: tuple[tuple[str, int], ...]
    model: HistoryModel | None  # None: no complete race before this one (``note`` says so)
    note: str | None = None


def history_grid(path: str | Path, race: object, *, name: str | None = None,
                 config: RatingConfig | None = None) -> HistoryGrid:
    """The grid of the slate's race (``race``: a ``tailrace.races.RaceInfo``) from the history
    file at ``path``, and the ratings of the races before it.

    The race is the history's race of that season at that track, told apart by ``race_num`` or
    the date when the track ran twice that season. InputError (naming ``history``) when the season
    is unknown or when the history does not hold the race. When no complete race comes before it
    (the file's first race) ``model`` is None and ``note`` says the strengths cannot come from it.
    """

    label = name or str(path)
    _need_season(race)
    return history_grid_from_text(read_text_file(path, label, param="history"), label, race, config=config)


_GIVE_GRID = "give a projections file with the grid (name, start) instead"


def _need_season(race: object) -> None:

    if getattr(race, "season", None) is None or getattr(race, "track", None) is None:
        raise InputError(Problem(
            "the history cannot give this race's grid: the race's season is not known", param="history",
            fix="say the season ({season=2023}), name the salary file dk_<season>_r<NN>_<track>.csv, or "
                + _GIVE_GRID))


def history_grid_from_text(text: str, label: str, race: object, *,
                           config: RatingConfig | None = None) -> HistoryGrid:
    """:func:`history_grid` of a history already read as text (``label``: its name in messages),
    e.g. one stored by the API."""

    _need_season(race)
    season, track = getattr(race, "season"), getattr(race, "track")
    history = parse_history(text, label)
    ids = _races_of(history, race)
    if not ids:
        raise InputError(Problem(f"the history {Path(label).name} holds no complete {season} race at {track}",
                                 param="history", fix=_GIVE_GRID + ", or a history that holds the race"))
    if len(ids) > 1:
        which = ", ".join(f"race {r.race_num} ({r.race_date or 'no date'})" for r in ids)
        raise InputError(Problem(f"the history holds {len(ids)} {season} races at {track}: {which}",
                                 param="history", fix="name the salary file dk_<season>_r<NN>_<track>.csv with "
                                 "the race number, or " + _GIVE_GRID))
    this = ids[0]
    before = history.before(*this.race_id)
    order = np.argsort(this.start, kind="stable")
    grid = tuple((this.drivers[i], int(this.start[i])) for i in order)
    if len(before) == 0:
        return HistoryGrid(this.race_id, track, grid, None,
                           f"the history {Path(label).name} holds no complete race before {season} race "
                           f"{this.race_num}: it gives the grid only, not the strengths")
    cfg = config or RatingConfig()
    key = hashlib.sha256(text.encode("utf-8") + repr(cfg).encode() + repr(("before", this.race_id)).encode()).hexdigest()
    return HistoryGrid(this.race_id, track, grid, history_model(before, key, cfg))


def slate_from_history_grid(site: str, salaries: str | Path, text: str, label: str, *, track: str | None = None,
                            season: int | None = None, config: RatingConfig | None = None
                            ) -> tuple[Any, HistoryGrid, str]:
    """A slate whose starting grid comes from a history (no projections), as ``tailrace optimize
    --history`` and the API's ``POST /slates`` with a ``history_id`` build it.

    The salary file is read once bare to resolve its race, the race's grid is taken from the
    history (its ``start`` column only), and the slate is read again on that grid: salary
    drivers not on it are left out, named in the slate's notes. Returns ``(slate, grid, line)``;
    ``slate.notes`` carries ``grid.note`` when the history holds no race before this one, and
    ``line`` is one sentence saying where the grid and the ratings come from.
    """
    from dataclasses import replace as _replace


    bare = read_slate(site, salaries, track=track, season=season)
    hg = history_grid_from_text(text, label, bare.race, config=config)
    name = Path(label).name
    slate = read_slate(site, salaries, track=track, season=season, grid=hg.grid,
                       grid_label=f"{name} ({hg.race_id[0]} race {hg.race_id[1]} starting grid)")
    if hg.note:  # the file's first race: the strengths fall back (the simulation says to what)
        slate = _replace(slate, notes=slate.notes + (hg.note,))
    rated = f"ratings from the {hg.model.n_races} races before it" if hg.model is not None else hg.note
    line = (f"grid: {hg.race_id[0]} race {hg.race_id[1]} at {hg.track} from {name} (start column only); "
            f"{rated}")
    return slate, hg, line


def _races_of(history: History, race: object) -> list:
    """The history's complete races that are the slate's race (``race``: a ``RaceInfo``): same
    season and track, narrowed by ``race_num`` and then by date when the track ran twice."""

    season = getattr(race, "season", None)
    track = getattr(race, "track", None)
    if season is None or track is None:
        return []

    def same_track(r_track: str) -> bool:
        t = find_track(r_track, season)
        return t is not None and t.name == track

    ids = [r for r in history.races() if r.season == season and same_track(r.track)]
    num, date = getattr(race, "race_num", None), getattr(race, "date", None)
    if len(ids) > 1 and num is not None:
        ids = [r for r in ids if r.race_num == num] or ids
    if len(ids) > 1 and date:
        ids = [r for r in ids if r.race_date and r.race_date[:10] == date] or ids
    return ids


def history_model_for_race(path: str | Path, race: object, *, name: str | None = None,
                           config: RatingConfig | None = None) -> tuple[HistoryModel, str | None]:
    """The ratings of ``--history`` for the slate's race, never fitted on that race or a later one.

    When the history holds the slate's race (``race``: a ``RaceInfo`` with season and track), the
    model is fitted on the complete races before it and the note (also the model's ``scope``,
    which travels to the run's warnings) says how many races were left out; otherwise it is the
    whole file's model (``load_history_model``) and the note is None.
    A history whose only races are this one and later ones is an InputError: nothing is left to rate.
    """

    label = name or str(path)
    return history_model_for_race_text(read_text_file(path, label, param="history"), label, race, config=config)


def history_model_for_race_text(text: str, label: str, race: object, *,
                                config: RatingConfig | None = None) -> tuple[HistoryModel, str | None]:
    """:func:`history_model_for_race` of a history already read as text (``label``: its name)."""
    from dataclasses import replace


    history = parse_history(text, label)
    ids = _races_of(history, race)
    if len(ids) != 1:
        return history_model_from_text(text, label, config), None
    this = ids[0]
    before = history.before(*this.race_id)
    if len(before) == 0:
        raise InputError(Problem(f"the history holds no complete race before {this.race_id[0]} race "
                                 f"{this.race_id[1]}, the race of this slate", param="history",
                                 fix="give a history of earlier races, or drop the history"))
    cfg = config or RatingConfig()
    key = hashlib.sha256(text.encode("utf-8") + repr(cfg).encode() + repr(("before", this.race_id)).encode()).hexdigest()
    left = len(history) - len(before)
    note = (f"ratings fitted on the {len(before)} races of {Path(label).name} before {this.race_id[0]} race "
            f"{this.race_id[1]} (this slate's race): it and the {left - 1} later race(s) in the file are left "
            f"out, so no result of the race reaches its strengths")
    return replace(history_model(before, key, cfg), scope=note), note
