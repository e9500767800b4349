"""The entries decision on the allocation scenarios (scenario set 2, each contest's field drawn again).

Every prefix of each contest's build gets its profit per scenario (each lineup judged alone against
the field, so a prefix's profit is the sum of its lineups'; ``plan.allocate.prefix_profits``), then
``plan.allocate.allocate`` searches the entries. What is finally entered is re-scored exactly on
the same set (our entries ranked against one another), as the result's ``allocation.exact``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tailrace.contest import scenario_payouts
from tailrace.plan.allocate import Allocation, allocate, prefix_profits
from tailrace.plan.contests import DayContest
from tailrace.plan.fields import ALLOCATE, DayFields
from tailrace.sim.scenarios import Scenarios

__all__ = ["Decision", "decide_entries", "exact_day_profit"]


@dataclass(frozen=True)
class Decision:
    """The allocation and the allocation set's contests (their fields drawn for ``fields.ALLOCATE``)."""

    allocation: Allocation
    contests: list[Any]
    points: np.ndarray


def decide_entries(fields: DayFields, contests: Sequence[DayContest], allocate_on: Scenarios,
                   built: Sequence[np.ndarray], bankroll: float, max_stake: float, kelly: float) -> Decision:
    """The entries per contest that maximise the bankroll's expected log-growth on ``allocate_on``.

    Parameters
    ----------
    fields : DayFields
    contests : sequence of DayContest
    allocate_on : Scenarios
        The allocation set.
    built : sequence of ndarray
        Per contest, its build (shape (m_c, roster)): entries ``k`` enter its first ``k`` lineups.
    bankroll, max_stake, kelly
        As ``plan.allocate.allocate`` takes them.

    Returns
    -------
    Decision
    """
    points = allocate_on.points
    drawn = [fields.contest(i, dc, points, ALLOCATE)[0] for i, dc in enumerate(contests)]
    tables = []
    for i, dc in enumerate(contests):
        if built[i].shape[0]:
            pay, _, _ = scenario_payouts(drawn[i], points, built[i], alone=True)
            tables.append(prefix_profits(pay, dc.entry_fee))
        else:
            tables.append(np.zeros((1, points.shape[0])))
    alloc = allocate(tables, [dc.entry_fee for dc in contests], bankroll, max_stake, kelly)
    return Decision(alloc, drawn, points)


def exact_day_profit(decision: Decision, contests: Sequence[DayContest], lineups: Sequence[np.ndarray]) -> np.ndarray:
    """The day's profit per allocation scenario of the ``lineups`` entered, our entries in each
    contest ranked against one another (shape (S,))."""
    exact = np.zeros(decision.points.shape[0])
    for i, dc in enumerate(contests):
        if lineups[i].shape[0]:
            pay, _, _ = scenario_payouts(decision.contests[i], decision.points, lineups[i])
            exact += pay.sum(axis=1) - dc.entry_fee * lineups[i].shape[0]
    return exact
