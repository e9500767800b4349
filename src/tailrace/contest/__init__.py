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

    Attributes
    ----------
    entry_fee : float
        Fee per entry.
    field_size : int
        Total entries, ours included.
    payouts : PayoutTable
        Prize per place.
    field : Field
        The opponents' lineups.
    ownership : ndarray of shape (n_drivers,), optional
        Percent of entries holding each driver, as used to sample the field (None when the
        field was given without ownership).
    """

    entry_fee: float
    field_size: int
    payouts: PayoutTable
    field: Field
    ownership: np.ndarray | None = None  # percent per driver, when the field was sampled

    def opponents(self, n_ours: int) -> Field:
        """The opponents our ``n_ours`` entries face.

        Parameters
        ----------
        n_ours : int
            Our entries.

        Returns
        -------
        Field
            A sampled field's first ``min(field_size - n_ours, field.n_entries)`` entries; a
            field from a file, whole.

        Raises
        ------
        ValueError
            If the field is sampled and ``n_ours > field_size``.
        """
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
    """Build a contest from parts, filling in what is not given.

    A parametric payout table unless ``payouts`` is given, ownership modelled from
    ``projections`` and salary unless ``ownership`` is given, and a field sampled from
    ownership unless ``field`` is given.

    Parameters
    ----------
    salaries : ndarray of shape (n_drivers,)
        Salary per driver.
    roster_size : int
        Drivers per lineup.
    salary_cap : int
        Salary cap per lineup.
    entry_fee : float, default=5.0
        Fee per entry.
    field_size : int, default=20_000
        Total entries, ours included.
    rake : float, default=DEFAULT_RAKE
        Site's share of the fees, for the parametric payout table.
    payouts : PayoutTable, optional
        Prize per place. Default: ``parametric_payouts(entry_fee, field_size, rake)``.
    ownership : ndarray of shape (n_drivers,), optional
        Percent of entries holding each driver. Default, when ``field`` is not given:
        ``model_ownership(salaries, projections, roster_size, salary_cap=salary_cap)``.
    projections : ndarray of shape (n_drivers,), optional
        Projected points, used only to model ownership (without them, points are taken
        proportional to salary).
    field : Field, optional
        The opponents, used as given; ``field_size`` is then raised to at least
        ``field.n_entries`` and ownership is not modelled. Default: ``sample_field`` of
        ``field_size`` entries from ownership.
    min_salary : int, optional
        Minimum lineup salary for most sampled entries (``sample_field``; default 96 % of
        the cap).
    rng : Generator, int or None, default=0
        Seed or generator for sampling the field.

    Returns
    -------
    Contest
        ``ownership`` is the array used (given or modelled), or None when ``field`` was given
        without ``ownership``.

    Raises
    ------
    ValueError
        From ``parametric_payouts`` when ``payouts`` is not given (entry fee not positive,
        fewer than 2 entries, rake outside [0, 1)); from ``model_ownership`` (fewer drivers
        than ``roster_size``); ``InputError`` (a ValueError) from ``sample_field`` when no
        field fitting the salary floor can be drawn from the ownership.

    Notes
    -----
    The default payout table is built for the ``field_size`` passed in, before it is raised
    to a given field's size.
    """
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
    """Simulate our lineups in a contest against its opponents.

    Parameters
    ----------
    contest : Contest
        The tournament.
    points : ndarray of shape (n_scenarios, n_drivers)
        Driver points in each equally likely scenario.
    lineups : ndarray of shape (n_lineups, roster)
        Our entries as driver indices.
    progress : callable, optional
        ``progress(done, total)`` after each chunk (see :func:`simulate_contest`).
    cvar_alpha : float, default=0.05
        Level of the lower CVaR of portfolio profit.
    executor : Executor, optional
        Runs the chunks (see :func:`simulate_contest`).

    Returns
    -------
    ContestResult
        As :func:`simulate_contest`, against ``contest.opponents(n_lineups)``: a sampled
        field is trimmed so the contest keeps ``field_size`` entries.

    Raises
    ------
    ValueError
        If a sampled contest has fewer than ``n_lineups`` entries, or as
        :func:`simulate_contest`.
    """
    lu = np.asarray(lineups)
    return simulate_contest(
        points, lu, contest.opponents(lu.shape[0]), contest.payouts, contest.entry_fee,
        progress=progress, cvar_alpha=cvar_alpha, executor=executor,
    )
