"""``fit_track_type_params``: every track type's parameters estimated from real races (moment
matching, Plackett–Luce MLE, the pools' simulated moments); types with fewer than ``MIN_RACES``
races keep the fallback's values."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import numpy as np

from tailrace.numeric import bisect_increasing
from tailrace.rng import as_generator
from tailrace.sim.default_params import DEFAULT_PARAMS
from tailrace.sim.fit_order import _driver_proxy, _fit_start_curve, _match_spearman, _ordered_running, _pl_fit
from tailrace.sim.fit_pools import _fit_pools, _pool_moments, _PoolSim
from tailrace.sim.track_params import RaceRecord, TrackTypeParams, start_term


MIN_RACES = 4  # fewer races of a type than this: keep the fallback parameters


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
