"""Candidates' paid standings against a field, straight into per-candidate (CSC) arrays.

The contest selection needs, for every candidate lineup, the scenarios where it lands in a
paid place and there the field entries strictly above it, the field entries tied with it and
its score key. The measure's grid kernel (``contest.simulate.standings_grid``) gives dense
(scenario, lineup) arrays; contest mode kept about a fifth of their cells, after ``nonzero``,
five fancy-indexing gathers, concatenations and a sort by candidate. ``paid_standings_grid``
computes the same numbers with the same integer arithmetic and writes only the paid cells,
grouped by candidate with scenarios ascending: the arrays ``_PaidStore`` used to assemble,
bit for bit, at a fraction of the memory traffic.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from tailrace.contest.simulate import KEY_PER_GRID, _fill_pairs, _score, pair_slots

_SCRATCH_BYTES = 2**25  # dense per-chunk scratch (three int32 cells per scenario and candidate)


@nb.njit(cache=True, parallel=True)
def _chunk_paid(g: np.ndarray, ours_flat: np.ndarray, h: int, field_flat: np.ndarray, field_c: np.ndarray,
                n_paid: int, x: np.ndarray, fa: np.ndarray, ft: np.ndarray) -> np.ndarray:
    """Standings of every candidate in each scenario of a chunk, and the paid count per scenario.

    Parameters
    ----------
    g : ndarray of shape (B, n_drivers), int32
        The chunk's points in grid units (``contest.simulate.grid_points``).
    ours_flat, field_flat : ndarray of shape (m * h,), (u * h,)
        Candidates' and distinct field lineups' pair slots (``pair_slots``), raveled.
    h : int
        Pair slots per lineup.
    field_c : ndarray of shape (u,), int32
        Entries holding each distinct field lineup.
    n_paid : int
        Paid places: a candidate is paid where fewer field entries are strictly above it.
    x, fa, ft : ndarray of shape (>= B, m), int32
        Scratch, filled with each candidate's grid total, field entries strictly above and
        field entries tied (itself excluded), exactly as ``standings_grid`` with
        ``include_ours=False`` (``above``, ``tied - 1``).

    Returns
    -------
    ndarray of shape (B,), int64
        Paid candidates per scenario.
    """
    B = g.shape[0]
    m = x.shape[1]
    u = field_c.shape[0]
    n1 = g.shape[1] + 1
    cnt = np.zeros(B, dtype=np.int64)
    for s in nb.prange(B):
        tab = np.empty(n1 * n1, dtype=np.int32)
        _fill_pairs(g[s], tab)
        mn = np.int32(2**31 - 1)
        mx = np.int32(-(2**31))
        for j in range(m):
            v = _score(tab, ours_flat, j, h)
            x[s, j] = v
            mn = min(mn, v)
            mx = max(mx, v)
        base = np.int32(mn - 1)  # our lowest total sits in bin 1, as in standings_grid
        top = np.int32(mx - mn + 2)  # bin for totals above our highest
        hist = np.zeros(top + 1, dtype=np.int32)
        if h == 3:
            for i in range(u):
                f = np.int32(tab[field_flat[3 * i]] + tab[field_flat[3 * i + 1]] + tab[field_flat[3 * i + 2]] - base)
                f = min(max(f, np.int32(0)), top)
                hist[np.uint32(f)] += field_c[i]
        else:
            for i in range(u):
                f = np.int32(_score(tab, field_flat, i, h) - base)
                f = min(max(f, np.int32(0)), top)
                hist[np.uint32(f)] += field_c[i]
        sfx = np.empty(top + 1, dtype=np.int32)
        acc = np.int32(0)
        for k in range(top, -1, -1):
            sfx[k] = acc
            acc += hist[k]
        c = 0
        for j in range(m):
            k = x[s, j] - base
            a = sfx[k]
            fa[s, j] = a
            ft[s, j] = hist[k]
            if a < n_paid:
                c += 1
        cnt[s] = c
    return cnt


@nb.njit(cache=True)
def _chunk_compact(B: int, x: np.ndarray, fa: np.ndarray, ft: np.ndarray, n_paid: int, row0: int,
                   row: np.ndarray, col: np.ndarray, efa: np.ndarray, eft: np.ndarray, ex: np.ndarray,
                   at: int, colcnt: np.ndarray) -> int:
    """Append the chunk's paid cells in (scenario, candidate) order from ``at``; count them per
    candidate in ``colcnt``. Returns the new end."""
    m = x.shape[1]
    for s in range(B):
        for j in range(m):
            if fa[s, j] < n_paid:
                row[at] = row0 + s
                col[at] = j
                efa[at] = fa[s, j]
                eft[at] = ft[s, j]
                ex[at] = x[s, j]
                at += 1
                colcnt[j] += 1
    return at


@nb.njit(cache=True)
def _scatter(row: np.ndarray, col: np.ndarray, efa: np.ndarray, eft: np.ndarray, ex: np.ndarray, pos: np.ndarray,
             orow: np.ndarray, ofa: np.ndarray, oft: np.ndarray, okey: np.ndarray, key_per_grid: int) -> None:
    """Place (scenario-ordered) entries at their candidate's next slot ``pos[c]`` (stable: per
    candidate, scenarios ascending as the chunks come in order)."""
    for e in range(row.shape[0]):
        c = col[e]
        q = pos[c]
        pos[c] = q + 1
        orow[q] = row[e]
        ofa[q] = efa[e]
        oft[q] = eft[e]
        okey[q] = np.int64(ex[e]) * key_per_grid


def paid_standings_grid(g: np.ndarray, cands: np.ndarray, field_u: np.ndarray, field_c: np.ndarray, n_paid: int,
                        chunk: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
        Scenarios per dense scratch chunk (default: about 32 MB of scratch).

    Returns
    -------
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
    fs = pair_slots(np.asarray(field_u).reshape(-1, r), n)
    fc = np.ascontiguousarray(field_c, dtype=np.int32)
    B = int(chunk) if chunk else int(max(16, min(1024, _SCRATCH_BYTES // (12 * m))))
    B = min(B, S)
    x = np.empty((B, m), dtype=np.int32)
    fa = np.empty((B, m), dtype=np.int32)
    ft = np.empty((B, m), dtype=np.int32)
    colcnt = np.zeros(m, dtype=np.int64)
    parts = []
    for start in range(0, S, B):
        stop = min(S, start + B)
        cnt = _chunk_paid(np.ascontiguousarray(g[start:stop]), os_.reshape(-1), h, fs.reshape(-1), fc, int(n_paid),
                          x, fa, ft)
        E = int(cnt.sum())
        row = np.empty(E, dtype=np.int64)
        col = np.empty(E, dtype=np.int32)
        efa = np.empty(E, dtype=np.int32)
        eft = np.empty(E, dtype=np.int32)
        ex = np.empty(E, dtype=np.int32)
        _chunk_compact(stop - start, x, fa, ft, int(n_paid), start, row, col, efa, eft, ex, 0, colcnt)
        parts.append((row, col, efa, eft, ex))
    cptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(colcnt, out=cptr[1:])
    E = int(cptr[-1])
    orow = np.empty(E, dtype=np.int64)
    ofa = np.empty(E, dtype=np.int32)
    oft = np.empty(E, dtype=np.int32)
    okey = np.empty(E, dtype=np.int64)
    pos = cptr[:-1].copy()
    for part in parts:
        _scatter(*part, pos, orow, ofa, oft, okey, int(KEY_PER_GRID))
    parts.clear()
    return cptr, orow, ofa, oft, okey
