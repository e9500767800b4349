"""Compiled helpers of the track-parameter fit (``sim.params``) that give numpy's answers bit for bit.

The fit's objectives are evaluated thousands of times per track type (Nelder–Mead on common
random numbers); each evaluation ranks a few hundred replayed races and sums masked shares
row by row. In numpy most of that time went to temporaries and call overhead. The kernels here
do the same work in one compiled pass and return exactly what numpy returned:

* :func:`desc_rank_rows` (nearly ordered rows) and :func:`desc_rank_rows_unordered`
  (shuffled rows): ranks are integers, so there is nothing to round; ties and NaN are ordered
  as numpy's stable argsort orders them.
* :func:`shift_rows` and :func:`normalise_and_trim_rows`: the pool shares around numpy's
  ``exp`` (which stays numpy's), the row sums in numpy's order.
* :func:`pool_row_stats`: the per-row figures of the pool moments; its float sums are added
  in numpy's own order (its pairwise summation of a contiguous row of up to 128 values: eight
  interleaved accumulators, then the rest), masked entries read as 0.0, as
  ``np.where(mask, c, 0.0).sum(axis=-1)`` adds them. (No recursion: numba's on-disk cache
  does not reload recursive functions safely.)

Elementwise transcendental functions (exp, log, power) stay in numpy, whose SIMD versions need
not agree with a compiled libm to the last bit. A fit is therefore unchanged to the last bit,
and so is everything downstream of it (``tests/test_fit_kernels.py`` checks both kernels against
numpy on random inputs, and a fit against one made with numpy alone).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_PW_BLOCK = 128  # numpy's PW_BLOCKSIZE: rows up to this length are summed by eight accumulators


@nb.njit(cache=True)
def desc_rank_rows(key: np.ndarray) -> np.ndarray:
    """1-based rank of each entry within its row, largest first, ties by column index.

    Exactly the ranks of ``np.argsort(-key, axis=-1, kind="stable")`` put back in place: a
    stable ascending sort of ``-key`` (NaN last, ties by index). Insertion sort per row: rows
    are short (the drivers of a race) and often nearly ordered (drivers listed by finish).

    Parameters
    ----------
    key : ndarray of shape (m, n), float64

    Returns
    -------
    ndarray of shape (m, n), float64
        Ranks 1..n in each row.
    """
    m, n = key.shape
    out = np.empty((m, n))
    idx = np.empty(n, dtype=np.int64)
    for i in range(m):
        row = key[i]
        for j in range(n):
            v = row[j]
            p = j
            if v == v:  # a NaN stays behind every number and every earlier NaN
                while p > 0:
                    w = row[idx[p - 1]]
                    if w != w or v > w:  # strictly ahead of the one before it: move past
                        idx[p] = idx[p - 1]
                        p -= 1
                    else:
                        break
            idx[p] = j
        for r in range(n):
            out[i, idx[r]] = r + 1.0
    return out


@nb.njit(cache=True)
def desc_rank_rows_unordered(key: np.ndarray) -> np.ndarray:
    """:func:`desc_rank_rows` for rows in no particular order (the same ranks, bit for bit).

    Each entry's rank is one plus the count of entries ahead of it (larger, or equal and
    earlier): a fixed amount of work per row, which beats the insertion sort when the rows are
    shuffled (the start-only curve's replays) and loses to it when they are nearly ordered.

    Parameters
    ----------
    key : ndarray of shape (m, n), float64

    Returns
    -------
    ndarray of shape (m, n), float64
        Ranks 1..n in each row.
    """
    m, n = key.shape
    out = np.empty((m, n))
    for i in range(m):
        row = key[i]
        for k in range(n):
            v = row[k]
            c = 0
            if v != v:  # NaN: behind every number and every earlier NaN
                for j in range(n):
                    w = row[j]
                    c += (w == w) | (j < k)
            else:
                for j in range(n):  # a NaN is never ahead of a number
                    w = row[j]
                    c += (w > v) | ((w == v) & (j < k))
            out[i, k] = c + 1.0
    return out


@nb.njit(cache=True, inline="always")
def _at(a: np.ndarray, mask: np.ndarray, i: int) -> float:
    return a[i] if mask[i] else 0.0


@nb.njit(cache=True)
def _pairwise(a: np.ndarray, mask: np.ndarray, lo: int, n: int) -> float:
    """numpy's ``pairwise_sum`` of ``a[lo:lo + n]`` (masked entries as 0.0), same order, for
    ``n <= 128`` (numpy splits longer rows in halves; the callers never pass them)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += _at(a, mask, i)
        return res
    r0 = _at(a, mask, lo)
    r1 = _at(a, mask, lo + 1)
    r2 = _at(a, mask, lo + 2)
    r3 = _at(a, mask, lo + 3)
    r4 = _at(a, mask, lo + 4)
    r5 = _at(a, mask, lo + 5)
    r6 = _at(a, mask, lo + 6)
    r7 = _at(a, mask, lo + 7)
    i = 8
    end = n - n % 8
    while i < end:
        j = lo + i
        r0 += _at(a, mask, j)
        r1 += _at(a, mask, j + 1)
        r2 += _at(a, mask, j + 2)
        r3 += _at(a, mask, j + 3)
        r4 += _at(a, mask, j + 4)
        r5 += _at(a, mask, j + 5)
        r6 += _at(a, mask, j + 6)
        r7 += _at(a, mask, j + 7)
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += _at(a, mask, lo + i)
        i += 1
    return res


@nb.njit(cache=True)
def pool_row_stats(counts: np.ndarray, valid: np.ndarray, finish: np.ndarray, masks: np.ndarray):
    """The per-row figures of ``sim.params._pool_moments`` in one pass, bit for bit.

    With ``c = np.where(valid, counts, 0.0)``: each row's total (``c.sum(axis=1)``), largest
    value, sum of its three largest (numpy took them from ``np.partition``, whose first two are
    in no set order; their sum does not depend on it, ``a + b == b + a``, so it is
    ``(first + second) + third``), count of positive entries, the finish of the first largest
    (``np.argmax``), and ``np.where(masks[k], c, 0.0).sum(axis=1)`` for each mask; every sum in
    numpy's pairwise order.

    Parameters
    ----------
    counts : ndarray of shape (m, n), float64, non-negative, n >= 3
    valid : ndarray of shape (m, n), bool
    finish : ndarray of shape (m, n), float64
    masks : ndarray of shape (k, m, n), bool

    Returns
    -------
    tot, top1, top3 : ndarray of shape (m,), float64
    nz : ndarray of shape (m,), int64
    lead_finish : ndarray of shape (m,), float64
    sums : ndarray of shape (k, m), float64
    """
    m, n = counts.shape
    if n > _PW_BLOCK:
        raise ValueError("pool_row_stats: rows longer than 128 are summed differently by numpy")
    k_masks = masks.shape[0]
    tot = np.empty(m)
    top1 = np.empty(m)
    top3 = np.empty(m)
    nz = np.empty(m, dtype=np.int64)
    lead_finish = np.empty(m)
    sums = np.empty((k_masks, m))
    c = np.empty(n)
    everyone = np.ones(n, dtype=np.bool_)
    for i in range(m):
        a = -np.inf
        b = -np.inf
        d = -np.inf
        lead = 0
        cnt = 0
        for j in range(n):
            x = counts[i, j] if valid[i, j] else 0.0
            c[j] = x
            cnt += x > 0.0
            if x > a:
                d = b
                b = a
                a = x
                lead = j
            elif x > b:
                d = b
                b = x
            elif x > d:
                d = x
        tot[i] = 0.0 + _pairwise(c, everyone, 0, n)
        top1[i] = a
        top3[i] = (a + b) + d  # counts are >= 0: adding numpy's leading 0.0 changes nothing
        nz[i] = cnt
        lead_finish[i] = finish[i, lead]
        for k in range(k_masks):
            sums[k, i] = 0.0 + _pairwise(c, masks[k, i], 0, n)
    return tot, top1, top3, nz, lead_finish, sums


@nb.njit(cache=True)
def shift_rows(logw: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``x - x.max(axis=1, keepdims=True)`` with ``x = np.where(valid, logw, -np.inf)``.

    Parameters
    ----------
    logw : ndarray of shape (m, n), float64
    valid : ndarray of shape (m, n), bool

    Returns
    -------
    ndarray of shape (m, n), float64
        Each row's log-weights less its largest valid one (invalid entries -inf).
    """
    m, n = logw.shape
    out = np.empty((m, n))
    for i in range(m):
        top = -np.inf
        nan = False
        for j in range(n):
            x = logw[i, j] if valid[i, j] else -np.inf
            out[i, j] = x
            if x != x:
                nan = True
            elif x > top:
                top = x
        if nan:  # numpy's max is NaN if any entry is
            top = np.nan
        for j in range(n):
            out[i, j] = out[i, j] - top
    return out


@nb.njit(cache=True)
def normalise_and_trim_rows(w: np.ndarray, min_share: float) -> np.ndarray:
    """The end of ``sim.params.pool_shares`` on the row weights ``w`` (``exp`` of :func:`shift_rows`):
    ``p = w / w.sum(axis=1, keepdims=True)``, shares below ``min_share`` dropped (the row's
    largest always kept), renormalised; every sum in numpy's pairwise order.

    Parameters
    ----------
    w : ndarray of shape (m, n), float64, non-negative, n <= 128
    min_share : float

    Returns
    -------
    ndarray of shape (m, n), float64
        Rows summing to one.
    """
    m, n = w.shape
    if n > _PW_BLOCK:
        raise ValueError("normalise_and_trim_rows: rows longer than 128 are summed differently by numpy")
    out = np.empty((m, n))
    p = np.empty(n)
    everyone = np.ones(n, dtype=np.bool_)
    for i in range(m):
        s = 0.0 + _pairwise(w[i], everyone, 0, n)
        top = -np.inf
        nan = False
        for j in range(n):
            p[j] = w[i, j] / s
            if p[j] != p[j]:
                nan = True
            elif p[j] > top:
                top = p[j]
        if nan:
            top = np.nan
        for j in range(n):
            if not (p[j] >= min_share or p[j] == top):
                p[j] = 0.0
        s2 = 0.0 + _pairwise(p, everyone, 0, n)
        for j in range(n):
            out[i, j] = p[j] / s2
    return out
