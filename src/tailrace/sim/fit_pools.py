"""The simulated-moments fit of the laps-led and fastest-lap pools: the moments a race's pools are
matched on, common random numbers per track type (``_PoolSim``) and the Nelder–Mead fit (``_fit_pools``)."""

from __future__ import annotations

import numpy as np

from tailrace.sim.fit_order import minimize
from tailrace.sim.pool_model import _desc_rank, _pace_from_z, _shares_from_logw, rank_curve, rank_z
from tailrace.sim.track_params import RaceRecord, TrackTypeParams, pool_start_term
from tailrace.sim.fit_kernels import pool_row_stats


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
