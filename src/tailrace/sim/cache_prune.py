"""The cache directory's size bound: which entries exist, how big, and which to delete (LRU).

tailrace keeps four kinds of entry under one directory (``$TAILRACE_CACHE_DIR`` or
``~/.cache/tailrace/scenarios``, :func:`tailrace.sim.keys.default_cache_dir`):

- ``scenarios``: ``<dir>/<64 hex>.npz``, scenario sets (:mod:`tailrace.sim.cache`), ~50 MB for
  100,000 x 40 with outcomes;
- ``fits``: ``<dir>/fits/<64 hex>.json``, track-type parameter fits (:mod:`tailrace.sim.fit_cache`);
- ``strengths``: ``<dir>/strengths/<64 hex>.json``, strength fits (:mod:`tailrace.sim.strength.cache`);
- ``fields``: ``<dir>/fields/<64 hex>.json``, field sampler weights (:mod:`tailrace.contest.field_cache`).

Only files named exactly so are entries: temp files of a write in progress (``.<name>.<random>.tmp``,
published by ``os.replace``), lock files, symlinks, anything else a user keeps there and anything
outside the directory are never listed, so never deleted. numba's own cache is elsewhere.

The rule (:func:`choose_evictions`) is a pure function: given entries with size and last use
(the later of the file's mtime, set when it is written, and its atime, set to now on each hit by
:func:`touch`; the mtime stays the write's, so "was it rewritten?" keeps its answer), delete the
least recently used (oldest first, ties by path) until the total is at most the bound, never one of the
``keep`` paths (the entry just written). The bound is ``TAILRACE_CACHE_MAX_BYTES``
(:func:`max_bytes_from_env`): default :data:`DEFAULT_MAX_BYTES` (2 GB); ``0`` or ``none``
disables pruning. Pruning never changes an answer: a deleted entry is recomputed, to the same
bytes, when next asked for.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tailrace.errors import InputError, Problem

__all__ = ["DEFAULT_MAX_BYTES", "ENV_VAR", "KINDS", "Entry", "choose_evictions", "clear", "format_bytes",
           "list_entries", "max_bytes_from_env", "parse_max_bytes", "prune", "summarize", "touch"]

#: The environment variable holding the bound.
ENV_VAR = "TAILRACE_CACHE_MAX_BYTES"
#: The bound when the variable is unset or empty: 2 GB (about forty 100,000 x 40 scenario sets).
DEFAULT_MAX_BYTES = 2_000_000_000
#: Each kind's subdirectory ("" = the directory itself) and its entries' file name pattern.
KINDS: dict[str, tuple[str, re.Pattern[str]]] = {
    "scenarios": ("", re.compile(r"^[0-9a-f]{64}\.npz$")),
    "fits": ("fits", re.compile(r"^[0-9a-f]{64}\.json$")),
    "strengths": ("strengths", re.compile(r"^[0-9a-f]{64}\.json$")),
    "fields": ("fields", re.compile(r"^[0-9a-f]{64}\.json$")),
}
#: Temp files of a write (``tempfile.mkstemp(prefix=".<name>.", suffix=".tmp")``): left alone
#: unless older than this (a crashed writer's), and then only by :func:`clear`.
STALE_TMP_SECONDS = 3600.0
_TMP_RE = re.compile(r"^\..+\.tmp$")

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)\s*$", re.IGNORECASE)
_FIX = (f"set {ENV_VAR} to a size such as 2000000000, 2GB, 500MB or 4GiB; 0 or none never prunes; "
        f"unset it for the default ({DEFAULT_MAX_BYTES // 10**9} GB)")


@dataclass(frozen=True)
class Entry:
    """One cache entry on disk.

    Attributes
    ----------
    path : Path
        The entry's file (inside the cache directory).
    kind : str
        One of :data:`KINDS`.
    size : int
        Bytes on disk (``st_size``).
    last_used : float
        Last use, seconds since the epoch: ``max(st_mtime, st_atime)``, the write or the
        latest hit (:func:`touch`), whichever is later.
    """

    path: Path
    kind: str
    size: int
    last_used: float


def parse_max_bytes(text: str | None) -> int | None:
    """The bound ``text`` says, in bytes; ``None`` for no bound.

    Parameters
    ----------
    text : str or None
        ``None`` or blank: :data:`DEFAULT_MAX_BYTES`. ``0``, ``none``, ``off``: no bound (None).
        Else a non-negative number of bytes with an optional unit: ``B``; ``K``/``KB``, ``M``/``MB``,
        ``G``/``GB``, ``T``/``TB`` (powers of 1000); ``KiB``, ``MiB``, ``GiB``, ``TiB`` (of 1024),
        case-insensitive, e.g. ``2000000000``, ``2GB``, ``1.5 GiB``.

    Returns
    -------
    int or None

    Raises
    ------
    InputError
        Naming :data:`ENV_VAR`, the value and the fix, for anything else.
    """
    if text is None or not text.strip():
        return DEFAULT_MAX_BYTES
    t = text.strip().lower()
    if t in ("none", "off"):
        return None
    m = _SIZE_RE.match(t)
    if m is None or m.group(2) not in _UNITS:
        raise InputError(Problem(f"{text!r} is not a size in bytes", field=ENV_VAR, fix=_FIX))
    n = int(float(m.group(1)) * _UNITS[m.group(2)])
    return None if n == 0 else n


def max_bytes_from_env(env: Mapping[str, str] | None = None) -> int | None:
    """:func:`parse_max_bytes` of ``$TAILRACE_CACHE_MAX_BYTES`` (``env`` replaces ``os.environ``)."""
    return parse_max_bytes((os.environ if env is None else env).get(ENV_VAR))


def format_bytes(n: int | None) -> str:
    """``n`` bytes for a person: ``512 B``, ``3.2 kB``, ``48.6 MB``, ``2.00 GB`` (powers of 1000); None: ``no bound``."""
    if n is None:
        return "no bound"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}" if unit == "GB" else f"{n / scale:.1f} {unit}"
    return f"{n} B"


# ----------------------------------------------------------------------------- the rule


def choose_evictions(entries: Sequence[Entry], max_bytes: int | None, keep: Iterable[str | os.PathLike[str]] = ()
                     ) -> list[Entry]:
    """The entries to delete so the rest total at most ``max_bytes``: least recently used first.

    Parameters
    ----------
    entries : sequence of Entry
        Everything in the directory (:func:`list_entries`), any order.
    max_bytes : int or None
        The bound; None deletes nothing.
    keep : iterable of path
        Entries never deleted (the one just written), even when they alone exceed the bound.

    Returns
    -------
    list of Entry
        In deletion order: ascending ``last_used``, ties by path (so the choice does not depend on
        the listing's order). Empty when the total is within the bound.

    Notes
    -----
    The total counts every entry, kept ones too; when the kept entries alone exceed the bound
    every other entry is chosen and the total stays above it.
    """
    if max_bytes is None:
        return []
    kept = {os.fspath(p) for p in keep}
    total = sum(e.size for e in entries)
    out: list[Entry] = []
    for e in sorted(entries, key=lambda e: (e.last_used, os.fspath(e.path))):
        if total <= max_bytes:
            break
        if os.fspath(e.path) in kept:
            continue
        out.append(e)
        total -= e.size
    return out


# ----------------------------------------------------------------------------- the directory


def list_entries(directory: str | os.PathLike[str]) -> list[Entry]:
    """Every tailrace entry under ``directory`` (see :data:`KINDS`), sorted by path; [] when absent.

    Symlinks (files or kind subdirectories) are not followed nor listed; a file that vanishes
    while listed is left out.
    """
    out = [Entry(Path(de.path), kind, int(st.st_size), _last_used(st))
           for kind, (sub, pattern) in KINDS.items() for de, st in _files(Path(directory), sub, pattern)]
    out.sort(key=lambda e: os.fspath(e.path))
    return out


def _files(root: Path, sub: str, pattern: re.Pattern[str]) -> Iterator[tuple[os.DirEntry[str], os.stat_result]]:
    """The regular files (not symlinks) named by ``pattern`` in ``root / sub``, with their stat;
    nothing when the folder is absent or a symlink, and a file that vanishes meanwhile is skipped."""
    d = root / sub if sub else root
    if sub and (d.is_symlink() or not d.is_dir()):
        return
    try:
        it = os.scandir(d)
    except OSError:
        return
    with it:
        for de in it:
            if not pattern.match(de.name):
                continue
            try:
                if de.is_file(follow_symlinks=False):
                    yield de, de.stat(follow_symlinks=False)
            except OSError:
                continue


def _last_used(st: os.stat_result) -> float:
    return float(max(st.st_mtime, st.st_atime))


def summarize(entries: Iterable[Entry]) -> dict[str, tuple[int, int]]:
    """``{kind: (count, bytes)}`` for every kind of :data:`KINDS` (zeros included), in their order."""
    out = {k: (0, 0) for k in KINDS}
    for e in entries:
        n, b = out[e.kind]
        out[e.kind] = (n + 1, b + e.size)
    return out


def _unlink_if_unchanged(e: Entry) -> bool:
    """Delete ``e`` unless it changed since listed (rewritten or read by another process)."""
    try:
        st = os.stat(e.path, follow_symlinks=False)
        if st.st_size != e.size or _last_used(st) != e.last_used:
            return False
        os.unlink(e.path)
        return True
    except OSError:  # gone already, or held open where that forbids it (Windows): skip it
        return False


def prune(directory: str | os.PathLike[str], max_bytes: int | None,
          keep: Iterable[str | os.PathLike[str]] = ()) -> list[Entry]:
    """Delete least recently used entries under ``directory`` until they total at most ``max_bytes``.

    Parameters
    ----------
    directory : path
        The cache directory.
    max_bytes : int or None
        The bound; None prunes nothing (and lists nothing).
    keep : iterable of path
        Entries never deleted (pass the one just written).

    Returns
    -------
    list of Entry
        The entries deleted. An entry that changed since it was listed (another process rewrote
        or read it) or cannot be deleted is skipped, not retried.
    """
    if max_bytes is None:
        return []
    chosen = choose_evictions(list_entries(directory), max_bytes, keep)
    return [e for e in chosen if _unlink_if_unchanged(e)]


def clear(directory: str | os.PathLike[str], now: float | None = None,
          kinds: Iterable[str] | None = None) -> list[Entry]:
    """Delete every tailrace entry under ``directory`` and temp files older than an hour.

    A younger temp file may be a write in progress and is left; lock files (empty, possibly held
    by a live process) and anything not named as an entry are left (a user's own ``.npz`` beside
    the scenario sets among them). ``kinds`` (names of :data:`KINDS`; default all) limits both to
    those kinds' folders. Returns the entries deleted.
    """
    chosen = tuple(KINDS) if kinds is None else tuple(kinds)
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown cache kind(s) {unknown}; known: {list(KINDS)}")
    gone = [e for e in list_entries(directory) if e.kind in chosen and _unlink(e.path)]
    t = time.time() if now is None else now
    for sub, _ in (KINDS[k] for k in chosen):
        for de, st in _files(Path(directory), sub, _TMP_RE):
            if t - st.st_mtime > STALE_TMP_SECONDS:
                _unlink(Path(de.path))
    return gone


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


def touch(path: str | os.PathLike[str]) -> None:
    """Mark ``path`` as just used after a cache hit: its atime to now, its mtime (the write's) kept.

    Set explicitly, so it holds on ``noatime``/``relatime`` mounts too. A vanished or read-only
    file is ignored (recency is a hint, never an error).
    """
    try:
        st = os.stat(path)
        os.utime(path, ns=(time.time_ns(), st.st_mtime_ns))
    except OSError:
        pass
