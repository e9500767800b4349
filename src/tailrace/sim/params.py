"""Track-type model parameters, the race records they are fitted from, and the fit itself.

Public API (stable):

* ``start_term(start) -> float64 array``: ``-(start - 1) / 10``, the start covariate (one unit
  per ten places; linear in start fits real finishing orders better than log or sqrt).
* ``start_curve_term(start)`` (``-((start - 1) / 10) ** 2``) and ``pool_start_term(start)``
  (``-log(start)``): the start-only model's curvature and front-row terms, and the track-position
  covariate of the laps-led and fastest-lap pools.
* ``TrackTypeParams`` — frozen dataclass, one per track type (fields documented below);
  ``.to_dict()`` / ``TrackTypeParams.from_dict(d)``.
* ``RaceRecord`` — frozen dataclass of one real race: ``track_type``, ``race_laps`` and
  per-driver arrays ``start, finish, laps_completed, laps_led, fastest_laps, dnf``; optional
  ``crash`` (bool: DNF caused by an accident / DVP) and ``drivers`` (names, used to separate
  track-type randomness from driver strength).
* ``fit_track_type_params(records, fallback=DEFAULT_PARAMS) -> dict[str, TrackTypeParams]``
  estimates every parameter from real races (moment matching and Plackett–Luce MLE). Types
  with fewer than ``MIN_RACES`` races keep the fallback's values. Deterministic, ~55 s for
  ~150 races (the simulated-moments fit of the pools dominates).
* ``DEFAULT_PARAMS`` — the fit on 2019–2022 of the shared data (``scripts/fit_track_params.py``).
* ``params_for(track_type, params=None) -> TrackTypeParams``.

The model these parameters drive is documented in ``tailrace.sim.race``.

Where each part lives (this module re-exports them): ``track_params`` (``TrackTypeParams``,
``RaceRecord``, the start covariates), ``pool_model`` (pool and retirement shapes the race
simulation shares with the fit), ``fit_order`` (Plackett–Luce, the start curve), ``fit_pools``
(the pools' simulated moments), ``fit_track`` (``fit_track_type_params``), ``default_params``
(``DEFAULT_PARAMS``, ``params_for``).
"""

from __future__ import annotations

# The parameters, the pool shapes, the fit and the shipped table live in modules of their own
# (one job each); this module offers every name they did when they were all here.
from tailrace.sim.default_params import DEFAULT_PARAMS, params_for
from tailrace.sim.fit_pools import BANDS, START_BANDS, _pool_moments, _PoolSim  # privates: tests read them
from tailrace.sim.fit_track import MIN_RACES, fit_track_type_params
from tailrace.sim.pool_model import (
    _shares_from_logw, ndtri, pace_ranks, pool_shares, rank_curve, rank_z, skew_weights,
)
from tailrace.sim.track_params import (
    RaceRecord, TrackTypeParams, pool_start_term, start_curve_term, start_term,
)

__all__ = [
    "BANDS", "DEFAULT_PARAMS", "MIN_RACES", "START_BANDS", "RaceRecord", "TrackTypeParams",
    "fit_track_type_params", "ndtri", "pace_ranks", "params_for", "pool_shares", "pool_start_term",
    "rank_curve", "rank_z", "skew_weights", "start_curve_term", "start_term",
]
