"""Indexes of the graph model, created idempotently (run before every load or spec write).

Only single-property range indexes in the ``CREATE INDEX FOR (n:Label) ON (n.prop)`` form: it
is the form Neo4j 5 and FalkorDB both accept. Uniqueness constraints are left out because
FalkorDB has no Cypher ``CREATE CONSTRAINT`` (keys stay unique through MERGE; one loader at a
time). ``Race`` is looked up by ``(season, race_num)``; the season index narrows that to a
season's 36 races.
"""

from __future__ import annotations

from tailrace.store.graph.connection import GraphConnection

INDEXES: tuple[tuple[str, str, str], ...] = (  # (statement, label, property)
    ("CREATE INDEX FOR (d:Driver) ON (d.name)", "Driver", "name"),
    ("CREATE INDEX FOR (d:Driver) ON (d.key)", "Driver", "key"),
    ("CREATE INDEX FOR (t:Team) ON (t.name)", "Team", "name"),
    ("CREATE INDEX FOR (m:Manufacturer) ON (m.name)", "Manufacturer", "name"),
    ("CREATE INDEX FOR (t:Track) ON (t.name)", "Track", "name"),
    ("CREATE INDEX FOR (r:Race) ON (r.season)", "Race", "season"),
    ("CREATE INDEX FOR (s:Spec) ON (s.id)", "Spec", "id"),
    ("CREATE INDEX FOR (s:Spec) ON (s.name)", "Spec", "name"),
)

_DONE: set[int] = set()


def ensure_schema(conn: GraphConnection) -> None:
    """Create the indexes once per connection (an existing index counts as created)."""
    if id(conn) in _DONE:
        return
    for stmt, label, prop in INDEXES:
        conn.schema(stmt, label, prop)
    _DONE.add(id(conn))
