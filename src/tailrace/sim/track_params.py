"""The track-type parameter model: ``TrackTypeParams`` (one per track type), ``RaceRecord`` (one
real race, what the fit reads) and the start covariates (``start_term``, ``start_curve_term``,
``pool_start_term``). ``tailrace.sim.params`` re-exports them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np


def start_term(start: np.ndarray) -> np.ndarray:
    """Start covariate of the performance model: ``-(start - 1) / 10`` (higher = further up)."""
    return -(np.asarray(start, dtype=np.float64) - 1.0) / 10.0


def pool_start_term(start: np.ndarray) -> np.ndarray:
    """Track-position covariate of the laps-led and fastest-lap pools: ``-log(start)``.

    The front row leads the early laps: real laps led fall steeply over the first starts
    and barely at the back (short tracks 2019–2023: starters 1–5 lead 48 laps on average,
    6–10 14, 11–18 7), which a log fits and a line in start does not.
    """
    return -np.log(np.asarray(start, dtype=np.float64))


def start_curve_term(start: np.ndarray) -> np.ndarray:
    """Curvature of the start-only model: ``-((start - 1) / 10) ** 2``.

    Real mean finish by start is flat near the front and steep at the back (intermediates
    2019–2022: starters 1–5 finish 12.0 on average, 19–25 19.0, 33+ 29.8); a line in start
    through the Gumbel model is too steep in mid-field and too flat at the back.
    """
    return -(((np.asarray(start, dtype=np.float64) - 1.0) / 10.0) ** 2)


@dataclass(frozen=True)
class TrackTypeParams:
    """Parameters of the race model for one track type (see ``tailrace.sim.race``).

    Finishing order: performance = strength + start_weight * start_term(start) - noise * Gumbel
    (reversed Plackett–Luce; see tailrace.sim.race). noise: from a Plackett–Luce fit of the
    running order on a driver-form proxy (leave-one-race-out mean log finish score) and start,
    relative to the pooled fit; start weights scaled so the simulated start–finish Spearman of
    the running cars matches the real one.
    ``start_only_weight``, ``start_only_curve`` and ``start_only_front`` make the performance
    curve when start is all that is known (the start-position-only model, ``strength_from_start``):
    ``start_only_weight * start_term + start_only_curve * start_curve_term + start_only_front *
    pool_start_term``, monotone in start, fitted so that the mean finish of each start bucket
    (1–5, 6–10, 11–18, 19–25, 26–32, 33+) matches the type's real races (``_fit_start_curve``).
    DNFs: crash incidents per race ~ Poisson(crash_rate * Gamma(shape, 1/shape)), cars per
    incident ~ 1 + Geometric (mean crash_size_mean), incident lap share ~ Beta(crash_lap_a,
    crash_lap_b); independent mechanical failures at mech_dnf_rate per car on average
    (uniform lap). Weaker cars retire more: with q in (0, 1) the car's rank in the field by
    strength + start effect (1 = weakest), its mechanical rate and its weight in crash picks
    are proportional to exp(mech_skew * q) and exp(crash_skew * q).
    Running cars: a Beta(lead_lap_mean, lead_lap_sd) share on the lead lap, the j-th lapped
    car about laps_down_scale * j ** laps_down_power laps down.
    Laps led (pool = race laps) and fastest laps (pool = fl_share * race laps): log-weight
    rank_curve(pace_rank, conc, shape) + noise * N(0,1) + {led,fl}_start * pool_start_term(start)
    (track position: the front row leads the early laps) + led_winner for the race's winner (in
    laps led: the leader at the end led the closing laps; on drafting tracks, where pace says
    little, that is most of the winner's share) + fl_lapped for a car off the lead lap or out
    (in fastest laps: fresh tyres off sequence) (plus the log of the car's share of laps
    run), where pace_rank orders rank_z(pace-performance rank) + pace_noise * N(0,1) (so the
    fastest car is usually, not always, the winner; rank_z = normal score of the rank), shares
    below min_share dropped, pool apportioned by largest remainder. shape sets how flat the top
    is (0: power law in rank; 1: exponential in rank). The pace performance is the finishing
    performance with its bad-day loss (the minus-Gumbel term, in units of noise) capped at
    ``pace_trouble_cap``: trouble (damage, a penalty, a pit mistake) costs a car its finish but
    not its speed, so a fast car that finishes 25th still runs fastest laps, while among cars
    without trouble pace and finish agree (the winner leads laps). A large cap (50) ties pace
    to the finishing performance rank itself.
    The pool parameters are fitted by simulation with the model's own finish noise (simulated
    method of moments): the type's races are replayed with strengths from a Plackett–Luce fit
    (driver form and start; start only without driver names), Gumbel finish noise, the real
    DNFs, and the pools drawn as the simulator does; the parameters match the real mean top-1
    and top-3 shares, the sd of the top-1 share, the number of cars with a share, the
    finish of the top one, the winner's share of laps led, the share of each pool by finish
    band (1–5, 6–10, 11–20, 21+) and by start band (1–5, 6–10).
    """

    track_type: str
    noise: float = 1.0
    start_weight: float = 0.3
    start_only_weight: float = 0.5
    start_only_curve: float = 0.0
    start_only_front: float = 0.0
    mech_dnf_rate: float = 0.03
    mech_skew: float = 2.5
    crash_skew: float = 0.3
    crash_rate: float = 1.5
    crash_rate_shape: float = 2.0
    crash_size_mean: float = 1.8
    crash_lap_a: float = 1.2
    crash_lap_b: float = 1.0
    lead_lap_mean: float = 0.6
    lead_lap_sd: float = 0.17
    laps_down_scale: float = 0.5
    laps_down_power: float = 1.3
    led_conc: float = 1.5
    led_noise: float = 1.0
    led_min_share: float = 0.01
    led_shape: float = 0.5
    led_start: float = 0.0
    led_winner: float = 0.0
    pace_noise: float = 0.5
    pace_trouble_cap: float = 50.0
    fl_share: float = 0.82
    fl_conc: float = 0.8
    fl_noise: float = 0.6
    fl_min_share: float = 0.003
    fl_shape: float = 0.5
    fl_start: float = 0.0
    fl_lapped: float = 0.0
    races: int = 0

    def to_dict(self) -> dict[str, float | int | str]:
        """Plain dict (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrackTypeParams":
        """Inverse of to_dict; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class RaceRecord:
    """One real race, per-driver arrays of equal length (any driver order).

    ``race_laps`` = laps the race ran (winner's laps). ``crash`` (optional) marks DNFs caused by
    an accident or the damaged-vehicle policy; without it, every DNF counts as an incident (no
    separate mechanical rate). ``drivers`` (optional) lets the fit separate track-type
    randomness from driver strength; without it the fallback's noise is kept.
    """

    track_type: str
    race_laps: int
    start: np.ndarray
    finish: np.ndarray
    laps_completed: np.ndarray
    laps_led: np.ndarray
    fastest_laps: np.ndarray
    dnf: np.ndarray
    crash: np.ndarray | None = None
    drivers: tuple[str, ...] | None = None
