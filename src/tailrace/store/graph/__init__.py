"""Optional graph backend (Neo4j 5 through the official driver; tested against FalkorDB's Bolt server).

Nothing here imports ``neo4j`` until a graph is configured (``TAILRACE_GRAPH_URI`` or
``--graph URI``). Modules, one job each:

``connection``  configuration, one verified driver per process, errors as GraphUnavailable
``schema``      the model's indexes, created idempotently
``history``     load a results file (MERGE, batched UNWIND) and read it back as results text
``specs``       constraint specs as ``(:Spec)`` nodes with LOCKS / EXCLUDES / CAPS / LIMITS edges
"""

from tailrace.store.graph.connection import GraphConfig, GraphConnection, close_all, connect
from tailrace.errors import InputError, Problem
from tailrace.sim.strength.from_history import history_model_from_text
from tailrace.store.graph.history import history_csv_text

__all__ = ["GraphConfig", "GraphConnection", "connect", "close_all", "open_graph", "history_model_from_graph"]


def open_graph(uri: str | None = None) -> GraphConnection | None:
    """The configured graph's connection (``uri`` overrides the environment), or None when none is set."""
    cfg = GraphConfig.from_env(uri)
    return connect(cfg) if cfg is not None else None


def history_model_from_graph(conn: GraphConnection):  # -> HistoryModel
    """Ratings fitted on the graph's race history: the same strengths as from the file it was loaded from.

    Raises InputError when the graph holds no race (``tailrace graph load --history FILE`` first).
    """

    text = history_csv_text(conn)
    name = f"graph {conn.cfg.shown()}"
    if text.count("\n") <= 1:
        raise InputError(Problem("the graph holds no race history", file=name, param="history",
                                 fix="load one first: tailrace graph load --history results.csv"))
    return history_model_from_text(text, name)
