"""POST /simulate: the scenario set of a stored slate and its per-driver summary."""

from __future__ import annotations

from typing import Any

from tailrace.api.context import Context, Progress, no_progress
from tailrace.api.records import load_slate
from tailrace.api.scenarios import get_scenarios
from tailrace.api.schemas import SimulateRequest


def simulate_work(ctx: Context, req: SimulateRequest, progress: Progress = no_progress) -> dict[str, Any]:
    """POST /simulate: the scenario set of a stored slate and its per-driver summary."""
    slate = load_slate(ctx.store, req.slate_id)
    progress(0.05, "simulating")
    _, stats = get_scenarios(ctx, slate, req.n_scenarios, req.seed, req.track, progress, req.strengths,
                             history_id=req.history_id, history_weight=req.history_weight,
                             allow_shift=req.allow_projection_shift)
    ctx.store.put_scenario_set(stats["scenario_set_id"], req.slate_id,
                               {"n_scenarios": stats["count"], "seed": stats["seed"], "track": req.track,
                                "strengths": req.strengths, "history_id": req.history_id,
                                "history_weight": req.history_weight})
    progress(1.0, "done")
    return {"scenario_set_id": stats["scenario_set_id"], "slate_id": req.slate_id, "kernel_stats": stats,
            "warnings": list(stats["warnings"])}
