"""The pipeline's result models: what one optimisation run answers (:class:`OptimizeResult`),
per lineup (:class:`LineupRow`), per driver (:class:`ExposureRow`, :class:`DriverOptimal`), for the
portfolio (:class:`PortfolioSummary`, :class:`OptimalSummary`) and on a fresh scenario set
(:class:`FreshValidation`). Frozen pydantic models on :class:`tailrace.json_models.JsonReady`, so
a NaN is None as it is given and ``to_json()`` is the CLI's ``--json`` file; the API answers with
the same fields. ``tailrace.pipeline`` builds them and re-exports every name.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from tailrace.json_models import JsonReady

class _Result(JsonReady):
    # Frozen, and a field left out when the model was built is left out of its JSON
    # (``to_json`` dumps with exclude_unset): per-lineup ``seconds`` without timings,
    # ``contest_marginal_ev`` outside mode contest, ``explain`` without explanations. A field
    # given as None is there as null. Figures enter raw (numpy, NaN) and are made JSON-ready here,
    # once (``JsonReady``): a NaN objective value or gap is None in the model and null in its JSON.
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """The JSON form: plain floats, ints, strings, lists and dicts, in field order."""
        return self.model_dump(mode="json", exclude_unset=True)


class LineupRow(_Result):
    """One lineup of the portfolio, in the order built."""

    index: int
    driver_ids: list[str]
    names: list[str]
    salary: int
    objective_value: float | None
    bound: float | None
    gap: float | None
    optimal: bool
    status: str
    seconds: float | None = None  # left out with timings=False
    tail_metrics: dict[str, Any]  # tail.TailSummary.to_dict()
    fresh_tail_metrics: dict[str, Any] | None = Field(
        None, description="the same tail metrics on the fresh scenario set (the next seed), when there is one: the "
                          "lineup was chosen on the optimisation scenarios, whose figures (tail_metrics) flatter it, "
                          "so these are the honest estimate of its tail")
    # the descriptions below are the API's too (its LineupOut is generated from this model: api.schemas.LINEUP)
    contest_marginal_ev: float | None = Field(None, description="mode 'contest': the lineup's marginal expected "
                                                                "profit when it was picked")
    explain: dict[str, Any] | None = None  # why_high_tail, tail_vs_mean, constraint_binding; explain=True only
    optimal_pct: float | None = Field(None, description="percent of scenarios in which the lineup scores the "
                                      "scenario's optimum (the best legal lineup under the site's roster and cap)")
    near_optimal_pct: float | None = Field(None, description="percent of scenarios in which it scores at least 99 % "
                                           "of the optimum")
    expected_duplicates: float | None = Field(None, description="mode 'contest': field entries expected to hold the "
                                              "same drivers (see `duplicates`)")
    expected_duplicates_se: float | None = Field(None, description="mode 'contest': its standard error (0 when "
                                                 "counted in a given field)")
    sharing_cost: float | None = Field(None, description="mode 'contest': mean prize per entry lost to sharing "
                                       "places with those copies (Poisson copies, ties split)")


class ExposureRow(_Result):
    """A driver the portfolio holds: in how many lineups, and that as a share (``exposure``)."""

    driver_id: str
    name: str
    count: int
    exposure: float


class DriverOptimal(_Result):
    """A driver's optimal % (share of scenarios whose optimal lineup holds him), ownership and leverage."""

    driver_id: str
    name: str
    optimal_pct: float
    ownership_pct: float
    leverage: float  # optimal_pct - ownership_pct, percentage points


class OptimalSummary(_Result):
    """Optimal % per driver (``optimize.optimal_share``), in slate order, and the ownership it is set against."""

    n_scenarios: int  # scenarios with an optimal lineup (the denominator)
    near_tolerance: float  # lineups' near_optimal_pct: a score at least (1 - this) x the optimum
    ownership_source: str  # "contest", "field", "slate" or "model" (see run_optimize)
    drivers: list[DriverOptimal]


class PortfolioSummary(_Result):
    n_lineups: int
    mode: str
    portfolio_value: float | None
    seconds: float | None = None  # left out with timings=False
    best_lineup_tail_metrics: dict[str, Any]  # of the best lineup per scenario
    exposures: list[ExposureRow]
    exposure_by_id: dict[str, float]
    contest: dict[str, Any] | None = None  # mode contest: the selection's facts (cap, CV table, contest)


class FreshFigures(_Result):
    """A portfolio's figures on one scenario set (``fresh_validation``)."""

    best_lineup_upper_cvar: float | None
    best_lineup_mean: float | None
    mean_lineup_objective: float | None
    n_scenarios: int


class FreshValidation(_Result):
    """The portfolio re-scored on a fresh scenario set; without one, ``available`` False and the ``reason``."""

    available: bool
    beta: float | None = None
    in_sample: FreshFigures | None = None
    out_of_sample: FreshFigures | None = None
    relative_drop: dict[str, float | None] | None = None  # (in - out) / |in| per figure
    seed_in: Any = None  # the two sets' seeds, as their scenario meta gives them
    seed_out: Any = None
    reason: str | None = None

    def figures(self) -> tuple[FreshFigures, FreshFigures] | None:
        """``(in_sample, out_of_sample)`` when the validation ran, else None."""
        if self.available and self.in_sample is not None and self.out_of_sample is not None:
            return self.in_sample, self.out_of_sample
        return None


class Timings(_Result):
    portfolio_seconds: float
    explain_seconds: float
    total_seconds: float


class OptimizeResult(_Result):
    """What one optimisation run found, for every face: ``to_json()`` is the CLI's ``--json``
    file (and the demo's portfolio.json); the API's /optimize answer reshapes the same fields
    (its lineups leave out ``seconds`` and move ``explain`` to a list of its own; its exposures
    call ``exposure`` ``share``: the one mapping, ``api.schemas.LINEUP`` and ``EXPOSURE``)."""

    site: str
    n_drivers: int
    n_scenarios: int
    objective: dict[str, Any]  # name and the ObjectiveSpec's fields
    tail_beta: float
    explain_binding_lineups: int
    mode: str
    spec: dict[str, Any]  # the ConstraintSpec, as JSON
    scenario_meta: dict[str, Any]
    history: Any  # how a history entered the strengths (a dict from the scenario meta, or None)
    lineups: list[LineupRow]
    portfolio: PortfolioSummary
    exposures: list[ExposureRow]
    fresh_validation: FreshValidation
    warnings: list[str]
    race: dict[str, Any] | None = None  # the race and track this run is for, and how they were resolved
    timings: Timings | None = None  # left out with timings=False
    optimal: OptimalSummary | None = None  # optimal %, ownership and leverage per driver
    duplicates: dict[str, Any] | None = None  # mode contest: how expected duplicates were counted, max_duplicates
