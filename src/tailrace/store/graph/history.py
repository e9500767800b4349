"""Race history in the graph: load a results file (idempotent MERGE, batched UNWIND) and read it back.

Model (README, "Graph store"):

    (:Driver {name, key})-[:RAN {start, finish, laps, laps_led, fastest_laps, status, team,
                                 manufacturer, ord}]->(:Race {season, race_num, track, date,
                                 track_type, fastest_laps_known})-[:AT]->(:Track {name, type})
    (:Driver)-[:DRIVES_FOR {season}]->(:Team {name})-[:RUNS {season}]->(:Manufacturer {name})

``RAN`` keeps the team and make of that race as well: drivers change teams within a season and
teams change make between seasons, so the season-level ``DRIVES_FOR`` / ``RUNS`` edges (what a
person browses) cannot give back the per-race values the ratings were fitted on. ``ord`` is
the row's place within its race in the file, so the history read back lists each race's
drivers in the file's order and the fit is the same to the last bit.

Only complete races are loaded (``tailrace.sim.history.parse_history`` decides, as for a file);
loading a race again replaces its rows (a driver no longer in the file's race loses his
``RAN`` edge), so loading the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from typing import Any

from tailrace.errors import InputError, Problem
from tailrace.sim.history import History, parse_history
from tailrace.slate import normalize_name
from tailrace.store.graph.connection import GraphConnection
from tailrace.store.graph.schema import ensure_schema

__all__ = ["LoadReport", "store_history", "history_csv_text", "history_model_from_graph", "read_history_graph",
           "graph_counts", "latest_affiliations"]

BATCH = 32  # rows per UNWIND of tracks, races, drivers, teams (results go one race per query); FalkorDB
# 4.16 crashed on a 180-row UNWIND of races, so the default stays small; Neo4j takes thousands (--batch)

# Rows go in as one list per column, unwound by index and bound to names with WITH before any
# MATCH / MERGE uses them; a race's results go in one query per race (the race matched once by
# scalar parameters). FalkorDB's Bolt server (4.16) crashed on lists of maps with six or more
# entries, on ``$col[i]`` written straight into a MATCH / MERGE property map, and on matching a
# different race per unwound row; these forms run on it, and are plain Cypher that Neo4j 5
# runs the same way.
_Q_TRACKS = """
UNWIND range(0, size($name) - 1) AS i
WITH $name[i] AS name, $type[i] AS type
MERGE (t:Track {name: name})
SET t.type = type
"""
_Q_RACES = """
UNWIND range(0, size($season) - 1) AS i
WITH $season[i] AS season, $race_num[i] AS race_num, $track[i] AS track, $date[i] AS date,
     $track_type[i] AS track_type, $fl_known[i] AS fl_known
MERGE (x:Race {season: season, race_num: race_num})
SET x.track = track, x.date = date, x.track_type = track_type, x.fastest_laps_known = fl_known
WITH x, track
MATCH (t:Track {name: track})
MERGE (x)-[:AT]->(t)
"""
_Q_DRIVERS = """
UNWIND range(0, size($name) - 1) AS i
WITH $name[i] AS name, $key[i] AS key
MERGE (d:Driver {name: name})
SET d.key = key
"""
_Q_TEAMS = """
UNWIND range(0, size($team) - 1) AS i
WITH $team[i] AS team, $make[i] AS make, $season[i] AS season
MERGE (t:Team {name: team})
MERGE (m:Manufacturer {name: make})
MERGE (t)-[:RUNS {season: season}]->(m)
"""
_Q_DRIVES = """
UNWIND range(0, size($driver) - 1) AS i
WITH $driver[i] AS driver, $team[i] AS team, $season[i] AS season
MATCH (d:Driver {name: driver})
MATCH (t:Team {name: team})
MERGE (d)-[:DRIVES_FOR {season: season}]->(t)
"""
_Q_RAN = """
MATCH (x:Race {season: $season, race_num: $race_num})
UNWIND range(0, size($driver) - 1) AS i
WITH x, i, $driver[i] AS driver
MATCH (d:Driver {name: driver})
MERGE (d)-[e:RAN]->(x)
SET e.start = $start[i], e.finish = $finish[i], e.laps = $laps[i], e.laps_led = $laps_led[i],
    e.fastest_laps = $fastest_laps[i], e.status = $status[i], e.team = $team[i],
    e.manufacturer = $manufacturer[i], e.ord = i
"""
_Q_PRUNE = """
MATCH (d:Driver)-[e:RAN]->(x:Race {season: $season, race_num: $race_num})
WHERE NOT d.name IN $driver
DELETE e
"""
_Q_READ = """
MATCH (d:Driver)-[e:RAN]->(x:Race)
RETURN x.season AS season, x.race_num AS race_num, x.track AS track, x.date AS race_date,
       x.fastest_laps_known AS fl_known, d.name AS driver, e.start AS start, e.finish AS finish,
       e.laps AS laps, e.laps_led AS laps_led, e.fastest_laps AS fastest_laps, e.status AS status,
       e.team AS team, e.manufacturer AS manufacturer, e.ord AS ord
ORDER BY season, race_num, ord
"""
_Q_LATEST = """
MATCH (d:Driver)-[e:RAN]->(x:Race)
WHERE d.key IN $keys
RETURN d.key AS key, x.season AS season, x.race_num AS race_num, e.team AS team, e.manufacturer AS make
ORDER BY season, race_num
"""


@dataclass(frozen=True)
class LoadReport:
    """What a load did: races, rows and drivers written, races left out (incomplete), seconds."""

    races: int
    rows: int
    drivers: int
    skipped_races: int
    seconds: float


def _batches(rows: list[dict[str, Any]], size: int) -> list[dict[str, list[Any]]]:
    """``rows`` in chunks of ``size``, each as one list per column (what the queries unwind)."""
    out = []
    for a in range(0, len(rows), size):
        chunk = rows[a : a + size]
        out.append({k: [r[k] for r in chunk] for k in chunk[0]})
    return out


def store_history(conn: GraphConnection, text: str, name: str, *, batch: int = BATCH) -> LoadReport:
    """Parse a results CSV (``name`` for messages) and MERGE its complete races into the graph.

    Raises InputError for a bad file (as ``--history FILE`` would), GraphUnavailable when the
    graph cannot be reached. Idempotent: the same file loaded twice leaves the graph as it was.
    """
    t0 = time.perf_counter()
    hist = parse_history(text, name)
    ensure_schema(conn)
    races = hist.races()
    tracks: dict[str, str] = {}
    race_rows: list[dict[str, Any]] = []
    per_race: list[dict[str, Any]] = []
    drivers: dict[str, str] = {}
    teams: set[tuple[str, str, int]] = set()
    drives: set[tuple[str, str, int]] = set()
    n_rows = 0
    for r in races:
        tracks[r.track] = r.track_type  # races are oldest first: the latest type wins
        race_rows.append({"season": r.season, "race_num": r.race_num, "track": r.track, "date": r.race_date,
                          "track_type": r.track_type, "fl_known": bool(r.fastest_laps_known)})
        for i, d in enumerate(r.drivers):
            drivers[d] = normalize_name(d)
            team, make = r.team[i], r.manufacturer[i]
            if team and make:
                teams.add((team, make, r.season))
            if team:
                drives.add((d, team, r.season))
        n_rows += r.n
        per_race.append({"season": r.season, "race_num": r.race_num, "driver": list(r.drivers),
                         "start": [int(v) for v in r.start], "finish": [int(v) for v in r.finish],
                         "laps": [int(v) for v in r.laps], "laps_led": [int(v) for v in r.laps_led],
                         "fastest_laps": [int(v) for v in r.fastest_laps], "status": list(r.status),
                         "team": list(r.team), "manufacturer": list(r.manufacturer)})
    steps = [
        (_Q_TRACKS, [{"name": k, "type": v} for k, v in sorted(tracks.items())]),
        (_Q_RACES, race_rows),
        (_Q_DRIVERS, [{"name": k, "key": v} for k, v in sorted(drivers.items())]),
        (_Q_TEAMS, [{"team": t, "make": m, "season": s} for t, m, s in sorted(teams)]),
        (_Q_DRIVES, [{"driver": d, "team": t, "season": s} for d, t, s in sorted(drives)]),
    ]
    for query, rows in steps:
        for cols in _batches(rows, batch):
            conn.write(query, **cols)
    for params in per_race:  # one query per race: its results, then drop drivers no longer in it
        conn.write(_Q_RAN, **params)
        conn.write(_Q_PRUNE, season=params["season"], race_num=params["race_num"], driver=params["driver"])
    return LoadReport(races=len(races), rows=n_rows, drivers=len(drivers),
                      skipped_races=len(hist.incomplete), seconds=time.perf_counter() - t0)


_COLUMNS = ("season", "race_num", "track", "race_date", "driver", "start", "finish", "laps", "laps_led",
            "fastest_laps", "status", "team", "manufacturer")


def history_csv_text(conn: GraphConnection) -> str:
    """The graph's race history as the text of a results CSV (races in order, drivers in file order).

    Feeding it to ``history_model_from_text`` gives the same fit as the file that was loaded.
    Races whose file had no ``fastest_laps`` column get empty cells there (counted as 0).
    """
    rows = conn.read(_Q_READ)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_COLUMNS)
    for r in rows:
        fl = r["fastest_laps"] if r["fl_known"] else ""
        w.writerow([r["season"], r["race_num"], r["track"], r["race_date"] or "", r["driver"], r["start"],
                    r["finish"], r["laps"], r["laps_led"], fl, r["status"], r["team"] or "", r["manufacturer"] or ""])
    return out.getvalue()


def read_history_graph(conn: GraphConnection, name: str) -> History:
    """The graph's history as a ``History`` (for calibration), named ``name`` in messages."""
    return parse_history(history_csv_text(conn), name)


def latest_affiliations(conn: GraphConnection, names: list[str]) -> list[tuple[str | None, str | None]]:
    """``(team, manufacturer)`` of each driver's latest race in the graph (None where unknown)."""
    keys = [normalize_name(n) for n in names]
    latest: dict[str, tuple[str | None, str | None]] = {}
    for r in conn.read(_Q_LATEST, keys=sorted(set(keys))):
        latest[r["key"]] = (r["team"], r["make"])  # ordered oldest first: the latest wins
    return [latest.get(k, (None, None)) for k in keys]


_COUNT_NODES = {label: f"MATCH (n:{label}) RETURN count(n) AS c"
                for label in ("Driver", "Team", "Manufacturer", "Race", "Track", "Spec")}
_COUNT_RELS = {rel: f"MATCH ()-[r:{rel}]->() RETURN count(r) AS c"
               for rel in ("RAN", "AT", "DRIVES_FOR", "RUNS", "LOCKS", "EXCLUDES", "CAPS", "LIMITS")}


def graph_counts(conn: GraphConnection) -> dict[str, int]:
    """Nodes and relationships by label / type (for checks that a reload changed nothing).

    The queries are fixed at import from the model's own labels; nothing from input enters them.
    """
    return {k: int(conn.read(q)[0]["c"]) for k, q in {**_COUNT_NODES, **_COUNT_RELS}.items()}


def history_model_from_graph(conn: GraphConnection):  # -> HistoryModel
    """Ratings fitted on the graph's race history: the same strengths as from the file it was loaded from.

    Raises InputError when the graph holds no race (``tailrace graph load --history FILE`` first).
    """
    text = history_csv_text(conn)
    name = f"graph {conn.cfg.shown()}"
    if text.count("\n") <= 1:
        raise InputError(Problem("the graph holds no race history", file=name, param="history",
                                 fix="load one first: tailrace graph load --history results.csv"))
    # lazy: the rating fit (scipy.sparse) loads only here, not with the graph's other readers
    from tailrace.sim.strength.from_history import history_model_from_text

    return history_model_from_text(text, name)
