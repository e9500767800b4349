"""The track-parameter fit's compiled helpers and precomputed tables give numpy's answers bit for bit.

``sim/fit_kernels.py`` ranks rows and sums masked rows; ``sim/params._PoolSim`` keeps the
moments' masks, the log laps-run share and the rank tables once per track type. The fit is a
Nelder–Mead search, so a last-bit change in any objective value could move a fitted parameter
and every calibration figure after it: these tests compare with the plain numpy formulas the
fit used before (written out again here) with ``np.array_equal``, never a tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from tailrace.sim import fit_kernels, fit_pools, params, pool_model
from tailrace.sim.fit_kernels import desc_rank_rows, desc_rank_rows_unordered, pool_row_stats
from tailrace.sim.params import DEFAULT_PARAMS, RaceRecord, pool_start_term, rank_curve, rank_z
from tailrace.sim.race import simulate_race
from tailrace.sim.strength.from_slate import strength_from_start

RANKERS = [desc_rank_rows, desc_rank_rows_unordered]


def _np_ranks(key: np.ndarray) -> np.ndarray:
    """The fit's ranks as numpy made them: a stable argsort of -key, put back in place."""
    order = np.argsort(-key, axis=-1, kind="stable")
    out = np.empty(key.shape)
    np.put_along_axis(out, order, np.broadcast_to(np.arange(1.0, key.shape[-1] + 1.0), key.shape), axis=-1)
    return out


def _np_row_stats(counts, valid, finish, masks):
    """What ``pool_row_stats`` stands in for, as numpy computed it."""
    c = np.where(valid, counts, 0.0)
    top = -np.partition(-c, 2, axis=1)[:, :3]
    lead = np.argmax(c, axis=1)
    return (c.sum(axis=1), top.max(axis=1), top.sum(axis=1), (c > 0).sum(axis=1),
            np.take_along_axis(finish, lead[:, None], axis=1)[:, 0], np.where(masks, c, 0.0).sum(axis=-1))


@pytest.mark.parametrize("kernel", RANKERS)
def test_ranks_by_hand(kernel) -> None:
    # 3 (col 0) first, the tied 3 of col 2 after it (ties by column), then 1, -inf, NaN last
    key = np.array([[3.0, 1.0, 3.0, np.nan, -np.inf], [0.0, -0.0, np.inf, -1.0, 0.0]])
    assert kernel(key).tolist() == [[1.0, 3.0, 2.0, 5.0, 4.0], [2.0, 3.0, 1.0, 5.0, 4.0]]


@pytest.mark.parametrize("kernel", RANKERS)
def test_ranks_equal_numpys_stable_argsort(kernel) -> None:
    rng = np.random.default_rng(11)
    for trial in range(400):
        m, n = int(rng.integers(1, 25)), int(rng.integers(1, 50))
        key = rng.normal(size=(m, n))
        if trial % 2:
            key = np.round(key, 1)  # many ties
        if trial % 3 == 0:
            key = np.sort(key, axis=1)[:, ::-1].copy()  # already in order (the insertion sort's best case)
        for frac, value in ((0.2, -np.inf), (0.1, np.nan), (0.1, np.inf), (0.2, 0.0), (0.2, -0.0)):
            if rng.random() < 0.4:
                key[rng.random((m, n)) < frac] = value
        assert np.array_equal(kernel(key), _np_ranks(key)), trial


def test_pool_row_stats_by_hand() -> None:
    counts = np.array([[1.0, 2.0, 4.0, 4.0], [8.0, 16.0, 32.0, 0.0]])
    valid = np.array([[True, True, True, False], [True, True, True, True]])
    finish = np.array([[3.0, 1.0, 2.0, 9.0], [1.0, 2.0, 3.0, 4.0]])
    masks = np.array([[[True, False, True, True], [False, False, False, False]]])
    tot, top1, top3, nz, lfin, sums = pool_row_stats(counts, valid, finish, masks)
    assert tot.tolist() == [7.0, 56.0]  # the invalid 4.0 counts for nothing
    assert top1.tolist() == [4.0, 32.0] and top3.tolist() == [7.0, 56.0] and nz.tolist() == [3, 3]
    assert lfin.tolist() == [2.0, 3.0] and sums.tolist() == [[5.0, 0.0]]


def test_pool_row_stats_equal_numpy_and_add_in_its_order() -> None:
    rng = np.random.default_rng(12)
    naive_differs = 0
    for n in (3, 7, 8, 9, 15, 16, 17, 40, 43, 127, 128):
        for _ in range(15):
            m = int(rng.integers(1, 9))
            counts = rng.random((m, n)) * 10.0 ** rng.uniform(-4, 4, size=(m, n))  # magnitudes where order shows
            counts[rng.random((m, n)) < 0.3] = 0.0
            if rng.random() < 0.3:
                counts[:, : n // 2] = np.round(counts[:, : n // 2], 0)  # ties for the largest
            valid = rng.random((m, n)) < 0.9
            finish = rng.permutation(m * n).reshape(m, n).astype(np.float64)
            masks = rng.random((3, m, n)) < 0.6
            got = pool_row_stats(counts, valid, finish, masks)
            for g, w in zip(got, _np_row_stats(counts, valid, finish, masks)):
                assert g.dtype == w.dtype and np.array_equal(g, w), n
            c = np.where(valid, counts, 0.0)
            naive = np.array([sum(float(x) for x in row) for row in c])
            naive_differs += int(not np.array_equal(naive, got[0]))
    assert naive_differs > 0  # a left-to-right sum would not pass: the test sees the order
    with pytest.raises(ValueError, match="128"):
        pool_row_stats(np.ones((1, 129)), np.ones((1, 129), dtype=bool), np.ones((1, 129)),
                       np.ones((1, 1, 129), dtype=bool))


def _old_shares(logw, valid, min_share):
    """``pool_shares``' normalisation as numpy made it (the reference)."""
    logw = np.where(valid, logw, -np.inf)
    logw = logw - logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    p = w / w.sum(axis=1, keepdims=True)
    keep = (p >= min_share) | (p == p.max(axis=1, keepdims=True))
    p = np.where(keep, p, 0.0)
    return p / p.sum(axis=1, keepdims=True)


def test_shares_equal_numpys_bit_for_bit() -> None:
    rng = np.random.default_rng(13)
    for n in (1, 3, 8, 9, 17, 40, 43, 128, 129):
        for min_share in (0.0, 0.003, 0.05, 0.3, 1.1):
            m = int(rng.integers(1, 40))
            logw = rng.normal(0.0, 3.0, (m, n))
            valid = rng.random((m, n)) < 0.85
            valid[:, 0] = True
            if n > 2:
                logw[:, 1] = logw[:, 2]  # a tie for the largest share
            with np.errstate(invalid="ignore"):
                assert np.array_equal(params._shares_from_logw(logw, valid, min_share),
                                      _old_shares(logw, valid, min_share), equal_nan=True), (n, min_share)


# ----------------------------------------------------------------------------- the fit's tables


def _old_pool_moments(counts, finish, valid, start) -> np.ndarray:
    """``params._pool_moments`` as it was written before the precomputed masks (the reference)."""
    c = np.where(valid, counts, 0.0)
    tot = c.sum(axis=1)
    ok = tot > 0
    c, finish, start, tot = c[ok], finish[ok], start[ok], tot[ok]
    top = -np.partition(-c, 2, axis=1)[:, :3]
    top1 = top.max(axis=1) / tot
    top3 = top.sum(axis=1) / tot
    nz = (c > 0).sum(axis=1)
    lead = np.argmax(c, axis=1)
    lfin = np.take_along_axis(finish, lead[:, None], axis=1)[:, 0]
    win = np.where(finish == 1, c, 0.0).sum(axis=1) / tot
    bands = [np.where((finish >= lo) & (finish <= hi), c, 0.0).sum(axis=1) / tot for lo, hi in params.BANDS]
    starts = [np.where((start >= lo) & (start <= hi), c, 0.0).sum(axis=1) / tot for lo, hi in params.START_BANDS]
    return np.array([top1.mean(), top3.mean(), nz.mean(), lfin.mean(), top1.std(), win.mean()]
                    + [x.mean() for x in bands] + [x.mean() for x in starts])


def _old_pace(sim, pace_noise: float, cap: float) -> np.ndarray:
    """``_PoolSim.pace`` as it was (1-based float ranks): rank_z on every entry, numpy ranks."""
    key = np.where(sim.valid, sim.U + np.maximum(sim.loge, -cap), -np.inf)
    rk = _np_ranks(key)
    z = np.where(sim.valid, rank_z(np.where(sim.valid, rk, 1.0), sim.n_valid), -np.inf)
    return _np_ranks(z + pace_noise * sim.pace_draw)


def _old_moments(sim, pace, draws, conc, noise, min_share, shape, start_w=0.0, winner=0.0, lapped=0.0):
    bias = start_w * sim.start_term + winner * sim.winner + lapped * sim.lapped
    p = params.pool_shares(pace, sim.frac, draws, conc, noise, min_share, sim.valid, shape, bias)
    return _old_pool_moments(p, sim.finish, sim.valid, sim.start)


@pytest.fixture(scope="module")
def pool_sim():
    """A replay of eight simulated races (36 and 30 cars, so some slots are empty) as the fit builds it."""
    p = DEFAULT_PARAMS["intermediate"]
    rng = np.random.default_rng(3)
    recs, utils = [], []
    for k, n in enumerate((36, 30) * 4):
        start = rng.permutation(n) + 1
        out = simulate_race(strength_from_start(start, p), start, 267, p, 1, np.random.default_rng(k))
        recs.append(RaceRecord(track_type="intermediate", race_laps=int(out.laps_completed[0].max()), start=start,
                               finish=out.finish[0].astype(int), laps_completed=out.laps_completed[0].astype(int),
                               laps_led=out.laps_led[0].astype(int), fastest_laps=out.fastest_laps[0].astype(int),
                               dnf=out.dnf[0].copy()))
        utils.append(0.4 * params.start_term(start) + rng.normal(0.0, 0.5, n))
    return params._PoolSim(recs, utils, 36, np.random.default_rng(20190217), 30)


PACES = [(0.8, 0.5), (1e-3, 50.0), (5.0, 0.05), (0.3, 1.7)]
POOLS = [  # conc, noise, min_share, shape, start_w, winner, lapped
    (0.8, 0.5, 0.02, 0.3, 0.3, 0.6, 0.0),
    (1.5, 1.0, 0.01, 0.5, 0.0, 0.0, 0.0),
    (0.3, 0.05, 0.2, -1.0, -0.4, 2.0, 0.5),
    (2.0, 0.8, 0.003, 0.0, 0.5, 0.0, -0.7),  # shape 0: the log branch of rank_curve
    (0.7, 0.3, 0.05, 2.5, 3.0, -2.0, 4.0),
]


@pytest.mark.parametrize("pace_noise,cap", PACES)
def test_pace_equals_the_plain_formula(pool_sim, pace_noise, cap) -> None:
    new = pool_sim.pace(pace_noise, cap)
    assert new.dtype.kind == "i"
    assert np.array_equal(new + 1.0, _old_pace(pool_sim, pace_noise, cap))


@pytest.mark.parametrize("pool", POOLS)
def test_moments_equal_the_plain_formulas(pool_sim, pool) -> None:
    for pace_noise, cap in PACES[:2]:
        pace = pool_sim.pace(pace_noise, cap)
        old_pace = _old_pace(pool_sim, pace_noise, cap)
        for draws in (pool_sim.led_draw, pool_sim.fl_draw):
            got = pool_sim.moments(pace, draws, *pool)
            assert np.array_equal(got, _old_moments(pool_sim, old_pace, draws, *pool))


def test_pool_moments_with_and_without_masks_and_empty_rows(pool_sim) -> None:
    rng = np.random.default_rng(4)
    counts = np.where(pool_sim.valid, rng.integers(0, 5, pool_sim.valid.shape), 0).astype(np.float64)
    counts[::7] = 0.0  # rows with nothing in the pool are left out of every mean
    want = _old_pool_moments(counts, pool_sim.finish, pool_sim.valid, pool_sim.start)
    assert np.array_equal(params._pool_moments(counts, pool_sim.finish, pool_sim.valid, pool_sim.start), want)
    assert np.array_equal(params._pool_moments(counts, pool_sim.finish, pool_sim.valid, pool_sim.start,
                                               pool_sim.masks), want)


def test_pool_moments_of_rows_longer_than_128_use_numpy() -> None:
    rng = np.random.default_rng(6)
    valid = rng.random((20, 150)) < 0.9
    counts = np.where(valid, rng.integers(0, 9, (20, 150)), 0).astype(np.float64)
    finish = np.argsort(rng.random((20, 150)), axis=1) + 1.0
    start = np.argsort(rng.random((20, 150)), axis=1) + 1.0
    assert np.array_equal(params._pool_moments(counts, finish, valid, start),
                          _old_pool_moments(counts, finish, valid, start))


def test_rank_tables_are_the_elementwise_values(pool_sim) -> None:
    """The lookup tables hold what the per-entry expressions give, for every rank a valid car can have."""
    n_valid = pool_sim.n_valid[:, 0]
    for i in range(0, len(n_valid), 37):
        ranks = np.arange(1.0, n_valid[i] + 1.0)
        assert np.array_equal(pool_sim.zt[i, : int(n_valid[i])], rank_z(ranks, n_valid[i]))
    grid = np.broadcast_to(pool_sim.ranks, pool_sim.valid.shape)
    for conc, shape in ((0.8, 0.3), (2.0, 0.0), (0.3, -1.0), (0.7, 2.5)):
        assert np.array_equal(rank_curve(pool_sim.ranks, conc, shape)[np.broadcast_to(np.arange(36), grid.shape)],
                              rank_curve(grid, conc, shape))
    assert np.array_equal(pool_sim.logfrac, np.log(np.maximum(pool_sim.frac, 1e-9)))
    assert np.array_equal(pool_sim.start_term[pool_sim.valid], pool_start_term(pool_sim.start[pool_sim.valid]))


@pytest.mark.slow
def test_a_fit_with_the_kernels_equals_one_with_numpy_alone(monkeypatch) -> None:
    """The whole fit (five Nelder–Mead searches per type) lands on the very same parameters when
    numpy's own ranks and sums stand in for the kernels (two fits: ~5 s on a quiet machine)."""
    p = DEFAULT_PARAMS["short"]
    start = np.random.default_rng(8).permutation(32) + 1
    out = simulate_race(strength_from_start(start, p), start, 400, p, 4, np.random.default_rng(8))
    recs = [RaceRecord(track_type="short", race_laps=int(out.laps_completed[i].max()), start=start,
                       finish=out.finish[i].astype(int), laps_completed=out.laps_completed[i].astype(int),
                       laps_led=out.laps_led[i].astype(int), fastest_laps=out.fastest_laps[i].astype(int),
                       dnf=out.dnf[i].copy()) for i in range(4)]
    fb = {"short": p}
    fast = params.fit_track_type_params(recs, fallback=fb)
    assert fast["short"] != p  # a real fit, not the fallback
    # each kernel where the fit looks it up (pool_model and fit_pools import them at their top)
    monkeypatch.setattr(pool_model, "desc_rank_rows", _np_ranks)
    monkeypatch.setattr(pool_model, "desc_rank_rows_unordered", _np_ranks)
    monkeypatch.setattr(fit_pools, "pool_row_stats", _np_row_stats)
    monkeypatch.setattr(fit_pools, "_shares_from_logw", _old_shares)  # where the fit looks it up
    assert params.fit_track_type_params(recs, fallback=fb) == fast
