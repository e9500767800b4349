"""The day's overlap rule: lineups entered in different contests share at most ``k`` drivers.

``overlap_admission`` turns the lineups already fixed in other contests into an admission rule
(contest mode's ``admit``: lineups (m, roster) -> bool (m,)); ``cross_contest_overlap`` is the
largest number of drivers two lineups of different contests share (the plan reports it).
Driver sets are bit sets (``lineup_bits``): one uint64 word per 64 drivers, so a pair's shared
drivers are the popcount of their AND.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["lineup_bits", "overlap_admission", "cross_contest_overlap"]

_CHUNK = 8192  # candidate rows per vectorised block (block x fixed x words uint64 at a time)


def lineup_bits(lineups: np.ndarray, n_drivers: int) -> np.ndarray:
    """Driver sets as bits.

    Parameters
    ----------
    lineups : ndarray of shape (m, roster)
        Driver indices in ``0 .. n_drivers - 1`` (any integer dtype).
    n_drivers : int

    Returns
    -------
    ndarray of shape (m, ceil(n_drivers / 64)), uint64
        Bit ``d % 64`` of word ``d // 64`` is set when driver ``d`` is in the lineup.
    """
    lu = np.asarray(lineups, dtype=np.int64)
    words = max(1, -(-int(n_drivers) // 64))
    out = np.zeros((lu.shape[0], words), dtype=np.uint64)
    rows = np.arange(lu.shape[0])
    for c in range(lu.shape[1]):  # a loop over roster slots, vectorised over lineups
        d = lu[:, c]
        out[rows, d // 64] |= np.left_shift(np.uint64(1), (d % 64).astype(np.uint64))
    return out


def _max_shared(bits: np.ndarray, fixed_bits: np.ndarray) -> np.ndarray:
    """Per row of ``bits`` (m, W), the most drivers it shares with any row of ``fixed_bits`` (F, W); shape (m,)."""
    out = np.zeros(bits.shape[0], dtype=np.int64)
    if fixed_bits.shape[0] == 0:
        return out
    for a in range(0, bits.shape[0], _CHUNK):
        blk = bits[a:a + _CHUNK]
        shared = np.bitwise_count(blk[:, None, :] & fixed_bits[None, :, :]).sum(axis=2, dtype=np.int64)
        out[a:a + blk.shape[0]] = shared.max(axis=1)
    return out


def overlap_admission(fixed: np.ndarray, n_drivers: int, k: int) -> Callable[[np.ndarray], np.ndarray]:
    """``admit(lineups (m, roster)) -> bool (m,)``: True where the lineup shares at most ``k``
    drivers with every lineup of ``fixed``.

    Parameters
    ----------
    fixed : ndarray of shape (F, roster)
        The lineups already fixed in the other contests (F may be 0: everything passes).
    n_drivers : int
    k : int
        Drivers a lineup may share with each fixed lineup, >= 0.

    Returns
    -------
    callable
        ``admit``; an empty input gives an empty bool array.
    """
    fb = lineup_bits(fixed, n_drivers) if np.asarray(fixed).size else np.zeros((0, 1), dtype=np.uint64)

    def admit(lineups: np.ndarray) -> np.ndarray:
        lu = np.asarray(lineups)
        if lu.shape[0] == 0 or fb.shape[0] == 0:
            return np.ones(lu.shape[0], dtype=bool)
        return _max_shared(lineup_bits(lu, n_drivers), fb) <= k

    return admit


def cross_contest_overlap(groups: Sequence[np.ndarray], n_drivers: int) -> int | None:
    """The most drivers two lineups of *different* groups share; None when fewer than two groups hold lineups.

    Parameters
    ----------
    groups : sequence of ndarray of shape (m_c, roster)
        Per contest, its lineups.
    n_drivers : int
    """
    full = [np.asarray(g) for g in groups if np.asarray(g).size]
    if len(full) < 2:
        return None
    best = 0
    for c in range(1, len(full)):  # a loop over contests (a handful), vectorised over lineups
        best = max(best, int(_max_shared(lineup_bits(full[c], n_drivers),
                                         lineup_bits(np.concatenate(full[:c]), n_drivers)).max()))
    return best
