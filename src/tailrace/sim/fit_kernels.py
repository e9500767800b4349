"""Compiled helpers of the track-parameter fit (``sim.params``): exact, integer-valued work only.

The fit's objectives rank performances row by row thousands of times per fit; numpy's stable
``argsort`` plus ``put_along_axis`` did that with most of its time spent outside the sort.
:func:`desc_rank_rows` gives the very same ranks (they are integers, so there is nothing to
round) in one compiled pass. Floating-point arithmetic of the objectives stays in numpy, so the
fit's every intermediate value, and therefore its result, is unchanged bit for bit.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def desc_rank_rows(key: np.ndarray) -> np.ndarray:
    """1-based rank of each entry within its row, largest first, ties by column index.

    Exactly the ranks of ``np.argsort(-key, axis=-1, kind="stable")`` put back in place: a
    stable ascending sort of ``-key`` (NaN last, ties by index). Each entry's rank is one plus
    the count of entries ahead of it (larger, or equal and earlier), a fixed-length loop that
    vectorises: rows are short (the drivers of a race), so O(n^2) per row beats a sort.

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
                for j in range(n):  # NaN w: never ahead of a number
                    w = row[j]
                    c += (w > v) | ((w == v) & (j < k))
            out[i, k] = c + 1.0
    return out
