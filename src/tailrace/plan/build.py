"""The day's lineups: each contest built at the most entries it could get (scenario set 1), and
rebuilt at its chosen entries when the exposure rules demand it (``plan.run``'s module docstring).

The contests are built in order of the most they could stake (``limit x entry_fee``, largest
first; ties in file order), so with the day's overlap rule the earlier builds are fixed for the
later; rebuilt in order of their chosen stake, each given what the contests fixed before it left
of the day's per-driver count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tailrace.optimize.constraints import ConstraintSpec
from tailrace.plan.contest_mode import ContestMode
from tailrace.plan.contests import DayContest
from tailrace.plan.exposure import EPS, cap_share, day_cap, driver_caps, driver_counts, over_cap_warnings, to_rebuild

__all__ = ["Duplicates", "Builds", "Entered", "entry_caps", "build_day", "enter_day"]


@dataclass
class Duplicates:
    """Contest mode's expected field copies of each lineup it built, per contest (None: not computed)."""

    by_lineup: dict[tuple[int, tuple[int, ...]], float | None] = field(default_factory=dict)

    @staticmethod
    def _key(i: int, lineup: np.ndarray) -> tuple[int, tuple[int, ...]]:
        return i, tuple(sorted(int(j) for j in lineup))

    def add(self, i: int, lineups: np.ndarray, run: Any) -> None:
        """Record contest ``i``'s ``lineups`` with the figures of the ``run_optimize`` result that built them."""
        self.by_lineup.update({self._key(i, lu): r.expected_duplicates for lu, r in zip(lineups, run.result.lineups)})

    def get(self, i: int, lineup: np.ndarray) -> float | None:
        """The expected field copies of ``lineup`` in contest ``i`` (None when not built there)."""
        return self.by_lineup.get(self._key(i, lineup))


@dataclass
class Builds:
    """Every contest's build at its limit.

    Attributes
    ----------
    built : list of ndarray
        Per contest, shape (m_c, roster), in contest mode's order.
    info : list of dict
        Per contest, the result's ``contests[].build``.
    duplicates : Duplicates
    warnings : list of list of str
        Per contest, contest mode's warnings, each prefixed with the contest's name.
    """

    built: list[np.ndarray]
    info: list[dict[str, Any]]
    duplicates: Duplicates
    warnings: list[list[str]]


@dataclass
class Entered:
    """The lineups entered at the chosen entries, after the exposure rules.

    Attributes
    ----------
    lineups : list of ndarray
        Per contest, shape (k_c, roster).
    sources : list of str
        Per contest, the result's ``lineups_source``.
    n_total : int
        The day's entries.
    day_cap : int or None
        The most of the day's lineups a driver may be in (None: no day cap).
    warnings : list of str
    """

    lineups: list[np.ndarray]
    sources: list[str]
    n_total: int
    day_cap: int | None
    warnings: list[str]


def entry_caps(contests: Sequence[DayContest], limits: Sequence[int | None], budget: float) -> list[tuple[int, str]]:
    """Per contest, the most entries it could get and what limits it: its ``max_entries``, the
    entries a DKEntries file holds for it (``limits``; None: none), or what the stake cap
    (``budget`` dollars) leaves at its fee."""
    caps = []
    for dc, limit in zip(contests, limits):
        m, why = dc.max_entries, "max_entries"
        if limit is not None and limit < m:
            m, why = int(limit), "entries in the DKEntries file"
        by_stake = int(math.floor(budget / dc.entry_fee + EPS))
        if by_stake < m:
            m, why = by_stake, "the stake cap"
        caps.append((m, why))
    return caps


def build_day(mode: ContestMode, caps: Sequence[tuple[int, str]], max_exposure: float | None,
              say: Callable[[str], None]) -> Builds:
    """Build every contest at its cap (``entry_caps``), largest possible stake first, each keeping
    the day's overlap rule against the builds before it.

    Parameters
    ----------
    mode : ContestMode
    caps : sequence of (int, str)
        Per contest, the entries to build and what limits them.
    max_exposure : float or None
        The day's share cap, each contest's when it has none of its own.
    say : callable
        Progress lines.

    Returns
    -------
    Builds
    """
    contests = mode.contests
    C = len(contests)
    roster = mode.slate.site.roster_size
    built: list[np.ndarray] = [np.zeros((0, roster), dtype=np.int64)] * C
    dups = Duplicates()
    info: list[dict[str, Any]] = [{} for _ in range(C)]
    run_warnings: list[list[str]] = [[] for _ in range(C)]
    done: list[int] = []
    for i in sorted(range(C), key=lambda i: (-caps[i][0] * contests[i].entry_fee, i)):
        dc = contests[i]
        m, why = caps[i]
        if m <= 0:
            info[i] = {"built": 0, "limited_by": why}
            continue
        say(f"{dc.name}: choosing up to {m} lineup(s) (contest mode, {dc.kind}) ...")
        spec = ConstraintSpec(mode="contest", n_lineups=m,
                              global_max_exposure=cap_share(dc.max_exposure or max_exposure, m),
                              max_overlap=dc.max_overlap)
        run = mode.run(i, m, spec, done, built, "it is built for")
        built[i] = np.asarray(run.lineups, dtype=np.int64).reshape(-1, roster)
        done.append(i)
        dups.add(i, built[i], run)
        est = run.result.portfolio.contest or {}
        info[i] = {"built": int(built[i].shape[0]), "limited_by": why,
                   "contest_mode_roi_estimate": est.get("roi_estimate"),
                   "contest_mode_roi_interval": est.get("roi_interval"), "cap_place": est.get("cap_place")}
        if mode.overlap_rule:
            info[i]["overlap_day_against"] = [contests[j].name for j in done[:-1] if built[j].shape[0]]
        run_warnings[i] = [f"{dc.name}: {w}" for w in run.result.warnings if not w.startswith(("slate:", "simulation:"))]
    return Builds(built, info, dups, run_warnings)


def enter_day(mode: ContestMode, builds: Builds, entries: Sequence[int], max_exposure: float | None,
              say: Callable[[str], None]) -> Entered:
    """The lineups entered: each contest's first ``entries[c]`` built lineups, with the contests
    that break the exposure rules (``exposure.to_rebuild``) rebuilt at their entries, largest
    chosen stake first, each kept under what the day's cap has left and under the day's overlap
    rule against every lineup fixed at that point (builds ``duplicates`` gains the rebuilt lineups).

    Parameters
    ----------
    mode : ContestMode
    builds : Builds
    entries : sequence of int
        Per contest, the entries chosen.
    max_exposure : float or None
        The day's share cap (and each contest's when it has none of its own).
    say : callable
        Progress lines.

    Returns
    -------
    Entered
    """
    contests, slate, k = mode.contests, mode.slate, list(entries)
    C = len(contests)
    chosen = [builds.built[i][:k[i]] for i in range(C)]
    sources = ["prefix of the build" if k[i] else "not entered" for i in range(C)]
    n_total = sum(k)
    cap = day_cap(max_exposure, n_total)
    redo = to_rebuild(contests, builds.built, k, chosen, max_exposure, cap, slate.n)
    if redo:
        fixed = [i for i in range(C) if k[i] and i not in redo]  # what a rebuild keeps the day's overlap rule against
        # every contest kept as it is counts against the day's cap before any rebuild, whatever its
        # place in the stake order (a kept contest later in the order used to be left out, and a
        # rebuild could then take the day past its cap)
        used = driver_counts([chosen[i] for i in fixed], slate.n)
        for i in sorted(range(C), key=lambda i: (-k[i] * contests[i].entry_fee, i)):
            if not k[i] or i not in redo:
                continue
            dc = contests[i]
            e = cap_share(dc.max_exposure or max_exposure, k[i])
            per = driver_caps(e, np.maximum(cap - used, 0), k[i], slate.ids) if cap is not None else {}
            say(f"{dc.name}: rebuilding {k[i]} lineup(s) under the exposure rules ...")
            spec = ConstraintSpec(mode="contest", n_lineups=k[i], global_max_exposure=e, max_exposure=per,
                                  max_overlap=dc.max_overlap)
            run = mode.run(i, k[i], spec, fixed, chosen, "it is rebuilt for (the exposure rules)")
            chosen[i] = np.asarray(run.lineups, dtype=np.int64).reshape(-1, slate.site.roster_size)
            fixed.append(i)
            builds.duplicates.add(i, chosen[i], run)
            sources[i] = "rebuilt at its entries for the exposure rules"
            used += driver_counts([chosen[i]], slate.n)
    return Entered(chosen, sources, n_total, cap, over_cap_warnings(chosen, cap, n_total, slate.names))
