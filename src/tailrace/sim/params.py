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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from typing import Iterable

import numpy as np

from tailrace.numeric import bisect_increasing
from tailrace.rng import as_generator
from tailrace.startup import special_ufunc

ndtri = special_ufunc("ndtri")  # scipy.special.ndtri, the very ufunc; see startup.preload_special_ufuncs

MIN_RACES = 4  # fewer races of a type than this: keep the fallback parameters


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


# ---------------------------------------------------------------- Plackett–Luce pieces


def _pl_nll(theta: np.ndarray, X: np.ndarray, mask: np.ndarray) -> float:
    """Negative reversed-PL log-likelihood; X (races, slots, k) covariates worst-first, mask valid.

    Reversed Plackett–Luce: last place is chosen first with probability proportional to
    exp(-u), the next-to-last from the rest, and so on (perf = u - Gumbel).
    """
    u = -(X @ theta)
    u = np.where(mask, u, -np.inf)
    lse = np.logaddexp.accumulate(u[:, ::-1], axis=1)[:, ::-1]
    return float(-np.sum(np.where(mask, u, 0.0) - np.where(mask, lse, 0.0)))


def minimize(*args, **kwargs):
    """``scipy.optimize.minimize``, imported on first use: only the fits need it, and importing it
    costs a simulation or a solve about 0.15 s of start-up."""
    from scipy.optimize import minimize as _minimize

    return _minimize(*args, **kwargs)


def _pl_fit(X: np.ndarray, mask: np.ndarray, x0: np.ndarray) -> np.ndarray:
    res = minimize(_pl_nll, x0, args=(X, mask), method="L-BFGS-B")
    return np.asarray(res.x, dtype=np.float64)


def _ordered_running(rec: RaceRecord, cols: list[np.ndarray], slots: int) -> tuple[np.ndarray, np.ndarray]:
    run = ~np.asarray(rec.dnf, dtype=bool)
    order = np.argsort(-np.asarray(rec.finish)[run], kind="stable")  # worst first
    X = np.zeros((slots, len(cols)))
    m = np.zeros(slots, dtype=bool)
    k = int(run.sum())
    for j, c in enumerate(cols):
        X[:k, j] = np.asarray(c, dtype=np.float64)[run][order]
    m[:k] = True
    return X, m


def _driver_proxy(records: list[RaceRecord]) -> list[np.ndarray]:
    """Leave-one-race-out driver form: shrunk mean of log((n+1)/finish) over the driver's other races."""
    tot: dict[str, float] = defaultdict(float)
    cnt: dict[str, int] = defaultdict(int)
    scores = []
    for r in records:
        n = len(r.finish)
        x = np.log((n + 1.0) / np.asarray(r.finish, dtype=np.float64))
        x = x - x.mean()
        scores.append(x)
        for d, v in zip(r.drivers or (), x):
            tot[d] += float(v)
            cnt[d] += 1
    out = []
    for r, x in zip(records, scores):
        q = np.array([(tot[d] - v) / (cnt[d] - 1 + 3.0) for d, v in zip(r.drivers or (), x)])
        out.append(q)
    return out


# ---------------------------------------------------------------- pool (laps led / fastest laps)


BANDS: tuple[tuple[int, int], ...] = ((1, 5), (6, 10), (11, 20), (21, 10**6))  # finish bands of the pool fit


def _moment_masks(finish: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The fixed masks of ``_pool_moments``, stacked: the winner, each finish band, each start
    band (bool array of shape (7, rows, slots) for ``finish`` and ``start`` of shape (rows,
    slots)); a replayed type's finishes and starts never change, so its simulated-moments fit
    makes them once rather than at every evaluation."""
    win = finish == 1
    bands = [(finish >= lo) & (finish <= hi) for lo, hi in BANDS]
    starts = [(start >= lo) & (start <= hi) for lo, hi in START_BANDS]
    return np.stack([win] + bands + starts)


def _pool_moments(counts: np.ndarray, finish: np.ndarray, valid: np.ndarray, start: np.ndarray,
                  masks: np.ndarray | None = None) -> np.ndarray:
    """Per-row means of: top-1 share, top-3 share, number with >0, finish of the top one, sd of
    the top-1 share, the winner's share, the share of finishers 1–5, 6–10, 11–20, 21+, then the
    share of starters 1–5 and 6–10 (track position: the front row leads the early laps).

    ``counts``, ``finish``, ``valid``, ``start``: arrays of shape (rows, slots); ``masks``:
    ``_moment_masks(finish, start)`` if already made. Returns an array of shape (12,). (The
    per-row figures come from one compiled pass, ``sim.fit_kernels.pool_row_stats``, which
    adds in numpy's order: the figures are those of the numpy formulas, bit for bit.)"""
    from tailrace.sim.fit_kernels import pool_row_stats

    m = masks if masks is not None else _moment_masks(finish, start)
    if counts.shape[-1] <= 128:  # numpy's pairwise sums of such rows are what the kernel adds
        tot, top1, top3, nz, lfin, sums = pool_row_stats(
            np.ascontiguousarray(counts, dtype=np.float64), np.ascontiguousarray(valid, dtype=bool),
            np.ascontiguousarray(finish, dtype=np.float64), np.ascontiguousarray(m))
    else:
        c = np.where(valid, counts, 0.0)
        tot = c.sum(axis=1)
        top = -np.partition(-c, 2, axis=1)[:, :3]
        top1, top3, nz = top.max(axis=1), top.sum(axis=1), (c > 0).sum(axis=1)
        lfin = np.take_along_axis(finish, np.argmax(c, axis=1)[:, None], axis=1)[:, 0]
        sums = np.where(m, c, 0.0).sum(axis=2)
    ok = tot > 0
    if not ok.all():
        # (C order kept: each mask's row of shares is then averaged as one contiguous row, the
        # order numpy adds a 1-D array in; a column-picked copy can come out in Fortran order)
        tot, top1, top3, nz, lfin = tot[ok], top1[ok], top3[ok], nz[ok], lfin[ok]
        sums = np.ascontiguousarray(sums[:, ok])
    top1 = top1 / tot
    top3 = top3 / tot
    shares = (sums / tot).mean(axis=1)  # the winner's share, the finish bands, the start bands
    return np.concatenate([[top1.mean(), top3.mean(), nz.mean(), lfin.mean(), top1.std()], shares])


START_BANDS: tuple[tuple[int, int], ...] = ((1, 5), (6, 10))  # start bands of the pool fit
# loss scales of the moments above (shares in units of 1 pp; the leaders' count and the top
# one's finish loosely: the shares are the targets)
_MOMENT_SCALE = np.array([0.01, 0.01, 8.0, 2.0, 0.015, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01])
_LED_MOMENTS = np.array([0, 1, 2, 3, 4, 5, 10, 11])
_FL_MOMENTS = np.array([0, 1, 2, 4, 6, 7, 8, 9, 10, 11])
_FL_BANDS = np.array([6, 7, 8, 9])


def rank_curve(rank: np.ndarray, conc: float, shape: float) -> np.ndarray:
    """Log-weight of a performance rank in a pool: -conc * (rank**shape - 1) / shape (log rank at shape 0)."""
    rank = np.asarray(rank, dtype=np.float64)
    if abs(shape) < 1e-6:
        return -conc * np.log(rank)
    return -conc * (rank ** shape - 1.0) / shape


def rank_z(rank: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Normal score of a rank among n: ndtri((n - rank + 0.5) / n) (rank 1 = highest)."""
    return ndtri((np.asarray(n, dtype=np.float64) - np.asarray(rank, dtype=np.float64) + 0.5) / n)


def pace_ranks(rank: np.ndarray, pace_draw: np.ndarray, pace_noise: float,
               valid: np.ndarray | None = None) -> np.ndarray:
    """Pace ranks (1 = fastest): order of rank_z(rank) + pace_noise * draw within each row."""
    rank = np.asarray(rank, dtype=np.float64)
    if valid is None:
        valid = np.ones(rank.shape, dtype=bool)
    n = valid.sum(axis=-1, keepdims=True)
    return _pace_from_z(np.where(valid, rank_z(np.where(valid, rank, 1.0), n), -np.inf), pace_draw, pace_noise)


def _pace_from_z(z: np.ndarray, pace_draw: np.ndarray, pace_noise: float) -> np.ndarray:
    return _desc_rank(z + pace_noise * pace_draw)  # -inf where invalid stays -inf


def pool_shares(rank: np.ndarray, frac: np.ndarray, noise_draw: np.ndarray,
                conc: float, noise: float, min_share: float, valid: np.ndarray | None = None,
                shape: float = 0.0, bias: np.ndarray | float = 0.0) -> np.ndarray:
    """Pool shares (rows sum to 1): exp(rank_curve + noise*N + bias) * frac, shares below min_share dropped."""
    logw = rank_curve(rank, conc, shape) + noise * noise_draw + np.log(np.maximum(frac, 1e-9)) + bias
    return _shares_from_logw(logw, valid, min_share)


def _shares_from_logw(logw: np.ndarray, valid: np.ndarray | None, min_share: float) -> np.ndarray:
    """The rest of ``pool_shares`` once the log-weights (rows, slots) are made: normalise each
    row, drop shares below ``min_share`` (the row's largest always kept), renormalise.
    ``logw`` and ``valid``: arrays of shape (rows, slots); returns shares of that shape. Rows of
    up to 128 slots go through ``sim.fit_kernels`` (the same figures, bit for bit: the sums in
    numpy's order, ``exp`` still numpy's)."""
    if valid is not None and logw.ndim == 2 and logw.shape[1] <= 128:
        from tailrace.sim.fit_kernels import normalise_and_trim_rows, shift_rows

        shifted = shift_rows(np.ascontiguousarray(logw, dtype=np.float64),
                             np.ascontiguousarray(np.broadcast_to(valid, logw.shape), dtype=bool))
        return normalise_and_trim_rows(np.exp(shifted), float(min_share))
    if valid is not None:
        logw = np.where(valid, logw, -np.inf)
    logw = logw - logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    p = w / w.sum(axis=1, keepdims=True)
    keep = (p >= min_share) | (p == p.max(axis=1, keepdims=True))
    p = np.where(keep, p, 0.0)
    return p / p.sum(axis=1, keepdims=True)


class _PoolSim:
    """Common random numbers for the simulated-moments fit of the pools of one track type.

    Every race is replayed ``reps`` times as the simulator would run it: performance
    ``u + log(E)`` (u: Plackett–Luce utilities, E ~ Exp(1), i.e. minus a Gumbel), the real DNFs
    (behind the running cars, by laps completed), pace from the performance with the bad-day
    loss capped, and the pool noise drawn as the simulator draws it.
    """

    def __init__(self, rs: list[RaceRecord], utils: list[np.ndarray], slots: int,
                 rng: np.random.Generator, reps: int) -> None:
        nrow = len(rs) * reps
        U = np.zeros((nrow, slots))
        frac = np.ones((nrow, slots))
        valid = np.zeros((nrow, slots), dtype=bool)
        run = np.zeros((nrow, slots), dtype=bool)
        lc = np.zeros((nrow, slots))
        st = np.full((nrow, slots), 10.0 ** 6)
        lapped = np.zeros((nrow, slots), dtype=bool)
        for k, (r, u) in enumerate(zip(rs, utils)):
            n = len(r.finish)
            dnf = np.asarray(r.dnf, dtype=bool)
            L = float(r.race_laps)
            sl = slice(k * reps, (k + 1) * reps)
            U[sl, :n] = u
            frac[sl, :n] = np.where(dnf, np.asarray(r.laps_completed) / L, 1.0)
            valid[sl, :n] = True
            run[sl, :n] = ~dnf
            lc[sl, :n] = r.laps_completed
            st[sl, :n] = r.start
            lapped[sl, :n] = np.asarray(r.laps_completed) < r.race_laps
        self.valid, self.frac, self.U, self.start, self.lapped = valid, frac, U, st, lapped
        self.start_term = np.where(valid, pool_start_term(np.minimum(st, 1000.0)), 0.0)
        n_valid = valid.sum(axis=1, keepdims=True)
        self.n_valid = n_valid
        self.loge = np.log(rng.standard_exponential((nrow, slots)))
        perf = np.where(valid, U + self.loge, -np.inf)
        prank = _desc_rank(perf)
        key = np.where(run, 1e6 + perf, lc + 0.5 * (1.0 - prank / (n_valid + 1.0)))
        self.finish = np.where(valid, _desc_rank(np.where(valid, key, -np.inf)), slots + 1.0)
        self.winner = (self.finish == 1.0) & valid
        # near-normal draws exactly as the simulator draws them (Irwin-Hall of four uniforms)
        ih = lambda: (rng.random((nrow, slots, 4)).sum(axis=-1) - 2.0) * np.sqrt(3.0)  # noqa: E731
        self.pace_draw, self.led_draw, self.fl_draw = ih(), ih(), ih()
        # What every evaluation of the objectives would otherwise recompute (the same numpy
        # expressions on the same values, so the same bits): the masks of the moments, the
        # log of the laps-run share, and the normal score of every rank in every row (a rank
        # beyond the row's cars is never looked up; clipped to keep the table finite).
        self.masks = _moment_masks(self.finish, self.start)
        self.logfrac = np.log(np.maximum(frac, 1e-9))
        self.ranks = np.arange(1.0, slots + 1.0)
        grid = np.broadcast_to(self.ranks, (nrow, slots))
        self.zt = rank_z(np.minimum(grid, n_valid), n_valid)

    def pace(self, pace_noise: float, cap: float) -> np.ndarray:
        """Pace ranks, 0-based (int array of shape (rows, slots); invalid slots ranked last)."""
        key = np.where(self.valid, self.U + np.maximum(self.loge, -cap), -np.inf)
        rk = _desc_rank(key).astype(np.intp) - 1
        z = np.where(self.valid, np.take_along_axis(self.zt, rk, axis=1), -np.inf)
        return _pace_from_z(z, self.pace_draw, pace_noise).astype(np.intp) - 1

    def moments(self, pace: np.ndarray, draws: np.ndarray, conc: float, noise: float,
                min_share: float, shape: float, start_w: float = 0.0, winner: float = 0.0,
                lapped: float = 0.0) -> np.ndarray:
        """``_pool_moments`` of the pool shares drawn with ``pace`` (from :meth:`pace`), the
        noise ``draws`` and the pool's parameters: ``pool_shares``' arithmetic, with the rank
        curve made once per rank (a table of ``slots`` values) rather than once per entry."""
        bias = start_w * self.start_term + winner * self.winner + lapped * self.lapped
        logw = rank_curve(self.ranks, conc, shape)[pace] + noise * draws + self.logfrac + bias
        p = _shares_from_logw(logw, self.valid, min_share)
        return _pool_moments(p, self.finish, self.valid, self.start, self.masks)


def _desc_rank(key: np.ndarray, ordered: bool = True) -> np.ndarray:
    """1-based rank of each entry in its row, largest first (ties by index).

    ``key``: array of shape (..., n); returns float64 ranks of the same shape, exactly those of
    a stable argsort of ``-key`` (compiled: ``sim.fit_kernels``). ``ordered``: whether the rows
    are nearly in order already (a speed hint only; the ranks are the same either way)."""
    from tailrace.sim.fit_kernels import desc_rank_rows, desc_rank_rows_unordered

    k = np.ascontiguousarray(key, dtype=np.float64)
    kernel = desc_rank_rows if ordered else desc_rank_rows_unordered
    return kernel(k.reshape(-1, k.shape[-1])).reshape(k.shape)


def _fit_pools(sim: _PoolSim, t_led: np.ndarray, t_fl: np.ndarray, base: TrackTypeParams) -> tuple[tuple, tuple]:
    """Simulated method of moments for both pools (Nelder–Mead on common random numbers).

    Stage 1: laps led (conc, noise, min_share, shape, start weight, winner bonus) with the pace
    (pace_noise, trouble cap) on the laps-led moments plus the fastest laps' finish bands (the
    pace is shared, and the bands are what pins the trouble cap down), the fastest-lap pool
    held at its start values; stage 2: the fastest-lap pool (conc, noise, min_share, shape,
    start weight) on its moments, the pace fixed; stage 3: stage 1 again with the fitted
    fastest-lap pool (stage 1 from two starting paces, the better kept).

    Returns ``(led_conc, led_noise, led_min_share, led_shape, led_start, led_winner,
    pace_noise, pace_trouble_cap)`` and ``(fl_conc, fl_noise, fl_min_share, fl_shape, fl_start,
    0.0, fl_lapped)`` (the fastest laps have no winner term).
    """
    def unpack_pool(z: np.ndarray) -> tuple[float, ...]:
        return (float(np.exp(z[0])), float(np.exp(z[1])), float(1.0 / (1.0 + np.exp(-z[2]))),
                float(np.clip(z[3], -1.0, 2.5)), float(np.clip(z[4], -3.0, 3.0)))

    def pack_pool(v) -> list[float]:
        return [np.log(v[0]), np.log(v[1]), np.log(v[2] / (1 - v[2])), v[3], v[4]]

    def unpack_led(z: np.ndarray) -> tuple[float, ...]:
        return unpack_pool(z[:5]) + (float(np.clip(z[5], -2.0, 6.0)),)

    def unpack_fl(z: np.ndarray) -> tuple[float, ...]:  # no winner term; a term for the lapped cars
        return unpack_pool(z[:5]) + (0.0, float(np.clip(z[5], -3.0, 4.0)))

    def unpack_pace(z: np.ndarray) -> tuple[float, float]:
        return float(np.clip(np.exp(z[0]), 0.0, 5.0)), float(np.clip(np.exp(z[1]), 0.05, 50.0))

    def nm(loss, z0, steps, iters):
        simplex = np.vstack([z0, z0 + np.diag(steps)])
        res = minimize(loss, z0, method="Nelder-Mead",
                       options={"maxiter": iters, "xatol": 2e-3, "fatol": 1e-2, "initial_simplex": simplex})
        return res.x

    led0 = (base.led_conc, base.led_noise, base.led_min_share, base.led_shape, base.led_start)
    fl = (base.fl_conc, base.fl_noise, base.fl_min_share, base.fl_shape, base.fl_start, 0.0, base.fl_lapped)
    pace0 = (max(base.pace_noise, 1e-3), min(max(base.pace_trouble_cap, 0.05), 1.0))  # the loss is flat above ~2
    z_led = np.array(pack_pool(led0) + [base.led_winner, np.log(pace0[0]), np.log(pace0[1])])
    sl_led = _MOMENT_SCALE[_LED_MOMENTS]
    sl_fl = _MOMENT_SCALE[_FL_MOMENTS]

    def stage1(z: np.ndarray, fl_v) -> float:
        pn, cap = unpack_pace(z[6:])
        pace = sim.pace(pn, cap)
        m = sim.moments(pace, sim.led_draw, *unpack_led(z[:6]))
        mf = sim.moments(pace, sim.fl_draw, *fl_v)
        return float(np.sum(((m[_LED_MOMENTS] - t_led[_LED_MOMENTS]) / sl_led) ** 2)
                     + np.sum(((mf[_FL_BANDS] - t_fl[_FL_BANDS]) / _MOMENT_SCALE[_FL_BANDS]) ** 2))

    steps1 = np.array([0.4, 0.5, 0.7, 0.5, 0.4, 0.8, 0.5, 0.7])
    # the loss has local minima in the pace (pace_noise, cap): start from a few and keep the best
    starts = [z_led] + [np.concatenate([z_led[:6], np.log([pn, cap])]) for pn, cap in ((0.5, 0.3),)]
    fits = [nm(lambda z: stage1(z, fl), z0, steps1, 320) for z0 in starts]
    z_led = min(fits, key=lambda z: stage1(z, fl))
    for _ in range(2):
        pace = sim.pace(*unpack_pace(z_led[6:]))

        def stage2(z: np.ndarray) -> float:
            m = sim.moments(pace, sim.fl_draw, *unpack_fl(z))
            return float(np.sum(((m[_FL_MOMENTS] - t_fl[_FL_MOMENTS]) / sl_fl) ** 2))

        z_fl = np.array(pack_pool(fl[:5]) + [fl[6]])
        fl = unpack_fl(nm(stage2, z_fl, np.array([0.4, 0.5, 0.7, 0.5, 0.4, 0.6]), 240))
        z_led = nm(lambda z: stage1(z, fl), z_led, steps1 * 0.5, 200)
    return unpack_led(z_led[:6]) + unpack_pace(z_led[6:]), fl


START_BUCKETS: tuple[tuple[int, int], ...] = ((1, 5), (6, 10), (11, 18), (19, 25), (26, 32), (33, 10**6))


def _fit_start_curve(rs: list[RaceRecord], b_init: float, rng: np.random.Generator,
                     reps_total: int = 2400) -> tuple[float, float, float]:
    """Start-only utility ``b1 * start_term + b2 * start_curve_term + b3 * pool_start_term``
    (unit noise), monotone in start, whose mean finish by start bucket matches the real one.

    Every race is replayed ``reps`` times as the simulator orders it: running cars by
    ``u + log(E)`` (minus a Gumbel) ahead of the real DNFs, which keep their laps completed
    (common random numbers, Nelder–Mead on the squared misses of the six buckets, in places,
    plus a penalty on any rise of the curve along starts 1..43). Returns ``(b1, b2, b3)``.
    """
    slots = max(len(r.finish) for r in rs)
    reps = max(4, -(-reps_total // len(rs)))
    nrow = len(rs) * reps
    st = np.ones((nrow, slots))
    valid = np.zeros((nrow, slots), dtype=bool)
    run = np.zeros((nrow, slots), dtype=bool)
    lc = np.zeros((nrow, slots))
    real_sum = np.zeros(len(START_BUCKETS))
    real_cnt = np.zeros(len(START_BUCKETS))
    for k, r in enumerate(rs):
        n = len(r.finish)
        sl = slice(k * reps, (k + 1) * reps)
        st[sl, :n], valid[sl, :n] = r.start, True
        run[sl, :n], lc[sl, :n] = ~np.asarray(r.dnf, dtype=bool), r.laps_completed
        for b, (lo, hi) in enumerate(START_BUCKETS):
            m = (np.asarray(r.start) >= lo) & (np.asarray(r.start) <= hi)
            real_sum[b] += float(np.asarray(r.finish)[m].sum())
            real_cnt[b] += int(m.sum())
    keep = real_cnt > 0
    target = real_sum[keep] / real_cnt[keep]
    # each bucket's entries as flat indices (row-major, as a boolean mask picks them: the same
    # values in the same order, so the same means)
    bucket_idx = [np.flatnonzero(valid & (st >= lo) & (st <= hi)) for (lo, hi), k in zip(START_BUCKETS, keep) if k]
    basis = (start_term, start_curve_term, pool_start_term)
    xs = [f(st) for f in basis]
    grid = np.arange(1.0, 44.0)
    gx = np.stack([f(grid) for f in basis])  # (3, 43)
    loge = np.log(rng.standard_exponential((nrow, slots)))
    n_valid = valid.sum(axis=1, keepdims=True)

    def loss(z: np.ndarray) -> float:
        # monotone: a later start is never an advantage (penalty on any rise along starts 1..43)
        rise = np.maximum(np.diff(z @ gx), 0.0).sum()
        u = z[0] * xs[0] + z[1] * xs[1] + z[2] * xs[2]
        perf = np.where(valid, u + loge, -np.inf)
        prank = _desc_rank(perf, ordered=False)
        key = np.where(run, 1e6 + perf, lc + 0.5 * (1.0 - prank / (n_valid + 1.0)))
        fin = _desc_rank(np.where(valid, key, -np.inf), ordered=False).ravel()
        got = np.array([fin[ix].mean() for ix in bucket_idx])
        return float(np.sum((got - target) ** 2) + 1e3 * rise)

    z0 = np.array([b_init, 0.0, 0.0])
    res = minimize(loss, z0, method="Nelder-Mead",
                   options={"maxiter": 240, "xatol": 1e-3, "fatol": 1e-3,
                            "initial_simplex": np.vstack([z0, z0 + [0.2, 0.0, 0.0], z0 + [0.0, 0.05, 0.0],
                                                          z0 + [0.0, 0.0, 0.1]])})
    return float(res.x[0]), float(res.x[1]), float(res.x[2])


def _spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ra = np.argsort(np.argsort(a, axis=-1), axis=-1).astype(np.float64)
    rb = np.argsort(np.argsort(b, axis=-1), axis=-1).astype(np.float64)
    ra -= ra.mean(axis=-1, keepdims=True)
    rb -= rb.mean(axis=-1, keepdims=True)
    den = np.sqrt((ra * ra).sum(axis=-1) * (rb * rb).sum(axis=-1))
    return np.where(den > 0, (ra * rb).sum(axis=-1) / np.where(den > 0, den, 1.0), 0.0)


def _match_spearman(rs: list[RaceRecord], b_init: float, rng: np.random.Generator, reps: int = 24) -> float:
    """Start weight (per unit of start_term, noise 1) whose simulated running-car Spearman matches the real one."""
    groups: dict[int, list[np.ndarray]] = defaultdict(list)
    real = []
    for r in rs:
        run = ~np.asarray(r.dnf, dtype=bool)
        st = np.asarray(r.start, dtype=np.float64)[run]
        if len(st) < 3:
            continue
        groups[len(st)].append(st)
        real.append(_spearman_rows(st, np.asarray(r.finish, dtype=np.float64)[run]))
    if not real:
        return b_init
    target = float(np.mean(real))
    prepared = []
    for k, sts in sorted(groups.items()):
        st = np.stack(sts)[:, None, :]  # (races, 1, k)
        ra = np.argsort(np.argsort(st, axis=-1), axis=-1).astype(np.float64)
        ra -= ra.mean(axis=-1, keepdims=True)
        d = np.log(rng.standard_exponential((st.shape[0], reps, k)))  # minus a Gumbel
        prepared.append((start_term(st), ra, d, float((ra[0, 0] ** 2).sum())))

    def rho(b: float) -> float:
        tot, cnt = 0.0, 0
        for x, ra, d, ss in prepared:
            rb = np.argsort(np.argsort(-(b * x + d), axis=-1), axis=-1).astype(np.float64)
            rb -= rb.mean(axis=-1, keepdims=True)
            tot += float(((ra * rb).sum(axis=-1) / ss).sum())
            cnt += rb.shape[0] * rb.shape[1]
        return tot / cnt

    lo, hi = 0.0, max(4.0 * b_init, 1.0)
    if rho(hi) < target:
        return hi
    return bisect_increasing(rho, target, lo, hi, 14)


def skew_weights(base: np.ndarray, skew: float) -> np.ndarray:
    """Relative retirement weights (mean 1): exp(skew * q), q = (rank of base from the top - 0.5) / n."""
    base = np.asarray(base, dtype=np.float64)
    n = len(base)
    order = np.argsort(-base, kind="stable")
    q = np.empty(n)
    q[order] = (np.arange(n) + 0.5) / n
    w = np.exp(skew * q)
    return w / w.mean()


def _fit_skew(q: list[float], default: float) -> float:
    """gamma with mean of q under density exp(gamma q) on (0, 1) equal to the sample mean."""
    if len(q) < 8:
        return default
    target = float(np.clip(np.mean(q), 0.05, 0.95))

    def mean_q(g: float) -> float:
        if abs(g) < 1e-6:
            return 0.5
        return 1.0 / (1.0 - np.exp(-g)) - 1.0 / g

    return bisect_increasing(mean_q, target, -20.0, 20.0, 50)


def _beta_moments(x: np.ndarray, default: tuple[float, float]) -> tuple[float, float]:
    if len(x) < 3:
        return default
    m, v = float(np.mean(x)), float(np.var(x))
    if v <= 0 or v >= m * (1 - m):
        return default
    k = m * (1 - m) / v - 1
    return m * k, (1 - m) * k


# ---------------------------------------------------------------- the fit


def fit_track_type_params(
    records: Iterable[RaceRecord],
    fallback: dict[str, TrackTypeParams] | None = None,
) -> dict[str, TrackTypeParams]:
    """Estimate every track type's parameters from real races (deterministic).

    Types with fewer than MIN_RACES races (or absent) keep ``fallback`` (default DEFAULT_PARAMS).
    Moment matching for DNFs, lapped cars and the laps-led / fastest-lap pools (the pool model is
    fitted on the real finishing orders, common random numbers, Nelder–Mead); Plackett–Luce MLE
    on the running cars' order for noise and start weights.
    """
    fallback = dict(DEFAULT_PARAMS if fallback is None else fallback)
    recs = [r for r in records if len(r.finish) >= 2 and int(r.race_laps) > 0]
    by_type: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(recs):
        by_type[r.track_type].append(i)
    have_drivers = bool(recs) and all(r.drivers is not None for r in recs)
    slots = max((len(r.finish) for r in recs), default=1)

    # Reference Plackett–Luce fit pooled over all races (sets the strength scale).
    proxies = _driver_proxy(recs) if have_drivers else None
    a_ref = None
    if proxies is not None:
        XM = [_ordered_running(r, [q, start_term(r.start)], slots) for r, q in zip(recs, proxies)]
        X = np.stack([x for x, _ in XM])
        M = np.stack([m for _, m in XM])
        a_ref = _pl_fit(X, M, np.array([1.0, 0.3]))[0]

    out = dict(fallback)
    rng = as_generator(20190217)
    for ttype, idx in sorted(by_type.items()):
        if len(idx) < MIN_RACES:
            continue
        base = fallback.get(ttype, TrackTypeParams(ttype))
        rs = [recs[i] for i in idx]
        # --- finishing order
        XM0 = [_ordered_running(r, [start_term(r.start)], slots) for r in rs]
        X0 = np.stack([x for x, _ in XM0])
        M0 = np.stack([m for _, m in XM0])
        b0 = _pl_fit(X0, M0, np.array([0.5]))[0]
        if proxies is not None and a_ref is not None and a_ref > 0:
            XM = [_ordered_running(r, [proxies[i], start_term(r.start)], slots) for i, r in zip(idx, rs)]
            X = np.stack([x for x, _ in XM])
            M = np.stack([m for _, m in XM])
            a_t, b_t = _pl_fit(X, M, np.array([a_ref, 0.3]))
            noise = float(np.clip(a_ref / max(a_t, 1e-3), 0.3, 5.0))
            start_w = float(b_t * noise)
        else:
            noise = base.noise
            ratio = base.start_weight / base.start_only_weight if base.start_only_weight else 0.5
            start_w = float(b0 * noise * ratio)
        # The reversed-PL MLE understates how strongly start orders the running cars (real
        # Spearman is higher than the MLE's); match the mean start-finish Spearman of the running
        # cars instead and scale both start weights by the same factor.
        b_mm = _match_spearman(rs, b0, rng)
        factor = b_mm / b0 if b0 > 1e-6 else 1.0
        start_w = float(start_w * factor)
        b1, b2, b3 = _fit_start_curve(rs, b_mm, rng)
        start_only, start_curve, start_front = float(b1 * noise), float(b2 * noise), float(b3 * noise)

        # --- DNFs
        n_cars = sum(len(r.finish) for r in rs)
        inc_counts, sizes, inc_frac, mech = [], [], [], 0
        q_mech: list[float] = []
        q_crash: list[float] = []
        for r in rs:
            dnf = np.asarray(r.dnf, dtype=bool)
            crash = dnf if r.crash is None else (np.asarray(r.crash, dtype=bool) & dnf)
            mech += int((dnf & ~crash).sum())
            qq = (np.asarray(r.start, dtype=np.float64) - 0.5) / len(r.start)
            q_mech.extend(qq[dnf & ~crash].tolist())
            q_crash.extend(qq[crash].tolist())
            laps = np.asarray(r.laps_completed)[crash]
            vals, cnts = np.unique(laps, return_counts=True)
            inc_counts.append(len(vals))
            sizes.extend(cnts.tolist())
            inc_frac.extend(np.clip(vals / float(r.race_laps), 0.005, 0.995).tolist())
        skew_m = _fit_skew(q_mech, base.mech_skew)
        skew_c = _fit_skew(q_crash, base.crash_skew)
        inc_counts_a = np.array(inc_counts, dtype=np.float64)
        lam = float(inc_counts_a.mean())
        var = float(inc_counts_a.var())
        shape = float(lam * lam / (var - lam)) if var > lam * 1.01 else 1e6
        size_mean = float(np.mean(sizes)) if sizes else 1.0
        ca, cb = _beta_moments(np.array(inc_frac), (base.crash_lap_a, base.crash_lap_b))

        # --- laps completed of running cars
        ll_share, down_j, down_v = [], [], []
        for r in rs:
            run = ~np.asarray(r.dnf, dtype=bool)
            laps = np.asarray(r.laps_completed)[run]
            L = int(r.race_laps)
            ll_share.append(float(np.mean(laps >= L)))
            down = np.sort(L - laps[laps < L])  # j-th lapped running car, in finishing order
            down_j.extend(range(1, len(down) + 1))
            down_v.extend(down.tolist())
        llm = float(np.mean(ll_share))
        lls = float(np.std(ll_share))
        if len(down_v) >= 10:
            jj = np.log(np.array(down_j, dtype=np.float64))
            vv = np.log(np.maximum(np.array(down_v, dtype=np.float64), 0.5))
            power, logscale = np.polyfit(jj, vv, 1)
            # E[down] under lognormal residuals (the sampler uses Exp(1) noise, mean 1)
            resid = vv - (power * jj + logscale)
            scale = float(np.exp(logscale) * np.mean(np.exp(resid)))
            power = float(power)
        else:
            scale, power = base.laps_down_scale, base.laps_down_power

        # --- pools: simulated method of moments with the model's own finish noise (utilities
        # from the Plackett–Luce fit above: driver form and start, or start only)
        if proxies is not None and a_ref is not None and a_ref > 0:
            # the start at the strength the simulator gives it: scaled by the same Spearman factor
            # as the start weights (the PL's own start coefficient left too little of the front
            # row's pace to the start, and the track-position terms made up for it)
            utils = [a_t * proxies[i] + b_t * factor * start_term(r.start) for i, r in zip(idx, rs)]
        else:
            utils = [b0 * start_term(r.start) for r in rs]
        fl_tot = [float(np.sum(r.fastest_laps)) / float(r.race_laps) for r in rs]
        real_led = np.zeros((len(rs), slots))
        real_fl = np.zeros((len(rs), slots))
        real_fin = np.full((len(rs), slots), slots + 1.0)
        real_valid = np.zeros((len(rs), slots), dtype=bool)
        real_start = np.full((len(rs), slots), 10.0 ** 6)
        for k, r in enumerate(rs):
            n = len(r.finish)
            real_led[k, :n], real_fl[k, :n] = r.laps_led, r.fastest_laps
            real_fin[k, :n], real_valid[k, :n], real_start[k, :n] = r.finish, True, r.start
        t_led = _pool_moments(real_led, real_fin, real_valid, real_start)
        t_fl = _pool_moments(real_fl, real_fin, real_valid, real_start)
        reps = max(4, -(-240 // len(rs)))  # about 240 simulated races of common random numbers per type
        psim = _PoolSim(rs, utils, slots, rng, reps)
        led_p, fl_p = _fit_pools(psim, t_led, t_fl, base)

        out[ttype] = TrackTypeParams(
            track_type=ttype,
            noise=round(noise, 4),
            start_weight=round(start_w, 4),
            start_only_weight=round(start_only, 4),
            start_only_curve=round(start_curve, 4),
            start_only_front=round(start_front, 4),
            mech_dnf_rate=round(mech / n_cars, 5) if any(r.crash is not None for r in rs) else 0.0,
            mech_skew=round(skew_m, 4),
            crash_skew=round(skew_c, 4),
            crash_rate=round(lam, 4),
            crash_rate_shape=round(min(shape, 1e6), 4),
            crash_size_mean=round(max(size_mean, 1.0), 4),
            crash_lap_a=round(ca, 4),
            crash_lap_b=round(cb, 4),
            lead_lap_mean=round(llm, 4),
            lead_lap_sd=round(lls, 4),
            laps_down_scale=round(scale, 4),
            laps_down_power=round(power, 4),
            led_conc=round(led_p[0], 4),
            led_noise=round(led_p[1], 4),
            led_min_share=round(led_p[2], 5),
            led_shape=round(led_p[3], 4),
            led_start=round(led_p[4], 4),
            led_winner=round(led_p[5], 4),
            pace_noise=round(led_p[6], 4),
            pace_trouble_cap=round(led_p[7], 4),
            fl_share=round(float(np.mean(fl_tot)), 4),
            fl_conc=round(fl_p[0], 4),
            fl_noise=round(fl_p[1], 4),
            fl_min_share=round(fl_p[2], 5),
            fl_shape=round(fl_p[3], 4),
            fl_start=round(fl_p[4], 4),
            fl_lapped=round(fl_p[6], 4),
            races=len(rs),
        )
    return out


def params_for(track_type: str, params: dict[str, TrackTypeParams] | TrackTypeParams | None = None) -> TrackTypeParams:
    """The parameters of one track type from a fitted table (default DEFAULT_PARAMS)."""
    if isinstance(params, TrackTypeParams):
        return params
    table = DEFAULT_PARAMS if params is None else params
    if track_type not in table:
        raise KeyError(f"no parameters for track type '{track_type}'")
    return table[track_type]


# DEFAULT_PARAMS: fit_track_type_params on the 2019–2022 seasons of
# shared/data/cup_results_2019_2023.csv (crash = status accident/DVP, drivers given),
# produced by scripts/fit_track_params.py. Regenerate with that script; do not edit by hand.
_DEFAULT_ROWS: tuple[dict, ...] = (
    {'track_type': 'superspeedway',
     'noise': 3.6768,
     'start_weight': 0.6382,
     'start_only_weight': -1.3303,
     'start_only_curve': 0.6328,
     'start_only_front': 0.4174,
     'mech_dnf_rate': 0.0227,
     'mech_skew': 0.6773,
     'crash_skew': -0.2604,
     'crash_rate': 6.7222,
     'crash_rate_shape': 1000000.0,
     'crash_size_mean': 1.7107,
     'crash_lap_a': 0.9862,
     'crash_lap_b': 0.4178,
     'lead_lap_mean': 0.7343,
     'lead_lap_sd': 0.1246,
     'laps_down_scale': 1.7435,
     'laps_down_power': 0.7352,
     'led_conc': 0.2975,
     'led_noise': 0.8141,
     'led_min_share': 0.03857,
     'led_shape': -1.0,
     'led_start': 0.3102,
     'led_winner': 0.8053,
     'pace_noise': 5.0,
     'pace_trouble_cap': 8.1866,
     'fl_share': 0.7856,
     'fl_conc': 0.7951,
     'fl_noise': 0.4873,
     'fl_min_share': 0.00526,
     'fl_shape': -1.0,
     'fl_start': -0.0831,
     'fl_lapped': -0.416,
     'races': 18},
    {'track_type': 'intermediate',
     'noise': 0.8245,
     'start_weight': 0.3346,
     'start_only_weight': -0.9386,
     'start_only_curve': 0.3281,
     'start_only_front': 0.5961,
     'mech_dnf_rate': 0.04136,
     'mech_skew': 2.4387,
     'crash_skew': -0.0343,
     'crash_rate': 2.4386,
     'crash_rate_shape': 1.5911,
     'crash_size_mean': 1.1439,
     'crash_lap_a': 1.0206,
     'crash_lap_b': 0.937,
     'lead_lap_mean': 0.5778,
     'lead_lap_sd': 0.1655,
     'laps_down_scale': 0.8889,
     'laps_down_power': 0.852,
     'led_conc': 0.7992,
     'led_noise': 0.5111,
     'led_min_share': 0.02885,
     'led_shape': 0.2634,
     'led_start': 0.3539,
     'led_winner': 0.6774,
     'pace_noise': 1.0154,
     'pace_trouble_cap': 0.4115,
     'fl_share': 0.8412,
     'fl_conc': 0.4451,
     'fl_noise': 0.2947,
     'fl_min_share': 0.00975,
     'fl_shape': 0.4881,
     'fl_start': 0.2341,
     'fl_lapped': 0.2159,
     'races': 57},
    {'track_type': 'short',
     'noise': 0.871,
     'start_weight': 0.4213,
     'start_only_weight': -0.7991,
     'start_only_curve': 0.3432,
     'start_only_front': 0.5771,
     'mech_dnf_rate': 0.05133,
     'mech_skew': 4.2964,
     'crash_skew': 0.9242,
     'crash_rate': 2.1667,
     'crash_rate_shape': 4.3978,
     'crash_size_mean': 1.0989,
     'crash_lap_a': 1.1426,
     'crash_lap_b': 1.0388,
     'lead_lap_mean': 0.5117,
     'lead_lap_sd': 0.1807,
     'laps_down_scale': 0.8552,
     'laps_down_power': 0.8746,
     'led_conc': 0.4987,
     'led_noise': 0.5072,
     'led_min_share': 0.05782,
     'led_shape': 0.4661,
     'led_start': 0.5606,
     'led_winner': 0.3456,
     'pace_noise': 0.782,
     'pace_trouble_cap': 0.8649,
     'fl_share': 0.8478,
     'fl_conc': 0.3603,
     'fl_noise': 0.0462,
     'fl_min_share': 0.00096,
     'fl_shape': 0.6216,
     'fl_start': 0.3443,
     'fl_lapped': -0.1075,
     'races': 42},
    {'track_type': 'road',
     'noise': 1.326,
     'start_weight': 0.5152,
     'start_only_weight': 0.2935,
     'start_only_curve': 0.1162,
     'start_only_front': 0.0843,
     'mech_dnf_rate': 0.06494,
     'mech_skew': 3.3468,
     'crash_skew': -0.0751,
     'crash_rate': 1.5,
     'crash_rate_shape': 1.2857,
     'crash_size_mean': 1.2593,
     'crash_lap_a': 1.9334,
     'crash_lap_b': 0.9959,
     'lead_lap_mean': 0.8765,
     'lead_lap_sd': 0.0911,
     'laps_down_scale': 1.8967,
     'laps_down_power': 0.3919,
     'led_conc': 0.3271,
     'led_noise': 0.6728,
     'led_min_share': 0.04781,
     'led_shape': 0.8106,
     'led_start': 0.2656,
     'led_winner': 0.4951,
     'pace_noise': 0.7398,
     'pace_trouble_cap': 0.224,
     'fl_share': 0.7861,
     'fl_conc': 0.706,
     'fl_noise': 0.2298,
     'fl_min_share': 0.01738,
     'fl_shape': 0.3005,
     'fl_start': 0.1695,
     'fl_lapped': 0.6457,
     'races': 18},
    {'track_type': 'large-flat',
     'noise': 0.9115,
     'start_weight': 0.3261,
     'start_only_weight': -0.6342,
     'start_only_curve': 0.257,
     'start_only_front': 0.3748,
     'mech_dnf_rate': 0.02017,
     'mech_skew': 2.5,
     'crash_skew': -0.4589,
     'crash_rate': 3.8889,
     'crash_rate_shape': 2.0658,
     'crash_size_mean': 1.0286,
     'crash_lap_a': 0.9181,
     'crash_lap_b': 1.0186,
     'lead_lap_mean': 0.6875,
     'lead_lap_sd': 0.1267,
     'laps_down_scale': 1.0723,
     'laps_down_power': 0.6671,
     'led_conc': 0.5675,
     'led_noise': 0.2729,
     'led_min_share': 0.01195,
     'led_shape': 0.5437,
     'led_start': 0.5504,
     'led_winner': 0.6669,
     'pace_noise': 1.0708,
     'pace_trouble_cap': 0.2271,
     'fl_share': 0.7752,
     'fl_conc': 0.3468,
     'fl_noise': 0.352,
     'fl_min_share': 0.00529,
     'fl_shape': 0.6884,
     'fl_start': 0.4371,
     'fl_lapped': 0.6142,
     'races': 9},
)
DEFAULT_PARAMS: dict[str, TrackTypeParams] = {d["track_type"]: TrackTypeParams.from_dict(d) for d in _DEFAULT_ROWS}
