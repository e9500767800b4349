"""Content keys for everything tailrace caches on disk, and where the caches live.

A key is the sha256 of a canonical JSON of everything that decides the numbers plus
``tailrace.__version__`` and the race model's version (``tailrace.sim.version.MODEL_VERSION``):
same inputs, same key, in any process on any machine. The scenario cache
(:mod:`tailrace.sim.cache`), the track-parameter fit cache (:mod:`tailrace.sim.fit_cache`) and
the strength-fit cache (:mod:`tailrace.sim.strength.cache`) all key by this one rule; the
contest field's weight cache (:mod:`tailrace.contest.field_cache`) by the same rule less the race
model's version (:func:`content_key`). The module imports nothing of the simulator, so any cache
may use it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import importlib.util
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import tailrace
from tailrace.slate import Slate
from tailrace.sim import version as _version

__all__ = ["KEY_FORMAT", "canonical", "content_key", "default_cache_dir", "model_version", "scenario_key",
           "simulation_key"]

#: Version of the key's canonical JSON layout below.
KEY_FORMAT = 1
# Fields left out of a dataclass's key: where a slate was read from, and which salary rows it
# left out, do not change its simulation (keys made before ``left_out`` existed stay valid).
_KEY_EXCLUDE: dict[type, frozenset[str]] = {Slate: frozenset({"source", "notes", "left_out"})}


def canonical(obj: Any) -> Any:
    """``obj`` as plain JSON data, the same for equal content (arrays by dtype, shape, bytes).

    Dicts are keyed by string (sorted when dumped), tuples become lists, numpy arrays become
    ``{"__ndarray__": dtype, "shape": ..., "sha256": ...}``, dataclasses and pydantic models
    their fields. Anything else raises TypeError rather than being keyed by a ``repr`` that
    might change between runs.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, np.generic):
        return canonical(obj.item())
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError("cannot key an object array; convert it to numbers or strings")
        a = np.ascontiguousarray(obj)
        return {
            "__ndarray__": a.dtype.str,
            "shape": list(a.shape),
            "sha256": hashlib.sha256(a.view(np.uint8).reshape(-1) if a.size else b"").hexdigest(),
        }
    if isinstance(obj, enum.Enum):
        return canonical(obj.value)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return {"__bytes__": hashlib.sha256(bytes(obj)).hexdigest()}
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        skip = _KEY_EXCLUDE.get(type(obj), frozenset())
        return {
            "__dataclass__": type(obj).__qualname__,
            "fields": {f.name: canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name not in skip},
        }
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        return {"__model__": type(obj).__qualname__, "fields": canonical(obj.model_dump(mode="python"))}
    if isinstance(obj, Mapping):
        if all(isinstance(k, str) for k in obj):
            return {k: canonical(v) for k, v in obj.items()}
        pairs = [[canonical(k), canonical(v)] for k, v in obj.items()]
        return {"__items__": sorted(pairs, key=lambda p: _dumps(p[0]))}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return {"__set__": sorted((canonical(v) for v in obj), key=_dumps)}
    raise TypeError(f"cannot build a cache key from {type(obj).__name__}; pass plain data, arrays or dataclasses")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def model_version() -> str:
    """The race model's version, ``tailrace.sim.version.MODEL_VERSION`` (one source of truth).

    Read on each call, so a changed version changes every key; its module holds nothing else,
    so making a key (a cache hit) never loads the numba kernels.
    """

    return str(_version.MODEL_VERSION)


def scenario_key(**parts: Any) -> str:
    """Content key for a scenario set: sha256 hex of a canonical JSON of ``parts`` and versions.

    The hashed text is ``{"format": KEY_FORMAT, "model": model_version(), "parts": {...},
    "tailrace": tailrace.__version__}`` dumped with sorted keys and no spaces, each part
    through :func:`canonical`. Pass everything that decides the numbers, e.g.
    ``scenario_key(slate=slate, strengths=s, params=p, n_scenarios=10_000, seed=7)``.
    """
    return _key({"model": model_version()}, parts)


def content_key(**parts: Any) -> str:
    """:func:`scenario_key`'s rule without the race model's version, for what the race model does
    not decide (the contest field sampler's weights): sha256 hex of ``{"format": KEY_FORMAT,
    "parts": {...}, "tailrace": tailrace.__version__}``. It imports nothing of the simulator (no
    numba kernels, no scipy), so a command that reads its scenarios from a file stays light.
    """
    return _key({}, parts)


def _key(extra: dict[str, str], parts: dict[str, Any]) -> str:
    doc = {
        "format": KEY_FORMAT,
        **extra,
        "parts": {name: canonical(value) for name, value in parts.items()},
        "tailrace": tailrace.__version__,
    }
    return hashlib.sha256(_dumps(doc).encode("ascii")).hexdigest()


def simulation_key(
    slate: Slate,
    n_scenarios: int,
    seed: int,
    *,
    track: Any = None,
    params: Any = None,
    strengths: Any = None,
    history: Any = None,
    history_weight: float | None = None,
    allow_shift: bool = False,
) -> str:
    """The scenario cache's key for one simulation: the one recipe every face keys by.

    The parts are everything that decides the numbers of ``tailrace.sim.simulate.simulate``
    with these arguments: the slate (its content, not where it was read from), the count, the
    seed, the track (name, type or ``Track``), the model parameters, the strengths (as float64,
    shape (n_drivers,)) and, only when given, the history's content key (``history.key``) with
    its weight, and ``allow_shift`` only when set, so keys made before either existed stay
    valid. Where the simulation runs (executor, progress) is not a part: the same bytes anywhere.

    Parameters
    ----------
    slate : Slate
    n_scenarios, seed : int
    track : str or Track, optional
    params : dict of TrackTypeParams or TrackTypeParams, optional
    strengths : array-like of shape (n_drivers,), optional
    history : HistoryModel, optional
        Anything with a content ``key`` attribute.
    history_weight : float, optional
    allow_shift : bool

    Returns
    -------
    str
        64 hex digits (:func:`scenario_key` of the parts).
    """
    parts: dict[str, Any] = dict(slate=slate, n_scenarios=int(n_scenarios), seed=int(seed), track=track,
                                 params=params,
                                 strengths=None if strengths is None else np.asarray(strengths, np.float64))
    if history is not None:
        parts.update(history=history.key, history_weight=history_weight)
    if allow_shift:
        parts["allow_shift"] = True
    return scenario_key(**parts)


def default_cache_dir() -> Path:
    """``$TAILRACE_CACHE_DIR`` if set, else ``~/.cache/tailrace/scenarios``."""
    env = os.environ.get("TAILRACE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tailrace" / "scenarios"


@functools.lru_cache(maxsize=None)
def source_digest(modules: tuple[str, ...], extra: bytes = b"") -> str:
    """sha256 of the source files of ``modules`` (dotted names, in that order) and then ``extra``.

    The code a cached result came from, as part of its key: an edit to any of those files
    invalidates every entry without a hand-kept version number. The files are found, not
    imported (``importlib.util.find_spec``), so hashing a module never loads what it imports, and
    hashed by content, so moving a file keeps every key. Computed once per process.
    """
    h = hashlib.sha256()
    for name in modules:
        h.update(Path(importlib.util.find_spec(name).origin).read_bytes())
    h.update(extra)
    return h.hexdigest()

