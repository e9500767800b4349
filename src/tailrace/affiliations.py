"""Teams and makes filled in a slate for the spec's team and manufacturer rules (one rule for
every face: the CLI's inputs, the API's optimise and plan, the pipeline).

A module of its own, light on purpose: the CLI's ``simulate`` reads its inputs through the same
helpers as ``optimize`` and must not load the optimiser or the contest engine to do so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tailrace.optimize.constraints import ConstraintSpec
from tailrace.optimize.relations import fill_affiliations
from tailrace.slate import Slate
from tailrace.store.graph.history import latest_affiliations

__all__ = ["fill_team_and_make"]


def fill_team_and_make(slate: Slate, spec: ConstraintSpec, history: Any = None,
                       graph: Callable[[], Any] | None = None) -> Slate:
    """The slate with team / make filled for the spec's team and manufacturer rules.

    The slate's own columns (projections) come first, then ``history`` (a fitted
    ``HistoryModel``: each driver's latest race in it), then the graph: ``graph`` is called
    (it returns a connection or None) only if some driver still lacks one. Untouched when the
    spec has no such rule. Every face calls this, so the CLI and the API fill the same way.
    """
    if not (spec.team_max or spec.manufacturer_max):
        return slate

    if history is not None:
        slate = fill_affiliations(slate, history.affiliations(slate.names))
    if graph is not None and any(not d.team or not d.manufacturer for d in slate.drivers):
        conn = graph()
        if conn is not None:
            slate = fill_affiliations(slate, latest_affiliations(conn, slate.names))
    return slate
