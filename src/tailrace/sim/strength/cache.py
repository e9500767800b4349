"""Strength fits cached on disk by content, so a slate's projections are fitted once per seed.

``resolve_strengths`` fits strengths whose simulated means match the projections (or the odds
markets): a few pilot simulations of 4,000 to 20,000 races, about a third of a 100,000-scenario
``simulate``. The fit depends only on the slate, the track, the race parameters, the seed and
``allow_shift`` (and the code). ``cached_strengths`` keys those by the scenario cache's rule
(``sim.cache.scenario_key``) plus a digest of the source files the fit runs, and keeps the
answer (strengths, source label, warnings) as a small JSON file in ``<cache dir>/strengths/``
(``TAILRACE_CACHE_DIR`` or ``~/.cache/tailrace/scenarios``). Floats round-trip through JSON
exactly, so a hit gives the very strengths the fit gave: the same scenarios, byte for byte.
A fit that raises (an input error) is not cached; an unreadable or unwritable cache is never an
error: the fit runs and the result is returned uncached.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from tailrace.outputs import atomic_write_text
from tailrace.sim.keys import default_cache_dir, scenario_key, source_digest
from tailrace.sim.track_params import TrackTypeParams
from tailrace.sim.cache_prune import touch
from tailrace.sim.strength import from_slate
from tailrace.tracks import Track
from tailrace.rng import stream

log = logging.getLogger(__name__)

STRENGTH_FORMAT = 1


def strength_cache_dir() -> Path:
    """Where strength fits are kept: ``strengths/`` inside the scenario cache directory."""
    return default_cache_dir() / "strengths"


# the modules whose source the strength key hashes, in hashing order
_CODE = tuple(f"tailrace.{m}" for m in ("sim.strength.from_slate", "sim.race", "sim.params", "sim.scoring", "sites",
                                        "rng", "sim.track_params", "sim.pool_model"))


def _code_digest() -> str:
    """sha256 of the source files the fit runs (an edit to any invalidates every cached fit).

    The files are hashed by content, not by path: moving ``from_slate.py`` (formerly
    ``sim/strength.py``) into this package left every key as it was. ``sim/params.py`` only
    re-exports since it was split: the terms and shapes the fit and the race run live in
    ``track_params.py`` and ``pool_model.py``, so those are hashed too."""
    return source_digest(_CODE)


def strength_key(slate, track: Track, params: TrackTypeParams, seed: int, stream_key: int, allow_shift: bool) -> str:
    """Content key of one strength fit."""
    return scenario_key(kind="strengths", format=STRENGTH_FORMAT, slate=slate, track=track, params=params,
                        seed=int(seed), stream=int(stream_key), allow_shift=bool(allow_shift), code=_code_digest())


def cached_strengths(slate, track: Track, params: TrackTypeParams, seed: int, stream_key: int, *,
                     allow_shift: bool = False) -> tuple[np.ndarray, str, list[str]]:
    """``resolve_strengths(slate, track, params, seed=stream(seed, stream_key), allow_shift=...)``,
    read from the disk cache when fitted before.

    Parameters
    ----------
    slate : Slate
        The slate (drivers, starts, projections, odds, site).
    track, params : Track, TrackTypeParams
        The race the pilots simulate.
    seed : int
        The simulation's seed; the fit draws from ``tailrace.rng.stream(seed, stream_key)``.
    stream_key : int
        The stream key of the strength fit (``tailrace.sim.simulate._STRENGTH_KEY``).
    allow_shift : bool
        As for ``resolve_strengths``.

    Returns
    -------
    strength : ndarray of shape (n_drivers,)
        Log-strength per driver, float64, exactly what the fit returns.
    source : str
        The source label.
    warnings : list of str
        The fit's warnings.
    """

    try:
        key = strength_key(slate, track, params, seed, stream_key, allow_shift)
    except TypeError as exc:  # something in the slate the key cannot hold: no cache
        log.warning("strength cache: cannot key this slate (%s); fitting without the cache", exc)
        return from_slate.resolve_strengths(slate, track, params, seed=stream(seed, stream_key),
                                            allow_shift=allow_shift)
    path = strength_cache_dir() / f"{key}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("key") == key:
            touch(path)  # last use, for the cache directory's LRU bound (sim/cache_prune.py)
            return np.array(doc["strength"], dtype=np.float64), str(doc["source"]), [str(w) for w in doc["warnings"]]
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("strength cache: ignoring unreadable %s (%s)", path, exc)
    strength, source, warnings = from_slate.resolve_strengths(slate, track, params, seed=stream(seed, stream_key),
                                                              allow_shift=allow_shift)
    doc = {"format": STRENGTH_FORMAT, "key": key, "source": source, "warnings": list(warnings),
           "strength": [float(x) for x in np.asarray(strength, dtype=np.float64)]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(doc, indent=1) + "\n")
    except OSError as exc:
        log.warning("strength cache: cannot write %s (%s); the fit is not cached", path, exc)
    return strength, source, warnings
