"""The contest: payouts, ownership, the field, and simulated results (a measure: arrays in, figures out).

``Contest`` bundles what a tournament is (fee, entries, payout table, opponents); ``run_contest``
runs a portfolio through it over a scenario matrix (``contest.simulate``, the module, holds the
engine underneath: ``simulate_contest`` on plain arrays).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np

from tailrace.contest.ensemble import (
    DEFAULT_SIGMA,
    OwnershipPosterior,
    check_ownership_error,
    field_ensemble,
    perturb_ownership,
    posterior_ownership,
    sample_field_rejection,
)
from tailrace.contest.field import MAX_SHARPNESS, Field, check_sharpness, read_field, sample_field
from tailrace.contest.report import OwnershipReport, ownership_report
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
from tailrace.errors import InputError, Problem
from tailrace.sites import DEFAULT_ENTRY_FEE, DEFAULT_FIELD_SIZE
from tailrace.contest.simulate import (ContestResult, Figures, chunk_size, memory_estimate, simulate_contest,
                                       standings_kernel)
from tailrace.rng import as_generator

__all__ = [
    "Contest",
    "ContestResult",
    "CASH_GAMES",
    "DEFAULT_RAKE",
    "Field",
    "Figures",
    "MAX_SHARPNESS",
    "OwnershipReport",
    "field_ensemble",
    "ownership_report",
    "perturb_ownership",
    "posterior_ownership",
    "check_ownership_error",
    "OwnershipPosterior",
    "sample_field_rejection",
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
    "run_contest",
    "scenario_payouts",
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
    report : OwnershipReport, optional
        The ownership against the cap and against ``field`` (``contest.report``), when
        ownership is known.
    ensemble : callable, optional
        Draws the other field models of the same contest (``field_ensemble`` members 1..);
        called once, by ``alternatives``, so a contest nobody hedges with costs nothing more.
        None unless the contest was built with ``field_sharpness="auto"``.
    field_sharpness : float or "auto"
        How the field was asked for: a share of optimiser-built entries, or ``"auto"`` (the
        plain calibrated field plus the ensemble in ``alternatives``).
    ownership_error : float, default=0.3
        Log-sd of the error the user's ownership is taken to carry (each driver's ownership
        times ``exp(N(0, sigma^2))``): the ensemble's perturbed members, contest mode's
        selection members and its cross-validation's pretend truth all draw with it
        (``optimize.contest.fields``); 0 says the ownership is the real field's.
    """

    entry_fee: float
    field_size: int
    payouts: PayoutTable
    field: Field
    ownership: np.ndarray | None = None  # percent per driver, when the field was sampled
    report: OwnershipReport | None = None
    field_sharpness: float | str = 0.0
    ensemble: Callable[[], tuple[Contest, ...]] | None = dataclass_field(default=None, compare=False, repr=False)
    ownership_error: float = DEFAULT_SIGMA
    _cache: dict = dataclass_field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def alternatives(self) -> tuple[Contest, ...]:
        """Other field models of this contest (same fee, size and payouts; fields drawn by
        ``field_ensemble`` members 1.., seeded), for a selection that hedges across fields;
        empty unless the contest was built with ``field_sharpness="auto"``. Drawn on first use."""
        if self.ensemble is None:
            return ()
        if "alternatives" not in self._cache:
            self._cache["alternatives"] = tuple(self.ensemble())
        return self._cache["alternatives"]

    def field_models(self) -> list[Contest]:
        """This contest and its ``alternatives``: every field model it was built with, member 0 first."""
        return [self, *self.alternatives]

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
            "field_sharpness": self.field_sharpness,
            **({"field_models": [c.field.model for c in self.field_models()]} if "alternatives" in self._cache
               or self.ensemble is None else {}),
        }


def make_contest(
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    *,
    entry_fee: float = DEFAULT_ENTRY_FEE,
    field_size: int = DEFAULT_FIELD_SIZE,
    rake: float = DEFAULT_RAKE,
    payouts: PayoutTable | None = None,
    ownership: np.ndarray | None = None,
    projections: np.ndarray | None = None,
    field: Field | None = None,
    min_salary: int | None = None,
    rng: np.random.Generator | int | None = 0,
    field_sharpness: float | str = 0.0,
    ensemble_members: int = 3,
    driver_names: Sequence[str] | None = None,
    ownership_error: float = DEFAULT_SIGMA,
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
        Seed or generator for sampling the field. The ensemble (``"auto"``) continues the same
        generator after the field, so the field is the same with or without it.
    field_sharpness : float or "auto", default=0.0
        A number in [0, ``MAX_SHARPNESS``]: the share of optimiser-built entries in the
        sampled field (``sample_field``'s ``sharpness``). ``"auto"``: the plain calibrated
        field, and ``ensemble_members - 1`` other field models (``field_ensemble``: perturbed
        ownership, the rejection sampler, sharpness 0.2 and 0.35) as ``alternatives``.
        Sharp fields use ``projections`` (or, lacking them, salary / 1000 points).
    ensemble_members : int, default=3
        Fields in the ensemble, the contest's own included (``"auto"`` only).
    driver_names : sequence of str, optional
        Names for the ownership report's sentences.
    ownership_error : float, default=0.3
        Log-sd of the error the ownership is taken to carry (``Contest.ownership_error``; the
        ensemble's perturbed members draw with it); in [0, ``MAX_SIGMA``], else InputError.

    Returns
    -------
    Contest
        ``ownership`` is the array used (given or modelled), or None when ``field`` was given
        without ``ownership``; ``report`` the ownership report when ownership is known.

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

    sigma = check_ownership_error(ownership_error)
    pay = payouts or parametric_payouts(entry_fee, field_size, rake)
    auto = isinstance(field_sharpness, str)
    if auto and field_sharpness != "auto":
        raise InputError(Problem(f"field sharpness {field_sharpness!r} is not a number or 'auto'",
                                 param="field_sharpness",
                                 fix=f"give a share of optimiser-built entries in [0, {MAX_SHARPNESS:g}], e.g. {{field_sharpness=0.2}}, "
                                     "or {field_sharpness=auto}"))
    sal = np.asarray(salaries)
    proj = np.asarray(projections, dtype=np.float64) if projections is not None else sal / 1000.0
    sharp = 0.0 if auto else check_sharpness(field_sharpness, proj, sal.shape[0])
    ens = None
    if field is None:
        own = ownership if ownership is not None else model_ownership(salaries, projections, roster_size, salary_cap=salary_cap)
        g = as_generator(rng)
        fld = sample_field(own, salaries, roster_size, salary_cap, field_size, min_salary=min_salary, rng=g,
                           sharpness=sharp, projections=proj if sharp > 0 else None)
        if auto and ensemble_members > 1:
            seed = int(g.integers(0, 2**63 - 1))  # drawn after the field: the field is the same without it
            own_a = np.asarray(own, dtype=np.float64)

            def draw_ensemble() -> tuple[Contest, ...]:
                members = field_ensemble(own_a, salaries, roster_size, salary_cap, field_size, projections=proj,
                                         sigma=sigma, members=ensemble_members, rng=seed, min_salary=min_salary,
                                         base=fld)
                return tuple(Contest(float(entry_fee), int(field_size), pay, f, own_a, None, "auto",
                                     ownership_error=sigma) for f in members[1:])

            ens = draw_ensemble
    else:
        own, fld = ownership, field
        field_size = max(field_size, field.n_entries)
    rep = None if own is None else ownership_report(own, salaries, roster_size, salary_cap, fld, names=driver_names)
    return Contest(float(entry_fee), int(field_size), pay, fld, None if own is None else np.asarray(own), rep,
                   "auto" if auto else sharp, ens, ownership_error=sigma)


def run_contest(
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


def scenario_payouts(contest: Contest, points: np.ndarray, lineups: np.ndarray, *,
                     alone: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Each of our lineups' payout and place in every scenario (the arrays behind :func:`run_contest`).

    Parameters
    ----------
    contest : Contest
        The tournament.
    points : ndarray of shape (n_scenarios, n_drivers)
        Driver points per scenario.
    lineups : ndarray of shape (m, roster)
        Our entries as driver indices.
    alone : bool, default=False
        False: all ``m`` enter together against ``contest.opponents(m)`` (each counted against
        the others too), as :func:`run_contest` ranks them. True: each is judged alone against
        ``contest.opponents(1)``, so column ``j`` does not depend on the other lineups.

    Returns
    -------
    pay : ndarray of shape (n_scenarios, m), float64
        Prize of each lineup in each scenario, ties split as the site splits them.
    above : ndarray of shape (n_scenarios, m), int32
        Entries strictly above each lineup.
    n_entries : int
        Entries in the contest as ranked (the field's plus ours, or plus one when ``alone``).
    """

    ours = np.ascontiguousarray(np.sort(np.asarray(lineups), axis=1).astype(np.int32))
    opp = contest.opponents(1 if alone else ours.shape[0])
    fu, fc = opp.unique()
    a, t, _ = standings_kernel(np.ascontiguousarray(points, dtype=np.float32), ours,
                               np.ascontiguousarray(fu, dtype=np.int32), fc, not alone)
    return split_payout(contest.payouts.cumulative(), a, t), a, opp.n_entries + (1 if alone else ours.shape[0])
