"""POST /plan: ``tailrace plan`` as a job on a stored slate.

The request (``schemas.PlanRequest``) lists the day's contests as the contests file does (kinds
gpp / double-up / 50-50; ownership as a mapping); the work is
:func:`tailrace.plan.run.run_plan` on three scenario sets of the slate (seeds seed, seed+1,
seed+2, from the scenario cache); the job's result is the plan's JSON document, the one
``tailrace plan --json`` writes, plus ``upload_csv`` per contest entered.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tailrace.api.context import Context, Progress, no_progress
from tailrace.api.contest_terms import ownership_from_mapping
from tailrace.api.records import load_slate
from tailrace.api.scenarios import get_scenarios
from tailrace.api.schemas import PlanRequest
from tailrace.export import upload_text
from tailrace.pipeline import contest_from_parts, payouts_from_options
from tailrace.plan.contests import DayContest
from tailrace.plan.run import run_plan

__all__ = ["plan_contests", "plan_work"]


def plan_contests(req: PlanRequest) -> list[Any]:
    """The request's contests as ``plan.contests.DayContest`` (ownership handled by the work)."""

    return [DayContest(name=c.name.strip(), kind=c.kind, entry_fee=float(c.entry_fee), field_size=c.field_size,
                       max_entries=c.max_entries, payouts=None if c.kind == "gpp" else c.kind,
                       contest_id=c.contest_id, rake=c.rake, max_exposure=c.max_exposure,
                       max_overlap=c.max_overlap) for c in req.contests]


def plan_work(ctx: Context, req: PlanRequest, progress: Progress = no_progress) -> dict[str, Any]:
    """Run the plan; returns its JSON document with each contest's upload CSV text."""

    slate = load_slate(ctx.store, req.slate_id)
    day = plan_contests(req)
    warnings: list[str] = []
    owns = [None if c.ownership is None else ownership_from_mapping(slate, c.ownership, warnings)
            for c in req.contests]
    sets = []
    for j, s in enumerate((req.seed, req.seed + 1, req.seed + 2)):
        progress(0.02 + 0.06 * j, f"simulating scenario set {j + 1} of 3 (seed {s})")
        sc, _ = get_scenarios(ctx, slate, req.n_scenarios, s, req.track)
        sets.append(sc)

    def make(i: int, dc: Any, points: np.ndarray, rng: np.random.Generator) -> Any:
        pay = payouts_from_options(dc.payouts, entry_fee=dc.entry_fee, field_size=dc.field_size, rake=dc.rake)
        return contest_from_parts(slate, points, pay, ownership=owns[i], entry_fee=dc.entry_fee,
                                  ownership_error=req.ownership_error,
                                  field_size=dc.field_size, rake=dc.rake, seed=rng, warnings=warnings)

    steps = iter(np.linspace(0.2, 0.95, 2 * len(day) + 3))
    run = run_plan(slate, day, sets[0], sets[1], sets[2], bankroll=req.bankroll, max_stake=req.max_stake,
                   kelly=req.kelly, max_exposure=req.max_exposure, seed=req.seed, make_contest=make,
                   ownership_error=req.ownership_error,
                   max_duplicates=req.max_duplicates, max_overlap_day=req.max_overlap_day,
                   say=lambda m: progress(float(next(steps, 0.95)), m))
    doc = dict(run.result)
    doc["warnings"] = sorted(set(warnings), key=warnings.index) + doc["warnings"]
    doc["slate_id"] = req.slate_id
    for row, lus in zip(doc["contests"], run.lineups):
        row["upload_csv"] = upload_text([tuple(x) for x in lus], slate) if lus.shape[0] else None
    return doc
