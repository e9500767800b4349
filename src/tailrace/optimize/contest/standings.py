"""Candidates' paid standings against a field, straight into per-candidate (CSC) arrays.

The contest selection needs, for every candidate lineup, the scenarios where it lands in a
paid place and there the field entries strictly above it, the field entries tied with it and
its score key. The measure's grid kernel (``contest.simulate.standings_grid``) gives dense
(scenario, lineup) arrays; contest mode kept about a fifth of their cells, after ``nonzero``,
five fancy-indexing gathers, concatenations and a sort by candidate. ``paid_standings_grid``
computes the same numbers with the same integer arithmetic and writes only the paid cells,
grouped by candidate with scenarios ascending: the arrays ``paid._PaidStore`` used to assemble,
bit for bit, at a fraction of the memory traffic.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from tailrace.contest.simulate import KEY_PER_GRID, _fill_pairs, _score, pair_slots

# the field's per-scenario score ranges (int32 cells, touched only in the paid regions) above which
# ``paid_standings_grid`` declines (returns None): 512 MB of address space
MAX_REGION_CELLS = 1 << 27



@nb.njit(cache=True, parallel=True, nogil=True)
def _field_regions(g: np.ndarray, field_flat: np.ndarray, h: int, field_c: np.ndarray, n_paid: int,
                   width: np.ndarray, off: np.ndarray, lo: np.ndarray, hi: np.ndarray, A: np.ndarray) -> None:
    """Per scenario, the field's paid region as counts at or above each grid total.

    Scenario ``s``'s field totals lie within ``width[s]`` consecutive grid units. ``lo[s]``: the
    lowest total that can be paid (the ``n_paid``-th highest field entry's total; the field's
    lowest when it has fewer entries); ``hi[s]``: the field's highest total. ``A[off[s] + k]``
    = field entries with total >= ``lo[s] + k`` for k = 0 .. hi[s] - lo[s] + 1 (the last is 0).
    """
    S = g.shape[0]
    u = field_c.shape[0]
    n1 = g.shape[1] + 1
    for s in nb.prange(S):
        tab = np.empty(n1 * n1, dtype=np.int32)
        _fill_pairs(g[s], tab)
        mn = np.int32(2**31 - 1)
        mx = np.int32(-(2**31))
        f = np.empty(u, dtype=np.int32)
        for i in range(u):
            v = _score(tab, field_flat, i, h)
            f[i] = v
            mn = min(mn, v)
            mx = max(mx, v)
        if u == 0:
            lo[s] = 0
            hi[s] = -1
            A[off[s]] = 0
            continue
        hist = np.zeros(mx - mn + 1, dtype=np.int32)
        for i in range(u):
            hist[f[i] - mn] += field_c[i]
        # from the top down to the n_paid-th entry
        acc = 0
        k = mx - mn
        while k > 0 and acc + hist[k] < n_paid:
            acc += hist[k]
            k -= 1
        lo[s] = mn + k
        hi[s] = mx
        o = off[s]
        run = 0
        A[o + mx - mn - k + 1] = 0
        for j in range(mx - mn, k - 1, -1):
            run += hist[j]
            A[o + j - k] = run


@nb.njit(cache=True, inline="always")
def _standing(A: np.ndarray, o: int, lo: int, hi: int, n_field: int, v: int) -> tuple[int, int]:
    """(field strictly above, field tied) for grid total ``v`` from a scenario's region."""
    if v > hi:
        return 0, 0
    if v < lo:
        return n_field, 0
    above = A[o + v - lo + 1]
    return above, A[o + v - lo] - above


@nb.njit(cache=True, parallel=True, nogil=True)
def _count_paid(g: np.ndarray, ours_flat: np.ndarray, h: int, m: int, n_paid: int, n_field: int, off: np.ndarray,
                lo: np.ndarray, hi: np.ndarray, A: np.ndarray, block: int) -> np.ndarray:
    """Paid scenarios per (scenario block, candidate), shape (n_blocks, m), int64."""
    S = g.shape[0]
    n1 = g.shape[1] + 1
    nb_ = (S + block - 1) // block
    cnt = np.zeros((nb_, m), dtype=np.int64)
    for b in nb.prange(nb_):
        tab = np.empty(n1 * n1, dtype=np.int32)
        for s in range(b * block, min(S, (b + 1) * block)):
            _fill_pairs(g[s], tab)
            o, l, u = off[s], lo[s], hi[s]
            for j in range(m):
                v = _score(tab, ours_flat, j, h)
                a, t = _standing(A, o, l, u, n_field, v)
                if a < n_paid:
                    cnt[b, j] += 1
    return cnt


@nb.njit(cache=True, parallel=True, nogil=True)
def _fill_paid(g: np.ndarray, ours_flat: np.ndarray, h: int, m: int, n_paid: int, n_field: int, off: np.ndarray,
               lo: np.ndarray, hi: np.ndarray, A: np.ndarray, block: int, pos: np.ndarray, key_per_grid: int,
               row: np.ndarray, fa: np.ndarray, ft: np.ndarray, key: np.ndarray) -> None:
    """Write every paid (scenario, candidate) at ``pos[block, candidate]`` (then advanced)."""
    S = g.shape[0]
    n1 = g.shape[1] + 1
    nb_ = (S + block - 1) // block
    CB = 512  # candidates per pass over the block's scenarios: their write positions stay in cache
    for b in nb.prange(nb_):
        s0, s1 = b * block, min(S, (b + 1) * block)
        tabs = np.empty((s1 - s0, n1 * n1), dtype=np.int32)
        for s in range(s0, s1):
            _fill_pairs(g[s], tabs[s - s0])
        for j0 in range(0, m, CB):
            for s in range(s0, s1):
                tab = tabs[s - s0]
                o, l, u = off[s], lo[s], hi[s]
                for j in range(j0, min(m, j0 + CB)):
                    v = _score(tab, ours_flat, j, h)
                    a, t = _standing(A, o, l, u, n_field, v)
                    if a < n_paid:
                        q = pos[b, j]
                        pos[b, j] = q + 1
                        row[q] = s
                        fa[q] = a
                        ft[q] = t
                        key[q] = np.int64(v) * key_per_grid


def paid_standings_grid(g: np.ndarray, cands: np.ndarray, field_u: np.ndarray, field_c: np.ndarray, n_paid: int,
                        chunk: int | None = None, max_cells: int = MAX_REGION_CELLS,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Where each candidate is paid against the field, grouped by candidate (grid points only).

    Parameters
    ----------
    g : ndarray of shape (n_scenarios, n_drivers), int32
        Points in grid units (``contest.simulate.grid_points``; the caller checked the score
        range fits the histogram, as ``standings_kernel`` does).
    cands : ndarray of shape (m, roster), int
        Candidate lineups, rows sorted.
    field_u : ndarray of shape (u, roster), int
        Distinct field lineups; ``field_c`` (u,) the entries holding each.
    n_paid : int
        Paid places of the payout table.
    chunk : int, optional
        Scenarios per parallel task (default 32).
    max_cells : int
        Bound on the field regions' cells (each scenario's field score range in grid units,
        summed); above it the function returns None and the caller takes another path.

    Returns
    -------
    None when the score ranges exceed ``max_cells``; else
    cptr : ndarray of shape (m + 1,), int64
        Candidate ``c``'s entries are ``cptr[c]:cptr[c + 1]``.
    row : ndarray of shape (E,), int64
        Scenario of each entry, ascending within a candidate.
    fa, ft : ndarray of shape (E,), int32
        Field entries strictly above, and tied (the candidate itself excluded).
    key : ndarray of shape (E,), int64
        The candidate's score key there (``SCORE_SCALE`` units).

    Notes
    -----
    Same numbers as ``standings_kernel(points, cands, field_u, field_c, False)`` kept where
    ``above < n_paid`` (with ``tied - 1``), the layout ``_Paid`` holds.
    """
    S, n = g.shape
    cands = np.asarray(cands)
    m = cands.shape[0]
    if m == 0 or S == 0:
        z = np.zeros(0, dtype=np.int32)
        return np.zeros(m + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), z, z.copy(), np.zeros(0, dtype=np.int64)
    r = cands.shape[1]
    os_ = pair_slots(cands, n)
    h = os_.shape[1]
    fu = np.asarray(field_u).reshape(-1, r)
    fs = pair_slots(fu, n)
    fc = np.ascontiguousarray(field_c, dtype=np.int32)
    n_field = int(fc.sum(dtype=np.int64))
    # each scenario's field totals span at most its best roster minus its worst, in grid units
    gs = np.sort(g, axis=1)
    width = (gs[:, -r:].sum(axis=1, dtype=np.int64) - gs[:, :r].sum(axis=1, dtype=np.int64) + 2) if fu.shape[0] else \
        np.ones(S, dtype=np.int64)
    if int(width.sum()) > max_cells:
        return None
    off = np.zeros(S, dtype=np.int64)
    np.cumsum(width[:-1], out=off[1:])
    A = np.empty(int(off[-1] + width[-1]), dtype=np.int32)  # touched only in the paid regions
    lo = np.empty(S, dtype=np.int32)
    hi = np.empty(S, dtype=np.int32)
    _field_regions(g, fs.reshape(-1), h, fc, int(n_paid), width, off, lo, hi, A)
    block = int(chunk) if chunk else 32
    cnt = _count_paid(g, os_.reshape(-1), h, m, int(n_paid), n_field, off, lo, hi, A, block)
    cptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(cnt.sum(axis=0), out=cptr[1:])
    # where each block's entries of a candidate start: after the earlier blocks'
    pos = np.cumsum(cnt, axis=0)
    pos -= cnt
    pos += cptr[:-1]
    E = int(cptr[-1])
    orow = np.empty(E, dtype=np.int64)
    ofa = np.empty(E, dtype=np.int32)
    oft = np.empty(E, dtype=np.int32)
    okey = np.empty(E, dtype=np.int64)
    _fill_paid(g, os_.reshape(-1), h, m, int(n_paid), n_field, off, lo, hi, A, block, pos, int(KEY_PER_GRID),
               orow, ofa, oft, okey)
    return cptr, orow, ofa, oft, okey
