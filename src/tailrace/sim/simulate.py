"""Simulate a slate: track, strengths, the race model, scoring -> Scenarios.

Public API (stable)::

    simulate(slate, n_scenarios, seed, *, track=None, params=None, strengths=None,
             history=None, history_weight=None, progress=None, chunk=65536, executor=None) -> Scenarios
    resolve_slate_track(slate, track=None) -> Track
    invariant_checks(scenarios, site, start) -> dict[str, bool]   # includes "passed"

Randomness: scenarios are made in blocks of ``BLOCK`` (8,192); block b draws from
``SeedSequence(seed, spawn_key=(b,))``, so the bytes depend only on (inputs, seed, count), never
on ``chunk`` (how many scenarios go to one kernel call between progress calls; rounded to whole
blocks) or the thread count; a shorter run is a prefix of a longer one with the same seed.
Strength fitting (projections / odds) uses its own stream ``SeedSequence(seed, spawn_key=(2**30,))``.

``meta`` keys: seed, n_scenarios, track, track_type, race_laps, fl_pool, params (dict),
strength_source, strength (list), warnings, seconds, block, model; with a history also
``history`` {"file", "key", "races", "weight", "weight_how", "unknown_drivers"}.

With ``history`` (a :class:`tailrace.sim.strength.from_history.HistoryModel`) the strengths come
from its ratings; when the slate also has projections, odds or ratings, the two are blended
(``history_weight``, the history's share, default 0.5; drivers the history does not know
keep the user's numbers). The salary fallback is never used then.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from tailrace.distributed import Executor, LocalExecutor
from tailrace.errors import InputError, Problem
from tailrace.rng import as_generator, stream
from tailrace.sim.default_params import DEFAULT_PARAMS
from tailrace.sim.track_params import TrackTypeParams
from tailrace.sim.race import fl_pool_size, simulate_blocks
from tailrace.sim.version import MODEL_VERSION
from tailrace.sim.scenarios import Scenarios
from tailrace.sim.scoring import score_outcomes
from tailrace.sim.strength.from_slate import PRIORITY
from tailrace.sim.strength.cache import cached_strengths
from tailrace.tracks import TRACK_TYPES, Track
from tailrace.sites import SiteRules
from tailrace.races import resolve_track_or_race
from tailrace.sim.strength.blend import blend, blend_weight

if TYPE_CHECKING:  # the history model (and scipy.sparse under it) loads only when a history is given
    from tailrace.sim.strength.from_history import HistoryModel

BLOCK = 8192
_STRENGTH_KEY = 2**30


def resolve_slate_track(slate, track: str | Track | None = None) -> Track:
    """The race's Track: the ``track`` argument (name or bare type), else the slate's, else InputError."""
    if isinstance(track, Track):
        return track

    race = getattr(slate, "race", None)
    season = getattr(race, "season", None)
    text = track if track else getattr(slate, "track", None)
    if not text:
        raise InputError(Problem(
            "the track is not known: the salary file does not name it",
            param="track",
            fix=("pass {track} with a track name or a bare type, e.g. {track=Kansas}, "
                 f"{{track=Talladega Superspeedway}} or {{track=intermediate}} ({', '.join(TRACK_TYPES)})"),
        ))
    return resolve_track_or_race(str(text), season)[0]


def _params_for(track: Track, params) -> TrackTypeParams:
    if isinstance(params, TrackTypeParams):
        return params
    table = DEFAULT_PARAMS if params is None else params
    return table[track.track_type]


def simulate(
    slate,
    n_scenarios: int,
    seed: int,
    *,
    track: str | Track | None = None,
    params: dict[str, TrackTypeParams] | TrackTypeParams | None = None,
    strengths: np.ndarray | None = None,
    history: HistoryModel | None = None,
    history_weight: float | None = None,
    allow_shift: bool = False,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 65536,
    executor: Executor | None = None,
) -> Scenarios:
    """Simulate ``n_scenarios`` races of the slate and score them with its site's rules.

    ``strengths`` (optional, log-strength per driver in slate order) overrides the slate's own
    sources; ``progress(done, total)`` is called after every chunk (``done`` scenarios finished).
    ``executor`` (a ``tailrace.distributed`` executor, default local) runs the chunks, one task
    each (``simulate_chunk``); the matrix is assembled here, the same bytes for any executor,
    worker count and ``chunk``.
    """
    t0 = time.perf_counter()
    n_scenarios = int(n_scenarios)
    if n_scenarios < 1:
        raise InputError(Problem("the scenario count must be at least 1", param="n_scenarios",
                                 fix="pass a positive {n_scenarios}, e.g. {n_scenarios=10000}"))
    trk = resolve_slate_track(slate, track)
    p = _params_for(trk, params)
    try:
        start = slate.starts()
    except ValueError as exc:
        raise InputError(Problem(f"start positions are needed to simulate: {exc}", field="start",
                                 fix="give every driver a start in the projections file (column 'start')")) from None
    n = slate.n
    warnings: list[str] = []
    history_meta: dict | None = None
    if strengths is not None:
        strength = np.asarray(strengths, dtype=np.float64)
        if strength.shape != (n,):
            raise InputError(Problem(f"strengths must have one value per driver ({n})", field="strengths"))
        source = "given"
    elif history is not None:
        strength, source, warnings, history_meta = _history_strengths(slate, trk, p, seed, history, history_weight,
                                                                      allow_shift)
    else:
        strength, source, warnings = cached_strengths(slate, trk, p, seed, _STRENGTH_KEY, allow_shift=allow_shift)

    finish = np.empty((n_scenarios, n), dtype=np.int16)
    led = np.empty_like(finish)
    fl = np.empty_like(finish)
    done = np.empty_like(finish)
    dnf = np.empty((n_scenarios, n), dtype=np.bool_)
    points = np.empty((n_scenarios, n), dtype=np.float32)
    chunk = max(BLOCK, (int(chunk) // BLOCK) * BLOCK)
    pool = fl_pool_size(trk.laps, p)
    n_blocks = (n_scenarios + BLOCK - 1) // BLOCK
    per_chunk = chunk // BLOCK
    tasks = [(b0, min(b0 + per_chunk, n_blocks)) for b0 in range(0, n_blocks, per_chunk)]
    task = partial(simulate_chunk, strength=strength, start=start, track=trk, params=p, seed=int(seed),
                   n_scenarios=n_scenarios, site=slate.site)
    ran = 0
    for i, (f_, l_, fl_, d_, dnf_, pts_) in (executor or LocalExecutor()).imap(task, tasks):
        lo = tasks[i][0] * BLOCK
        sl = slice(lo, lo + pts_.shape[0])
        finish[sl], led[sl], fl[sl], done[sl], dnf[sl], points[sl] = f_, l_, fl_, d_, dnf_, pts_
        ran += pts_.shape[0]
        if progress is not None:
            progress(ran, n_scenarios)
    meta = {
        "seed": int(seed),
        "n_scenarios": n_scenarios,
        "track": trk.name,
        "track_type": trk.track_type,
        "race_laps": int(trk.laps),
        "fl_pool": int(pool),
        "params": p.to_dict(),
        "strength_source": source,
        "strength": [float(x) for x in strength],
        "warnings": list(warnings),
        "block": BLOCK,
        "model": MODEL_VERSION,
        "seconds": time.perf_counter() - t0,
    }
    if history_meta is not None:
        meta["history"] = history_meta
    return Scenarios(points=points, driver_ids=tuple(slate.ids), finish=finish, laps_led=led,
                     fastest_laps=fl, laps_completed=done, dnf=dnf, meta=meta)


def simulate_chunk(
    blocks: tuple[int, int],
    *,
    strength: np.ndarray,
    start: np.ndarray,
    track: Track,
    params: TrackTypeParams,
    seed: int,
    n_scenarios: int,
    site: SiteRules,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Blocks ``blocks[0] .. blocks[1] - 1`` of a run of ``n_scenarios`` (one executor task; pure).

    Parameters
    ----------
    blocks : (first block, end block); block b covers scenarios [b * BLOCK, min((b + 1) * BLOCK,
        n_scenarios)) and draws from ``SeedSequence(seed, spawn_key=(b,))``.
    strength, start : ndarray of shape (n,), log-strength and 1-based start positions.

    Returns
    -------
    finish, laps_led, fastest_laps, laps_completed : ndarray of shape (s, n), int16
    dnf : ndarray of shape (s, n), bool
    points : ndarray of shape (s, n), float32 (the site's scoring)
        with s the scenarios of those blocks.
    """
    chunk = []
    for b in range(blocks[0], blocks[1]):
        size = min(BLOCK, n_scenarios - b * BLOCK)
        gen = as_generator(stream(seed, b), "sfc64")
        chunk.append((gen, size, BLOCK))
    out = simulate_blocks(strength, start, track, params, chunk)
    return (out.finish, out.laps_led, out.fastest_laps, out.laps_completed, out.dnf,
            score_outcomes(site, start, out))


def _history_strengths(slate, trk: Track, p: TrackTypeParams, seed: int, history: HistoryModel,
                       history_weight: float | None, allow_shift: bool = False
                       ) -> tuple[np.ndarray, str, list[str], dict]:
    """Strengths from the history's ratings, blended with the slate's own numbers if it has any."""

    hs = history.strengths(slate.names, slate.starts(), trk.track_type, p,
                           team=[d.team for d in slate.drivers], make=[d.manufacturer for d in slate.drivers])
    warnings = list(hs.warnings)
    user_source = next((s for s in PRIORITY[:-1] if any(getattr(d, s) is not None for d in slate.drivers)), None)
    if user_source is None:
        weight, how = 1.0, "history only (the slate has no projections, odds or ratings)"
        strength = hs.strength - hs.strength.mean()
        source = f"history {history.describe()}"
    else:
        user, user_label, user_warnings = cached_strengths(slate, trk, p, seed, _STRENGTH_KEY,
                                                           allow_shift=allow_shift)
        warnings += user_warnings
        if not hs.known.any():
            weight, how = 0.0, "none of the slate's drivers is in the history: the user's numbers alone"
        else:
            weight, how = blend_weight(history_weight)
        strength = blend(hs.strength, user, hs.known, weight)
        source = f"history {history.describe()} blended with {user_label}, history weight {weight:.2f}"
    if history.scope:
        warnings.append(f"history: {history.scope}")
    if history.notes:
        warnings.append(f"history {Path(history.source).name}: {len(history.notes)} row(s) skipped or "
                        f"filled ({history.notes[0]}{'; ...' if len(history.notes) > 1 else ''})")
    meta = {"file": Path(history.source).name, "key": history.key, "races": history.n_races,
            "weight": round(float(weight), 4), "weight_how": how, "unknown_drivers": list(hs.unknown)}
    return strength, source, warnings, meta


def invariant_checks(scenarios: Scenarios, site: SiteRules, start: np.ndarray) -> dict[str, bool]:
    """Model invariants checked in every scenario (each True/False) plus ``passed`` (all of them)."""
    sc = scenarios
    if not sc.has_outcomes:
        return {"has_outcomes": False, "passed": False}
    S, n = sc.finish.shape
    meta = sc.meta or {}
    finish = sc.finish.astype(np.int64)
    checks: dict[str, bool] = {}
    checks["finish_is_permutation"] = bool(np.array_equal(np.sort(finish, axis=1),
                                                          np.broadcast_to(np.arange(1, n + 1), (S, n))))
    laps = meta.get("race_laps")
    pool = meta.get("fl_pool")
    led_sum = sc.laps_led.sum(axis=1, dtype=np.int64)
    fl_sum = sc.fastest_laps.sum(axis=1, dtype=np.int64)
    checks["laps_led_sum_is_race_laps"] = bool(laps is not None and np.all(led_sum == laps))
    checks["fastest_laps_sum_is_pool"] = bool(pool is not None and np.all(fl_sum == pool))
    checks["laps_led_within_laps_completed"] = bool(np.all(sc.laps_led <= sc.laps_completed))
    checks["non_negative"] = bool(np.all(sc.laps_led >= 0) and np.all(sc.fastest_laps >= 0)
                                  and np.all(sc.laps_completed >= 0))
    # DNFs behind every running car, ordered by laps completed (more laps first)
    n_run = (~sc.dnf).sum(axis=1)
    run_max = np.where(sc.dnf, 0, finish).max(axis=1)
    dnf_min = np.where(sc.dnf, finish, n + 1).min(axis=1)
    back = np.all((run_max == n_run) & ((dnf_min == n_run + 1) | (n_run == n)))
    order = np.argsort(finish, axis=1)
    lc_sorted = np.take_along_axis(sc.laps_completed.astype(np.int64), order, axis=1)
    dnf_sorted = np.take_along_axis(sc.dnf, order, axis=1)
    # laps completed never rise down the order within the running cars and within the DNFs
    drops = np.diff(lc_sorted, axis=1) <= 0
    boundary = dnf_sorted[:, 1:] & ~dnf_sorted[:, :-1]
    checks["dnfs_at_back_by_laps"] = bool(back and np.all(drops | boundary))
    expected = site.score(np.asarray(start)[None, :], finish, sc.laps_led, sc.fastest_laps,
                          sc.laps_completed).astype(np.float32)
    checks["points_equal_rules"] = bool(np.array_equal(expected, sc.points))
    checks["passed"] = all(checks.values())
    return checks
