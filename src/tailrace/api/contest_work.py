"""POST /contest: a stored portfolio entered in a simulated tournament (tailrace.contest)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tailrace.errors import InputError, Problem

from tailrace.api.services import Context, Progress, jsonable, get_scenarios, load_slate, no_progress


def contest_inputs(slate, points: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, list[str]]:
    """(ownership or None, projections, warnings) for the field: the slate's ownership when every
    driver has one, else modelled from projections (the slate's, or the scenario means)."""
    warnings: list[str] = []
    own = [d.ownership for d in slate.drivers]
    ownership = None
    if all(o is not None for o in own):
        from tailrace.contest.ownership import scale_ownership

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


def contest_work(ctx: Context, req: dict[str, Any], progress: Progress = no_progress) -> dict[str, Any]:
    """Contest figures (profit, ROI, cash/top-1 %/win rates with standard errors) for a stored portfolio."""
    from tailrace.contest import cash_payouts, make_contest, payouts_from_ranges, simulate

    t0 = time.perf_counter()
    pf = ctx.store.get_portfolio(req["portfolio_id"])
    slate = load_slate(ctx, pf["slate_id"])
    c = req["contest"]
    lineups = np.asarray([[slate.index_of(i) for i in ids] for ids in pf["lineups"]], dtype=np.int64)
    if lineups.shape[0] >= c["field_size"]:
        raise InputError(Problem(f"the portfolio's {lineups.shape[0]} lineups do not fit a {c['field_size']}-entry "
                                 "contest", field="contest.field_size", fix="use a larger field_size"))
    payouts = None
    kind = c.get("kind", "tournament")
    if kind != "tournament" and c.get("payouts"):
        raise InputError(Problem(f"contest.kind '{kind}' has its own table; contest.payouts cannot be given too",
                                 field="contest.payouts", fix="leave out payouts, or use kind 'tournament'"))
    if kind != "tournament":
        payouts = cash_payouts(kind, c["entry_fee"], c["field_size"])
    elif c.get("payouts"):
        rows = [(r["min_rank"], r["max_rank"], r["prize"]) for r in c["payouts"]]
        last = max(b for _, b, _ in rows)
        if last > c["field_size"]:
            raise InputError(Problem(f"the payout table pays down to rank {last:,}, beyond the field of "
                                     f"{c['field_size']:,}", field="contest.payouts",
                                     fix="pay at most field_size places"))
        payouts = payouts_from_ranges(rows, source="contest.payouts")
    progress(0.05, "simulating races")
    scen, stats = get_scenarios(ctx, slate, req["n_scenarios"], req["seed"], pf.get("track"), progress,
                                pf.get("strengths"), history_id=pf.get("history_id"),
                                history_weight=pf.get("history_weight"), allow_shift=bool(pf.get("allow_shift")))
    t_scen = time.perf_counter()
    ownership, projections, warnings = contest_inputs(slate, scen.points)
    progress(0.4, "sampling the field")
    contest = make_contest(
        slate.salaries(), slate.site.roster_size, slate.site.salary_cap,
        entry_fee=c["entry_fee"], field_size=c["field_size"], rake=c["rake"], payouts=payouts,
        ownership=ownership, projections=projections, rng=req["seed"],
    )
    t_field = time.perf_counter()

    def tick(done: int, total: int) -> None:
        progress(0.5 + 0.5 * done / max(total, 1), f"contest: {done:,} of {total:,} scenarios")

    res = jsonable(simulate(contest, scen.points, lineups, progress=tick).to_dict())
    t_end = time.perf_counter()
    out_lineups = [{"index": k, "driver_ids": list(ids), **fig} for k, (ids, fig) in
                   enumerate(zip(pf["lineups"], res["lineups"]))]
    return {
        "portfolio_id": req["portfolio_id"],
        "contest": {"entry_fee": res["entry_fee"], "field_size": c["field_size"], "n_entries": res["n_entries"],
                    "prize_pool": res["prize_pool"], "n_scenarios": res["n_scenarios"], "seed": req["seed"],
                    "scenario_set_id": stats["scenario_set_id"], "paid_places": int(contest.payouts.n_paid)},
        "portfolio": res["portfolio"],
        "lineups": out_lineups,
        "warnings": list(dict.fromkeys(list(stats.get("warnings", [])) + warnings)),
        "timings": {"scenarios": t_scen - t0, "field": t_field - t_scen, "contest": t_end - t_field,
                    "total": t_end - t0},
    }
