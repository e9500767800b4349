"""Site rules as data: roster size, salary cap, scoring tables for DraftKings and FanDuel.

Sources: DraftKings NASCAR Classic rules (finish table in use since February 2021, as in
``shared/data/README.md``: 1st 45, 2nd 42, 3rd 41, then -1 per place with an extra -1
after 10th, 20th and 30th; +/-1 per place differential; 0.25 per lap led; 0.45 per
fastest lap). FanDuel NASCAR rules (1st 43, 2nd 40, 3rd 38, then -1 per place; +/-0.5
per place differential; 0.1 per lap led; 0.1 per lap completed; no fastest-lap points).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tailrace.contest_options import CONTEST_DEFAULTS


# Fields of 41 to 43 cars (the 2025 Daytona 500 had 41 starters): both sites publish finish
# points for 40 places only (DraftKings 40th = 1 point, FanDuel 40th = 1 point), and the
# published DraftKings scores of 41st-place finishers we hold carry 0 finish points. So places
# 41..MAX_FIELD score 0 finish points on both sites; place differential and lap points apply as
# for any other place. Fields beyond MAX_FIELD (NASCAR's largest Cup field) are an input error.
MAX_FIELD = 43
PUBLISHED_PLACES = 40

# The contest every face assumes when none is described ($5, 20,000 entries, 13 % rake, ownership
# error 0.3): tailrace.contest_options.ContestOptions holds the values, with their sources; these
# names are kept for the modules that read them here (tailrace.contest.payouts re-exports
# DEFAULT_RAKE; tailrace.contest.ensemble.DEFAULT_SIGMA is DEFAULT_OWNERSHIP_ERROR).
DEFAULT_RAKE = CONTEST_DEFAULTS.rake
DEFAULT_ENTRY_FEE = CONTEST_DEFAULTS.entry_fee
DEFAULT_FIELD_SIZE = CONTEST_DEFAULTS.field_size
DEFAULT_OWNERSHIP_ERROR = CONTEST_DEFAULTS.ownership_error


def _dk_finish_table() -> tuple[float, ...]:
    pts = [45.0, 42.0, 41.0]
    for place in range(4, PUBLISHED_PLACES + 1):
        drop = 2.0 if place in (11, 21, 31) else 1.0
        pts.append(pts[-1] - drop)
    return tuple(pts + [0.0] * (MAX_FIELD - PUBLISHED_PLACES))


def _fd_finish_table() -> tuple[float, ...]:
    pts = [43.0, 40.0, 38.0]
    for _ in range(4, PUBLISHED_PLACES + 1):
        pts.append(pts[-1] - 1.0)
    return tuple(pts + [0.0] * (MAX_FIELD - PUBLISHED_PLACES))


@dataclass(frozen=True)
class SiteRules:
    """One site's NASCAR contest rules."""

    key: str  # "dk" | "fd"
    name: str
    roster_size: int
    salary_cap: int
    salary_range: tuple[int, int]  # plausible per-driver salary bounds, for input checks
    finish_points: tuple[float, ...]  # index 0 = 1st place
    place_diff: float  # points per position gained (start - finish)
    laps_led: float
    fastest_laps: float
    laps_completed: float

    @property
    def max_field(self) -> int:
        """Largest field scored: places 1..max_field (41st and later score 0 finish points)."""
        return len(self.finish_points)

    def score(
        self,
        start: np.ndarray,
        finish: np.ndarray,
        laps_led: np.ndarray,
        fastest_laps: np.ndarray | None = None,
        laps_completed: np.ndarray | None = None,
    ) -> np.ndarray:
        """Fantasy points from outcomes (any broadcastable integer arrays), float64.

        ``finish`` and ``start`` are 1-based positions. Fastest laps are ignored where the
        site does not score them; laps completed likewise.
        """
        finish = np.asarray(finish)
        table = np.asarray(self.finish_points, dtype=np.float64)
        if finish.size and (finish.min() < 1 or finish.max() > self.max_field):
            raise ValueError(f"finish positions must lie in 1..{self.max_field}")
        pts = table[finish - 1]
        pts = pts + self.place_diff * (np.asarray(start, dtype=np.float64) - finish)
        pts = pts + self.laps_led * np.asarray(laps_led, dtype=np.float64)
        if self.fastest_laps and fastest_laps is not None:
            pts = pts + self.fastest_laps * np.asarray(fastest_laps, dtype=np.float64)
        if self.laps_completed and laps_completed is not None:
            pts = pts + self.laps_completed * np.asarray(laps_completed, dtype=np.float64)
        return pts


DRAFTKINGS = SiteRules(
    key="dk",
    name="DraftKings",
    roster_size=6,
    salary_cap=50_000,
    salary_range=(3_000, 15_000),
    finish_points=_dk_finish_table(),
    place_diff=1.0,
    laps_led=0.25,
    fastest_laps=0.45,
    laps_completed=0.0,
)

FANDUEL = SiteRules(
    key="fd",
    name="FanDuel",
    roster_size=5,
    salary_cap=50_000,
    salary_range=(2_000, 20_000),
    finish_points=_fd_finish_table(),
    place_diff=0.5,
    laps_led=0.1,
    fastest_laps=0.0,
    laps_completed=0.1,
)

SITES: dict[str, SiteRules] = {"dk": DRAFTKINGS, "fd": FANDUEL}


def get_site(key: str) -> SiteRules:
    """Site rules by key ('dk'/'draftkings', 'fd'/'fanduel'); ValueError names the choices."""
    k = key.strip().lower()
    k = {"draftkings": "dk", "fanduel": "fd"}.get(k, k)
    if k not in SITES:
        raise ValueError(f"unknown site '{key}': use 'dk' (DraftKings) or 'fd' (FanDuel)")
    return SITES[k]
