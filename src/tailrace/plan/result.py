"""The plan's JSON document (README, "A contest day", JSON): the options, the report's rows and
day, the allocation and how it was reached, the exposures, the overlap across contests, and
which scenario set each figure comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tailrace.contest_options import CONTEST_DEFAULTS
from tailrace.outputs import jsonable
from tailrace.pipeline import race_summary
from tailrace.plan.allocate import Allocation, growth
from tailrace.plan.build import Entered
from tailrace.plan.contests import DayContest
from tailrace.plan.fields import ALLOCATE, BUILD, REPORT
from tailrace.plan.overlap import cross_contest_overlap
from tailrace.plan.report import DayReport, exposure_rows
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Slate

__all__ = ["plan_result"]


def _allocation(alloc: Allocation, contests: Sequence[DayContest], exact: np.ndarray, bankroll: float,
                kelly: float) -> dict[str, Any]:
    """The result's ``allocation``: the decision, the greedy path and the exact re-score, contests by name."""
    def name_of(c: int) -> str:
        return contests[c].name

    return {
        "entries": {name_of(c): int(x) for c, x in enumerate(alloc.entries)},
        "method": alloc.method,
        "n_evaluated": int(alloc.n_evaluated),
        "growth_objective": alloc.growth,
        "log_growth": alloc.log_growth,
        "greedy_entries": {name_of(c): int(x) for c, x in enumerate(alloc.greedy_entries)},
        "steps": [{**s, "contest": name_of(s["contest"])} for s in alloc.steps],
        "marginal": [{**m, "contest": name_of(m["contest"])} for m in alloc.marginal],
        "exact": {"log_growth": float(np.log1p(exact / bankroll).mean()),
                  "growth_objective": float(growth(exact, bankroll, kelly)),
                  "expected_profit": float(exact.mean()),
                  "note": "the entered lineups on the allocation set, our entries ranked against one another "
                          "(the search judged each lineup alone against the field)"},
    }


def _scenarios(sets: Sequence[Scenarios], seed: int) -> dict[str, Any]:
    """The result's ``scenarios``: per role its set's seed, track and size, its field seed and its use."""
    def meta(sc: Scenarios) -> dict[str, Any]:
        return jsonable({k: v for k, v in sc.meta.items() if k in ("seed", "track", "track_type")})

    build, alloc, report = sets
    return {
        "build": {**meta(build), "n": build.n_scenarios, "field_seed": [seed, BUILD],
                  "used_for": "choosing each contest's lineups (contest mode and its own cross-validation)"},
        "allocate": {**meta(alloc), "n": alloc.n_scenarios, "field_seed": [seed, ALLOCATE],
                     "used_for": "every prefix's profit and the entries decision (allocation.*)"},
        "report": {**meta(report), "n": report.n_scenarios, "field_seed": [seed, REPORT],
                   "used_for": "every figure in contests[].figures and day"},
    }


def plan_result(slate: Slate, contests: Sequence[DayContest], sets: Sequence[Scenarios], *, seed: int,
                bankroll: float, max_stake: float, kelly: float, max_exposure: float | None,
                max_overlap_day: int | None, ownership_error: float | None, report: DayReport,
                allocation: Allocation, exact: np.ndarray, entered: Entered, warnings: list[str]) -> dict[str, Any]:
    """The plan's JSON document (JSON-ready: ``outputs.jsonable`` applied).

    Parameters
    ----------
    slate : Slate
    contests : sequence of DayContest
    sets : sequence of Scenarios
        The build, allocation and report sets.
    seed, bankroll, max_stake, kelly, max_exposure, max_overlap_day, ownership_error
        The plan's options, as ``run.run_plan`` takes them.
    report : DayReport
    allocation : Allocation
    exact : ndarray of shape (S,)
        The entered lineups' day profit on the allocation set (``decide.exact_day_profit``).
    entered : Entered
    warnings : list of str

    Returns
    -------
    dict
    """
    result = {
        "site": slate.site.key,
        "race": race_summary(slate, sets[0].meta),
        "bankroll": float(bankroll),
        "max_stake": float(max_stake),
        "stake_cap": float(max_stake * bankroll),
        "kelly": float(kelly),
        "max_exposure": max_exposure,
        "stake": report.stake,
        "entries": int(entered.n_total),
        "contests": report.rows,
        "day": report.day,
        "allocation": _allocation(allocation, contests, exact, bankroll, kelly),
        "exposures": exposure_rows(slate, entered.lineups, entered.n_total),
        "day_max_exposure_count": entered.day_cap,
        "max_overlap_day": max_overlap_day if max_overlap_day is None else int(max_overlap_day),
        "ownership_error": CONTEST_DEFAULTS.ownership_error if ownership_error is None else float(ownership_error),
        "overlap_across_contests": cross_contest_overlap(entered.lineups, slate.n),
        "scenarios": _scenarios(sets, seed),
        "warnings": warnings,
    }
    return jsonable(result)
