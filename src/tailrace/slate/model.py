"""Driver and Slate: one race on one site. The dataclasses are the contract every other module uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tailrace.sites import SiteRules


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
class LeftOut:
    """A salary-file driver the slate leaves out, and why.

    Kept as data (not only as a note's text) so a scenario set simulated on the slate can record
    exactly whom it has no column for (``tailrace.sim.left_out``), and a later command reading the
    same salary file can drop those drivers, and only those, instead of failing.
    """

    id: str  # the site's player ID, as in the salary file
    name: str
    reason: str  # e.g. "not on the starting grid of results.csv (2023 race 3 starting grid)"


@dataclass(frozen=True)
class Slate:
    """One race on one site: its drivers (in file order), the site rules, and the track."""

    site: SiteRules
    drivers: tuple[Driver, ...]
    track: str | None = None  # track name as read (e.g. from DK "Game Info"), unresolved
    source: dict[str, str] = field(default_factory=dict)  # file names it was read from
    notes: tuple[str, ...] = ()  # what the reader decided for the user (placeholder team, drivers left out)
    race: Any = None  # tailrace.races.RaceInfo: the race and track it resolved to, and how (None: unknown)
    left_out: tuple[LeftOut, ...] = ()  # salary drivers not on the slate (not on a complete grid), in file order

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
