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
# ``fill_paid``: from this many candidates on, written scenario by scenario (``_fill_batch``)
BATCH_FILL = 16


@nb.njit(cache=True, nogil=True)
def _split(cum: np.ndarray, a: np.int64, t: np.int64) -> float:
    """One entry's payout when ``t`` entries (itself included) tie with ``a`` entries strictly
    above: places a+1..a+t's prizes shared equally (places past the paid ones pay nothing);
    ``cum`` (n_paid + 1,) the table's cumulative prizes (``PayoutTable.cumulative``)."""
    P = cum.shape[0] - 1
    lo = a if a < P else P
    hi = a + t if a + t < P else P
    return (cum[hi] - cum[lo]) / t


@nb.njit(cache=True, parallel=True, nogil=True)
def _eval_alone(cptr: np.ndarray, fa: np.ndarray, ft: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """``selection._eval_many`` of every candidate while nothing is chosen: each entry's payout alone
    against the field, summed over its scenarios in the same order (the same floats)."""
    C = cptr.shape[0] - 1
    out = np.empty(C)
    for c in nb.prange(C):
        tot = 0.0
        for e in range(cptr[c], cptr[c + 1]):
            tot += _split(cum, np.int64(fa[e]), np.int64(ft[e] + 1))
        out[c] = tot
    return out


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
def _count_paid(g: np.ndarray, ours: tuple, field: tuple, block: int) -> np.ndarray:
    """Paid scenarios per (scenario block, candidate), shape (n_blocks, m), int64.

    ``ours``: the candidates ``(flat, h, m)`` (``pair_slots`` raveled, slots per lineup, lineups);
    ``field``: its paid regions ``(off, lo, hi, A, n_paid, n_field)`` (``GridRegions.packed``).
    """
    ours_flat, h, m = ours
    off, lo, hi, A, n_paid, n_field = field
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
def _fill_paid(g: np.ndarray, ours: tuple, field: tuple, block: int, pos: np.ndarray, key_per_grid: int,
               outs: tuple) -> None:
    """Write every paid (scenario, candidate) at ``pos[block, candidate]`` (then advanced).

    ``ours``, ``field``: as ``_count_paid``; ``outs`` (written, (E,) each): ``(row, fa, ft, key)``.
    """
    ours_flat, h, m = ours
    off, lo, hi, A, n_paid, n_field = field
    row, fa, ft, key = outs
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


class GridRegions:
    """A field's paid regions per scenario on grid points (``_field_regions``), built once and used
    for any number of candidate batches.

    Attributes: ``g`` (S, n) int32 grid points (``gt`` its transpose); ``off`` (S,) int64, ``lo``/``hi`` (S,) int32 and
    ``A`` (cells,) int32 as ``_field_regions`` writes them; ``n_paid``; ``n_field`` (entries).
    """

    def __init__(self, g: np.ndarray, off: np.ndarray, lo: np.ndarray, hi: np.ndarray, A: np.ndarray, n_paid: int,
                 n_field: int) -> None:
        self.g, self.off, self.lo, self.hi, self.A = g, off, lo, hi, A
        self.n_paid, self.n_field = int(n_paid), int(n_field)
        self._gt: np.ndarray | None = None

    @property
    def packed(self) -> tuple:
        """``(off, lo, hi, A, n_paid, n_field)``: the kernels' ``field`` argument."""
        return self.off, self.lo, self.hi, self.A, self.n_paid, self.n_field

    @property
    def gt(self) -> np.ndarray:
        """``g`` transposed (n, S), C-contiguous: one candidate's drivers read scenario after scenario."""
        if self._gt is None:
            self._gt = np.ascontiguousarray(self.g.T)
        return self._gt


def grid_regions(g: np.ndarray, roster: int, field_u: np.ndarray, field_c: np.ndarray, n_paid: int,
                 max_cells: int = MAX_REGION_CELLS) -> GridRegions | None:
    """The field's paid regions (``_field_regions``) of grid points ``g`` (S, n), or None when the
    field's score ranges exceed ``max_cells`` (see ``paid_standings_grid``); ``field_u`` (u, roster)
    distinct field lineups, ``field_c`` (u,) their entries."""
    S, n = g.shape
    r = int(roster)
    fu = np.asarray(field_u).reshape(-1, r)
    fs = pair_slots(fu, n)
    h = fs.shape[1]
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
    return GridRegions(g, off, lo, hi, A, n_paid, n_field)


@nb.njit(cache=True, parallel=True, nogil=True)
def _count_alone(g: np.ndarray, ours: tuple, field: tuple, cums: np.ndarray, n_chunks: int):
    """Per candidate, its paid scenarios (m,) int64 and its payout alone against the field summed
    over them (m, K) for each cumulative table ``cums[k]`` (K, n_paid + 1).

    The sums run over the scenarios in ascending order, each term ``_split(cum, above, tied + 1)``:
    the same floats as ``selection._eval_alone`` over the candidate's entries. The candidates in
    ``n_chunks`` parallel chunks, each walking every scenario (one pair table per scenario).
    ``ours``, ``field``: as ``_count_paid``.
    """
    ours_flat, h, m = ours
    off, lo, hi, A, n_paid, n_field = field
    S = g.shape[0]
    n1 = g.shape[1] + 1
    K = cums.shape[0]
    P = np.int64(cums.shape[1] - 1)
    cums_t = np.ascontiguousarray(cums.T)  # (n_paid + 1, K): one cell's K terms side by side
    cnt = np.zeros(m, dtype=np.int64)
    alone = np.zeros((m, K))
    step = (m + n_chunks - 1) // n_chunks
    for b in nb.prange(n_chunks):
        j0 = b * step
        j1 = min(m, j0 + step)
        if j0 >= j1:
            continue
        tab = np.empty(n1 * n1, dtype=np.int32)
        for s in range(S):
            _fill_pairs(g[s], tab)
            o, l, u = off[s], lo[s], hi[s]
            for j in range(j0, j1):
                v = _score(tab, ours_flat, j, h)
                a, t = _standing(A, o, l, u, n_field, v)
                if a < n_paid:
                    cnt[j] += 1
                    # _split(cums[k], a, t + 1) for every k, its places clipped once
                    tt = np.int64(t + 1)
                    pl = np.int64(a) if a < P else P
                    ph = np.int64(a) + tt if np.int64(a) + tt < P else P
                    for k in range(K):
                        alone[j, k] += (cums_t[ph, k] - cums_t[pl, k]) / tt
    return cnt, alone


@nb.njit(cache=True, inline="always")
def _fill_one(c: int, gt: np.ndarray, lus: np.ndarray, cptr: np.ndarray, field: tuple, key_per_grid: int,
              outs: tuple) -> None:
    """Candidate ``c``'s paid entries, scenarios ascending, written from ``cptr[c]`` on (a lineup's
    total as the sum of its drivers' grid points ``gt`` (n, S): the same integer as its pair slots give).
    ``lus`` (m, roster) the candidates; ``field``, ``outs``: as ``_fill_paid``."""
    off, lo, hi, A, n_paid, n_field = field
    row, fa, ft, key = outs
    S = gt.shape[1]
    r = lus.shape[1]
    q = cptr[c]
    for s in range(S):
        tot = np.int64(0)
        for d in range(r):
            tot += gt[lus[c, d], s]
        v = np.int32(tot)
        a, t = _standing(A, off[s], lo[s], hi[s], n_field, v)
        if a < n_paid:
            row[q] = s
            fa[q] = a
            ft[q] = t
            key[q] = np.int64(v) * key_per_grid
            q += 1


@nb.njit(cache=True, nogil=True)
def _fill_few(cs: np.ndarray, gt: np.ndarray, lus: np.ndarray, cptr: np.ndarray, field: tuple, key_per_grid: int,
              outs: tuple) -> None:
    """``_fill_one`` of each candidate in ``cs`` (one thread: the greedy asks for a few at a time)."""
    for i in range(cs.shape[0]):
        _fill_one(cs[i], gt, lus, cptr, field, key_per_grid, outs)


@nb.njit(cache=True, parallel=True, nogil=True)
def _fill_batch(g: np.ndarray, ours: tuple, field: tuple, cs: np.ndarray, cptr: np.ndarray, n_chunks: int,
                key_per_grid: int, outs: tuple) -> None:
    """``_fill_one`` of each candidate in ``cs`` (k,), scenario by scenario: the candidates in
    ``n_chunks`` parallel chunks, each walking every scenario (one pair table per scenario, the
    field's region of a scenario read while it is in cache), as ``_count_alone`` walks them.

    ``ours``: the pair slots ``(flat, h, k)`` of candidates ``cs`` (in that order); ``cptr``,
    ``outs``: the store's, as ``_fill_one``. Each candidate's entries are written from
    ``cptr[cs[j]]`` on in ascending scenario order: the same arrays as ``_fill_one``'s."""
    ours_flat, h, m = ours
    off, lo, hi, A, n_paid, n_field = field
    row, fa, ft, key = outs
    S = g.shape[0]
    n1 = g.shape[1] + 1
    step = (m + n_chunks - 1) // n_chunks
    for b in nb.prange(n_chunks):
        j0 = b * step
        j1 = min(m, j0 + step)
        if j0 >= j1:
            continue
        q = np.empty(j1 - j0, dtype=np.int64)
        for j in range(j0, j1):
            q[j - j0] = cptr[cs[j]]
        tab = np.empty(n1 * n1, dtype=np.int32)
        for s in range(S):
            _fill_pairs(g[s], tab)
            o, l, u = off[s], lo[s], hi[s]
            for j in range(j0, j1):
                v = _score(tab, ours_flat, j, h)
                a, t = _standing(A, o, l, u, n_field, v)
                if a < n_paid:
                    p = q[j - j0]
                    row[p] = s
                    fa[p] = a
                    ft[p] = t
                    key[p] = np.int64(v) * key_per_grid
                    q[j - j0] = p + 1


def count_alone(reg: GridRegions, cands: np.ndarray, cums: np.ndarray, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate (m, roster) its paid scenarios (m,) and its alone payout sums (m, K) for each
    of ``cums`` (K, n_paid + 1): see ``_count_alone``.

    The candidates go in a multiple of numba's thread count of equal chunks, each at most about
    ``chunk``: every chunk rebuilds each scenario's pair table, and chunks that do not divide
    among the threads leave one idle (spinning) while the others finish: 13,801 candidates in two
    chunks on two threads cost 0.75 of seven chunks' CPU. The sums do not depend on the chunks."""
    os_ = pair_slots(np.asarray(cands), reg.g.shape[1])
    cums = np.ascontiguousarray(cums, dtype=np.float64).reshape(-1, reg.n_paid + 1)
    return _count_alone(reg.g, (os_.reshape(-1), os_.shape[1], int(os_.shape[0])), reg.packed, cums,
                        _n_chunks(os_.shape[0], chunk))


def _n_chunks(m: int, chunk: int) -> int:
    """Parallel chunks for ``m`` candidates: a multiple of numba's thread count, each at most about ``chunk``."""
    th = max(1, nb.get_num_threads())
    return int(th * max(1, -(-int(m) // (th * int(chunk)))))


def fill_paid(reg: GridRegions, cands: np.ndarray, cs: np.ndarray, cptr: np.ndarray, row: np.ndarray,
              fa: np.ndarray, ft: np.ndarray, key: np.ndarray) -> None:
    """Write candidates ``cs``'s paid entries into the CSC arrays at ``cptr`` (as ``paid_standings_grid``
    lays them out); ``cands`` (m, roster) int32 all the candidates.

    A few candidates (fewer than ``BATCH_FILL``) one after the other, each walking the scenarios
    (``_fill_few``: no pair tables to build); more scenario by scenario (``_fill_batch``), where
    each scenario's field region is read once for all of them (Kansas demo: about a fifth of
    ``_fill_few``'s time per candidate). Either way the same entries at the same places."""
    cs = np.ascontiguousarray(cs, dtype=np.int64)
    outs = (row, fa, ft, key)
    if cs.shape[0] < BATCH_FILL:
        _fill_few(cs, reg.gt, cands, cptr, reg.packed, int(KEY_PER_GRID), outs)
        return
    os_ = pair_slots(np.asarray(cands)[cs], reg.g.shape[1])
    _fill_batch(reg.g, (os_.reshape(-1), os_.shape[1], int(os_.shape[0])), reg.packed, cs, cptr,
                _n_chunks(cs.shape[0], 8192), int(KEY_PER_GRID), outs)


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
    reg = grid_regions(g, r, field_u, field_c, n_paid, max_cells)
    if reg is None:
        return None
    block = int(chunk) if chunk else 32
    ours = (os_.reshape(-1), h, m)
    cnt = _count_paid(g, ours, reg.packed, block)
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
    _fill_paid(g, ours, reg.packed, block, pos, int(KEY_PER_GRID), (orow, ofa, oft, okey))
    return cptr, orow, ofa, oft, okey
