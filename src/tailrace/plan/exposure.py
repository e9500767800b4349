"""The day's exposure rules, as counts: which contests break them at their chosen entries, and
the per-driver caps a rebuild gets (``plan.run``'s module docstring, "Exposure").

A contest's own ``max_exposure`` (or the day's) caps a driver's share of its lineups; the day's
``max_exposure`` caps a driver's share of all the day's lineups together. A share cap always
lets a driver into at least one lineup (at least ``1 / entries``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tailrace.plan.contests import DayContest

__all__ = ["EPS", "cap_share", "driver_counts", "day_cap", "breaks_own_cap", "to_rebuild", "driver_caps",
           "over_cap_warnings"]

EPS = 1e-9  # floors of shares x counts (0.3 x 10 is not exactly 3 in floats)


def cap_share(share: float | None, n: int) -> float | None:
    """A share cap that lets every driver into at least one of ``n`` lineups (None: no cap)."""
    if share is None or n <= 0:
        return None
    return min(1.0, max(float(share), 1.0 / n))


def driver_counts(lineups: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Lineups holding each of the ``n`` drivers, over every array of lineups in ``lineups``."""
    c = np.zeros(n, dtype=np.int64)
    for lu in lineups:
        if len(lu):
            c += np.bincount(np.asarray(lu).ravel(), minlength=n)
    return c


def day_cap(max_exposure: float | None, n_total: int) -> int | None:
    """The most of the day's ``n_total`` lineups any driver may be in (None: no day cap)."""
    if max_exposure is None or n_total == 0:
        return None
    return max(1, math.floor(max_exposure * n_total + EPS))


def breaks_own_cap(dc: DayContest, lineups: np.ndarray, max_exposure: float | None, n: int) -> bool:
    """Whether ``lineups`` break contest ``dc``'s own cap (or the day's share, when it has none) at their size."""
    e = cap_share(dc.max_exposure or max_exposure, lineups.shape[0])
    if e is None or lineups.shape[0] == 0:
        return False
    return int(driver_counts([lineups], n).max()) > math.floor(e * lineups.shape[0] + EPS)


def to_rebuild(contests: Sequence[DayContest], built: Sequence[np.ndarray], entries: Sequence[int],
               chosen: Sequence[np.ndarray], max_exposure: float | None, cap: int | None, n: int) -> list[int]:
    """The entered contests to rebuild at their ``entries``: every one when the day's lineups
    (``chosen``, each contest's prefix of its build) together break the day's ``cap``, else those
    whose prefix, shorter than the build, breaks their own cap."""
    day_broken = cap is not None and int(driver_counts(chosen, n).max()) > cap
    return [i for i in range(len(contests)) if entries[i]
            and (day_broken or (entries[i] < built[i].shape[0]
                                and breaks_own_cap(contests[i], chosen[i], max_exposure, n)))]


def driver_caps(share: float | None, left: np.ndarray, k: int, ids: Sequence[str]) -> dict[str, float]:
    """Per-driver share caps for a rebuild at ``k`` lineups: the smaller of the contest's ``share``
    and what the day's cap has ``left`` for each driver; drivers left uncapped (1) are not named."""
    per: dict[str, float] = {}
    for j in range(len(ids)):
        s = min(share if share is not None else 1.0, left[j] / k)
        if s < 1.0 - EPS:
            per[ids[j]] = float(s)
    return per


def over_cap_warnings(chosen: Sequence[np.ndarray], cap: int | None, n_total: int, names: Sequence[str]) -> list[str]:
    """Never silent: a rebuild that could not hold the day's cap says so, naming the drivers."""
    if cap is None:
        return []
    over = np.nonzero(driver_counts(chosen, len(names)) > cap)[0]
    if not over.size:
        return []
    return ["the day's exposure cap (" + f"{cap} of {n_total} lineups) is exceeded for "
            + ", ".join(names[j] for j in over) + ": the contests' own rules left no room"]
