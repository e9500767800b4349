"""Dispatch of the API's work by job kind: the one place that knows every work function.

The work functions live beside the shared helpers they use (``services.simulate_work``,
``optimize_work.optimize_work``, ``contest_work.contest_work``); this module sits above all
three, so none of them imports another's dispatcher and the imports run one way.
"""

from __future__ import annotations

from typing import Any

from tailrace.api.contest_work import contest_work
from tailrace.api.optimize_work import optimize_work
from tailrace.api.services import Context, Progress, no_progress, simulate_work

WORK = {"simulate": simulate_work, "optimize": optimize_work, "contest": contest_work}


def run_work(ctx: Context, kind: str, req: dict[str, Any], progress: Progress = no_progress) -> dict[str, Any]:
    """Run the work of one job kind ('simulate', 'optimize', 'contest') on its request dict."""
    return WORK[kind](ctx, req, progress)
