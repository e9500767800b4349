"""SQLite store: one file under the data directory, WAL mode, safe across threads and processes.

Every call opens its own short-lived connection, so a Store can be shared by threads and
re-created in worker processes from its path alone. Slates, specs and portfolios are
content-addressed (the id is a hash of their canonical JSON), so storing the same thing twice
keeps one copy. Jobs get random ids and move queued -> running -> done | failed | cancelled;
a finished job's row is never rewritten by a late writer (every transition is conditional).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
_ACTIVE = ("queued", "running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS slates (
    id TEXT PRIMARY KEY, created REAL NOT NULL, site TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS specs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, name TEXT, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenario_sets (
    id TEXT PRIMARY KEY, created REAL NOT NULL, slate_id TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS portfolios (
    id TEXT PRIMARY KEY, created REAL NOT NULL, slate_id TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS histories (
    id TEXT PRIMARY KEY, created REAL NOT NULL, name TEXT, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '',
    request TEXT NOT NULL, result TEXT, error TEXT,
    owner_pid INTEGER, worker_pid INTEGER,
    created REAL NOT NULL, started REAL, finished REAL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
"""


class NotFound(KeyError):
    """No stored object of this kind with this id."""

    def __init__(self, kind: str, obj_id: str):
        self.kind = kind
        self.obj_id = obj_id
        super().__init__(f"no {kind} with id '{obj_id}'")

    def __str__(self) -> str:
        return f"no {self.kind} with id '{self.obj_id}'"


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no spaces: the same object always gives the same bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_id(prefix: str, obj: Any) -> str:
    """A short stable id for an object: prefix + first 20 hex digits of sha256 of its canonical JSON."""
    return prefix + hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:20]


class Store:
    """The service's persistent state in ``<data_dir>/tailrace.sqlite3``; the schema is created on open."""

    def __init__(self, data_dir: str | os.PathLike[str]):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / "tailrace.sqlite3"
        with self._conn() as c:
            c.execute("PRAGMA journal_mode=WAL")
            c.executescript(_SCHEMA)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        c = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            c.execute("PRAGMA busy_timeout=30000")
            c.execute("PRAGMA synchronous=NORMAL")
            yield c
        finally:
            c.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._conn() as c:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    # -- content-addressed objects -------------------------------------------------------

    def _put(self, table: str, obj_id: str, extra: dict[str, Any], payload: Any) -> str:
        cols = ["id", "created", *extra.keys(), "payload"]
        vals = [obj_id, time.time(), *extra.values(), canonical_json(payload)]
        q = f"INSERT OR IGNORE INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"
        with self._write() as c:
            c.execute(q, vals)
        return obj_id

    def _get(self, table: str, kind: str, obj_id: str) -> dict[str, Any]:
        with self._conn() as c:
            row = c.execute(f"SELECT payload, created FROM {table} WHERE id=?", (obj_id,)).fetchone()
        if row is None:
            raise NotFound(kind, obj_id)
        return {"id": obj_id, "created": row[1], "payload": json.loads(row[0])}

    def put_slate(self, slate: dict[str, Any]) -> str:
        """Store a slate dict (see ``slate_to_dict``); returns its content id."""
        sid = content_id("sl_", slate)
        return self._put("slates", sid, {"site": slate["site"]}, slate)

    def get_slate(self, slate_id: str) -> dict[str, Any]:
        """The stored slate dict; NotFound if unknown."""
        return self._get("slates", "slate", slate_id)["payload"]

    def put_spec(self, spec: dict[str, Any], name: str | None = None) -> str:
        """Store a constraint spec (its JSON form) under an optional name; returns its id."""
        spid = content_id("cs_", {"name": name, "spec": spec})
        return self._put("specs", spid, {"name": name}, {"name": name, "spec": spec})

    def get_spec(self, spec_id: str) -> dict[str, Any]:
        """{'id', 'name', 'spec', 'created'} for a stored spec; NotFound if unknown."""
        r = self._get("specs", "constraint spec", spec_id)
        return {"id": spec_id, "created": r["created"], **r["payload"]}

    def list_specs(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Stored specs, newest first."""
        with self._conn() as c:
            rows = c.execute(
                "SELECT id, created, payload FROM specs ORDER BY created DESC, id LIMIT ?", (limit,)
            ).fetchall()
        return [{"id": r[0], "created": r[1], **json.loads(r[2])} for r in rows]

    def put_scenario_set(self, set_id: str, slate_id: str, meta: dict[str, Any]) -> str:
        """Record a scenario set's metadata (the matrix itself stays in the scenario cache)."""
        return self._put("scenario_sets", set_id, {"slate_id": slate_id}, meta)

    def put_portfolio(self, slate_id: str, portfolio: dict[str, Any]) -> str:
        """Store a portfolio (lineups as driver ids plus how it was made); returns its content id."""
        pid = content_id("pf_", portfolio)
        return self._put("portfolios", pid, {"slate_id": slate_id}, portfolio)

    def get_portfolio(self, portfolio_id: str) -> dict[str, Any]:
        """The stored portfolio dict; NotFound if unknown."""
        return self._get("portfolios", "portfolio", portfolio_id)["payload"]

    def put_history(self, name: str, text: str) -> str:
        """Store a race-history CSV (its text) under the sha256 of the text; returns its id."""
        hid = "hi_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        return self._put("histories", hid, {"name": name}, {"name": name, "text": text})

    def get_history(self, history_id: str) -> dict[str, Any]:
        """{'name', 'text'} of a stored history; NotFound if unknown."""
        return self._get("histories", "history", history_id)["payload"]

    # -- jobs -----------------------------------------------------------------------------

    def create_job(self, kind: str, request: dict[str, Any], owner_pid: int | None = None) -> str:
        """A new queued job for ``kind`` with its request; returns the job id."""
        jid = "job_" + uuid.uuid4().hex[:20]
        now = time.time()
        with self._write() as c:
            c.execute(
                "INSERT INTO jobs (id, kind, state, progress, message, request, owner_pid, created, updated)"
                " VALUES (?, ?, 'queued', 0, 'queued', ?, ?, ?, ?)",
                (jid, kind, canonical_json(request), owner_pid or os.getpid(), now, now),
            )
        return jid

    def get_job(self, job_id: str) -> dict[str, Any]:
        """The job row as a dict (request/result/error decoded); NotFound if unknown."""
        with self._conn() as c:
            c.row_factory = sqlite3.Row
            row = c.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise NotFound("job", job_id)
        d = dict(row)
        for k in ("request", "result", "error"):
            d[k] = json.loads(d[k]) if d[k] is not None else None
        return d

    def jobs_in_state(self, *states: str) -> list[str]:
        """Ids of jobs in any of ``states``, oldest first."""
        q = f"SELECT id FROM jobs WHERE state IN ({','.join('?' * len(states))}) ORDER BY created, id"
        with self._conn() as c:
            return [r[0] for r in c.execute(q, states).fetchall()]

    def start_job(self, job_id: str, worker_pid: int) -> bool:
        """queued -> running; False if the job was no longer queued (e.g. cancelled)."""
        now = time.time()
        with self._write() as c:
            cur = c.execute(
                "UPDATE jobs SET state='running', worker_pid=?, started=?, updated=?, message='started'"
                " WHERE id=? AND state='queued'",
                (worker_pid, now, now, job_id),
            )
            return cur.rowcount == 1

    def set_progress(self, job_id: str, progress: float, message: str) -> bool:
        """Record progress (clipped to 0..1, never going backwards) of a running job."""
        p = min(1.0, max(0.0, float(progress)))
        with self._write() as c:
            cur = c.execute(
                "UPDATE jobs SET progress=MAX(progress, ?), message=?, updated=? WHERE id=? AND state='running'",
                (p, str(message)[:500], time.time(), job_id),
            )
            return cur.rowcount == 1

    def finish_job(self, job_id: str, result: dict[str, Any]) -> bool:
        """running -> done with its result; False if the job had already left 'running'."""
        now = time.time()
        with self._write() as c:
            cur = c.execute(
                "UPDATE jobs SET state='done', progress=1, message='done', result=?, finished=?, updated=?"
                " WHERE id=? AND state='running'",
                (canonical_json(result), now, now, job_id),
            )
            return cur.rowcount == 1

    def fail_job(self, job_id: str, error: dict[str, Any], states: tuple[str, ...] = _ACTIVE) -> bool:
        """Mark an active job failed with an error dict ({'status', 'message', ...})."""
        now = time.time()
        q = (
            "UPDATE jobs SET state='failed', message=?, error=?, finished=?, updated=?"
            f" WHERE id=? AND state IN ({','.join('?' * len(states))})"
        )
        with self._write() as c:
            cur = c.execute(q, (str(error.get("message", "failed"))[:500], canonical_json(error), now, now, job_id, *states))
            return cur.rowcount == 1

    def cancel_job(self, job_id: str) -> bool:
        """queued/running -> cancelled; False if it had already finished (NotFound if unknown)."""
        self.get_job(job_id)
        now = time.time()
        with self._write() as c:
            cur = c.execute(
                "UPDATE jobs SET state='cancelled', message='cancelled by request', finished=?, updated=?"
                " WHERE id=? AND state IN ('queued', 'running')",
                (now, now, job_id),
            )
            return cur.rowcount == 1

    def fail_orphaned_jobs(self, reason: str, alive: set[int] | None = None) -> list[str]:
        """Fail every queued/running job whose owning server process is gone; returns their ids.

        A job is orphaned when its ``owner_pid`` is not a live process (or, with ``alive`` given,
        not in it). Called once at server start, so a killed server's jobs never stay 'running'.
        """
        with self._conn() as c:
            rows = c.execute("SELECT id, owner_pid FROM jobs WHERE state IN ('queued', 'running')").fetchall()
        failed = []
        for jid, pid in rows:
            live = (pid in alive) if alive is not None else _pid_alive(pid)
            if not live and self.fail_job(jid, {"status": 500, "message": reason}):
                failed.append(jid)
        return failed


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
