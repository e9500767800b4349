"""The contest-day plan as one library call: build every contest's lineups, decide the entries
per contest by log-growth, and report the day on scenarios nothing was chosen on.

Three scenario sets of the same race (one simulation road, shared by every contest):

* ``build`` (seed s): each contest's lineups are chosen on it, at the most entries it could
  get (its ``max_entries``, the entries a DKEntries file holds for it, and what the stake cap
  leaves), by contest mode (``pipeline.run_optimize`` with mode ``contest``; a cash game is
  contest mode against its flat table, the cash objective the README advises). Contest mode's
  greedy adds lineups by marginal expected profit, so its first ``k`` lineups are its
  ``k``-lineup portfolio.
* ``allocate`` (seed s + 1), with each contest's field drawn again (another field seed): every
  prefix's profit per scenario (``plan.allocate.prefix_profits``; each lineup judged alone
  against the field, so a prefix's profit is the sum of its lineups'), then
  ``plan.allocate.allocate``. The chosen entries are re-scored exactly here as well (our
  entries against one another), as ``allocation.exact``.
* ``report`` (seed s + 2, fields drawn a third time): every figure shown for the day and per
  contest: expected profit, ROI with SE, P(loss), lower CVaR of profit, the chance of a
  top-1 % finish, log-growth.

Exposure. A contest's own ``max_exposure`` (or the day's) caps its lineups at its built size;
when the chosen prefix breaks that cap at its own size, or the day's lineups together break
the day's ``max_exposure``, the contests are rebuilt at their chosen entries in order of stake
(largest first), each given what the earlier ones left of the day's per-driver count as a
tighter per-driver cap; ``lineups_source`` says which. A cap always allows a driver in one
lineup (at least ``1 / entries``).

Overlap. A contest's own ``max_overlap`` holds between its own lineups. The day's
``max_overlap_day`` k holds between lineups entered in *different* contests: any two share at
most k drivers (so no lineup is entered in two contests when k < roster size). The contests are
built in order of the most they could stake (``limit x entry_fee``, largest first; ties in file
order), each through contest mode's admission rule (``plan.overlap.overlap_admission``, applied
together with ``max_duplicates``'s) against every lineup built for the contests before it, at
their full builds. Every build then keeps the rule against every other, so any prefixes the
allocation picks keep it too. A rebuild for the exposure rules (above) re-applies it against
every lineup fixed at that point: the contests not rebuilt and those rebuilt before it. A contest
the rule leaves with fewer lineups than it is built or rebuilt for is an InputError naming the
contest and ``max_overlap_day``, never a shorter build (the rule is blamed only when the same
build without it is full; one that fails or runs short without it too fails or runs short as
before). Cash games take the same road (contest
mode against their flat table), so the rule holds for them too. The result reports the rule
(``max_overlap_day``) and the most drivers two entered lineups of different contests share
(``overlap_across_contests``).

The steps, one module each: ``build.build_day`` builds every contest on the first set
(``contest_mode``; the fields from ``fields``), ``decide.decide_entries`` decides the entries on
the second, ``build.enter_day`` applies the exposure rules at those entries, ``report.report_day``
computes the figures on the third and ``result.plan_result`` assembles the JSON document.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem
from tailrace.plan.build import build_day, enter_day, entry_caps
from tailrace.plan.contest_mode import ContestMode
from tailrace.plan.contests import DayContest
from tailrace.plan.decide import decide_entries, exact_day_profit
from tailrace.plan.fields import BUILD, DayFields
from tailrace.plan.report import report_day
from tailrace.plan.result import plan_result
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Slate

__all__ = ["PlanRun", "check_day_options", "run_plan"]


@dataclass(frozen=True)
class PlanRun:
    """A finished plan: per contest the lineups entered and the lineups built (driver indices, in
    contest mode's order), and the JSON result."""

    lineups: list[np.ndarray]  # per contest, shape (k_c, roster)
    result: dict[str, Any]
    built: list[np.ndarray]  # per contest, shape (m_c, roster): the build at the most entries it could get


def check_day_options(bankroll: float, max_stake: float, kelly: float = 1.0, max_exposure: float | None = None,
                      max_overlap_day: int | None = None) -> None:
    """Check the day's options before any work.

    Parameters
    ----------
    bankroll : float
        Dollars: finite, > 0.
    max_stake : float
        Share of the bankroll, in (0, 1).
    kelly : float, default=1.0
        In (0, 1].
    max_exposure : float, optional
        In (0, 1].
    max_overlap_day : int, optional
        A whole number >= 0.

    Raises
    ------
    InputError
        Every problem found, each with ``param`` the library's name of the option (each face
        words it: the CLI as its flag, the API as its field).
    """

    problems = []
    if not (bankroll > 0 and math.isfinite(bankroll)):
        problems.append(Problem(f"bankroll {bankroll} must be a positive number of dollars", param="bankroll",
                                fix="e.g. {bankroll=500}"))
    if not (0 < max_stake < 1):
        problems.append(Problem(f"max stake {max_stake} must lie in (0, 1) (a share of the bankroll)",
                                param="max_stake", fix="e.g. {max_stake=0.3}"))
    if not (0 < kelly <= 1):
        problems.append(Problem(f"Kelly fraction {kelly} must lie in (0, 1]", param="kelly",
                                fix="1 for full Kelly, 0.5 for half"))
    if max_exposure is not None and not (0 < max_exposure <= 1):
        problems.append(Problem(f"max exposure {max_exposure} must lie in (0, 1]", param="max_exposure",
                                fix="e.g. {max_exposure=0.5}"))
    whole = isinstance(max_overlap_day, (int, np.integer)) and not isinstance(max_overlap_day, bool)
    if max_overlap_day is not None and not (whole and max_overlap_day >= 0):
        problems.append(Problem(f"max overlap day {max_overlap_day!r} must be a whole number >= 0 (drivers two "
                                "lineups of different contests may share)", param="max_overlap_day",
                                fix="e.g. {max_overlap_day=4}"))
    if problems:
        raise InputError(problems)


def run_plan(
    slate: Slate,
    contests: Sequence[DayContest],
    scenarios: Scenarios,
    allocate_on: Scenarios,
    report_on: Scenarios,
    *,
    bankroll: float,
    max_stake: float,
    kelly: float = 1.0,
    max_exposure: float | None = None,
    entry_limits: Sequence[int | None] | None = None,
    seed: int = 1,
    field_sharpness: Any = "auto",
    ownership_error: float | None = None,
    contest_cap: int | None = None,
    max_duplicates: float | None = None,
    max_overlap_day: int | None = None,
    executor: Any = None,
    say: Callable[[str], None] | None = None,
    make_contest: Callable[[int, DayContest, np.ndarray, np.random.Generator], Any] | None = None,
) -> PlanRun:
    """Plan a race day (module docstring).

    Parameters
    ----------
    slate : Slate
    contests : sequence of DayContest
        The day's contests (``plan.contests.read_contests``).
    scenarios, allocate_on, report_on : Scenarios
        Three independent scenario sets of ``slate``: lineups are chosen on the first, entries
        decided on the second, every reported figure computed on the third.
    bankroll : float
        Dollars, > 0.
    max_stake : float
        Cap on the day's total entry fees, as a share of the bankroll, in (0, 1).
    kelly : float, default=1.0
        Kelly fraction in (0, 1] (``plan.allocate``).
    max_exposure : float, optional
        The day's cap on any driver's share of all the day's lineups together, and each
        contest's cap when it has none of its own.
    entry_limits : sequence of int or None, optional
        Per contest, the entries a DKEntries file holds for it (None: no limit beyond its own).
    seed : int, default=1
        Seed of the sampled fields (one per contest and role).
    field_sharpness, ownership_error, contest_cap, max_duplicates
        As ``pipeline.contest_from_options`` / ``pipeline.run_optimize`` take them
        (``max_duplicates``: no lineup of any contest expects more field copies than this).
    max_overlap_day : int, optional
        Drivers two lineups entered in different contests may share at most (module docstring);
        None: no rule across contests.
    executor : optional
        ``tailrace.distributed`` executor for contest mode and the contest passes.
    say : callable, optional
        Called with a line of progress text.
    make_contest : callable, optional
        ``make_contest(i, contest, points, rng) -> Contest``; default
        ``pipeline.contest_from_options`` from the contest's fields (a benchmark may draw its
        own fields).

    Returns
    -------
    PlanRun

    Raises
    ------
    InputError, InfeasibleError
        From the options (``check_day_options``), the contests' files, a contest the day's
        overlap rule leaves too few lineups, or a rebuild the exposure rules make impossible.
    """

    say = say or (lambda _m: None)
    check_day_options(bankroll, max_stake, kelly, max_exposure, max_overlap_day)
    limits = list(entry_limits) if entry_limits is not None else [None] * len(contests)
    warnings = [f"slate: {n}" for n in slate.notes] + scenarios.stage_warnings()
    fields = DayFields(slate, seed, field_sharpness, ownership_error, make_contest)
    # ------------------------------------------------------------------ build (scenario set 1)
    drawn = [fields.contest(i, dc, scenarios.points, BUILD) for i, dc in enumerate(contests)]
    mode = ContestMode(slate, scenarios, contests, [c for c, _ in drawn], executor=executor, contest_cap=contest_cap,
                       max_duplicates=max_duplicates, max_overlap_day=max_overlap_day)
    caps = entry_caps(contests, limits, max_stake * bankroll)
    builds = build_day(mode, caps, max_exposure, say)
    warnings += mode.rule_warnings()
    for (_, field_warnings), build_warnings in zip(drawn, builds.warnings):  # in the file's order, whatever the build's
        warnings += field_warnings + build_warnings
    # ------------------------------------------------------------------ allocate (scenario set 2)
    say("deciding the entries per contest on held-out scenarios and fresh fields ...")
    decision = decide_entries(fields, contests, allocate_on, builds.built, bankroll, max_stake, kelly)
    entered = enter_day(mode, builds, decision.allocation.entries, max_exposure, say)
    warnings += entered.warnings
    exact = exact_day_profit(decision, contests, entered.lineups)
    # ------------------------------------------------------------------ report (scenario set 3)
    say("reporting the day on fresh scenarios and fields ...")
    report = report_day(slate, contests, fields, report_on, mode.fields, caps, builds, entered, bankroll, kelly)
    result = plan_result(slate, contests, (scenarios, allocate_on, report_on), seed=seed, bankroll=bankroll,
                         max_stake=max_stake, kelly=kelly, max_exposure=max_exposure, max_overlap_day=max_overlap_day,
                         ownership_error=ownership_error, report=report, allocation=decision.allocation, exact=exact,
                         entered=entered, warnings=warnings)
    return PlanRun(lineups=entered.lineups, result=result, built=builds.built)
