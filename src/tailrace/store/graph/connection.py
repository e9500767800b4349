"""Where the graph is and how to talk to it: configuration from the environment, one driver per process.

The official ``neo4j`` driver is imported only here and only when a graph is configured, so
tailrace without the ``graph`` extra never needs it. Every failure to connect or log in
becomes one :class:`~tailrace.errors.GraphUnavailable` naming the URI (never the password)
and what to check.

Configuration (``GraphConfig.from_env``):

``TAILRACE_GRAPH_URI``       ``bolt://host:7687`` or ``neo4j://host:7687`` (``--graph URI`` wins)
``TAILRACE_GRAPH_USER``      user name (default ``neo4j``)
``TAILRACE_GRAPH_PASSWORD``  password (default empty)
``TAILRACE_GRAPH_DATABASE``  database name (default: the server's default database)
``TAILRACE_GRAPH_TIMEOUT``   seconds to wait for a connection (default 15)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tailrace.errors import GraphUnavailable, InputError, Problem

__all__ = ["GraphConfig", "GraphConnection", "connect", "close_all"]

_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


@dataclass(frozen=True)
class GraphConfig:
    """How to reach the graph. ``password`` never appears in ``repr`` or messages."""

    uri: str
    user: str = "neo4j"
    password: str = ""
    database: str | None = None
    timeout: float = 15.0

    def __repr__(self) -> str:
        return f"GraphConfig(uri={self.shown()!r}, database={self.database!r})"

    def shown(self) -> str:
        """The URI as messages show it: user kept, password (if written into the URI) dropped."""
        p = urlsplit(self.uri)
        host = p.hostname or ""
        port = f":{p.port}" if p.port else ""
        user = p.username or self.user
        return f"{p.scheme}://{user}@{host}{port}" + (f" (database {self.database})" if self.database else "")

    @classmethod
    def from_env(cls, uri: str | None = None, env: Mapping[str, str] | None = None) -> GraphConfig | None:
        """The configured graph (``uri`` overrides ``TAILRACE_GRAPH_URI``), or None when there is none.

        Raises InputError for a URI that is not ``bolt://`` / ``neo4j://`` or a bad timeout.
        """
        e = os.environ if env is None else env
        u = (uri or e.get("TAILRACE_GRAPH_URI") or "").strip()
        if not u:
            return None
        scheme = urlsplit(u).scheme
        if scheme not in _SCHEMES or not urlsplit(u).hostname:
            raise InputError(Problem(f"graph URI '{urlsplit(u).scheme}://…' is not a Bolt URI", param="graph_uri",
                                     fix="use bolt://host:7687 or neo4j://host:7687 (TAILRACE_GRAPH_URI or {graph_uri})"))
        try:
            timeout = float(e.get("TAILRACE_GRAPH_TIMEOUT") or 15.0)
            if not timeout > 0:
                raise ValueError
        except ValueError:
            raise InputError(Problem("TAILRACE_GRAPH_TIMEOUT must be a positive number of seconds",
                                     field="TAILRACE_GRAPH_TIMEOUT", fix="e.g. 15")) from None
        p = urlsplit(u)
        return cls(uri=u, user=p.username or e.get("TAILRACE_GRAPH_USER") or "neo4j",
                   password=p.password or e.get("TAILRACE_GRAPH_PASSWORD") or "",
                   database=e.get("TAILRACE_GRAPH_DATABASE") or None, timeout=timeout)


def _unavailable(cfg: GraphConfig, exc: BaseException | str) -> GraphUnavailable:
    why = exc if isinstance(exc, str) else (getattr(exc, "message", None) or str(exc) or type(exc).__name__)
    why = " ".join(str(why).split())[:300].replace(cfg.password, "***") if cfg.password else " ".join(str(why).split())[:300]
    return GraphUnavailable(
        f"cannot use the graph at {cfg.shown()}: {why}. Check that the server is running and reachable at that "
        "address, and that TAILRACE_GRAPH_USER / TAILRACE_GRAPH_PASSWORD (and TAILRACE_GRAPH_DATABASE, if set) "
        "are right; or unset TAILRACE_GRAPH_URI / drop {graph_uri} to work without the graph")


def _is_outage(exc: BaseException) -> bool:
    """True for errors a retry cannot cure: nothing listens (refused) or the host name does not resolve.

    Matched on the driver's own wording of those two; every connection error the driver raises
    also says "(resolved to ...)", so the bare word "resolve" would match a dropped handshake too
    and stop the retry that cures it.
    """
    text = str(exc).lower()
    return "refused" in text or "failed to dns resolve" in text


class GraphConnection:
    """An open driver for one ``GraphConfig``; ``read`` / ``write`` run one parameterised query."""

    def __init__(self, cfg: GraphConfig):
        self.cfg = cfg
        try:
            import neo4j
        except ImportError:
            raise GraphUnavailable("a graph is configured but the neo4j driver is not installed; "
                                   "pip install 'tailrace[graph]' (or unset TAILRACE_GRAPH_URI)") from None
        self._neo4j = neo4j
        try:
            self.driver = neo4j.GraphDatabase.driver(
                cfg.uri, auth=(cfg.user, cfg.password), connection_timeout=cfg.timeout,
                connection_acquisition_timeout=cfg.timeout, max_transaction_retry_time=cfg.timeout)
        except Exception as exc:  # a malformed URI the driver refuses
            raise _unavailable(cfg, exc) from None
        self._verify()

    def _verify(self) -> None:
        # A few attempts: a fresh connection can be dropped during the Bolt handshake (seen with
        # the FalkorDB test server right after another client disconnected); a real outage fails
        # every attempt quickly ("connection refused") and is reported once.
        last: BaseException | None = None
        for attempt in range(3):
            try:
                with self.driver.session(database=self.cfg.database) as s:
                    s.run("RETURN 1 AS ok").consume()
                return
            except self._neo4j.exceptions.AuthError as exc:
                self.close()
                raise _unavailable(self.cfg, f"the server refused the login ({exc.message or 'unauthorized'})") from None
            except Exception as exc:
                last = exc
                if _is_outage(exc):
                    break
                time.sleep(0.1 * (attempt + 1))
        self.close()
        raise _unavailable(self.cfg, last or "no answer")

    def _run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            with self.driver.session(database=self.cfg.database) as s:
                return [dict(r) for r in s.run(query, params)]
        except (self._neo4j.exceptions.ServiceUnavailable, self._neo4j.exceptions.SessionExpired,
                self._neo4j.exceptions.AuthError) as exc:
            raise _unavailable(self.cfg, exc) from None

    def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a read query (parameters passed as parameters, never formatted in)."""
        return self._run(query, params)

    def write(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a write query, run as one auto-commit transaction.

        Not a managed (BEGIN/COMMIT) transaction: FalkorDB's Bolt server accepts those but keeps
        none of their writes, so every write here is a single auto-commit query, which both
        servers commit. Multi-statement work is ordered so that a rerun repairs a half-done one.
        """
        return self._run(query, params)

    def write_all(self, steps: list[tuple[str, dict[str, Any]]]) -> None:
        """Run several write queries in order (each its own auto-commit query; see ``write``)."""
        for query, params in steps:
            self._run(query, params)

    def schema(self, statement: str, label: str, prop: str) -> None:
        """Run ``CREATE INDEX FOR (n:label) ON (n.prop)``; an index that already exists is success.

        Neo4j 5 answers a repeated statement with ``...Schema.EquivalentSchemaRuleAlreadyExists``.
        FalkorDB answers with an opaque ``UnknownError``; then its ``db.indexes()`` is asked
        whether the index is there. ``IF NOT EXISTS`` would be neater, but FalkorDB rejects it.
        """
        try:
            self._run(statement, {})
            return
        except self._neo4j.exceptions.Neo4jError as exc:
            code = getattr(exc, "code", "") or ""
            if "AlreadyExists" in code:
                return
            try:
                rows = self._run("CALL db.indexes() YIELD label, properties RETURN label, properties", {})
            except self._neo4j.exceptions.Neo4jError:
                raise exc from None
            if not any(r["label"] == label and prop in (r["properties"] or []) for r in rows):
                raise

    def close(self) -> None:
        """Close the driver (idempotent)."""
        try:
            self.driver.close()
        except Exception:
            pass


_OPEN: dict[GraphConfig, GraphConnection] = {}
_LOCK = threading.Lock()


def connect(cfg: GraphConfig) -> GraphConnection:
    """The process's connection for ``cfg`` (opened and verified on first use, then shared)."""
    with _LOCK:
        conn = _OPEN.get(cfg)
        if conn is None:
            conn = GraphConnection(cfg)
            _OPEN[cfg] = conn
        return conn


def close_all() -> None:
    """Close every shared connection (tests, and processes that want a clean exit)."""
    with _LOCK:
        for c in _OPEN.values():
            c.close()
        _OPEN.clear()
