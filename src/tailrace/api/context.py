"""What every piece of work is given: the Context (settings, store, scenario cache), a progress callback, limits.

One Context per process: the server builds it at start, a job's worker process builds its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tailrace.errors import InputError, Problem
from tailrace.sim.cache import ScenarioCache
from tailrace.store import Store

from tailrace.api.settings import Settings

Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """A progress callback that ignores its calls."""


@dataclass
class Context:
    """What work needs: settings, the store and the scenario cache (one per process)."""

    settings: Settings
    store: Store
    cache: ScenarioCache | None  # None: every set is computed afresh and kept nowhere (sim.cache.uncached)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)  # invariant checks by scenario cache key
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, settings: Settings, store: Store | None = None) -> Context:
        """A context with the store and scenario cache under ``settings.data_dir``."""
        return cls(settings=settings, store=store or Store(settings.data_dir), cache=_make_cache(settings))

    def spec_store(self) -> Any:
        """Where constraint specs live: the graph when ``settings.graph_uri`` is set, else the SQLite store.

        The graph is connected on first use (GraphUnavailable -> 503), so the service starts
        while the graph is down and says so on the calls that need it.
        """
        if not self.settings.graph_uri:
            return self.store
        # lazy: the graph store loads only when a graph is configured
        from tailrace.store.graph.specs import graph_spec_store

        return graph_spec_store(self.settings.graph_uri)

    def key_lock(self, key: str) -> threading.Lock:
        """One lock per cache key, so concurrent identical requests compute a scenario set once."""
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def cache_stats(self) -> dict[str, Any]:
        """Scenario-cache statistics: entries and bytes in memory and on disk, hits, misses, hit rate."""
        raw: dict[str, Any] = self.cache.stats() if self.cache is not None else {}
        hits = int(raw.get("hits", 0))
        misses = int(raw.get("misses", 0))
        return {
            "entries": int(raw.get("entries", 0)),
            "bytes": int(raw.get("bytes", 0)),
            "disk_entries": int(raw.get("disk_entries", 0)),
            "disk_bytes": int(raw.get("disk_bytes", 0)),
            "hits": hits,
            "misses": misses,
            "hit_rate": hits / (hits + misses) if hits + misses else None,
            "disk_max_bytes": self.settings.cache_max_bytes,
        }


def _make_cache(settings: Settings) -> ScenarioCache:
    """The process's scenario cache under ``settings.cache_dir`` (memory budget ``cache_memory_bytes``,
    disk bound ``cache_max_bytes``)."""
    return ScenarioCache(settings.cache_dir, max_bytes=settings.cache_memory_bytes,
                         disk_max_bytes=settings.cache_max_bytes)


def check_limit(value: int, limit: int, field_name: str) -> None:
    """InputError naming ``field_name`` when ``value`` is over this server's ``limit``."""
    if value > limit:
        raise InputError(Problem(f"{value:,} is above this server's limit of {limit:,}", field=field_name,
                                 fix=f"use at most {limit:,}"))
