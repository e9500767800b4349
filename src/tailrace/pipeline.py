"""The pipeline: one optimisation run as a library call, slate + scenarios + ConstraintSpec ->
portfolio -> explanations -> fresh validation -> :class:`OptimizeResult`.

This is orchestration, so it sits above ``optimize/`` (the optimiser alone), ``contest/``
(the contest measure) and ``explain.py``, and the faces call it, never those stages' glue.
The CLI (``tailrace optimize``, ``tailrace demo``) and the REST API both call
:func:`run_optimize`, so they give the same numbers for the same inputs. The result is one
frozen model: per lineup its site IDs, names, salary, objective value and bound, tail metrics
and explanations; the portfolio's exposures and tail metrics; and, when a fresh scenario set is
given, the portfolio re-scored on it (in-sample vs out-of-sample). ``OptimizeResult.to_json()``
is the CLI's ``--json`` file; the API's /optimize answer is built from the same fields.
Every face gets its scenarios from :func:`scenario_set` (``tailrace.scenario_sets``, re-exported
here): one road, one cache key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from tailrace import tail
from tailrace.errors import InputError, Problem
from tailrace.results import (DriverOptimal, ExposureRow, FreshFigures, FreshValidation, LineupRow, OptimalSummary,
                              OptimizeResult, PortfolioSummary, Timings)
from tailrace.outputs import jsonable
from tailrace.judging import with_points_digest
from tailrace.optimize.constraints import ConstraintSpec, ResolvedSpec
from tailrace.scenario_sets import ScenarioSet, scenario_set, scenario_set_id, simulate_scenarios
from tailrace.sim.scenarios import Scenarios
from tailrace.contest_options import CONTEST_DEFAULTS, ContestOptions
from tailrace.slate import Slate
from tailrace.contest import (CASH_GAMES, MAX_SHARPNESS, cash_payouts, make_contest, model_ownership,
                              parametric_payouts, read_field, read_ownership, read_payouts, run_contest)
from tailrace.contest.duplicates import sharing_cost
from tailrace.contest.ownership import scale_ownership
from tailrace.explain import PortfolioContext, binding_work as binding_budget, constraint_binding, tail_vs_mean, why_high_tail
from tailrace.optimize.contest.duplicates import admission, check_max_duplicates, duplicate_sample
from tailrace.optimize.contest.overlap import in_background, runs_here
from tailrace.optimize.lineup import solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.optimal_share import optimal_share
from tailrace.optimize.portfolio import build_portfolio, selection_fields
from tailrace.affiliations import fill_team_and_make

__all__ = [
    "OptimizeRun",
    "OptimizeResult",
    "run_optimize",
    "portfolio_scores",
    "fresh_validation",
    "ScenarioSet",
    "scenario_set",
    "scenario_set_id",
    "simulate_scenarios",
    "contest_from_options",
    "contest_from_parts",
    "field_ownership",
    "payouts_from_options",
    "contest_facts",
    "fill_team_and_make",
    "parse_field_sharpness",
    "race_summary",
    "race_line",
]

ALPHAS = (0.2,)
BETAS = (0.01, 0.05)


def race_summary(slate: Slate, meta: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The race and track a run is for: ``{race, track, track_type, season, race_num, date,
    resolved_by}`` from the slate's resolved race (``Slate.race``), with the track the simulation
    used (``meta``'s ``track``/``track_type``) winning when it differs (a track given at run time);
    None when neither knows a track (scenarios from a file, no track in the salary file)."""
    meta = meta or {}
    race = slate.race.to_json() if slate.race is not None else None
    sim_track, sim_type = meta.get("track"), meta.get("track_type")
    if race is None:
        if not sim_track:
            return None
        return {"race": None, "track": sim_track, "track_type": sim_type, "season": None, "race_num": None,
                "date": None, "resolved_by": "given track"}
    if sim_track and sim_track != race["track"]:
        race = {**race, "track": sim_track, "track_type": sim_type, "race_num": None,
                "resolved_by": "given track"}
    return race


def race_line(race: dict[str, Any] | None) -> str | None:
    """One line for output: 'race: Pala Casino 400 (2023 race 2, 2023-02-26) at Auto Club Speedway,
    intermediate; from Game Info race name'."""
    if not race:
        return None
    when = ", ".join(x for x in (
        (f"{race['season']}" + (f" race {race['race_num']}" if race.get("race_num") else "")) if race.get("season")
        else "", race.get("date") or "") if x)
    name = (race.get("race") or "") + (f" ({when})" if when else "")
    at = f"{name} at " if name.strip() else ""
    return f"race: {at}{race['track']}, {race['track_type']}; from {race['resolved_by']}"


@dataclass(frozen=True)
class OptimizeRun:
    """A finished run: the resolved spec, the Portfolio, and the result."""

    slate: Slate
    resolved: ResolvedSpec
    portfolio: Any  # tailrace.optimize.portfolio.Portfolio
    result: OptimizeResult

    @property
    def lineups(self) -> list[tuple[int, ...]]:
        """The portfolio's lineups as sorted driver-index tuples, in the order built."""
        return [tuple(lr.lineup) for lr in self.portfolio.lineups]


def _check_columns(slate: Slate, scenarios: Scenarios) -> None:
    if tuple(str(i) for i in scenarios.driver_ids) != tuple(slate.ids):
        raise InputError(
            Problem(
                "the scenario matrix's driver IDs are not the slate's (same IDs, same order)",
                field="driver_ids",
                fix="load the matrix with tailrace.sim.io.load_scenarios(path, expected_ids=slate.ids)",
            )
        )


def portfolio_scores(points: np.ndarray, lineups: list[tuple[int, ...]]) -> np.ndarray:
    """Lineup scores, float64 shape (S, m): column j = sum of lineup j's drivers' points."""
    pts = np.asarray(points)
    out = np.empty((pts.shape[0], len(lineups)), dtype=np.float64)
    for j, lu in enumerate(lineups):
        out[:, j] = pts[:, list(lu)].astype(np.float64).sum(axis=1)
    return out


def tail_levels(beta: float) -> tuple[float, ...]:
    return tuple(sorted(set(BETAS) | {float(beta)}))


def fresh_validation(
    points_in: np.ndarray, points_out: np.ndarray, lineups: list[tuple[int, ...]], beta: float, objective: Any,
    seed_in: Any = None, seed_out: Any = None,
) -> FreshValidation:
    """In-sample vs out-of-sample figures of a portfolio: best-lineup-per-scenario upper CVaR and mean.

    ``relative_drop`` = (in - out) / |in|: how much of the in-sample figure was fitted noise.
    """
    def figs(pts: np.ndarray) -> dict[str, float]:
        X = portfolio_scores(pts, lineups)
        best = X.max(axis=1)
        return {
            "best_lineup_upper_cvar": float(tail.cvar_upper(best, beta)),
            "best_lineup_mean": float(best.mean()),
            "mean_lineup_objective": float(np.mean(np.atleast_1d(objective.evaluate(X)))),
            "n_scenarios": int(pts.shape[0]),
        }

    a, b = figs(points_in), figs(points_out)

    def drop(k: str) -> float | None:
        return float((a[k] - b[k]) / abs(a[k])) if a[k] else None

    return FreshValidation(
        available=True, beta=float(beta), in_sample=FreshFigures(**a),
        out_of_sample=FreshFigures(**b),
        relative_drop={k: drop(k) for k in ("best_lineup_upper_cvar", "best_lineup_mean", "mean_lineup_objective")},
        seed_in=seed_in, seed_out=seed_out,
    )


def run_optimize(
    slate: Slate,
    scenarios: Scenarios,
    spec: ConstraintSpec,
    *,
    fresh: Scenarios | None = None,
    fresh_reason: str | None = None,
    explain: bool = True,
    binding_limit: int = 1,
    binding_work: int | None | Literal["auto"] = "auto",
    progress: Callable[[int, int], None] | None = None,
    time_limit: float | None = None,
    timings: bool = True,
    contest: Any = None,
    executor: Any = None,
    contest_cap: int | None = None,
    max_duplicates: float | None = None,
    admit: Callable[[np.ndarray], np.ndarray] | None = None,
    share_figures: bool = True,
) -> OptimizeRun:
    """Build the portfolio ``spec`` asks for on ``scenarios`` and describe it.

    ``fresh``: an independent scenario set of the same slate (e.g. the next seed) to re-score
    the portfolio on; without it ``fresh_validation`` says why not (``fresh_reason``).
    ``explain``: per-lineup why_high_tail and tail_vs_mean, and constraint_binding (which
    re-solves, each within a work budget of ``binding_work`` lineups evaluated — ``"auto"``:
    ``explain.binding_work`` of the scenario count; None: none — never a time limit, so the explanations are the same bytes on any machine; inexact gains come with
    bounds) for the first ``binding_limit`` lineups. ``time_limit`` bounds the portfolio's
    lineup searches only. ``timings=False`` leaves out every wall-clock figure
    (``timings``, per-lineup and portfolio ``seconds``, the scenario meta's ``seconds``), so the
    same inputs give byte-identical JSON. ``contest`` (a ``tailrace.contest.Contest``) is needed
    for mode ``contest``: lineups picked by marginal expected profit in that contest
    (``tailrace.optimize.contest_mode``). ``executor`` (``tailrace.distributed``; default
    local) runs contest mode's field pass by scenario chunk. ``contest_cap``: mode contest's cap on
    the top prizes inside the selection (a place; 1 = uncapped); default: chosen per run by
    cross-validation on the optimisation scenarios. ``max_duplicates`` (mode contest): no lineup
    whose expected duplicates in the field exceed it enters the candidate pool
    (``optimize.contest.duplicates``). ``admit`` (mode contest; lineups (k, roster) -> bool (k,)):
    a further admission rule (the plan's day overlap rule), applied with ``max_duplicates``'s:
    only lineups both pass enter any pool. Every run reports optimal % per driver and lineup
    (``optimize.optimal_share``) against ownership: the contest's (``ownership_source``
    "contest"; a given field's own when it came without ownership, "field"), else the slate's
    ownership column ("slate") or tailrace's model ("model"). Mode contest adds per lineup the
    expected duplicates and the prize their sharing costs (``contest.duplicates``).
    ``share_figures=False`` leaves out optimal % and expected duplicates (their result fields
    empty, their cost saved: a caller that reads only the lineups, e.g. the backtest; a
    ``max_duplicates`` limit still draws the duplicates sample it needs).
    The steps, each a function of its own: the request checked (``_checked_request``), the
    warnings it starts with (``_stage_warnings``), mode contest's admission rule
    (``_contest_admission``), the portfolio (``build_portfolio``), per lineup its row
    (``_lineup_row``) and explanations (``_Explainer``), the portfolio's summary
    (``_portfolio_summary``) and the fresh validation.
    Raises InputError / InfeasibleError.
    """
    t0 = time.perf_counter()
    resolved, max_duplicates = _checked_request(slate, scenarios, spec, fresh=fresh, contest=contest,
                                                contest_cap=contest_cap, max_duplicates=max_duplicates, admit=admit)
    points = scenarios.points
    sal = slate.salaries()
    warnings = _stage_warnings(slate, scenarios, resolved, contest)
    dups, admit = _contest_admission(slate, points, resolved, contest, share_figures=share_figures,
                                     max_duplicates=max_duplicates, admit=admit)
    portfolio = build_portfolio(points, sal, resolved, contest=contest, progress=progress, time_limit=time_limit,
                                executor=executor, cap_place=contest_cap, admit=admit,
                                driver_names=[d.name for d in slate.drivers])
    contest_info = _contest_info(portfolio.selection, contest) if portfolio.selection is not None else None
    t_port = time.perf_counter() - t0
    lineups = [tuple(int(i) for i in lr.lineup) for lr in portfolio.lineups]
    if len(lineups) != resolved.n_lineups:
        warnings.append(f"asked for {resolved.n_lineups} lineups, got {len(lineups)}")

    X = portfolio_scores(points, lineups)
    X_fresh = portfolio_scores(fresh.points, lineups) if fresh is not None and lineups else None
    optimal, opt_rows = (_optimal_figures(slate, points, resolved.rules, lineups, contest) if share_figures
                         else (None, []))
    dup_rows, dup_info = _duplicate_figures(points, lineups, contest, dups if share_figures else None, max_duplicates)
    levels = tail_levels(resolved.tail_beta)

    t1 = time.perf_counter()
    explainer = (_Explainer.make(slate, scenarios, resolved, lineups, levels, binding_limit, binding_work)
                 if explain and lineups else None)
    rows: list[LineupRow] = []
    for j, (lr, lu) in enumerate(zip(portfolio.lineups, lineups)):
        row = _lineup_row(j, lr, lu, X[:, j], slate, levels, timings=timings, contest_info=contest_info,
                          extra=[r[j] for r in (opt_rows, dup_rows) if r],
                          x_fresh=None if X_fresh is None else X_fresh[:, j])
        if not lr.optimal and lr.status not in ("marginal", "contest"):  # pool picks, not single optima
            warnings.append(f"lineup {j + 1}: not proven optimal ({lr.status}, gap {lr.gap:.4g})")
        if explain:
            row["explain"] = explainer.lineup(j, lr, lu)
        rows.append(LineupRow(**row))
    t_explain = time.perf_counter() - t1

    port, exposures = _portfolio_summary(slate, points, portfolio, lineups, X, levels, timings=timings)
    if contest_info is not None:
        port["contest"] = ({k: v for k, v in contest_info.items() if k != "marginal_ev"}
                           | contest_facts(contest, slate))
    if fresh is not None and lineups:
        fv = fresh_validation(points, fresh.points, lineups, resolved.tail_beta, resolved.objective,
                              seed_in=scenarios.meta.get("seed"), seed_out=fresh.meta.get("seed"))
    else:
        fv = FreshValidation(available=False, reason=fresh_reason or "no fresh scenario set was given")
    meta = {k: v for k, v in scenarios.meta.items() if isinstance(v, (str, int, float, bool))}
    if not timings:
        meta.pop("seconds", None)
    meta = with_points_digest(meta, points)  # points_sha256: how `contest` tells an in-sample judging (judging.py)
    result = OptimizeResult(
        site=slate.site.key,
        n_drivers=slate.n,
        n_scenarios=scenarios.n_scenarios,
        objective={"name": resolved.objective.name, **spec.objective.model_dump(mode="json")},
        tail_beta=resolved.tail_beta,
        explain_binding_lineups=min(binding_limit, len(lineups)) if explain else 0,
        mode=resolved.mode,
        spec=spec.model_dump(mode="json"),
        scenario_meta=meta,
        history=scenarios.meta.get("history"),  # how a history file entered the strengths (or None)
        lineups=rows,
        portfolio=PortfolioSummary(**port),
        exposures=exposures,
        fresh_validation=fv,
        warnings=warnings,
        race=race_summary(slate, scenarios.meta),
        **({"timings": Timings(portfolio_seconds=t_port, explain_seconds=t_explain,
                               total_seconds=time.perf_counter() - t0)} if timings else {}),
        optimal=optimal,
        **({"duplicates": dup_info} if dup_info is not None else {}),
    )
    return OptimizeRun(slate=slate, resolved=resolved, portfolio=portfolio, result=result)


def _checked_request(slate: Slate, scenarios: Scenarios, spec: ConstraintSpec, *, fresh: Scenarios | None,
                     contest: Any, contest_cap: int | None, max_duplicates: float | None,
                     admit: Callable[[np.ndarray], np.ndarray] | None) -> tuple[ResolvedSpec, float | None]:
    """``run_optimize``'s first step: the inputs checked (InputError naming the field) and the
    spec resolved on the slate; returns the resolved spec and the checked ``max_duplicates``."""
    _check_columns(slate, scenarios)
    if fresh is not None:
        _check_columns(slate, fresh)
    resolved = spec.resolve(slate)
    if contest_cap is not None and (isinstance(contest_cap, bool) or not isinstance(contest_cap, (int, np.integer))
                                    or contest_cap < 1):
        raise InputError(Problem(f"contest cap {contest_cap!r} must be a place, a whole number >= 1", param="contest_cap",
                                 fix="give e.g. 12, 1 for no cap, or leave it out to cross-validate it"))

    max_duplicates = check_max_duplicates(max_duplicates, resolved.mode)
    if admit is not None and resolved.mode != "contest":
        raise ValueError("admit (an admission rule) applies to mode 'contest' only")
    if resolved.mode == "contest" and contest is None:
        raise InputError(
            Problem(
                "mode 'contest' needs a contest (payouts, field), which this run was not given",
                field="mode",
                fix="give the contest ({entry_fee}/{field_size}/{rake} or {payouts}, optional "
                "{ownership}, {field_file}), or use mode 'independent' or 'marginal'",
            )
        )
    return resolved, max_duplicates


def _stage_warnings(slate: Slate, scenarios: Scenarios, resolved: ResolvedSpec, contest: Any) -> list[str]:
    """The warnings a run starts with. Warnings travel: what the simulation stage said (a driver
    without odds, a projection out of the model's reach, ...) is part of this run's result, on
    every face that shows it."""
    warnings: list[str] = [f"slate: {n}" for n in slate.notes] + scenarios.stage_warnings()
    if resolved.mode == "contest" and getattr(contest, "report", None) is not None:
        warnings += [f"ownership: {p}" for p in contest.report.problems]
    return warnings


def _contest_admission(slate: Slate, points: np.ndarray, resolved: ResolvedSpec, contest: Any, *,
                       share_figures: bool, max_duplicates: float | None,
                       admit: Callable[[np.ndarray], np.ndarray] | None) -> tuple[Any, Any]:
    """Mode contest: the duplicates sample (when the figures or a ``max_duplicates`` limit need it)
    and the admission rule the candidate pools apply (``max_duplicates``'s and ``admit``, both
    when both are given). Other modes: ``(None, admit)``."""
    if resolved.mode != "contest":
        return None, admit
    dups = None
    # the projections contest_from_parts gives a sharp field's optimiser entries
    if share_figures or max_duplicates is not None:
        dups = duplicate_sample(contest, slate.salaries(), resolved.rules, _field_projections(slate, points), 0,
                                resolved.n_lineups)
    both = [a for a in (admission(dups, max_duplicates) if max_duplicates is not None else None, admit)
            if a is not None]
    admit = both[0] if len(both) == 1 else (lambda lu: both[0](lu) & both[1](lu)) if both else None
    return dups, admit


def _lineup_row(j: int, lr: Any, lu: tuple[int, ...], x: np.ndarray, slate: Slate, levels: tuple[float, ...], *,
                timings: bool, contest_info: dict[str, Any] | None, extra: list[dict[str, float]],
                x_fresh: np.ndarray | None = None) -> dict[str, Any]:
    """One lineup's row of the result (explanations aside): IDs, names, salary, value and
    certificate, tail metrics of its scores ``x`` (shape (n_scenarios,), the optimisation
    scenarios) and, given ``x_fresh`` (its scores on the fresh set), the same metrics there: the
    lineup was picked for the optimisation scenarios' draws, so only the fresh figures are an
    honest estimate of its tail. The mode's per-lineup figures come in ``extra`` (optimal %,
    expected duplicates). ``timings=False`` leaves out its ``seconds``."""
    sal = slate.salaries()
    row: dict[str, Any] = {
        "index": j,
        "driver_ids": [str(slate.ids[i]) for i in lu],
        "names": [slate.names[i] for i in lu],
        "salary": int(sal[list(lu)].sum()),
        "objective_value": float(lr.value),
        "bound": float(lr.bound),
        "gap": float(lr.gap),
        "optimal": bool(lr.optimal),
        "status": str(lr.status),
        "seconds": float(lr.seconds),
        "tail_metrics": tail.tail_summary(x, alphas=ALPHAS, betas=levels).to_dict(),
    }
    if x_fresh is not None:
        row["fresh_tail_metrics"] = tail.tail_summary(x_fresh, alphas=ALPHAS, betas=levels).to_dict()
    if not timings:
        row.pop("seconds")
    if contest_info is not None:
        row["contest_marginal_ev"] = float(contest_info["marginal_ev"][j])
    for e in extra:
        row.update(e)
    return row


@dataclass(frozen=True)
class _Explainer:
    """What every lineup's explanations share (the mean-optimal lineup solved once, the outcomes,
    start positions and names), and the explanations of one lineup."""

    points: np.ndarray
    salaries: np.ndarray
    resolved: ResolvedSpec
    lineups: tuple[tuple[int, ...], ...]
    names: list[str]
    starts: Any
    outcomes: Any
    levels: tuple[float, ...]
    mean_lineup: tuple[int, ...]
    binding_limit: int
    binding_work: int | None

    @classmethod
    def make(cls, slate: Slate, scenarios: Scenarios, resolved: ResolvedSpec, lineups: list[tuple[int, ...]],
             levels: tuple[float, ...], binding_limit: int,
             binding_work: int | None | Literal["auto"]) -> _Explainer:
        """The shared part, with the mean-optimal lineup solved (an explanation's solve: under
        the work budget ``binding_work``, not the clock, so the same bytes on any machine;
        ``"auto"``: ``explain.binding_work`` of the scenario count)."""
        points, sal = scenarios.points, slate.salaries()
        if binding_work == "auto":
            binding_work = binding_budget(points.shape[0])
        mean_lineup = solve_lineup(points, sal, resolved.rules, Objective.mean(), max_evaluated=binding_work).lineup
        starts = slate.starts() if all(d.start is not None for d in slate.drivers) else None
        return cls(points=points, salaries=sal, resolved=resolved, lineups=tuple(lineups), names=slate.names,
                   starts=starts, outcomes=scenarios if scenarios.has_outcomes else None, levels=levels,
                   mean_lineup=tuple(mean_lineup), binding_limit=binding_limit, binding_work=binding_work)

    def lineup(self, j: int, lr: Any, lu: tuple[int, ...]) -> dict[str, Any]:
        """Lineup ``j``'s why_high_tail and tail_vs_mean, and its constraint_binding (re-solved)
        for the first ``binding_limit`` lineups, None after them."""
        r = self.resolved
        ex: dict[str, Any] = {
            "why_high_tail": why_high_tail(self.points, lu, r.tail_beta, outcomes=self.outcomes, names=self.names,
                                           starts=self.starts),
            "tail_vs_mean": tail_vs_mean(self.points, self.salaries, r.rules, r.objective, lu,
                                         mean_lineup=self.mean_lineup, names=self.names, alpha=ALPHAS[0],
                                         betas=self.levels),
            "constraint_binding": None,
        }
        if j < self.binding_limit:
            ctx = PortfolioContext(lineups=self.lineups, position=j, max_exposure=dict(r.max_exposure),
                                   max_overlap=r.max_overlap)
            ex["constraint_binding"] = constraint_binding(self.points, self.salaries, r.rules, r.objective, lr,
                                                          context=ctx, names=self.names,
                                                          max_evaluated=self.binding_work)
        return ex


def _portfolio_summary(slate: Slate, points: np.ndarray, portfolio: Any, lineups: list[tuple[int, ...]],
                       X: np.ndarray, levels: tuple[float, ...], *,
                       timings: bool) -> tuple[dict[str, Any], list[ExposureRow]]:
    """The portfolio's part of the result (mode, value, exposures, the best lineup per scenario's
    tail metrics) and its exposure rows, most used first. ``timings=False`` leaves out ``seconds``."""
    counts = np.zeros(slate.n, dtype=np.int64)
    for lu in lineups:
        counts[list(lu)] += 1
    m = max(len(lineups), 1)
    ids, names = slate.ids, slate.names
    exposures = [
        ExposureRow(driver_id=str(ids[i]), name=names[i], count=int(counts[i]), exposure=float(counts[i] / m))
        for i in np.argsort(-counts, kind="stable")
        if counts[i] > 0
    ]
    best = X.max(axis=1) if lineups else np.zeros(points.shape[0])
    port: dict[str, Any] = {
        "n_lineups": len(lineups),
        "mode": portfolio.mode,
        "portfolio_value": float(portfolio.portfolio_value),
        "seconds": float(portfolio.seconds),
        "best_lineup_tail_metrics": tail.tail_summary(best, alphas=ALPHAS, betas=levels).to_dict(),
        "exposures": exposures,
        "exposure_by_id": {e.driver_id: e.exposure for e in exposures},
    }
    if not timings:
        port.pop("seconds")
    return port, exposures


def _contest_info(cp: Any, contest: Any) -> dict[str, Any]:
    """Mode contest's figures for the result, from the selection's ``ContestPortfolio`` ``cp``."""

    info = {
        "marginal_ev": [float(x) for x in cp.marginal_ev],
        "n_candidates": int(cp.n_candidates),
        "cap_place": int(cp.cap_place),  # the selection's cap on the top prizes (1 = uncapped; 0 = ranked alone)
        # how the lineups were picked: the greedy by marginal expected payout, or each ranked alone
        "selection_rule": "ranked alone" if int(cp.cap_place) == 0 else "marginal",
        "cap_place_source": "cross-validated" if cp.cv_scores is not None else "fixed",
        # mean held-out true-table ROI per setting tried (2-fold CV over the optimisation scenarios;
        # "0": each lineup ranked alone, the sim-ROI rule)
        "cv_scores": None if cp.cv_scores is None else {str(k): float(v) for k, v in cp.cv_scores.items()},
        "cv_folds": None if cp.cv_folds is None else {str(k): [float(x) for x in v] for k, v in cp.cv_folds.items()},
        "entry_fee": float(contest.entry_fee),
        "field_size": int(contest.field_size),
        # the honest estimate (held-out scenarios and fields) when the selection gives one
        "roi_estimate": _float_or_none(cp.roi_estimate),
        "roi_interval": None if cp.roi_interval is None else [float(x) for x in cp.roi_interval],
        "estimate_note": cp.estimate_note or None,
        "cv_by_field": None if cp.cv_by_field is None else [float(x) for x in cp.cv_by_field],
        "cv_field_models": None if cp.cv_field_models is None else list(cp.cv_field_models),  # cv_by_field's fields
        # the contest's field, and the ensemble's other repairs when the ownership cannot be realised (contest
        # mode adds its own mixture of perturbed-ownership fields: optimize/contest/fields.py)
        "selected_against": [c.field.model for c in [contest, *selection_fields(contest)]],
    }
    return info


def _optimal_figures(slate: Slate, points: np.ndarray, rules: Any, lineups: list[tuple[int, ...]],
                     contest: Any) -> tuple[OptimalSummary, list[dict[str, float]]]:
    """Optimal % per driver (with ownership and leverage) and per lineup: see ``run_optimize``."""

    r = slate.site.roster_size
    lu = np.asarray(lineups, dtype=np.int64).reshape(-1, r)
    share = optimal_share(points, slate.salaries(), rules, lu)
    if contest is not None and getattr(contest, "ownership", None) is not None:
        own, src = np.asarray(contest.ownership, dtype=np.float64), "contest"
    elif contest is not None:
        own, src = contest.field.ownership(slate.n), "field"
    else:
        own = field_ownership(slate, points)
        src = "slate" if all(d.ownership is not None for d in slate.drivers) else "model"
    drivers = [DriverOptimal(driver_id=str(d.id), name=d.name, optimal_pct=float(share.driver_pct[i]),
                             ownership_pct=float(own[i]), leverage=float(share.driver_pct[i] - own[i]))
               for i, d in enumerate(slate.drivers)]
    summary = OptimalSummary(n_scenarios=share.n_scenarios, near_tolerance=share.tolerance, ownership_source=src,
                             drivers=drivers)
    rows = [{"optimal_pct": float(share.lineup_pct[j]), "near_optimal_pct": float(share.lineup_near_pct[j])}
            for j in range(lu.shape[0])]
    return summary, rows


def _duplicate_figures(points: np.ndarray, lineups: list[tuple[int, ...]], contest: Any, sample: Any,
                       limit: float | None) -> tuple[list[dict[str, float]], dict[str, Any] | None]:
    """Mode contest: expected duplicates, their SE and the sharing cost per lineup, and how they were counted."""
    if sample is None or not lineups:
        return [], None

    lu = np.asarray(lineups, dtype=np.int64)
    e, se = sample.expected(lu)
    _, cost = sharing_cost(points, lu, contest.opponents(lu.shape[0]), contest.payouts, e)
    rows = [{"expected_duplicates": float(e[j]), "expected_duplicates_se": float(se[j]),
             "sharing_cost": float(cost[j])} for j in range(lu.shape[0])]
    return rows, sample.to_dict() | {"max_duplicates": limit}


def _float_or_none(x: Any) -> float | None:
    return None if x is None else float(x)


def contest_facts(contest: Any, slate: Slate) -> dict[str, Any]:
    """What a face shows about a contest's field beside its figures: how it was asked for
    (``field_sharpness``), how it was drawn (``field_model``) and the ownership report
    (``tailrace.contest.report``: implied average salary against the cap, per-driver file
    against sampled-field ownership, duplicates), named by the slate's drivers. JSON-ready."""
    rep = getattr(contest, "report", None)
    return {
        "field_sharpness": getattr(contest, "field_sharpness", None),
        "ownership_error": getattr(contest, "ownership_error", None),
        "field_model": contest.field.model if contest.field.source == "sampled" else contest.field.source,
        "ownership_report": None if rep is None else jsonable(rep.to_dict(names=slate.names, ids=slate.ids)),
    }


def field_model_figures(contest: Any, result: Any, points: np.ndarray, lineups: np.ndarray,
                        executor: Any = None) -> list[dict[str, Any]]:
    """The portfolio's ROI (and its standard error over scenarios) against each field model of
    the contest's ensemble (``Contest.field_models()``), member 0 first with ``result``'s own
    figures: how much the figures rest on the one field sampled. Every face shows the same list.

    Parameters
    ----------
    contest : Contest
        The contest the portfolio was judged in (``result``).
    result : ContestResult
        Its figures against ``contest``'s field.
    points : ndarray of shape (n_scenarios, n_drivers)
        The scenarios ``result`` was computed on.
    lineups : ndarray of shape (n_lineups, roster)
        The portfolio.
    """

    out = [{"model": contest.field.model, "roi": float(result.portfolio.roi), "roi_se": float(result.portfolio.roi_se)}]
    alts = contest.alternatives
    # each field model's simulation is its own (seeded field, same points): all but the first run
    # side by side with it on a helper thread where numba's threading layer allows (overlap.py),
    # locally only (a Dask executor spreads each one's chunks already)
    later = [in_background(lambda a=a: run_contest(a, points, lineups, executor=executor), allowed=runs_here(executor))
             for a in alts[1:]]
    results = [run_contest(alts[0], points, lineups, executor=executor)] if alts else []
    results += [p.result() for p in later]
    for alt, r in zip(alts, results):
        out.append({"model": alt.field.model, "roi": float(r.portfolio.roi), "roi_se": float(r.portfolio.roi_se)})
    return out


def parse_field_sharpness(value: Any) -> float | str:
    """A face's field sharpness (``"auto"``, a number, or its text) as ``make_contest`` takes it.

    Raises InputError naming ``field_sharpness`` for anything else; the range is checked
    where the field is sampled.
    """

    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return "auto"
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if isinstance(value, bool) or not (0.0 <= x <= MAX_SHARPNESS):
        raise InputError(Problem(f"field sharpness {value!r} is not 'auto' or a number in [0, {MAX_SHARPNESS:g}]",
                                 param="field_sharpness",
                                 fix="give the share of optimiser-built entries, e.g. {field_sharpness=0.2}, or "
                                     "{field_sharpness=auto} (the default: the ensemble of field models)"))
    return x


def contest_from_options(
    slate: Slate,
    points: np.ndarray | None,
    options: ContestOptions | None = None,
    *,
    seed: np.random.Generator | int | None = 0,
    warnings: list[str] | None = None,
    **given: Any,
) -> Any:
    """A Contest from user options (files or parametric), as the CLI and the demo take them.

    ``options`` (default :data:`tailrace.contest_options.CONTEST_DEFAULTS`) with any of its
    fields ``given`` as keywords (``entry_fee=3``; a None ``rake`` or ``ownership_error`` keeps
    the default):

    Payouts come from ``payouts`` (a file, or ``"double-up"`` / ``"50-50"`` for a cash game's
    flat table, :func:`tailrace.contest.cash_payouts`) or the parametric tournament table;
    ownership from ``ownership``, else the slate's own ``ownership`` column (either scaled to
    sum to roster size x 100 by ``tailrace.contest.ownership.scale_ownership``, whose warnings
    are appended to ``warnings``), else a salary/value model fed the slate's projections (or, lacking them, the scenario
    means); the field is read from ``field_file`` or sampled with ``seed`` and
    ``field_sharpness`` (:func:`parse_field_sharpness`; ``"auto"``: the plain calibrated field
    plus the ensemble of field models); ``ownership_error`` (the log-sd of the ownership's
    error, ``Contest.ownership_error``; None: the default 0.3). Bad numbers raise InputError
    naming the parameter.
    """

    o = (options or CONTEST_DEFAULTS).with_given(**given)
    pay = payouts_from_options(o.payouts, entry_fee=o.entry_fee, field_size=o.field_size, rake=o.rake)
    fld = read_field(o.field_file, slate, warnings) if o.field_file else None
    own = read_ownership(o.ownership, slate, warnings) if o.ownership else None
    return contest_from_parts(slate, points, pay, ownership=own, field=fld, entry_fee=o.entry_fee,
                              field_size=o.field_size, rake=o.rake, seed=seed, warnings=warnings,
                              field_sharpness=o.field_sharpness, ownership_error=o.ownership_error)


def payouts_from_options(
    payouts: str | None = None,
    *,
    entry_fee: float = CONTEST_DEFAULTS.entry_fee,
    field_size: int = CONTEST_DEFAULTS.field_size,
    rake: float | None = None,
) -> Any:
    """The payout table of user options: ``payouts`` (a file, or ``"double-up"`` / ``"50-50"``
    for a cash game's flat table) or the parametric tournament table for ``entry_fee``,
    ``field_size`` and ``rake``. Bad numbers raise one InputError naming each parameter.

    Returns
    -------
    PayoutTable
    """
    rake = CONTEST_DEFAULTS.rake if rake is None else rake
    problems = []
    if not entry_fee > 0:
        problems.append(Problem(f"entry fee {entry_fee} must be positive", param="entry_fee", fix="e.g. {entry_fee=5}"))
    if field_size < 2:
        problems.append(Problem(f"field size {field_size} is too small", param="field_size",
                                fix="e.g. {field_size=20000}"))
    if not 0 <= rake < 1:
        problems.append(Problem(f"rake {rake} must lie in [0, 1)", param="rake", fix="e.g. {rake=0.13}"))
    if problems:
        raise InputError(problems)
    if payouts in CASH_GAMES:  # --payouts double-up / 50-50: a cash game's flat table
        return cash_payouts(payouts, entry_fee, field_size)
    if payouts:
        return read_payouts(payouts)
    return parametric_payouts(entry_fee, field_size, rake)


def field_ownership(slate: Slate, points: np.ndarray | None = None, warnings: list[str] | None = None) -> np.ndarray:
    """The ownership a contest's field is sampled from when none is given: the slate's
    ``ownership`` column (scaled by ``contest.ownership.scale_ownership``, whose warnings go to
    ``warnings``), else the field model (``contest.model_ownership``) fed the slate's projections,
    or, lacking them, the scenario means of ``points``, or, lacking those, salaries alone.

    Parameters
    ----------
    slate : Slate
    points : ndarray of shape (n_scenarios, n_drivers), optional
        Scenario matrix, used only when the slate lacks projections.
    warnings : list of str, optional
        Appended to.

    Returns
    -------
    ndarray of shape (n_drivers,)
        Percent of entries holding each driver, summing to ``roster_size * 100``.
    """

    if all(d.ownership is not None for d in slate.drivers):
        raw = np.array([d.ownership for d in slate.drivers], dtype=np.float64)
        own, msgs = scale_ownership(raw, slate.site.roster_size, slate.source.get("projections", "projections"))
        if warnings is not None:
            warnings.extend(msgs)
        return own
    return model_ownership(slate.salaries(), _field_projections(slate, points), slate.site.roster_size,
                           salary_cap=slate.site.salary_cap)


def _field_projections(slate: Slate, points: np.ndarray | None) -> np.ndarray | None:
    """Projected points per driver for the ownership model: the slate's, else the scenario means."""
    if all(d.projection is not None for d in slate.drivers):
        return np.array([float(d.projection) for d in slate.drivers])
    if points is not None:
        return np.asarray(points, dtype=np.float64).mean(axis=0)
    return None


def contest_from_parts(
    slate: Slate,
    points: np.ndarray | None,
    payouts: Any,
    *,
    ownership: np.ndarray | None = None,
    field: Any = None,
    entry_fee: float = CONTEST_DEFAULTS.entry_fee,
    field_size: int = CONTEST_DEFAULTS.field_size,
    rake: float | None = None,
    seed: np.random.Generator | int | None = 0,
    warnings: list[str] | None = None,
    field_sharpness: Any = "auto",
    ownership_error: float | None = None,
) -> Any:
    """The Contest from parts every face has already read: a payout table, and optionally an
    ownership array (percent, shape (n_slate,)) and a field. Without ownership and without a
    field, the slate's ``ownership`` column is used (scaled by
    ``contest.ownership.scale_ownership``, whose warnings go to ``warnings``), else the field
    model's own, fed the slate's projections (or, lacking them, the scenario means of
    ``points``). The one place both the CLI (:func:`contest_from_options`) and the API build it.
    ``field_sharpness`` as :func:`parse_field_sharpness` takes it (default ``"auto"``); the
    contest carries its ownership report (``Contest.report``). ``ownership_error``: the log-sd
    of the ownership's error (``Contest.ownership_error``; None: ``DEFAULT_SIGMA``, 0.3).
    """

    rake = CONTEST_DEFAULTS.rake if rake is None else rake
    own = ownership
    if own is None and field is None and all(d.ownership is not None for d in slate.drivers):
        own = field_ownership(slate, points, warnings)
    proj = _field_projections(slate, points)
    return make_contest(slate.salaries(), slate.site.roster_size, slate.site.salary_cap, entry_fee=entry_fee,
                        field_size=field_size, rake=rake, payouts=payouts, ownership=own, projections=proj,
                        field=field, rng=seed, field_sharpness=parse_field_sharpness(field_sharpness),
                        driver_names=slate.names,
                        ownership_error=CONTEST_DEFAULTS.ownership_error if ownership_error is None
                        else ownership_error)
