"""The one table of the API's work: each job kind's work module (``<kind>_work.py``, side by side),
plus the work behind the synchronous routes (``review``), imported when first used.

The API starts without any of them (so without the pipeline, the optimiser and the contest
engines); a kind's module loads the first time a request of that kind is checked or run, in the
server or in a job's worker process. Like the command line's command table
(``tailrace.cli._COMMANDS``), this is the one place that names the modules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

# kind -> its work module; the work function is ``<kind>_work`` in it
WORK_MODULES: dict[str, str] = {
    "simulate": "tailrace.api.simulate_work", "optimize": "tailrace.api.optimize_work",
    "contest": "tailrace.api.contest_work", "backtest": "tailrace.api.backtest_work",
    "plan": "tailrace.api.plan_work", "review": "tailrace.api.review_work"}


def work_module(kind: str) -> ModuleType:
    """The work module of ``kind`` (``WORK_MODULES``), imported on first use."""
    return importlib.import_module(WORK_MODULES[kind])


def work(kind: str) -> Callable[..., Any]:
    """The work function of ``kind``: ``<kind>_work`` in its module."""
    return getattr(work_module(kind), f"{kind}_work")
