"""Shapes of the laps-led and fastest-lap pools and of retirements, shared by the race simulation
and the fit: rank curves, pace ranks, pool shares, retirement skew. ``tailrace.sim.params``
re-exports the public ones."""

from __future__ import annotations

import numpy as np

from tailrace.startup import special_ufunc
from tailrace.sim.fit_kernels import desc_rank_rows, desc_rank_rows_unordered, normalise_and_trim_rows, shift_rows


ndtri = special_ufunc("ndtri")  # scipy.special.ndtri, the very ufunc; see startup.preload_special_ufuncs


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


def _desc_rank(key: np.ndarray, ordered: bool = True) -> np.ndarray:
    """1-based rank of each entry in its row, largest first (ties by index).

    ``key``: array of shape (..., n); returns float64 ranks of the same shape, exactly those of
    a stable argsort of ``-key`` (compiled: ``sim.fit_kernels``). ``ordered``: whether the rows
    are nearly in order already (a speed hint only; the ranks are the same either way)."""

    k = np.ascontiguousarray(key, dtype=np.float64)
    kernel = desc_rank_rows if ordered else desc_rank_rows_unordered
    return kernel(k.reshape(-1, k.shape[-1])).reshape(k.shape)


def skew_weights(base: np.ndarray, skew: float) -> np.ndarray:
    """Relative retirement weights (mean 1): exp(skew * q), q = (rank of base from the top - 0.5) / n."""
    base = np.asarray(base, dtype=np.float64)
    n = len(base)
    order = np.argsort(-base, kind="stable")
    q = np.empty(n)
    q[order] = (np.arange(n) + 0.5) / n
    w = np.exp(skew * q)
    return w / w.mean()
