"""Deprecated: the old home of the work context and the records, kept for two callers outside the API.

``tests/test_warm_engine.py`` and ``benchmarks/api_warm.py`` import ``Context``, ``save_slate``
and ``slate_from_uploads`` from here. New code imports :mod:`tailrace.api.context` and
:mod:`tailrace.api.records` (whose functions take the ``Store``, not the Context); once those
two callers do too, this module goes. Nothing in ``tailrace.api`` imports it.
"""

from __future__ import annotations

from typing import Any

from tailrace.slate import Slate

from tailrace.api import records
from tailrace.api.context import Context
from tailrace.api.records import slate_from_uploads

__all__ = ["Context", "save_slate", "slate_from_uploads"]


def save_slate(ctx: Context, slate: Slate) -> tuple[str, dict[str, Any]]:
    """Store a slate in ``ctx.store``; returns (slate id, its stored dict) (``records.save_slate``)."""
    return records.save_slate(ctx.store, slate)
