"""ScenarioCache: simulated scenario sets kept in memory (LRU by bytes) and on disk, by content.

A key is the sha256 of a canonical JSON of everything that decides the numbers — slate,
strengths, model parameters, scenario count, seed — plus ``tailrace.__version__`` and
:data:`MODEL_VERSION`. Same inputs, same key, in any process on any machine.

On disk each key is one uncompressed ``.npz`` file (the same format as
``tailrace simulate --out``, see :mod:`tailrace.sim.io`), chosen over memory-mapped ``.npy``
files because one file is published by one atomic ``os.replace``: a reader sees the whole
old file, the whole new file or none, never a half-written one, and never a matrix from one
run beside outcomes from another. Loading a 100,000 x 38 set with its outcomes (~50 MB)
takes tens of milliseconds, small beside simulating it; memory maps would also pin files
that Windows then cannot replace. Every member is read in full, so zip CRCs catch damage;
a damaged or foreign file counts as a miss and is replaced by the next computation.

A per-key file lock (``filelock``) makes processes that ask for the same missing key at once
compute it once: the first computes and writes, the others wait and then read.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock
from filelock import Timeout as LockTimeout

import tailrace
from tailrace.sim import cache_prune
from tailrace.sim.io import OUTCOME_FIELDS, meta_to_json, read_npz, write_npz
from tailrace.sim.scenarios import Scenarios
from tailrace.sim.keys import KEY_FORMAT, canonical, default_cache_dir, model_version, scenario_key, simulation_key
from tailrace.slate import Slate

__all__ = [
    "KEY_FORMAT",
    "ScenarioCache",
    "scenario_key",
    "canonical",
    "model_version",
    "default_cache",
    "default_cache_dir",
    "simulate_cached",
    "simulation_key",
    "uncached",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB of arrays in memory
_KEY_RE = re.compile(r"^[0-9A-Za-z_-]{8,128}$")


def simulate_cached(
    slate: Slate,
    n_scenarios: int,
    seed: int,
    *,
    cache: ScenarioCache | None = None,
    track: Any = None,
    params: Any = None,
    strengths: np.ndarray | None = None,
    history: Any = None,
    history_weight: float | None = None,
    allow_shift: bool = False,
    progress: Callable[[int, int], None] | None = None,
    executor: Any = None,
    lock: Callable[[str], AbstractContextManager[Any]] | None = None,
) -> tuple[Scenarios, bool]:
    """``tailrace.sim.simulate.simulate`` through a cache: ``(scenarios, hit)``.

    The key is :func:`tailrace.sim.keys.simulation_key` of the arguments (everything that
    decides the numbers: slate, count, seed, track, params, strengths, the history's content key
    and weight); ``progress`` and ``executor`` (where the simulation runs: the same bytes
    anywhere) are not part of it. ``cache=None`` uses :func:`default_cache`; :func:`uncached`
    computes every time and keeps nothing. The returned ``meta["cache_key"]`` names the entry;
    whether this lookup hit is the second element only, never in ``meta``, so every output that
    carries the meta is the same on a first run and a rerun. ``lock(key)``, when given, is a
    context manager held while the set is fetched or computed (the API's per-key lock).
    """
    key = simulation_key(slate, n_scenarios, seed, track=track, params=params, strengths=strengths,
                         history=history, history_weight=history_weight, allow_shift=allow_shift)
    c = cache if cache is not None else default_cache()

    def compute() -> Scenarios:  # the simulator (numba kernels, scipy) is imported on a miss only
        from tailrace.sim.simulate import simulate  # lazy: the simulator (numba kernels) loads on a miss only

        return simulate(slate, n_scenarios, seed, track=track, params=params, strengths=strengths, history=history,
                        history_weight=history_weight, allow_shift=allow_shift, progress=progress, executor=executor)

    with lock(key) if lock is not None else nullcontext():
        return c.get_or_create(key, compute)


def uncached() -> ScenarioCache:
    """A cache that keeps nothing (no disk, no memory): every lookup computes; for callers such
    as the backtest that simulate many one-off sets and should not fill the cache directory."""
    return ScenarioCache(disk=False, max_bytes=0)


_DEFAULT_CACHES: dict[str, ScenarioCache] = {}
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> ScenarioCache:
    """One process-wide ScenarioCache on :func:`default_cache_dir` (so its memory layer persists)."""
    d = str(default_cache_dir())
    with _DEFAULT_LOCK:
        if d not in _DEFAULT_CACHES:
            _DEFAULT_CACHES[d] = ScenarioCache(d)
        return _DEFAULT_CACHES[d]


# ----------------------------------------------------------------------------- the cache


def _nbytes(s: Scenarios) -> int:
    total = int(s.points.nbytes)
    for name in OUTCOME_FIELDS:
        a = getattr(s, name)
        if a is not None:
            total += int(a.nbytes)
    return total


def _read_only(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    v = a.view()
    v.flags.writeable = False
    return v


def _frozen(s: Scenarios, meta: dict[str, Any]) -> Scenarios:
    """Read-only views of every array (callers cannot corrupt the cached copy) and clean meta."""
    outcomes = {name: _read_only(getattr(s, name)) for name in OUTCOME_FIELDS}
    return Scenarios(points=_read_only(s.points), driver_ids=tuple(str(i) for i in s.driver_ids),
                     meta=meta, **outcomes)


def _clean_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Meta as it round-trips through JSON, without the per-lookup cache fields."""
    d = json.loads(meta_to_json(dict(meta)))
    d.pop("cache_hit", None)
    d.pop("cache_key", None)
    return d


class ScenarioCache:
    """Scenario sets by content key: an in-memory LRU (byte budget) over one file per key on disk.

    ``directory=None`` uses :func:`default_cache_dir`; ``disk=False`` keeps memory only.
    ``max_bytes`` bounds the arrays held in memory (0 disables the memory layer). Arrays
    handed out are read-only views shared by every caller. Safe across threads and processes.

    ``disk_max_bytes`` bounds the directory on disk: after each write the least recently used
    entries (every kind of :mod:`tailrace.sim.cache_prune`, the small fit, strength and field
    caches under it too) are deleted until it is within the bound, never the entry just written.
    ``"env"`` (the default) reads ``TAILRACE_CACHE_MAX_BYTES`` on each miss (2 GB when unset; a
    bad value raises InputError before anything is computed); None never prunes. A hit marks
    its file as just used (its atime; the mtime stays the write's), so recency is the last read
    or write.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        disk: bool = True,
        lock_timeout: float = 3600.0,
        disk_max_bytes: int | None | str = "env",
    ) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        if not (disk_max_bytes is None or disk_max_bytes == "env"
                or (isinstance(disk_max_bytes, int) and disk_max_bytes >= 0)):
            raise ValueError("disk_max_bytes must be an int >= 0, None or 'env'")
        self.disk_max_bytes = disk_max_bytes
        self.max_bytes = int(max_bytes)
        self.disk = bool(disk)
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        self.lock_timeout = float(lock_timeout)
        self._mem: OrderedDict[str, tuple[Scenarios, int]] = OrderedDict()
        self._mem_bytes = 0
        self._lock = threading.RLock()
        self._thread_locks: dict[str, threading.Lock] = {}
        self._hits = self._misses = self._memory_hits = self._disk_hits = 0
        self._corrupt = self._disk_errors = 0

    # -- paths
    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` on disk."""
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ValueError(f"bad cache key {key!r}: use scenario_key(...) (8-128 of [0-9A-Za-z_-])")
        return self.directory / f"{key}.npz"

    def _key_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._thread_locks.setdefault(key, threading.Lock())

    def _lock_for(self, key: str) -> FileLock:
        return FileLock(str(self.directory / f"{key}.lock"), timeout=self.lock_timeout)

    # -- public API
    def get(self, key: str) -> Scenarios | None:
        """The scenarios stored under ``key`` (memory first, then disk), or None."""
        found = self._lookup(key)
        with self._lock:
            if found is None:
                self._misses += 1
                return None
            self._hits += 1
        return self._tag(found, key, True)

    def put(self, key: str, scenarios: Scenarios) -> Scenarios:
        """Store ``scenarios`` under ``key`` in memory and on disk; returns the stored read-only copy.

        The cache keeps the arrays it is given (no copy): do not modify them afterwards.
        """
        path = self.path_for(key)
        if not isinstance(scenarios, Scenarios):
            raise TypeError(f"put() takes Scenarios, got {type(scenarios).__name__}")
        stored = _frozen(scenarios, _clean_meta(scenarios.meta))
        if self.disk:
            self.disk_bound()
            self._write(path, key, stored)
        self._remember(key, stored)
        return self._tag(stored, key, False)

    def get_or_create(self, key: str, compute: Callable[[], Scenarios]) -> tuple[Scenarios, bool]:
        """The scenarios under ``key``, computing and storing them on a miss; ``(scenarios, hit)``.

        Across processes sharing the directory, a missing key is computed once: the first
        caller holds the key's file lock while it computes and writes; the others wait for
        the lock and then read the file.
        """
        found = self._lookup(key)
        if found is not None:
            with self._lock:
                self._hits += 1
            return self._tag(found, key, True), True
        if not self.disk:
            with self._key_lock(key):  # threads of this process compute a key once
                found = self._lookup(key)
                if found is not None:
                    with self._lock:
                        self._hits += 1
                    return self._tag(found, key, True), True
                return self._compute_and_store(key, compute), False
        self.disk_bound()  # a bad TAILRACE_CACHE_MAX_BYTES fails here, before the work
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            lock = self._lock_for(key)
            lock.acquire()
        except (OSError, LockTimeout) as e:
            log.warning("scenario cache: cannot lock %s (%s); computing without the lock", key, e)
            return self._compute_and_store(key, compute), False
        try:
            found = self._lookup(key)  # made by another thread or process while we waited?
            if found is not None:
                with self._lock:
                    self._hits += 1
                return self._tag(found, key, True), True
            return self._compute_and_store(key, compute), False
        finally:
            lock.release()

    def stats(self) -> dict[str, Any]:
        """Counts: memory entries/bytes, hits, misses, hit rate, disk entries/bytes and more."""
        disk_entries = disk_bytes = 0
        if self.disk and self.directory.is_dir():
            for p in self.directory.glob("*.npz"):
                try:
                    disk_bytes += p.stat().st_size
                    disk_entries += 1
                except FileNotFoundError:
                    pass
        with self._lock:
            lookups = self._hits + self._misses
            return {
                "entries": len(self._mem),
                "bytes": self._mem_bytes,
                "max_bytes": self.max_bytes,
                "hits": self._hits,
                "misses": self._misses,
                "hit_rate": self._hits / lookups if lookups else 0.0,
                "memory_hits": self._memory_hits,
                "disk_hits": self._disk_hits,
                "corrupt": self._corrupt,
                "disk_errors": self._disk_errors,
                "disk_entries": disk_entries,
                "disk_bytes": disk_bytes,
                "directory": str(self.directory) if self.disk else None,
            }

    def clear(self) -> None:
        """Drop every scenario set from memory and from the cache directory (counters are kept).

        Only files named as scenario sets (``<64 hex>.npz``) go, and temp files of writes that
        died over an hour ago; a user's own ``.npz`` in the same folder and a write in progress are
        left (``sim.cache_prune.clear``)."""
        with self._lock:
            self._mem.clear()
            self._mem_bytes = 0
        if self.disk and self.directory.is_dir():
            cache_prune.clear(self.directory, kinds=("scenarios",))

    def disk_bound(self) -> int | None:
        """The directory's size bound in bytes now (None: no bound; see the class docstring).

        Raises InputError naming ``TAILRACE_CACHE_MAX_BYTES`` when it is read and bad."""
        if self.disk_max_bytes == "env":
            return cache_prune.max_bytes_from_env()
        return None if not self.disk_max_bytes else int(self.disk_max_bytes)

    # -- internals
    def _tag(self, s: Scenarios, key: str, hit: bool) -> Scenarios:
        """``s`` with ``meta["cache_key"]``: the entry's name, the same on every lookup. Whether a
        lookup hit is returned beside the set (``get_or_create``), never written into its meta."""
        return dataclasses.replace(s, meta={**s.meta, "cache_key": key})

    def _lookup(self, key: str) -> Scenarios | None:
        self.path_for(key)  # validates the key
        with self._lock:
            entry = self._mem.get(key)
            if entry is not None:
                self._mem.move_to_end(key)
                self._memory_hits += 1
                hit = entry[0]
            else:
                hit = None
        if hit is not None:
            if self.disk:
                cache_prune.touch(self.path_for(key))  # last use, for the disk's LRU
            return hit
        if not self.disk:
            return None
        found = self._read_disk(key)
        if found is not None:
            self._remember(key, found)
            with self._lock:
                self._disk_hits += 1
        return found

    def _compute_and_store(self, key: str, compute: Callable[[], Scenarios]) -> Scenarios:
        s = compute()
        if not isinstance(s, Scenarios):
            raise TypeError(f"compute() must return Scenarios, got {type(s).__name__}")
        stored = _frozen(s, _clean_meta(s.meta))
        if self.disk:
            self._write(self.path_for(key), key, stored)
        self._remember(key, stored)
        with self._lock:
            self._misses += 1
        return self._tag(stored, key, False)

    def _remember(self, key: str, s: Scenarios) -> None:
        size = _nbytes(s)
        with self._lock:
            old = self._mem.pop(key, None)
            if old is not None:
                self._mem_bytes -= old[1]
            if size > self.max_bytes:
                return  # larger than the whole budget: disk only
            self._mem[key] = (s, size)
            self._mem_bytes += size
            while self._mem_bytes > self.max_bytes:
                _, (_, dropped) = self._mem.popitem(last=False)
                self._mem_bytes -= dropped

    def _read_disk(self, key: str) -> Scenarios | None:
        path = self.path_for(key)
        before: os.stat_result | None = None
        try:
            before = path.stat()
            with open(path, "rb") as f:
                s, extra = read_npz(f)
            if extra.get("cache_key") != key:
                raise ValueError(f"file holds key {extra.get('cache_key')!r}")
        except FileNotFoundError:
            return None
        except Exception as e:  # damaged, truncated, foreign: a miss, never a crash
            log.warning("scenario cache: ignoring damaged file %s (%s: %s)", path, type(e).__name__, e)
            with self._lock:
                self._corrupt += 1
            self._discard_if_unchanged(path, before)
            return None
        cache_prune.touch(path)  # last use, for the disk's LRU
        return _frozen(s, s.meta)

    def _prune(self, written: Path) -> None:
        """Bring the directory within :meth:`disk_bound`, keeping ``written`` (least recently used first)."""
        bound = self.disk_bound()
        gone = cache_prune.prune(self.directory, bound, keep=[written])
        if gone:
            log.info("scenario cache: pruned %d entries (%s) from %s to stay within %s", len(gone),
                     cache_prune.format_bytes(sum(e.size for e in gone)), self.directory,
                     cache_prune.format_bytes(bound))

    def _discard_if_unchanged(self, path: Path, before: os.stat_result | None) -> None:
        """Delete a damaged file unless a writer has replaced it since we looked."""
        if before is None:
            return
        try:
            now = path.stat()
            if (now.st_ino, now.st_size, now.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns):
                path.unlink()
        except OSError:
            pass

    def _write(self, path: Path, key: str, s: Scenarios) -> None:
        """Publish ``s`` at ``path`` atomically: temp file in the same directory, then os.replace."""
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as f:
                write_npz(f, s, extra={"cache_key": key, "cache_format": "tailrace-scenarios-1"})
            os.replace(tmp, path)
            tmp = None
            self._prune(path)
        except OSError as e:  # full or read-only disk: keep going from memory
            log.warning("scenario cache: cannot write %s (%s)", path, e)
            with self._lock:
                self._disk_errors += 1
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
