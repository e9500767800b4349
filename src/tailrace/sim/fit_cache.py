"""Track-type parameter fits cached on disk by content, so each history is fitted once.

``fit_track_type_params`` takes about a minute on two cores and depends only on the races it
is given, the fallback table and the fitter's code. ``fitted_params`` keys those by the same
rule as the scenario cache (``sim.cache.scenario_key``: a sha256 of their canonical JSON with
the race model's and tailrace's versions) plus a digest of the fitter's source files, and keeps
the result as a small JSON file in ``<cache dir>/fits/`` (``TAILRACE_CACHE_DIR`` or
``~/.cache/tailrace/scenarios``). A second run, another process or another test worker reads it
back instead of fitting again; a per-key file lock makes concurrent callers wait for the one
that fits. Floats round-trip through JSON exactly, so a hit returns the very parameters the fit
gave. An unreadable or unwritable cache is never an error: the fit runs and the result is
returned uncached.

``fitted_params`` is ``fit_entry(look_up(...))``: ``look_up`` builds the key and reads the entry
once, ``fit_entry`` fits what was not there. A caller that first asks what is cached
(``calibration``, to fit the missing ones side by side) keeps the looked-up entries, so each fit's
key is built once and its file read once (a miss is read once more, under the lock).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock
from filelock import Timeout as LockTimeout

from tailrace.outputs import atomic_write_text
from tailrace.sim.cache_prune import touch
from tailrace.sim.keys import default_cache_dir, scenario_key, source_digest
from tailrace.sim.params import RaceRecord, TrackTypeParams, fit_track_type_params

log = logging.getLogger(__name__)

FIT_FORMAT = 1
_LOCK_TIMEOUT = 900.0


def fit_cache_dir() -> Path:
    """Where fits are kept: ``fits/`` inside the scenario cache directory."""
    return default_cache_dir() / "fits"


#: The fitter's source (params.py and the modules it gathers, its compiled helpers and the race
#: kernel it replays): part of every fit's key.
_FITTER = tuple(f"tailrace.sim.{m}" for m in ("params", "track_params", "pool_model", "fit_order", "fit_pools",
                                              "fit_track", "default_params", "fit_kernels", "race"))


def _fitter_digest() -> str:
    """sha256 of the fitter's source (:data:`_FITTER`), so an edit to any invalidates every cached
    fit without a hand-kept version number."""
    return source_digest(_FITTER)


def fit_key(records: Sequence[RaceRecord], fallback: dict[str, TrackTypeParams] | None) -> str:
    """Content key of a fit: the races, the fallback table (``None``: the shipped defaults) and the fitter."""
    fb = None if fallback is None else {k: fallback[k] for k in sorted(fallback)}
    return scenario_key(kind="track-type-params", format=FIT_FORMAT, records=list(records), fallback=fb,
                        fitter=_fitter_digest())


def _load(path: Path) -> dict[str, TrackTypeParams] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {t: TrackTypeParams(**row) for t, row in doc["params"].items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("fit cache: ignoring unreadable %s (%s)", path, exc)
        return None


def _store(path: Path, key: str, fitted: dict[str, TrackTypeParams]) -> None:
    doc = {"format": FIT_FORMAT, "key": key,
           "params": {t: dataclasses.asdict(p) for t, p in sorted(fitted.items())}}
    try:
        atomic_write_text(path, json.dumps(doc, sort_keys=True, indent=1) + "\n")
    except OSError as exc:
        log.warning("fit cache: cannot write %s (%s); the fit is not cached", path, exc)


@dataclasses.dataclass(frozen=True)
class FitEntry:
    """One fit's place in the cache, looked up once (:func:`look_up`).

    Attributes
    ----------
    records : list of RaceRecord
        The races to fit on.
    fallback : dict or None
        As for ``fit_track_type_params``.
    key : str
        :func:`fit_key` of the two.
    path : Path
        The entry's file.
    params : dict of str to TrackTypeParams, or None
        What the cache held when looked up (None: nothing readable; :func:`fit_entry` fits it).
    """

    records: list[RaceRecord]
    fallback: dict[str, TrackTypeParams] | None
    key: str
    path: Path
    params: dict[str, TrackTypeParams] | None


def look_up(records: Sequence[RaceRecord], fallback: dict[str, TrackTypeParams] | None = None, *,
            directory: str | os.PathLike[str] | None = None) -> FitEntry:
    """Build the fit's key and read its cache entry, once each, without fitting.

    A caller that decides what to fit from what is cached (``calibration``) keeps the entry and
    hands it to :func:`fit_entry`, so neither the key (a hash of every race) nor the file is
    made or read again. A hit is marked as just used, for the cache directory's LRU bound
    (``sim/cache_prune.py``).

    Parameters
    ----------
    records, fallback, directory
        As for :func:`fitted_params`.

    Returns
    -------
    FitEntry
    """
    recs = list(records)
    key = fit_key(recs, fallback)
    d = Path(directory) if directory is not None else fit_cache_dir()
    path = d / f"{key}.json"
    hit = _load(path)
    if hit is not None:
        touch(path)
    return FitEntry(recs, fallback, key, path, hit)


def fit_entry(entry: FitEntry) -> dict[str, TrackTypeParams]:
    """The entry's parameters: the cached ones when :func:`look_up` found them, else fitted now
    under the key's file lock (read again under the lock first: another process may have fitted it
    meanwhile) and stored. Safe to call in a worker process (the entry pickles)."""
    if entry.params is not None:
        return entry.params
    d, key, path = entry.path.parent, entry.key, entry.path
    try:
        d.mkdir(parents=True, exist_ok=True)
        lock: FileLock | None = FileLock(str(d / f"{key}.lock"), timeout=_LOCK_TIMEOUT)
        lock.acquire()
    except (OSError, LockTimeout) as exc:
        log.warning("fit cache: cannot lock %s (%s); fitting without the cache", d, exc)
        lock = None
    try:
        hit = _load(path) if lock is not None else None  # another process may have fitted it meanwhile
        if hit is not None:
            return hit
        fitted = fit_track_type_params(entry.records, fallback=entry.fallback)
        if lock is not None:
            _store(path, key, fitted)
        return fitted
    finally:
        if lock is not None:
            lock.release()


def fitted_params(
    records: Sequence[RaceRecord],
    fallback: dict[str, TrackTypeParams] | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
) -> dict[str, TrackTypeParams]:
    """``fit_track_type_params(records, fallback)``, read from the disk cache when fitted before.

    Parameters
    ----------
    records : sequence of RaceRecord
        The races to fit on (their order matters to the key, as it does to nothing else).
    fallback : dict or None
        Parameters for types with too few races, as for ``fit_track_type_params``.
    directory : path or None
        Cache directory; default :func:`fit_cache_dir`.

    Returns
    -------
    dict of str to TrackTypeParams
        Exactly what the fit returns (the cached copy round-trips float for float).
    """
    return fit_entry(look_up(records, fallback, directory=directory))
