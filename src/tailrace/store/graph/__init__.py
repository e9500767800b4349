"""Optional graph backend (Neo4j 5 through the official driver; tested against FalkorDB's Bolt server).

Nothing here imports ``neo4j`` until a graph is configured (``TAILRACE_GRAPH_URI`` or
``--graph URI``). Modules, one job each:

``connection``  configuration, one verified driver per process, errors as GraphUnavailable
``schema``      the model's indexes, created idempotently
``history``     load a results file (MERGE, batched UNWIND), read it back as results text, and
                fit the ratings on it (``history_model_from_graph``)
``specs``       constraint specs as ``(:Spec)`` nodes with LOCKS / EXCLUDES / CAPS / LIMITS edges
"""

from tailrace.store.graph.connection import GraphConfig, GraphConnection, close_all, connect

__all__ = ["GraphConfig", "GraphConnection", "connect", "close_all", "open_graph"]


def open_graph(uri: str | None = None) -> GraphConnection | None:
    """The configured graph's connection (``uri`` overrides the environment), or None when none is set."""
    cfg = GraphConfig.from_env(uri)
    return connect(cfg) if cfg is not None else None
