"""The calibrated field sampler's weights, cached on disk by content, so a field's pilot runs once.

``sample_field`` calibrates its log-weights in up to a dozen multiplicative rounds, each drawing
a pilot of up to 20,000 lineups: about twelve times the work of drawing the field itself. The
weights depend only on the target ownership, the salaries, the roster and salary rules, the
sampler's knobs (rounds, pilot size, strict share) and the generator's state when calibration
starts (the seed), and on the sampler's code. :func:`calibrated_weights` keys those by the
scenario cache's rule less the race model's version (``sim.keys.content_key``: a sha256 of their
canonical JSON with tailrace's version; the race model decides nothing here, and keying by it
would load the simulator into a command that reads its scenarios from a file) plus a digest of
``contest/field.py`` and numpy's version, and keeps a small JSON file in ``<cache dir>/fields/``
(``TAILRACE_CACHE_DIR`` or ``~/.cache/tailrace/scenarios``) holding the weights and the
generator's state after the pilot rounds. A hit returns those weights and puts the generator where the pilot left it, so the
field drawn next is the very same, byte for byte. Floats and the generator's integers
round-trip through JSON exactly. An unreadable, mismatched or unwritable entry is never an
error: the calibration runs and its result is returned (and written when it can be).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tailrace.outputs import atomic_write_text
from tailrace.sim.cache_prune import touch
from tailrace.sim.keys import content_key, default_cache_dir, source_digest

log = logging.getLogger(__name__)

FIELD_FORMAT = 1


def field_cache_dir() -> Path:
    """Where field weights are kept: ``fields/`` inside the scenario cache directory."""
    return default_cache_dir() / "fields"


def _code_digest() -> str:
    """sha256 of the sampler's source (``contest/field.py``: the draws, the Gumbel noise, the
    calibration rounds) and numpy's version (its exponential stream), so an edit to either
    invalidates every cached entry without a hand-kept version number."""
    # the sampler's file, found, not imported (field.py imports this module)
    return source_digest(("tailrace.contest.field",), np.__version__.encode("ascii"))


def weights_key(
    target: np.ndarray, salaries: np.ndarray, roster_size: int, salary_cap: int, lo: int, lo2: int,
    strict_share: float, rounds: int, pilot: int, state: dict[str, Any],
) -> str:
    """Content key of one calibration: its inputs, the generator's state at its start and the code.

    Parameters
    ----------
    target : ndarray of shape (n,)
        Target ownership shares in [0, 1], float64.
    salaries : ndarray of shape (n,)
        Salary per driver, int64.
    roster_size, salary_cap, lo, lo2 : int
        Roster size, cap, and the strict and loose salary floors.
    strict_share : float
        Share of entries held to ``lo``.
    rounds, pilot : int
        Calibration rounds and the pilot's size (after its clamp to the field size).
    state : dict
        ``generator.bit_generator.state`` when calibration starts.
    """
    return content_key(kind="field-weights", format=FIELD_FORMAT, target=np.asarray(target, dtype=np.float64),
                        salaries=np.asarray(salaries, dtype=np.int64), roster_size=int(roster_size),
                        salary_cap=int(salary_cap), lo=int(lo), lo2=int(lo2), strict_share=float(strict_share),
                        rounds=int(rounds), pilot=int(pilot), state=json.dumps(state, sort_keys=True),
                        code=_code_digest())


def _load(path: Path, key: str, n: int, bit_generator: str) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The entry at ``path`` as (log-weights (n,), generator state), or None when absent or unusable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["key"] != key:
            raise ValueError("its key does not match its name")
        logw = np.array([float(x) for x in doc["logw"]], dtype=np.float64)
        state = doc["state"]
        if logw.shape != (n,) or state["bit_generator"] != bit_generator:
            raise ValueError("its weights or generator do not fit this field")
        return logw, state
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("field cache: ignoring unreadable %s (%s)", path, exc)
        return None


def calibrated_weights(
    calibrate: Callable[[], np.ndarray],
    g: np.random.Generator,
    *,
    target: np.ndarray,
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    lo: int,
    lo2: int,
    strict_share: float,
    rounds: int,
    pilot: int,
    directory: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """``calibrate()`` (which draws from ``g``), or its cached result with ``g`` moved as it would have.

    Parameters
    ----------
    calibrate : callable
        Runs the pilot rounds, drawing from ``g``; returns the log-weights, shape (n,).
    g : numpy.random.Generator
        The sampler's generator. On a hit its state is set to the one the pilot rounds left.
    target, salaries, roster_size, salary_cap, lo, lo2, strict_share, rounds, pilot
        Everything the calibration depends on, as for :func:`weights_key`.
    directory : path or None
        Cache directory; default :func:`field_cache_dir`.

    Returns
    -------
    ndarray of shape (n,)
        The log-weights, float64, exactly what ``calibrate`` returns. An error ``calibrate``
        raises is raised and nothing is stored.
    """
    state0 = g.bit_generator.state
    n = int(np.asarray(target).shape[0])
    try:
        key = weights_key(target, salaries, roster_size, salary_cap, lo, lo2, strict_share, rounds, pilot, state0)
    except TypeError as exc:  # a generator state the key cannot hold: no cache
        log.warning("field cache: cannot key this generator (%s); calibrating without the cache", exc)
        return calibrate()
    path = (Path(directory) if directory is not None else field_cache_dir()) / f"{key}.json"
    hit = _load(path, key, n, str(state0["bit_generator"]))
    if hit is not None:
        touch(path)  # last use, for the cache directory's LRU bound (sim/cache_prune.py)
        g.bit_generator.state = hit[1]
        return hit[0]
    logw = np.asarray(calibrate(), dtype=np.float64)
    doc = {"format": FIELD_FORMAT, "key": key, "logw": [float(x) for x in logw], "state": g.bit_generator.state}
    try:
        atomic_write_text(path, json.dumps(doc, indent=1) + "\n")
    except OSError as exc:
        log.warning("field cache: cannot write %s (%s); the weights are not cached", path, exc)
    return logw
