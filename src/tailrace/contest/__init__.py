"""The contest: payouts, ownership, the field, and simulated results (a measure: arrays in, figures out).

``Contest`` bundles what a tournament is (fee, entries, payout table, opponents); ``simulate``
runs a portfolio through it over a scenario matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tailrace.contest.field import Field, read_field, sample_field
from tailrace.contest.ownership import model_ownership, read_ownership
from tailrace.contest.payouts import (
    CASH_GAMES,
    DEFAULT_RAKE,
    PayoutTable,
    cash_payouts,
    parametric_payouts,
    payouts_from_ranges,
    read_payouts,
    split_payout,
)
from tailrace.contest.simulate import ContestResult, Figures, chunk_size, memory_estimate, simulate_contest

__all__ = [
    "Contest",
    "ContestResult",
    "CASH_GAMES",
    "DEFAULT_RAKE",
    "Field",
    "Figures",
    "PayoutTable",
    "cash_payouts",
    "chunk_size",
    "make_contest",
    "memory_estimate",
    "model_ownership",
    "parametric_payouts",
    "payouts_from_ranges",
    "read_field",
    "read_ownership",
    "read_payouts",
    "sample_field",
    "simulate",
    "simulate_contest",
    "split_payout",
]


@dataclass(frozen=True)
class Contest:
    """A tournament: entry fee, total entries (ours included), payout table and the opponents.

    A sampled ``field`` holds ``field_size`` entries; when we enter ``m`` lineups the first
    ``field_size - m`` are our opponents, so the contest keeps its size. A field read from a
    file is used whole.
    """

    entry_fee: float
    field_size: int
    payouts: PayoutTable
    field: Field
    ownership: np.ndarray | None = None  # percent per driver, when the field was sampled

    def opponents(self, n_ours: int) -> Field:
        """The opponents our ``n_ours`` entries face."""
        if self.field.source != "sampled":
            return self.field
        k = self.field_size - n_ours
        if k < 0:
            raise ValueError(f"{n_ours} entries do not fit a {self.field_size}-entry contest")
        return self.field.take(min(k, self.field.n_entries))

    def to_dict(self) -> dict:
        return {
            "entry_fee": self.entry_fee,
            "field_size": self.field_size,
            "payouts": self.payouts.to_dict(),
            "field": self.field.to_dict(),
        }


def make_contest(
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    *,
    entry_fee: float = 5.0,
    field_size: int = 20_000,
    rake: float = DEFAULT_RAKE,
    payouts: PayoutTable | None = None,
    ownership: np.ndarray | None = None,
    projections: np.ndarray | None = None,
    field: Field | None = None,
    min_salary: int | None = None,
    rng: np.random.Generator | int | None = 0,
) -> Contest:
    """A contest from parts: a parametric payout table unless given, ownership modelled from
    ``projections`` and salary unless given, and a field sampled from ownership unless given."""
    pay = payouts or parametric_payouts(entry_fee, field_size, rake)
    if field is None:
        own = ownership if ownership is not None else model_ownership(salaries, projections, roster_size, salary_cap=salary_cap)
        fld = sample_field(own, salaries, roster_size, salary_cap, field_size, min_salary=min_salary, rng=rng)
    else:
        own, fld = ownership, field
        field_size = max(field_size, field.n_entries)
    return Contest(float(entry_fee), int(field_size), pay, fld, None if own is None else np.asarray(own))


def simulate(
    contest: Contest,
    points: np.ndarray,
    lineups: np.ndarray,
    *,
    progress: Callable[[int, int], None] | None = None,
    cvar_alpha: float = 0.05,
    executor=None,
) -> ContestResult:
    """Run ``lineups`` (m, roster) through ``contest`` over the scenario matrix ``points``
    (``executor``: see ``simulate_contest``)."""
    lu = np.asarray(lineups)
    return simulate_contest(
        points, lu, contest.opponents(lu.shape[0]), contest.payouts, contest.entry_fee,
        progress=progress, cvar_alpha=cvar_alpha, executor=executor,
    )
