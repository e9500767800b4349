"""Constraint specs in the graph: the same calls as the SQLite ``Store`` (put/get/list), plus lookup by name.

A spec is a ``(:Spec {id, name, created, payload, objective, mode, n_lineups})`` node. ``payload``
is the spec's canonical JSON and the source of truth (it round-trips every field); the edges
make the spec part of the graph a team browses and queries:

``(:Spec)-[:LOCKS]->(:Driver)``, ``-[:EXCLUDES]->(:Driver)``, ``-[:CAPS {min, max}]->(:Driver)``
(exposure shares), ``-[:LIMITS {max}]->(:Team | :Manufacturer)`` (named ``team_max`` /
``manufacturer_max`` rules). Drivers are matched by their normalised name (``Driver.key``),
teams and makes case-insensitively; a name the graph does not hold gets no edge (a site ID,
say) but stays in the payload. Ids are the SQLite store's content ids (``cs_`` + hash of name
and spec), so a spec saved twice is one node, and an id means the same spec in both stores.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tailrace.slate import normalize_name
from tailrace.store.db import NotFound, canonical_json, content_id
from tailrace.store.graph.connection import GraphConfig, GraphConnection, connect
from tailrace.store.graph.schema import ensure_schema

__all__ = ["GraphSpecStore", "graph_spec_store"]

_Q_PUT = """
MERGE (s:Spec {id: $id})
ON CREATE SET s.created = $created
SET s.name = $name, s.payload = $payload, s.objective = $objective, s.mode = $mode, s.n_lineups = $n_lineups
"""
_Q_CLEAR = "MATCH (s:Spec {id: $id})-[e]->() DELETE e"
_Q_LOCKS = """
MATCH (s:Spec {id: $id})
UNWIND $keys AS k
MATCH (d:Driver {key: k})
MERGE (s)-[:LOCKS]->(d)
"""
_Q_EXCLUDES = """
MATCH (s:Spec {id: $id})
UNWIND $keys AS k
MATCH (d:Driver {key: k})
MERGE (s)-[:EXCLUDES]->(d)
"""
_Q_CAPS = """
MATCH (s:Spec {id: $id})
UNWIND range(0, size($key) - 1) AS i
WITH s, $key[i] AS key, $min[i] AS lo, $max[i] AS hi
MATCH (d:Driver {key: key})
MERGE (s)-[e:CAPS]->(d)
SET e.min = lo, e.max = hi
"""
_Q_LIMIT_TEAMS = """
MATCH (s:Spec {id: $id})
UNWIND range(0, size($key) - 1) AS i
WITH s, $key[i] AS key, $max[i] AS hi
MATCH (t:Team)
WHERE toLower(t.name) = key
MERGE (s)-[e:LIMITS]->(t)
SET e.max = hi
"""
_Q_LIMIT_MAKES = """
MATCH (s:Spec {id: $id})
UNWIND range(0, size($key) - 1) AS i
WITH s, $key[i] AS key, $max[i] AS hi
MATCH (m:Manufacturer)
WHERE toLower(m.name) = key
MERGE (s)-[e:LIMITS]->(m)
SET e.max = hi
"""
_RETURN = "RETURN s.id AS id, s.name AS name, s.created AS created, s.payload AS payload"
_Q_GET = "MATCH (s:Spec {id: $id}) " + _RETURN
_Q_LIST = "MATCH (s:Spec) " + _RETURN + " ORDER BY created DESC, id LIMIT $limit"
_Q_FIND = "MATCH (s:Spec) WHERE s.id = $ref OR s.name = $ref " + _RETURN + " ORDER BY created DESC, id LIMIT 1"


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "created": r["created"], "name": r["name"], "spec": json.loads(r["payload"])}


class GraphSpecStore:
    """Specs kept in the graph; drop-in for the spec calls of ``tailrace.store.Store``."""

    def __init__(self, conn: GraphConnection):
        self.conn = conn

    def put_spec(self, spec: dict[str, Any], name: str | None = None) -> str:
        """Store a spec (its JSON form) under an optional name; returns its content id."""
        ensure_schema(self.conn)
        spid = content_id("cs_", {"name": name, "spec": spec})
        obj = spec.get("objective") or {}
        keys = lambda xs: sorted({normalize_name(str(x)) for x in xs})  # noqa: E731
        caps: dict[str, dict[str, float | None]] = {}
        for ref, share in (spec.get("min_exposure") or {}).items():
            caps.setdefault(normalize_name(ref), {"min": None, "max": None})["min"] = float(share)
        for ref, share in (spec.get("max_exposure") or {}).items():
            caps.setdefault(normalize_name(ref), {"min": None, "max": None})["max"] = float(share)

        def limits(field: str, attr: str) -> dict[str, list[Any]]:  # one list per column (see history.py)
            rows = [x for x in spec.get(field) or [] if x.get(attr)]
            return {"key": [str(x[attr]).strip().casefold() for x in rows], "max": [int(x["max"]) for x in rows]}

        p = {"id": spid}
        self.conn.write_all([
            (_Q_PUT, {**p, "created": time.time(), "name": name, "payload": canonical_json(spec),
                      "objective": obj.get("kind"), "mode": spec.get("mode"), "n_lineups": spec.get("n_lineups")}),
            (_Q_CLEAR, p),
            (_Q_LOCKS, {**p, "keys": keys(spec.get("locks") or [])}),
            (_Q_EXCLUDES, {**p, "keys": keys(spec.get("excludes") or [])}),
            (_Q_CAPS, {**p, "key": sorted(caps), "min": [caps[k]["min"] for k in sorted(caps)],
                       "max": [caps[k]["max"] for k in sorted(caps)]}),
            (_Q_LIMIT_TEAMS, {**p, **limits("team_max", "team")}),
            (_Q_LIMIT_MAKES, {**p, **limits("manufacturer_max", "manufacturer")}),
        ])
        return spid

    def get_spec(self, spec_id: str) -> dict[str, Any]:
        """{'id', 'name', 'spec', 'created'} of a stored spec; NotFound if unknown."""
        rows = self.conn.read(_Q_GET, id=spec_id)
        if not rows:
            raise NotFound("constraint spec", spec_id)
        return _row(rows[0])

    def list_specs(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Stored specs, newest first."""
        return [_row(r) for r in self.conn.read(_Q_LIST, limit=int(limit))]

    def find_spec(self, ref: str) -> dict[str, Any]:
        """The spec with id ``ref``, else the newest one named ``ref``; NotFound if neither."""
        rows = self.conn.read(_Q_FIND, ref=ref)
        if not rows:
            raise NotFound("constraint spec", ref)
        return _row(rows[0])


def graph_spec_store(uri: str | None) -> GraphSpecStore:
    """The spec store of the graph at ``uri`` (as ``GraphConfig.from_env`` takes it), connected now
    (GraphUnavailable when the graph cannot be reached)."""
    return GraphSpecStore(connect(GraphConfig.from_env(uri)))
