"""POST /contest: a stored portfolio entered in a simulated tournament (tailrace.contest)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem

from tailrace.api.context import Context, Progress, no_progress
from tailrace.api.contest_terms import ownership_from_mapping, payout_table
from tailrace.api.records import load_slate
from tailrace.api.scenarios import get_scenarios
from tailrace.api.schemas import ContestRequest, ContestResponse
from tailrace.contest import make_contest, run_contest
from tailrace.contest.ownership import scale_ownership
from tailrace.json_models import json_answer
from tailrace.judging import IN_SAMPLE, POINTS_DIGEST_KEY, in_sample_warning, judge_seed, judging_facts
from tailrace.pipeline import contest_facts, field_model_figures, parse_field_sharpness


def contest_inputs(slate, points: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, list[str]]:
    """(ownership or None, projections, warnings) for the field: the slate's ownership when every
    driver has one, else modelled from projections (the slate's, or the scenario means)."""
    warnings: list[str] = []
    own = [d.ownership for d in slate.drivers]
    ownership = None
    if all(o is not None for o in own):
        ownership, msgs = scale_ownership(np.asarray(own, dtype=np.float64), slate.site.roster_size,
                                          "the slate", "drivers[].ownership")
        warnings += [f"ownership: {m}" for m in msgs]
    proj = [d.projection for d in slate.drivers]
    if all(p is not None for p in proj):
        projections = np.asarray(proj, dtype=np.float64)
    else:
        projections = np.asarray(points, dtype=np.float64).mean(axis=0)
        if ownership is None:
            warnings.append("ownership: modelled from the simulated means (the slate has no projections)")
    return ownership, projections, warnings


def profit_distribution(profit: np.ndarray, cvar: float, alpha: float, bins: int = 40) -> dict[str, Any]:
    """The page's picture of a portfolio's profit per scenario: histogram, quantiles, mean, lower CVaR."""
    x = np.asarray(profit, dtype=np.float64)
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
    levels = np.round(np.linspace(0.0, 1.0, 101), 2)
    return {"edges": edges.tolist(), "counts": counts.astype(int).tolist(), "levels": levels.tolist(),
            "values": np.quantile(x, levels).tolist(), "mean": float(x.mean()), "lower_cvar": float(cvar),
            "alpha": float(alpha), "n_scenarios": int(x.size)}


def contest_work(ctx: Context, req: ContestRequest, progress: Progress = no_progress) -> dict[str, Any]:
    """Contest figures (profit, ROI, cash/top-1 %/win rates with standard errors) for a stored portfolio,
    judged on fresh races: the judge stream of ``req.seed`` (``tailrace.judging``); the field is sampled
    with ``req.seed`` itself. ``contest.judged_on`` says "fresh", or "optimisation scenarios" (with a
    warning) should the set ever be the portfolio's own (same points digest or scenario set id)."""

    t0 = time.perf_counter()
    pf = ctx.store.get_portfolio(req.portfolio_id)  # the stored portfolio: a plain dict from the store
    slate = load_slate(ctx.store, pf["slate_id"])
    c = req.contest
    if c.max_duplicates is not None:  # a limit on building lineups; this portfolio is built already
        raise InputError(Problem("max duplicates limits the lineups contest mode builds; /contest scores a stored "
                                 "portfolio as it is", field="contest.max_duplicates",
                                 fix="drop contest.max_duplicates here, or give it to /optimize with mode 'contest'"))
    lineups = np.asarray([[slate.index_of(i) for i in ids] for ids in pf["lineups"]], dtype=np.int64)
    if lineups.shape[0] >= c.field_size:
        raise InputError(Problem(f"the portfolio's {lineups.shape[0]} lineups do not fit a {c.field_size}-entry "
                                 "contest", field="contest.field_size", fix="use a larger field_size"))
    payouts = payout_table(c)
    progress(0.05, "simulating fresh races")
    # fresh races: the judge stream of the request's seed, never a set /optimize or /simulate make (tailrace.judging)
    scenario_seed = judge_seed(req.seed)
    scen, stats = get_scenarios(ctx, slate, req.n_scenarios, scenario_seed, pf.get("track"), progress,
                                pf.get("strengths"), history_id=pf.get("history_id"),
                                history_weight=pf.get("history_weight"), allow_shift=bool(pf.get("allow_shift")))
    t_scen = time.perf_counter()
    # the stored portfolio's own set, by its points digest (or, for one stored before the digest, its set id)
    judging = judging_facts(scen.points, pf.get(POINTS_DIGEST_KEY), scenario_seed=scenario_seed, contest_seed=req.seed,
                            same_set=pf.get("scenario_set_id") == stats["scenario_set_id"])
    judged, judged_digest = judging["judged_on"], judging["judge_scenarios"]["points_sha256"]
    judge_warnings = (["contest: " + in_sample_warning("ask /contest again with another seed (another judge "
                                                       "stream)")] if judged == IN_SAMPLE else [])
    ownership, projections, warnings = contest_inputs(slate, scen.points)
    if c.ownership:
        warnings = [w for w in warnings if not w.startswith("ownership:")]
        ownership = ownership_from_mapping(slate, c.ownership, warnings)
    progress(0.4, "sampling the field")
    contest = make_contest(
        slate.salaries(), slate.site.roster_size, slate.site.salary_cap,
        entry_fee=c.entry_fee, field_size=c.field_size, rake=c.rake, payouts=payouts,
        ownership=ownership, projections=projections, rng=req.seed,
        field_sharpness=parse_field_sharpness(c.field_sharpness), driver_names=slate.names,
        ownership_error=c.ownership_error,
    )
    if contest.report is not None:
        warnings += [f"ownership: {p}" for p in contest.report.problems]
    t_field = time.perf_counter()

    def tick(done: int, total: int) -> None:
        progress(0.5 + 0.4 * done / max(total, 1), f"contest: {done:,} of {total:,} scenarios")

    sim = run_contest(contest, scen.points, lineups, progress=tick)
    facts = contest_facts(contest, slate)
    if contest.alternatives:
        progress(0.92, "the portfolio against the other field models")
        facts["field_models"] = field_model_figures(contest, sim, scen.points, lineups)
    res = sim.to_dict()
    t_end = time.perf_counter()
    out_lineups = [{"index": k, "driver_ids": list(ids), **fig} for k, (ids, fig) in
                   enumerate(zip(pf["lineups"], res["lineups"]))]
    return json_answer(ContestResponse, {  # numpy figures plain, NaN as null: the answer model's edge
        "portfolio_id": req.portfolio_id,
        "contest": {"entry_fee": res["entry_fee"], "field_size": c.field_size, "n_entries": res["n_entries"],
                    "prize_pool": res["prize_pool"], "n_scenarios": res["n_scenarios"], "seed": req.seed,
                    "judged_on": judged, "scenario_seed": scenario_seed, "points_sha256": judged_digest,
                    "optimised_on_sha256": pf.get(POINTS_DIGEST_KEY),
                    "scenario_set_id": stats["scenario_set_id"], "paid_places": int(contest.payouts.n_paid), **facts},
        "portfolio": res["portfolio"],
        "lineups": out_lineups,
        "warnings": list(dict.fromkeys(judge_warnings + list(stats.get("warnings", [])) + warnings)),
        "profit_distribution": profit_distribution(sim.profit, sim.profit_cvar, sim.cvar_alpha),
        "timings": {"scenarios": t_scen - t0, "field": t_field - t_scen, "contest": t_end - t_field,
                    "total": t_end - t0},
    })
