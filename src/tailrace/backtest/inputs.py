"""What a backtest reads: a folder of real salary files (named, or listed in a manifest), each
matched to its race's real starting grid, and the synthetic-salary rule for races without one.

Only pre-race information enters a slate: the salary file, and from the history row of that
race its track and each driver's ``start`` (the grid). Results never do.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.sim.history import RaceResult
from tailrace.slate import Driver, Slate, read_slate
from tailrace.sites import SiteRules, get_site

__all__ = ["SlateFile", "find_slates", "read_grid_slate", "synthetic_slate", "synthetic_salaries",
           "SALARY_CURVE_Q", "SALARY_CURVE", "fit_salary_curve", "MANIFEST"]

MANIFEST = "manifest.csv"
# dk_2023_r02_auto_club.csv: site, season, race number, optional track words
_NAME = re.compile(r"^(dk|fd)_(\d{4})_r(\d{1,2})(?:_([a-z0-9_\-]+))?\.csv$", re.IGNORECASE)

# DraftKings' Cup salary curve: salary (dollars) against rank share q = (rank - 1) / (n - 1),
# rank 1 the most expensive. The mean over the four real DraftKings exports in
# shared/data/real_slates (2019 Daytona 500; 2023 Auto Club, Las Vegas, Phoenix), each file's
# sorted salaries interpolated at these 21 points (``fit_salary_curve``; a test refits it).
SALARY_CURVE_Q: tuple[float, ...] = tuple(float(x) for x in np.linspace(0.0, 1.0, 21))
SALARY_CURVE: tuple[int, ...] = (10850, 10476, 10105, 9748, 9380, 9019, 8652, 8359, 8020, 7748, 7462,
                                 7108, 6790, 6491, 6185, 5888, 5565, 5299, 5018, 4772, 4600)


@dataclass(frozen=True)
class SlateFile:
    """One real salary file and the race it is for."""

    path: Path
    site: str
    season: int
    race_num: int
    track_hint: str | None = None


def find_slates(folder: str | Path) -> list[SlateFile]:
    """The salary files of ``folder``, in race order.

    Names like ``dk_2023_r02_auto_club.csv`` give site, season and race number. A
    ``manifest.csv`` with columns ``file,season,race_num[,track]`` (DraftKings files) takes
    precedence and lets files keep any name. Raises InputError naming the folder or the file
    and the fix.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(Problem(f"slate folder not found: {root}", param="slates",
                                 fix="give a folder of DraftKings salary files named like dk_2023_r02_auto_club.csv"))
    manifest = root / MANIFEST
    out: list[SlateFile] = []
    if manifest.is_file():
        out = _read_manifest(manifest)
    else:
        problems = []
        for p in sorted(root.glob("*.csv")):
            m = _NAME.match(p.name)
            if not m:
                problems.append(Problem(f"cannot tell the race of '{p.name}' from its name", file=str(p),
                                        param="slates",
                                        fix="rename it like dk_2023_r02_auto_club.csv (site_season_rRACE_track), "
                                            f"or list the files in {MANIFEST} with columns file,season,race_num[,track]"))
                continue
            out.append(SlateFile(p, m.group(1).lower(), int(m.group(2)), int(m.group(3)),
                                 (m.group(4) or "").replace("_", " ") or None))
        if problems:
            raise InputError(problems)
    if not out:
        raise InputError(Problem(f"no salary files (*.csv) in {root}", param="slates",
                                 fix="put DraftKings salary exports named like dk_2023_r02_auto_club.csv there"))
    seen: dict[tuple[int, int], Path] = {}
    for s in out:
        if (s.season, s.race_num) in seen:
            raise InputError(Problem(f"two files for race {s.season} #{s.race_num}: {seen[(s.season, s.race_num)].name} "
                                     f"and {s.path.name}", file=str(s.path), param="slates",
                                     fix="keep one salary file per race"))
        seen[(s.season, s.race_num)] = s.path
    return sorted(out, key=lambda s: (s.season, s.race_num))


def _read_manifest(path: Path) -> list[SlateFile]:
    problems: list[Problem] = []
    out: list[SlateFile] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    if not rows or [c.strip().lower() for c in rows[0][:3]] != ["file", "season", "race_num"]:
        raise InputError(Problem("the manifest's header must start file,season,race_num", file=str(path), row=1,
                                 param="slates", fix="write the header file,season,race_num[,track]"))
    for k, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            season, race = int(row[1]), int(row[2])
        except (IndexError, ValueError):
            problems.append(Problem("season and race_num must be whole numbers", file=str(path), row=k,
                                    field="season", fix="e.g. dk_2023_r02.csv,2023,2"))
            continue
        f = path.parent / row[0].strip()
        if not f.is_file():
            problems.append(Problem(f"file '{row[0].strip()}' not found next to the manifest", file=str(path), row=k,
                                    field="file", fix="give the file's name relative to the manifest's folder"))
            continue
        track = row[3].strip() if len(row) > 3 and row[3].strip() else None
        out.append(SlateFile(f, "dk", season, race, track))
    if problems:
        raise InputError(problems)
    return out


def read_grid_slate(sf: SlateFile, race: RaceResult) -> tuple[Slate, np.ndarray, list[str]]:
    """A real salary file (``sf``) narrowed to ``race``'s starters, each with the real start.

    ``slate.read_slate(grid=...)`` (a complete grid) does the matching; salary drivers with no
    row in the race (non-qualifiers, an injured driver) are left out and named in the notes.
    Only ``race.drivers``, ``race.start`` and ``race.track`` are read: pre-race facts. Returns
    the slate, each slate driver's row in ``race`` (int64 (n,), to score it later) and the notes.
    """
    grid = list(zip(race.drivers, (int(x) for x in race.start)))
    slate = read_slate(get_site(sf.site), sf.path, grid=grid, track=race.track, season=race.season,
                       grid_label=f"the history's race {race.season} #{race.race_num}")
    row_of_start = {int(st): i for i, st in enumerate(race.start)}  # starts are a permutation
    rows = np.array([row_of_start[int(d.start)] for d in slate.drivers], dtype=np.int64)
    return slate, rows, list(slate.notes)


def fit_salary_curve(salaries: list[np.ndarray]) -> np.ndarray:
    """Mean salary at the rank shares ``SALARY_CURVE_Q`` over several slates, shape (21,).

    Each slate's salaries, sorted high to low, are placed at ``q = (rank - 1) / (n - 1)`` and
    interpolated linearly at the curve's points; the curve is their mean, rounded to dollars.
    """
    q = np.asarray(SALARY_CURVE_Q)
    rows = []
    for s in salaries:
        v = np.sort(np.asarray(s, dtype=np.float64))[::-1]
        rows.append(np.interp(q, np.arange(v.size) / max(v.size - 1, 1), v))
    return np.round(np.mean(rows, axis=0))


def synthetic_salaries(strength: np.ndarray) -> np.ndarray:
    """DraftKings-like salaries for drivers of pre-race ``strength`` (n,): the ``SALARY_CURVE``
    read at each driver's rank share (strongest first; ties by order), rounded to $100; int64 (n,)."""
    s = np.asarray(strength, dtype=np.float64)
    n = s.size
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(-s, kind="stable")] = np.arange(n)
    q = rank / max(n - 1, 1)
    return (np.round(np.interp(q, SALARY_CURVE_Q, SALARY_CURVE) / 100.0) * 100).astype(np.int64)


def synthetic_slate(race: RaceResult, strength: np.ndarray, site: SiteRules) -> Slate:
    """Every starter of ``race`` with the real start and a synthetic salary from ``strength`` (n,),
    the pre-race strengths in ``race.drivers`` order. IDs are ``S<season><race>-<k>``."""
    sal = synthetic_salaries(strength)
    drivers = tuple(Driver(id=f"S{race.season}{race.race_num:02d}-{i + 1}", name=d, salary=int(sal[i]),
                           start=int(race.start[i])) for i, d in enumerate(race.drivers))
    return Slate(site=site, drivers=drivers, track=race.track, source={"salaries": "synthetic"})
