"""The vectorised Monte Carlo model of one Cup race.

Public API (stable)::

    simulate_race(strength, start, track, params, n_scenarios, rng, *, draw_size=None) -> RaceOutcomes

* ``strength``: float array (n,), driver **log-strength** (see below); ``start``: int array (n,)
  of 1-based start positions; ``track``: a ``tracks.Track`` (its ``laps`` = race laps) or an int
  number of laps; ``params``: the ``TrackTypeParams`` of the track's type; ``rng``: a
  ``numpy.random.Generator`` (or an int seed / SeedSequence).
* ``RaceOutcomes`` (frozen): ``finish`` (1-based int16 (S, n), a permutation in every row),
  ``laps_led``, ``fastest_laps``, ``laps_completed`` (int16 (S, n)), ``dnf`` (bool (S, n)),
  ``race_laps`` (int, the laps-led pool) and ``fl_pool`` (int, the fastest-lap pool).

The model, per scenario (all parameters by track type, fitted on real races in ``params``):

1. **Finishing order** (a reversed Plackett–Luce model through Gumbel noise). Performance
   ``perf_i = strength_i + start_weight * start_term(start_i) - noise * G_i`` with G standard
   Gumbel and ``start_term(s) = -(s - 1) / 10``; running cars finish in order of ``perf``.
   Minus a Gumbel (heavy tail of *bad* days: damage, penalties, pit trouble) means the order
   is built from the back: last place is picked first with probability proportional to
   ``exp(-perf / noise)``. It fits 2019–2022 finishing orders better than the forward model
   (start-only log-likelihood -14,263 against -14,387).
   **Strength scale**: log-strength of that model at an average Cup race (``noise = 1``):
   with equal starts ``P(i ahead of j) = 1 / (1 + exp(-(s_i - s_j)))`` (the difference of
   two Gumbels is logistic); a track type's ``noise`` (3.7 on superspeedways, ~0.8–1.3
   elsewhere) divides every strength gap. 0 is a typical driver; a field spans about
   -1.5 .. +1.5. A Plackett–Luce utility ``u`` fitted with unit noise converts as
   ``strength = noise * u - start_weight * start_term(start)``.
2. **DNFs**. Crash incidents ~ Poisson(crash_rate x Gamma(shape)/shape) (race-to-race chaos);
   each collects 1 + Geometric cars (mean crash_size_mean: multi-car crashes on drafting
   tracks), all out on the incident's lap (lap share ~ Beta). Independent mechanical failures
   at mech_dnf_rate per car on average (uniform lap). Weaker cars retire more often (rates
   and crash-pick weights tilted by the car's rank in strength + start effect, fitted to the
   real start positions of retirements). At least one car runs. DNF cars finish behind every
   running car, ordered by laps completed (more laps = better; ties by performance).
3. **Laps completed** of running cars: a Beta share of them on the lead lap, the j-th lapped
   car ``max(previous, 1, round(laps_down_scale * j**laps_down_power * Exp(1)))`` laps down.
4. **Laps led** (pool = race laps, conserved in every scenario) and **fastest laps** (pool =
   round(fl_share x race laps), conserved). Each car's pace rank orders the normal score of
   its performance rank (before DNFs, so a dominator who crashes late still led laps) plus
   ``pace_noise x N(0,1)``: the fastest car usually, not always, wins. Weight
   ``exp(rank_curve(pace_rank) + pool_noise * N(0,1) + pool_start * pool_start_term(start)
   [+ led_winner for the winner, laps led] [+ fl_lapped off the lead lap, fastest laps])
   * share of laps run``: track position from the start, the winner's closing laps, and
   lapped cars on fresh tyres running fast laps (``TrackTypeParams``); shares below the
   type's min_share dropped; the pool apportioned by largest remainder; no car leads more
   laps than it ran, retired or laps down (excess to the winner). Few dominators take most
   laps led, as in real races; fastest laps spread wider. The winner leads at least the last
   lap (as in every real race): if the split gave him none, one lap moves to him from the
   car that led most. (N(0,1) here is an Irwin–Hall sum
   of four uniforms: mean 0, sd 1, bounded at ±3.46; the fit uses the same draws.)

Randomness: per-scenario quantities (crash incidents, lead-lap share) come from the numpy
Generator; per-car draws come from a counter-based hash (splitmix64 of a key drawn from the
Generator and the scenario/car/stream index) inside the numba kernel
(``njit(parallel=True, cache=True)``), so the bytes depend on the Generator state only, never
on the thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from tailrace.rng import as_generator
from tailrace.sim.pool_model import rank_curve, rank_z, skew_weights
from tailrace.sim.track_params import TrackTypeParams, pool_start_term, start_term
from tailrace.sim.version import MODEL_VERSION  # noqa: F401  (re-exported: the version lives there, kernels need none)
from tailrace.tracks import Track



@dataclass(frozen=True)
class RaceOutcomes:
    """Simulated outcomes, shape (S, n) each; pools: race_laps (laps led) and fl_pool (fastest laps)."""

    finish: np.ndarray
    laps_led: np.ndarray
    fastest_laps: np.ndarray
    laps_completed: np.ndarray
    dnf: np.ndarray
    race_laps: int
    fl_pool: int

    @property
    def n_scenarios(self) -> int:
        return int(self.finish.shape[0])


def fl_pool_size(race_laps: int, params: TrackTypeParams) -> int:
    """Fastest-lap pool of a race: round(fl_share x race laps), at least 1."""
    return max(1, int(round(params.fl_share * race_laps)))


_GOLD = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
# Per-car streams of the kernel's counter-based hash: one uniform (or Irwin-Hall normal) per
# (scenario, car slot, stream). The numbers are part of the published bytes: never renumber.
STREAM_FINISH = 0  # running order noise (the Gumbel of each car's finishing key)
STREAM_MECHANICAL = 1  # mechanical failure
STREAM_LAPS_LED = 2  # laps-led pool share (Irwin-Hall normal)
STREAM_LAPS_DOWN = 3  # laps down of a car finishing off the lead lap
STREAM_CRASH_PICK = 4  # which cars a crash incident takes (by pick position, not by car)
STREAM_FASTEST_LAPS = 5  # fastest-lap pool share (Irwin-Hall normal)
STREAM_PACE = 6  # pace noise behind the fastest laps (Irwin-Hall normal)
N_STREAMS = 8  # counter slots per (scenario, car); 7 is spare


@nb.njit(cache=True, inline="always", error_model="numpy")
def _uniform(key: np.uint64, ctr: np.uint64) -> float:
    """Counter-based uniform in [0, 1): splitmix64 of key + ctr * golden gamma (53 bits)."""
    z = key + ctr * _GOLD
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * _INV53


_MASK16 = np.uint64(0xFFFF)
_SH16 = np.uint64(16)
_SQRT3_OVER_65536 = 1.7320508075688772 / 65536.0


@nb.njit(cache=True, inline="always", error_model="numpy")
def irwin_hall_from_bits(z: np.uint64) -> float:
    """Near-normal draw: (sum of four 16-bit uniforms - 2) * sqrt(3), mean 0, sd 1, within +-3.46."""
    a = float(z & _MASK16) + 0.5
    b = float((z >> _SH16) & _MASK16) + 0.5
    c = float((z >> (_SH16 + _SH16)) & _MASK16) + 0.5
    d = float((z >> (_SH16 + _SH16 + _SH16)) & _MASK16) + 0.5
    return (a + b + c + d - 131072.0) * _SQRT3_OVER_65536


@nb.njit(cache=True, inline="always", error_model="numpy")
def _irwin_hall(key: np.uint64, ctr: np.uint64) -> float:
    z = key + ctr * _GOLD
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return irwin_hall_from_bits(z)


@nb.njit(cache=True, inline="always", error_model="numpy")
def _ctr(scen: np.int64, slot: np.int64, stream: np.int64) -> np.uint64:
    return np.uint64((scen * 64 + slot) * N_STREAMS + stream)


@nb.njit(cache=True, inline="always", error_model="numpy")
def _apportion(logw, min_share, pool, out_row, p, fr, idx):
    """Shares from log-weights (small ones dropped, the largest kept), pool split by largest remainder."""
    n = logw.shape[0]
    mx = -np.inf
    for i in range(n):
        if logw[i] > mx:
            mx = logw[i]
    tot = 0.0
    for i in range(n):
        d = logw[i] - mx
        p[i] = np.exp(d) if d > -40.0 else 0.0
        tot += p[i]
    tot2 = 0.0
    for i in range(n):
        v = p[i] / tot
        v = v * ((v >= min_share) | (logw[i] >= mx))  # small shares dropped (branch-free)
        p[i] = v
        tot2 += v
    given = 0
    m = 0
    for i in range(n):
        x = pool * p[i] / tot2
        b = int(x)  # x >= 0: the floor
        out_row[i] = b
        given += b
        f = x - b
        fr[i] = f
        idx[m] = i  # the cars with a positive fractional part, compacted into idx[:m], p[:m]
        p[m] = f  # (m <= i: p[i] was read above, later cars read p[i'] with i' > i)
        m += f > 0.0
    rem = pool - given
    if rem <= 0:
        return
    # the rem largest fractional parts get one more (ties to the lower index): a car's place
    # among the m positive parts is the number of them ahead of it (branch-free counting)
    for a in range(m):
        f = p[a]
        c = 0
        for k in range(m):  # ahead of car a: a larger part, or an equal one of a lower index
            c += (p[k] > f) | ((p[k] == f) & (k < a))
        out_row[idx[a]] += c < rem


@nb.njit(cache=True, inline="always", error_model="numpy")
def _cap_to_laps_run(row, laps_done, s, out, order):
    """No car leads (or runs fastest) more laps than it completed (a retired car, or a fast car
    that finished laps down after trouble): the excess goes to the winner, who ran every lap."""
    n = row.shape[0]
    best = -1
    for k in range(n):
        if not out[order[k]]:
            best = order[k]
            break
    for i in range(n):
        if row[i] > laps_done[s, i]:
            row[best] += row[i] - laps_done[s, i]
            row[i] = laps_done[s, i]


@nb.njit(cache=True, inline="always", error_model="numpy")
def _winner_leads_a_lap(row, out, order):
    """The winner leads at least the last lap: if the split gave him none, one lap moves to
    him from the car that led most (the first such car in index order)."""
    n = row.shape[0]
    w = -1
    for k in range(n):
        if not out[order[k]]:
            w = order[k]
            break
    if w < 0 or row[w] > 0:
        return
    top = 0
    for i in range(1, n):
        if row[i] > row[top]:
            top = i
    if row[top] > 0:
        row[top] -= 1
        row[w] += 1


@nb.njit(cache=True, inline="always", error_model="numpy")
def _order_desc(key, ins, tmp, order):
    """order = indices sorted by key, largest first; equal keys keep their place in ``ins``.

    The same result as inserting ins[0], ins[1], ... one by one into a sorted list (a stable
    insertion sort), computed branch-free: a car's place is the number of cars ahead of it.
    """
    n = key.shape[0]
    for k in range(n):
        tmp[k] = key[ins[k]]
    for k in range(n):
        v = tmp[k]
        c = 0
        for j in range(n):  # one fixed-length loop (vectorises): ahead = larger, or equal and earlier
            c += (tmp[j] > v) | ((tmp[j] == v) & (j < k))
        order[c] = ins[k]


@nb.njit(parallel=True, cache=True, error_model="numpy")
def _race_kernel(scen, cars, curves, scalars, outs):
    """Simulate every scenario in place; the inputs are grouped by what they vary over.

    ``scen`` (per scenario): ``(keys uint64 (S,), sidx int64 (S,), inc_off int64 (S+1,), sizes
    int64 (T,), inc_frac (T,), lead_frac (S,))``: each scenario's hash key and index, its crash
    incidents ``inc_off[s]:inc_off[s+1]`` (cars taken, lap share) and lead-lap share.
    ``cars`` (per car, (n,) each): ``(wexp, bnorm, border, mech_p, crash_w, led_bias, fl_bias)``
    (see ``_constants``). ``curves`` (per rank, (n+1,) each, index 0 unused): ``(down_curve,
    rank_zt, led_curve, fl_curve)``. ``scalars``: ``(laps, fl_pool, pace_noise, trouble_cap,
    led_noise, led_min, led_winner, fl_noise, fl_min, fl_lapped)``. ``outs`` ((S, n) each,
    written): ``(finish, laps_led, fastest, laps_done, dnf)``.
    """
    keys, sidx, inc_off, sizes, inc_frac, lead_frac = scen
    wexp, bnorm, border, mech_p, crash_w, led_bias, fl_bias = cars
    down_curve, rank_zt, led_curve, fl_curve = curves
    laps, fl_pool, pace_noise, trouble_cap, led_noise, led_min, led_winner, fl_noise, fl_min, fl_lapped = scalars
    finish, laps_led, fastest, laps_done, dnf = outs
    S, n = finish.shape
    n_chunks = min(S, 256)
    wtot = 0.0
    for i in range(n):
        wtot += crash_w[i]
    for c in nb.prange(n_chunks):
        lo = (S * c) // n_chunks
        hi = (S * (c + 1)) // n_chunks
        perf = np.empty(n)
        order = np.empty(n, dtype=np.int64)
        rank = np.empty(n, dtype=np.int64)
        prank = np.empty(n, dtype=np.int64)
        out = np.empty(n, dtype=np.bool_)
        frac = np.empty(n)
        pick = np.empty(n, dtype=np.int64)
        z_led = np.empty(n)
        z_fl = np.empty(n)
        lw = np.empty(n)
        p = np.empty(n)
        fr = np.empty(n)
        dl = np.empty(n, dtype=np.int64)
        dkey = np.empty(n)
        row_i = np.empty(n, dtype=np.int64)
        kbuf = np.empty(n)
        loge = np.empty(n)
        pkey = np.empty(n)
        for s in range(lo, hi):
            key = keys[s]
            g = sidx[s]
            for i in range(n):
                u = _uniform(key, _ctr(g, i, STREAM_FINISH))
                # base + noise * log(E) (minus a Gumbel) ranks as exp(base / noise) * E, E ~ Exp(1)
                e = -np.log(1.0 - u)
                perf[i] = wexp[i] * e
                loge[i] = np.log(e) if e > 0.0 else -1e300
                out[i] = False
                frac[i] = 1.0
                pick[i] = i
            # order = cars by performance, best first (exact ties: the stronger base first)
            _order_desc(perf, border, kbuf, order)
            for k in range(n):
                rank[order[k]] = k + 1
            # crash incidents: consecutive cars of a random draw without replacement
            pos = 0
            wleft = wtot
            for k in range(inc_off[s], inc_off[s + 1]):
                f = inc_frac[k]
                for t in range(sizes[k]):
                    if pos < n - 1:
                        # weighted draw without replacement among the cars not yet picked
                        x = _uniform(key, _ctr(g, pos, STREAM_CRASH_PICK)) * wleft
                        j = pos
                        acc = crash_w[pick[j]]
                        while acc <= x and j < n - 1:
                            j += 1
                            acc += crash_w[pick[j]]
                        tmp = pick[pos]
                        pick[pos] = pick[j]
                        pick[j] = tmp
                        d = pick[pos]
                        wleft -= crash_w[d]
                        out[d] = True
                        frac[d] = f
                        pos += 1
            for i in range(n):
                u = _uniform(key, _ctr(g, i, STREAM_MECHANICAL))
                if u < mech_p[i]:
                    f = u / mech_p[i]
                    if (not out[i]) or f < frac[i]:
                        out[i] = True
                        frac[i] = f
            n_run = 0
            for i in range(n):
                if not out[i]:
                    n_run += 1
            if n_run == 0:
                out[order[0]] = False
                frac[order[0]] = 1.0
                n_run = 1
            # running cars: finish by performance; the lapped ones laps down
            m = int(np.floor(lead_frac[s] * n_run + 0.5))
            m = max(1, min(m, n_run))
            place = 0
            prev = 0
            for k in range(n):
                d = order[k]
                if out[d]:
                    continue
                place += 1
                finish[s, d] = place
                down = 0
                if place > m:
                    jj = place - m
                    e = -np.log(1.0 - _uniform(key, _ctr(g, d, STREAM_LAPS_DOWN)))
                    tgt = int(np.floor(down_curve[jj] * e + 0.5))
                    down = max(prev, 1, tgt)
                    down = min(down, laps)
                    prev = down
                laps_done[s, d] = laps - down
                dnf[s, d] = False
            # DNFs at the back: more laps completed first, ties by performance (insertion sort)
            nd = 0
            for i in range(n):
                if out[i]:
                    lc = min(int(np.floor(frac[i] * laps)), laps - 1)
                    laps_done[s, i] = lc
                    dnf[s, i] = True
                    kv = lc + 0.5 * (1.0 - rank[i] / (n + 1.0))
                    q = nd
                    while q > 0 and dkey[q - 1] < kv:
                        dkey[q] = dkey[q - 1]
                        dl[q] = dl[q - 1]
                        q -= 1
                    dkey[q] = kv
                    dl[q] = i
                    nd += 1
            for k in range(nd):
                finish[s, dl[k]] = n_run + k + 1
            # pools: two near-normal draws per car (Irwin-Hall: four 16-bit uniforms of one hash each)
            for i in range(n):
                z_led[i] = _irwin_hall(key, _ctr(g, i, STREAM_LAPS_LED))
                z_fl[i] = _irwin_hall(key, _ctr(g, i, STREAM_FASTEST_LAPS))
                lw[i] = np.log(max(laps_done[s, i] / laps, 1e-9)) if out[i] else 0.0
            # pace performance: the performance with the bad-day loss capped at trouble_cap
            # (trouble costs the finish, not the speed); its rank's normal score plus noise,
            # ranked (1 = fastest)
            for i in range(n):
                pkey[i] = bnorm[i] + max(loge[i], -trouble_cap)
            _order_desc(pkey, border, kbuf, pick)
            for k in range(n):
                prank[pick[k]] = k + 1
            for i in range(n):
                perf[i] = rank_zt[prank[i]] + pace_noise * _irwin_hall(key, _ctr(g, i, STREAM_PACE))
            # pick = cars by pace, fastest first (exact ties: the better performance first)
            _order_desc(perf, order, kbuf, pick)
            for k in range(n):
                prank[pick[k]] = k + 1
            win = -1  # the race winner: the first running car by performance
            for k in range(n):
                if not out[order[k]]:
                    win = order[k]
                    break
            for i in range(n):
                p[i] = led_curve[prank[i]] + led_noise * z_led[i] + lw[i] + led_bias[i]
            if win >= 0:
                p[win] += led_winner
            _apportion(p, led_min, laps, row_i, fr, dkey, pick)
            _cap_to_laps_run(row_i, laps_done, s, out, order)
            _winner_leads_a_lap(row_i, out, order)
            for i in range(n):
                laps_led[s, i] = row_i[i]
            for i in range(n):
                p[i] = fl_curve[prank[i]] + fl_noise * z_fl[i] + lw[i] + fl_bias[i]
                if laps_done[s, i] < laps:  # off the lead lap or out: fresh tyres off sequence
                    p[i] += fl_lapped
            _apportion(p, fl_min, fl_pool, row_i, fr, dkey, pick)
            _cap_to_laps_run(row_i, laps_done, s, out, order)
            for i in range(n):
                fastest[s, i] = row_i[i]


def draw_scenario_randomness(n_scenarios: int, params: TrackTypeParams, rng: np.random.Generator,
                             draw_size: int | None = None) -> dict:
    """Per-scenario random inputs (crash incidents, lead-lap share, the per-car stream key), fixed order.

    With ``draw_size`` > n_scenarios everything is drawn for draw_size scenarios and the first
    n_scenarios kept, so a shorter run is a prefix of a longer one.
    """
    keep = int(n_scenarios)
    S = max(keep, int(draw_size or 0))
    key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
    lam = np.full(S, params.crash_rate)
    if params.crash_rate_shape < 1e5:
        lam = lam * rng.gamma(params.crash_rate_shape, 1.0 / params.crash_rate_shape, S)
    n_inc = rng.poisson(lam).astype(np.int64)
    inc_off = np.zeros(S + 1, dtype=np.int64)
    np.cumsum(n_inc, out=inc_off[1:])
    T = int(inc_off[-1])
    sizes = rng.geometric(1.0 / max(params.crash_size_mean, 1.0), T).astype(np.int64)
    inc_frac = rng.beta(params.crash_lap_a, params.crash_lap_b, T)
    m, sd = params.lead_lap_mean, params.lead_lap_sd
    var = min(sd * sd, 0.9 * m * (1 - m))
    k = m * (1 - m) / var - 1 if var > 0 else 1e6
    lead_frac = rng.beta(max(m * k, 1e-3), max((1 - m) * k, 1e-3), S)
    T_keep = int(inc_off[keep])
    return {"key": key, "inc_off": inc_off[: keep + 1], "sizes": sizes[:T_keep], "inc_frac": inc_frac[:T_keep],
            "lead_frac": lead_frac[:keep]}


def _constants(strength: np.ndarray, start: np.ndarray, laps: int, params: TrackTypeParams) -> dict:
    """Per-race inputs of the kernel that do not change between scenarios."""
    n = strength.shape[0]
    base = strength + params.start_weight * start_term(start)
    ranks = np.arange(n + 1, dtype=np.float64)
    ranks[0] = 1.0
    return {
        "base": base,
        # exp(base / noise), scaled so the largest is 1: ranks cars exactly as base + noise * log(E)
        # (noise 0: every car below the best at 0, so the order is by base; see _order_desc)
        "wexp": np.exp((base - base.max()) / max(float(params.noise), 1e-12)) if n else base.copy(),
        # log of wexp, finite (the pace key adds the capped log(E) to it)
        "bnorm": (base - base.max()) / max(float(params.noise), 1e-12) if n else base.copy(),
        "border": np.argsort(-base, kind="stable").astype(np.int64),
        "mech_p": np.minimum(params.mech_dnf_rate * skew_weights(base, params.mech_skew), 0.95),
        "crash_w": skew_weights(base, params.crash_skew),
        "down_curve": params.laps_down_scale * ranks ** params.laps_down_power,  # j-th lapped car
        "rank_zt": rank_z(ranks, n),
        "led_curve": rank_curve(ranks, params.led_conc, params.led_shape),
        "fl_curve": rank_curve(ranks, params.fl_conc, params.fl_shape),
        # track position: a start term in each pool's log-weight (the front row leads early laps)
        "led_bias": params.led_start * pool_start_term(start),
        "fl_bias": params.fl_start * pool_start_term(start),
    }


def _run(c: dict, r: dict, laps: int, pool: int, params: TrackTypeParams, S: int, n: int) -> RaceOutcomes:
    finish = np.empty((S, n), dtype=np.int16)
    led = np.empty((S, n), dtype=np.int16)
    fl = np.empty((S, n), dtype=np.int16)
    done = np.empty((S, n), dtype=np.int16)
    dnf = np.empty((S, n), dtype=np.bool_)
    if S:
        _race_kernel(
            (r["keys"], r["sidx"], r["inc_off"], r["sizes"], r["inc_frac"], r["lead_frac"]),
            (c["wexp"], c["bnorm"], c["border"], c["mech_p"], c["crash_w"], c["led_bias"], c["fl_bias"]),
            (c["down_curve"], c["rank_zt"], c["led_curve"], c["fl_curve"]),
            (int(laps), int(pool), float(params.pace_noise), float(params.pace_trouble_cap), float(params.led_noise),
             float(params.led_min_share), float(params.led_winner), float(params.fl_noise),
             float(params.fl_min_share), float(params.fl_lapped)),
            (finish, led, fl, done, dnf))
    return RaceOutcomes(finish, led, fl, done, dnf, laps, pool)


def _check(strength: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    strength = np.asarray(strength, dtype=np.float64)
    start = np.asarray(start)
    n = strength.shape[0]
    if start.shape != (n,):
        raise ValueError("strength and start must have the same length")
    if n > 64:
        raise ValueError("at most 64 drivers per race")
    return strength, start, n


def simulate_race(
    strength: np.ndarray,
    start: np.ndarray,
    track: Track | int,
    params: TrackTypeParams,
    n_scenarios: int,
    rng: np.random.Generator | int | np.random.SeedSequence,
    *,
    draw_size: int | None = None,
) -> RaceOutcomes:
    """Simulate ``n_scenarios`` races of the field (see the module docstring for the model).

    ``draw_size`` (optional, >= n_scenarios): draw the per-scenario randomness for that many
    scenarios and keep the first ones, so runs of different lengths share their prefix.
    """
    strength, start, n = _check(strength, start)
    laps = int(track.laps if isinstance(track, Track) else track)
    pool = fl_pool_size(laps, params)
    S = int(n_scenarios)
    r = draw_scenario_randomness(S, params, as_generator(rng, "sfc64"), draw_size)
    r["keys"] = np.full(S, r["key"], dtype=np.uint64)
    r["sidx"] = np.arange(S, dtype=np.int64)
    return _run(_constants(strength, start, laps, params), r, laps, pool, params, S, n)


def simulate_blocks(
    strength: np.ndarray,
    start: np.ndarray,
    track: Track | int,
    params: TrackTypeParams,
    blocks: list[tuple[np.random.Generator, int, int]],
) -> RaceOutcomes:
    """Several independently seeded blocks in one kernel call: ``blocks`` = [(rng, size, draw_size)].

    The result equals concatenating ``simulate_race(..., size, rng, draw_size=draw_size)`` over
    the blocks, byte for byte (same per-scenario draws, same hash keys and indices).
    """
    strength, start, n = _check(strength, start)
    laps = int(track.laps if isinstance(track, Track) else track)
    pool = fl_pool_size(laps, params)
    parts = [(draw_scenario_randomness(size, params, as_generator(g, "sfc64"), ds), size) for g, size, ds in blocks]
    S = sum(size for _, size in parts)
    offs = [0]
    for r, _ in parts:
        offs.append(offs[-1] + int(r["inc_off"][-1]))
    r_all = {
        "keys": np.concatenate([np.full(size, r["key"], dtype=np.uint64) for r, size in parts])
        if parts else np.zeros(0, np.uint64),
        "sidx": np.concatenate([np.arange(size, dtype=np.int64) for _, size in parts])
        if parts else np.zeros(0, np.int64),
        "inc_off": np.concatenate([np.zeros(1, np.int64)] + [r["inc_off"][1:] + o for (r, _), o in zip(parts, offs)]),
        "sizes": np.concatenate([r["sizes"] for r, _ in parts]) if parts else np.zeros(0, np.int64),
        "inc_frac": np.concatenate([r["inc_frac"] for r, _ in parts]) if parts else np.zeros(0),
        "lead_frac": np.concatenate([r["lead_frac"] for r, _ in parts]) if parts else np.zeros(0),
    }
    return _run(_constants(strength, start, laps, params), r_all, laps, pool, params, S, n)
