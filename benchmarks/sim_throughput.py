"""Simulation throughput: 100,000 scenarios x 40 drivers, simulated and scored (DraftKings).

Prints the best of 3 timed runs (after a warm-up that loads the numba kernels) of
``tailrace.sim.simulate.simulate`` with given strengths, the race kernel and the scoring alone,
and the ratio against a straightforward plain-Python implementation of the same race model
(one race at a time, the ``random`` module, lists) run in the same process on a smaller
count and scaled to 100,000.

Usage: python benchmarks/sim_throughput.py [--scenarios 100000] [--baseline 2000]
"""

from __future__ import annotations

import math
import os
import random
import sys
import time

import numpy as np

from tailrace.sim.params import DEFAULT_PARAMS, TrackTypeParams, rank_curve, skew_weights, start_term
from tailrace.sim.race import fl_pool_size, simulate_race
from tailrace.sim.scoring import score_outcomes
from tailrace.sim.simulate import simulate
from tailrace.sites import DRAFTKINGS
from tailrace.slate import Driver, Slate

N = 40
LAPS = 267


def python_race(base: list[float], laps: int, p: TrackTypeParams, mech_p: list[float], crash_w: list[float],
                led_curve: list[float], fl_curve: list[float], pool: int, rnd: random.Random) -> list[tuple]:
    """One race of the same model in plain Python; returns (finish, led, fl, laps_done, dnf) per car."""
    n = len(base)
    perf = [base[i] + p.noise * math.log(-math.log(1.0 - rnd.random())) for i in range(n)]
    order = sorted(range(n), key=lambda i: -perf[i])
    rank = [0] * n
    for k, d in enumerate(order):
        rank[d] = k + 1
    lam = p.crash_rate * (rnd.gammavariate(p.crash_rate_shape, 1.0 / p.crash_rate_shape)
                          if p.crash_rate_shape < 1e5 else 1.0)
    n_inc, acc, x = 0, math.exp(-lam), rnd.random()  # Poisson by inversion
    cdf = acc
    while x > cdf:
        n_inc += 1
        acc *= lam / n_inc
        cdf += acc
    out = [False] * n
    frac = [1.0] * n
    left = list(range(n))
    for _ in range(n_inc):
        size = 1
        while rnd.random() > 1.0 / max(p.crash_size_mean, 1.0):
            size += 1
        f = rnd.betavariate(p.crash_lap_a, p.crash_lap_b)
        for _ in range(size):
            if len(left) <= 1:
                break
            d = rnd.choices(left, weights=[crash_w[i] for i in left])[0]
            left.remove(d)
            out[d], frac[d] = True, f
    for i in range(n):
        u = rnd.random()
        if u < mech_p[i] and ((not out[i]) or u / mech_p[i] < frac[i]):
            out[i], frac[i] = True, u / mech_p[i]
    running = [d for d in order if not out[d]]
    if not running:
        out[order[0]] = False
        running = [order[0]]
    m_, sd = p.lead_lap_mean, p.lead_lap_sd
    k = m_ * (1 - m_) / (sd * sd) - 1
    m = max(1, min(len(running), int(rnd.betavariate(m_ * k, (1 - m_) * k) * len(running) + 0.5)))
    finish, done = [0] * n, [0] * n
    prev = 0
    for place, d in enumerate(running, start=1):
        finish[d] = place
        down = 0
        if place > m:
            tgt = int(p.laps_down_scale * (place - m) ** p.laps_down_power * rnd.expovariate(1.0) + 0.5)
            down = min(max(prev, 1, tgt), laps)
            prev = down
        done[d] = laps - down
    dnfs = [i for i in range(n) if out[i]]
    for i in dnfs:
        done[i] = min(int(frac[i] * laps), laps - 1)
    dnfs.sort(key=lambda i: -(done[i] + 0.5 * (1 - rank[i] / (n + 1.0))))
    for k2, i in enumerate(dnfs):
        finish[i] = len(running) + k2 + 1

    def apportion(curve, noise, min_share, total):
        logw = [curve[rank[i]] + noise * rnd.gauss(0, 1) + math.log(max(done[i] / laps if out[i] else 1.0, 1e-9))
                for i in range(n)]
        mx = max(logw)
        w = [math.exp(v - mx) for v in logw]
        s = sum(w)
        sh = [x / s if (x / s >= min_share or logw[i] == mx) else 0.0 for i, x in enumerate(w)]
        s = sum(sh)
        raw = [total * x / s for x in sh]
        got = [int(v) for v in raw]
        for i in sorted(range(n), key=lambda i: -(raw[i] - got[i]))[: total - sum(got)]:
            got[i] += 1
        best = running[0]
        for i in range(n):
            if out[i] and got[i] > done[i]:
                got[best] += got[i] - done[i]
                got[i] = done[i]
        return got

    led = apportion(led_curve, p.led_noise, p.led_min_share, laps)
    fl = apportion(fl_curve, p.fl_noise, p.fl_min_share, pool)
    return [(finish[i], led[i], fl[i], done[i], out[i]) for i in range(n)]


def python_loop(strength: np.ndarray, start: np.ndarray, p: TrackTypeParams, count: int, seed: int) -> list[list[float]]:
    """``count`` races one at a time in plain Python, scored with the DraftKings rules."""
    rnd = random.Random(seed)
    base_np = strength + p.start_weight * start_term(start)
    base = base_np.tolist()
    mech_p = np.minimum(p.mech_dnf_rate * skew_weights(base_np, p.mech_skew), 0.95).tolist()
    crash_w = skew_weights(base_np, p.crash_skew).tolist()
    ranks = np.arange(N + 1, dtype=float)
    ranks[0] = 1
    led_curve = rank_curve(ranks, p.led_conc, p.led_shape).tolist()
    fl_curve = rank_curve(ranks, p.fl_conc, p.fl_shape).tolist()
    pool = fl_pool_size(LAPS, p)
    table = DRAFTKINGS.finish_points
    st = start.tolist()
    pts_all = []
    for _ in range(count):
        res = python_race(base, LAPS, p, mech_p, crash_w, led_curve, fl_curve, pool, rnd)
        pts_all.append([table[f - 1] + (st[i] - f) + 0.25 * led + 0.45 * fl
                        for i, (f, led, fl, _, _) in enumerate(res)])
    return pts_all


def best_of(fn, repeats: int = 3) -> tuple[float, float]:
    """(best wall seconds, CPU seconds of that run, all threads) over ``repeats`` runs."""
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        run = (time.perf_counter() - t, time.process_time() - c)
        best = min(best, run)
    return best


def main(argv: list[str]) -> int:
    S = int(argv[argv.index("--scenarios") + 1]) if "--scenarios" in argv else 100_000
    B = int(argv[argv.index("--baseline") + 1]) if "--baseline" in argv else 2_000
    p = DEFAULT_PARAMS["intermediate"]
    rng = np.random.default_rng(1)
    strength = np.sort(rng.normal(0, 0.7, N))[::-1]
    start = rng.permutation(N) + 1
    slate = Slate(site=DRAFTKINGS, track="Kansas", drivers=tuple(
        Driver(id=str(i), name=f"D{i}", salary=10_000 - 100 * i, start=int(start[i])) for i in range(N)))

    simulate(slate, 10_000, 0, strengths=strength)  # warm-up: load / compile the numba kernels
    t_full = best_of(lambda: simulate(slate, S, 7, strengths=strength))
    out = simulate_race(strength, start, LAPS, p, S, np.random.default_rng(7))
    t_race = best_of(lambda: simulate_race(strength, start, LAPS, p, S, np.random.default_rng(7)))
    t_score = best_of(lambda: score_outcomes(DRAFTKINGS, start, out))

    python_loop(strength, start, p, 50, 0)
    t0, c0 = time.perf_counter(), time.process_time()
    python_loop(strength, start, p, B, 1)
    t_py = (time.perf_counter() - t0) * S / B
    c_py = (time.process_time() - c0) * S / B
    (t_full, c_full), (t_race, _), (t_score, _) = t_full, t_race, t_score

    try:
        import numba

        threads = numba.get_num_threads()
    except Exception:  # pragma: no cover - numba is a dependency
        threads = -1
    print(f"sim_throughput: {S:,} scenarios x {N} drivers, intermediate track ({LAPS} laps), "
          f"{os.cpu_count()} CPUs, numba threads {threads}")
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        load = float("nan")
    print(f"  load average at start of run: {load:.1f} (figures are wall time; CPU time in brackets)")
    print(f"  simulate() incl. scoring (best of 3): {t_full:.3f} s [cpu {c_full:.3f} s]  "
          f"({S / t_full:,.0f} scenarios/s)")
    print(f"    race kernel alone:                {t_race:.3f} s")
    print(f"    DraftKings scoring alone:         {t_score:.3f} s")
    print(f"  plain-Python loop, same model:      {t_py:.1f} s [cpu {c_py:.1f} s] "
          f"(measured on {B:,} races, scaled to {S:,})")
    print(f"  speed-up vs the loop:               {t_py / t_full:,.0f}x wall, {c_py / c_full:,.0f}x cpu")
    print(f"  goal <= 1 s: {'met' if t_full <= 1.0 else 'NOT met'}; goal >= 100x: "
          f"{'met' if t_py / t_full >= 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
