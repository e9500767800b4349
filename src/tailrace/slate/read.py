"""``read_slate``: a salary file and a projections file, names matched tolerantly, into one Slate;
and the bundled demo slate (``demo_paths``, ``demo_slate``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from tailrace.errors import InputError, Problem
from tailrace.sites import SiteRules, get_site
from tailrace.slate.model import Driver, LeftOut, Slate
from tailrace.slate.names import _closest_text, match_names, normalize_name
from tailrace.slate.projections import _parse_projections, _ProjRecord
from tailrace.slate.salaries import _parse_salaries, _SalaryRecord, _track_from_game_info
from tailrace.races import identify_race


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
    ``Slate.notes`` and kept, with its ID and the reason, in ``Slate.left_out``. A fewer-rows
    grid does not imply ``grid_complete`` by itself (a forgotten row would then silently drop a
    starter); the error says to pass it.

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
    # the grid named by file name only: the reason travels into saved scenario sets' meta
    grid_name = grid_label if grid is not None else Path(source.get("projections", "the grid")).name
    left = tuple(LeftOut(id=recs[i].id, name=recs[i].name, reason=f"not on the starting grid from {grid_name}")
                 for i in left_out)
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
                 race=race, left_out=left)


def _identify(recs: list[_SalaryRecord], track: str | None, salaries_path: str | Path,
              season: int | None) -> tuple[Any, str | None, list[str]]:
    """(RaceInfo or None, the slate's track text, notes) for ``read_slate``."""

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
