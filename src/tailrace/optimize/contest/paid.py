"""Candidates' paid standings against a field: where each lineup lands in a paid place, the field
entries strictly above it, those tied with it and its score key.

``_standings`` (the measure's standings kernel, paid cells kept), the field's paid region
(``_FieldTops``: its distinct score keys in the paid places, best first; a lineup's standings are
then a binary search), ``_Paid`` (the entries grouped by candidate) and ``_PaidStore`` (every
candidate met so far, computed once over all scenarios and handed out by scenario window; large
batches on site-scored points through ``optimize.contest.standings.paid_standings_grid``).
``_split`` is the payout of a tie group, shared by the selection and the cross-validation.
Scores are compared as integers (``tailrace.contest.simulate.SCORE_SCALE``), so ties are exact.
"""

from __future__ import annotations

import mmap
from functools import partial

import numba as nb
import numpy as np

from tailrace.contest import Contest
from tailrace.contest.simulate import (MAX_BINS, bisect_left, bisect_right, grid_points, score_key,
                                      standings_kernel)
from tailrace.distributed import row_blocks
from tailrace.optimize.contest.result import ALONE, CV_CAPS, GRID_BATCH, GRID_SMALL_BATCHES, PREFILL_PER_LINEUP
from tailrace.optimize.contest.standings import (GridRegions, _eval_alone, _split, count_alone,
                                                 fill_paid, grid_regions, paid_standings_grid)


def _standings(points: np.ndarray, cands: np.ndarray, field_u: np.ndarray, field_c: np.ndarray,
               n_paid: int, offset: int = 0, chunk: int = 512):
    """Candidates' standings against the field where they land in a paid place: entry arrays
    (scenario, candidate, field above, field level excluding itself, score key)."""
    S = points.shape[0]
    rows, cols, fas, fts, keys = [], [], [], [], []
    for start in range(0, S, chunk):
        stop = min(S, start + chunk)
        a, t, k = standings_kernel(points[start:stop], cands, field_u, field_c, False)
        r, c = np.nonzero(a < n_paid)
        rows.append((r + start).astype(np.int64))
        cols.append((c + offset).astype(np.int32))
        fas.append(a[r, c].astype(np.int32))
        fts.append((t[r, c] - 1).astype(np.int32))
        keys.append(k[r, c])
    return tuple(np.concatenate(x) for x in (rows, cols, fas, fts, keys))


@nb.njit(cache=True, nogil=True)
def _portfolio_payout(fa: np.ndarray, ft: np.ndarray, keys: np.ndarray, cum: np.ndarray) -> float:
    """Mean total payout of a portfolio: per scenario and lineup, field strictly above ``fa``,
    field tied ``ft`` (itself excluded) and score key; our lineups also rank among themselves."""
    S, m = fa.shape
    tot = 0.0
    for s in range(S):
        ks = np.sort(keys[s])
        for j in range(m):
            x = keys[s, j]
            lo = bisect_left(ks, x)
            hi = bisect_right(ks, x)
            tot += _split(cum, np.int64(fa[s, j] + m - hi), np.int64(ft[s, j] + hi - lo))
    return tot / S


@nb.njit(cache=True, parallel=True, nogil=True)
def _field_tops(points: np.ndarray, field_u: np.ndarray, field_c: np.ndarray, n_paid: int):
    """Per scenario, the field's paid region: its distinct score keys, negated and ascending
    (best first), while fewer than ``n_paid`` entries are above; ``above[s, j]`` = field entries
    strictly above key j (``above[s, n[s]]``: entries in the region)."""
    S = points.shape[0]
    u = field_u.shape[0]
    W = min(u, n_paid) + 1
    neg = np.zeros((S, W), dtype=np.int64)
    above = np.zeros((S, W + 1), dtype=np.int32)
    nk = np.zeros(S, dtype=np.int64)
    for s in nb.prange(S):
        row = points[s]
        f = np.empty(u, dtype=np.int64)
        for i in range(u):
            f[i] = -score_key(row, field_u[i])
        if u > W:
            thr = np.partition(f, W - 1)[W - 1]
            sel = np.nonzero(f <= thr)[0]
        else:
            sel = np.arange(u)
        fs = f[sel]
        o = np.argsort(fs)
        acc = 0
        j = 0
        i = 0
        while i < o.shape[0] and acc < n_paid and j < W:
            x = fs[o[i]]
            cnt = 0
            while i < o.shape[0] and fs[o[i]] == x:
                cnt += field_c[sel[o[i]]]
                i += 1
            neg[s, j] = x
            above[s, j] = acc
            acc += cnt
            j += 1
        above[s, j] = acc
        nk[s] = j
    return neg, above, nk


@nb.njit(cache=True, parallel=True, nogil=True)
def _standings_from_tops(points: np.ndarray, cands: np.ndarray, neg: np.ndarray, above: np.ndarray,
                         nk: np.ndarray, n_paid: int):
    """Per scenario and candidate: field entries strictly above (``n_paid`` when not paid), field
    entries tied (itself excluded) and the score key — from the field's paid region."""
    S = points.shape[0]
    C = cands.shape[0]
    fa = np.empty((S, C), dtype=np.int32)
    ft = np.empty((S, C), dtype=np.int32)
    keys = np.empty((S, C), dtype=np.int64)
    for s in nb.prange(S):
        row = points[s]
        q = nk[s]
        ns = neg[s, :q]
        for c in range(C):
            k = score_key(row, cands[c])
            x = -k
            j = bisect_left(ns, x)  # region keys strictly above
            keys[s, c] = k
            a = above[s, j]
            if a >= n_paid:
                fa[s, c] = n_paid
                ft[s, c] = 0
                continue
            fa[s, c] = a
            ft[s, c] = above[s, j + 1] - a if (j < q and ns[j] == x) else 0
    return fa, ft, keys


def _field_tops_rows(bounds: tuple[int, int], *, points: np.ndarray, field_u: np.ndarray, field_c: np.ndarray,
                     n_paid: int):
    """``_field_tops`` of scenarios bounds[0]..bounds[1]-1 (one executor task)."""
    return _field_tops(points[bounds[0]:bounds[1]], field_u, field_c, n_paid)


class _FieldTops:
    """A field's paid region per scenario (one pass over the field), for standings of any lineups."""

    def __init__(self, points: np.ndarray, field_u: np.ndarray, field_c: np.ndarray, n_paid: int,
                 executor=None) -> None:
        self.p = points
        self.n_paid = int(n_paid)
        if executor is not None and executor.distributed and points.shape[0]:  # by scenario chunk (issue 15)
            parts = executor.map(partial(_field_tops_rows, n_paid=self.n_paid), row_blocks(points.shape[0], executor.workers),
                                 shared={"points": points, "field_u": field_u, "field_c": field_c.astype(np.int64)})
            self.neg, self.above, self.nk = (np.concatenate(x) for x in zip(*parts))
        else:
            self.neg, self.above, self.nk = _field_tops(points, field_u, field_c.astype(np.int64), self.n_paid)

    def entries(self, cands: np.ndarray, chunk: int = 1024, r0: int = 0, r1: int | None = None):
        """(scenario, candidate, field above, field tied excluding itself, key) where the candidate is
        paid, in scenarios r0..r1-1 (default all)."""
        cands = np.ascontiguousarray(cands, dtype=np.int32)
        S = self.p.shape[0] if r1 is None else r1
        rows, cols, fas, fts, keys = [], [], [], [], []
        for start in range(r0, S, chunk):
            stop = min(S, start + chunk)
            a, t, k = _standings_from_tops(self.p[start:stop], cands, self.neg[start:stop], self.above[start:stop],
                                           self.nk[start:stop], self.n_paid)
            r, c = np.nonzero(a < self.n_paid)
            rows.append((r + start).astype(np.int64))
            cols.append(c.astype(np.int32))
            fas.append(a[r, c])
            fts.append(t[r, c])
            keys.append(k[r, c])
        return tuple(np.concatenate(x) for x in (rows, cols, fas, fts, keys))


def _untouched(n: int, dtype: type) -> np.ndarray:
    """An uninitialised array (n,) on anonymous memory of its own: pages are committed (and zeroed
    by the kernel, 4 KB at a time) only where written, so a lazily filled store costs the memory
    of the entries it writes (numpy's own large allocations may be backed by 2 MB pages, each
    committed whole at its first write)."""
    nbytes = int(n) * np.dtype(dtype).itemsize
    if nbytes == 0:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=dtype)


@nb.njit(cache=True, nogil=True)
def _by_column(col: np.ndarray, C: int) -> np.ndarray:
    """Stable counting sort of entry indices by column."""
    ptr = np.zeros(C + 1, dtype=np.int64)
    for c in col:
        ptr[c + 1] += 1
    for c in range(C):
        ptr[c + 1] += ptr[c]
    out = np.empty(col.shape[0], dtype=np.int64)
    for e in range(col.shape[0]):
        c = col[e]
        out[ptr[c]] = e
        ptr[c] += 1
    return out


class _Paid:
    """Candidates' paid standings against a field, grouped by candidate (CSC): per entry the
    scenario, field strictly above, field tied (itself excluded) and the score key.

    Lazily filled (``filled`` not None, from ``_PaidStore.paid_of``): ``cptr`` is known for every
    candidate but a candidate's entries are written only when first asked for (``ensure``; the
    greedy reads a few hundred of thousands), from the field's paid regions ``regions``; ``alone``
    holds each candidate's payout alone summed over its scenarios, per cumulative table (keyed by
    its bytes), for ``selection._LazySelection.evaluate_alone``. Every reader of the entries
    (the selection's kernels, ``take``, ``rows``, ``append``) asks ``ensure`` first; objects that
    share the arrays share ``filled`` too.
    """

    filled: np.ndarray | None = None  # (C,) bool: whose entries are written (None: all)
    regions: GridRegions | None = None  # where unwritten entries come from
    alone: dict[bytes, np.ndarray] | None = None  # (C,) alone sums per cumulative table

    def __init__(self, cands: np.ndarray, row: np.ndarray, fa: np.ndarray, ft: np.ndarray, key: np.ndarray,
                 col: np.ndarray, store: _PaidStore | None = None, window: tuple[int, int] | None = None,
                 presorted: bool = False) -> None:
        self.store, self.window = store, window  # where more candidates' standings come from
        self.cands = cands
        if presorted:  # ``col`` already ascending
            self.row, self.fa, self.ft, self.key = row, fa, ft, key
        else:
            order = _by_column(col, cands.shape[0])  # stable: rows stay ascending within a column
            self.row, self.fa, self.ft, self.key = row[order], fa[order], ft[order], key[order]
        self.cptr = np.concatenate([[0], np.cumsum(np.bincount(col, minlength=cands.shape[0]))]).astype(np.int64)

    def ensure(self, cols: np.ndarray) -> None:
        """Write the entries of candidates ``cols`` not written yet (lazily filled objects only)."""
        if self.filled is None:
            return
        cols = np.asarray(cols, dtype=np.int64).ravel()
        miss = cols[~self.filled[cols]]
        if miss.size:  # (most calls find every candidate written: no sort then)
            need = np.unique(miss)
            fill_paid(self.regions, self.cands, need, self.cptr, self.row, self.fa, self.ft, self.key)
            self.filled[need] = True

    def ensure_all(self) -> None:
        """Write every candidate's entries."""
        if self.filled is not None:
            self.ensure(np.nonzero(~self.filled)[0])

    def alone_of(self, cum: np.ndarray) -> np.ndarray | None:
        """Each candidate's payout alone against the field summed over its scenarios, (C,), under
        cumulative table ``cum`` when computed with the standings (else None)."""
        if self.alone is None:
            return None
        got = self.alone.get(np.ascontiguousarray(cum, dtype=np.float64).tobytes())
        return None if got is None else got.copy()

    def _entries_of_filled(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the written entries (E_w,) and a mask of the written ones over all (E,)."""
        cnt = np.diff(self.cptr)
        w = np.repeat(self.filled if self.filled is not None else np.ones(cnt.shape[0], dtype=bool), cnt)
        return np.nonzero(w)[0], w

    def append(self, e: _Paid) -> _Paid:
        """This and ``e``'s candidates (e's after), without re-sorting."""
        cands = np.concatenate([self.cands, e.cands], axis=0)
        if self.filled is not None or e.filled is not None:
            return self._append_lazy(e, cands)
        out = _Paid.__new__(_Paid)
        out.store, out.window, out.cands = self.store, self.window, cands
        out.row, out.fa, out.ft, out.key = (np.concatenate([x, y]) for x, y in
                                            ((self.row, e.row), (self.fa, e.fa), (self.ft, e.ft), (self.key, e.key)))
        out.cptr = np.concatenate([self.cptr, self.cptr[-1] + e.cptr[1:]])
        return out

    def _append_lazy(self, e: _Paid, cands: np.ndarray) -> _Paid:
        """``append`` when either side is lazily filled: the written entries are copied, the others
        stay unwritten (filled on demand from the shared field regions)."""
        regions = self.regions if self.regions is not None else e.regions
        assert self.regions is None or e.regions is None or self.regions is e.regions, "one store's regions"
        out = _Paid.__new__(_Paid)
        out.store, out.window, out.cands = self.store, self.window, np.ascontiguousarray(cands, dtype=np.int32)
        out.cptr = np.concatenate([self.cptr, self.cptr[-1] + e.cptr[1:]])
        E0, E = int(self.cptr[-1]), int(out.cptr[-1])
        out.row, out.fa, out.ft, out.key = (_untouched(E, x.dtype) for x in (self.row, self.fa, self.ft, self.key))
        for src, base in ((self, 0), (e, E0)):
            pos, _ = src._entries_of_filled()
            for d, x in ((out.row, src.row), (out.fa, src.fa), (out.ft, src.ft), (out.key, src.key)):
                d[base + pos] = x[pos]
        out.filled = np.concatenate([x.filled if x.filled is not None else np.ones(x.cands.shape[0], dtype=bool)
                                     for x in (self, e)])
        out.regions = regions
        if self.alone is not None or e.alone is not None:
            out.alone = {}
            for k in set(self.alone or {}) | set(e.alone or {}):
                cum = np.frombuffer(k, dtype=np.float64)
                parts = []
                for x in (self, e):
                    v = x.alone.get(k) if x.alone is not None else None
                    if v is None:  # an eager side: its sums from its entries (the same order and terms)
                        x.ensure_all()
                        v = _eval_alone(x.cptr, x.fa, x.ft, cum)
                    parts.append(v)
                out.alone[k] = np.concatenate(parts)
        return out

    @classmethod
    def compute(cls, points: np.ndarray, cands: np.ndarray, field_u: np.ndarray, field_c: np.ndarray,
                n_paid: int) -> _Paid:
        cands = np.ascontiguousarray(cands, dtype=np.int32)
        row, col, fa, ft, key = _standings(points, cands, field_u, field_c, n_paid)
        return cls(cands, row, fa, ft, key, col)

    def take(self, cols: np.ndarray, r0: int, r1: int) -> tuple[np.ndarray, ...]:
        """Entries (row - r0, fa, ft, key, new column) of candidates ``cols`` in scenarios r0..r1-1."""
        self.ensure(cols)
        cnt = self.cptr[cols + 1] - self.cptr[cols]
        idx = np.repeat(self.cptr[cols] - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt) + np.arange(cnt.sum())
        newc = np.repeat(np.arange(cols.shape[0]), cnt)
        if np.array_equal(cols, np.arange(self.cands.shape[0])) and r0 == 0 and r1 > int(self.row.max(initial=-1)):
            return self.row, self.fa, self.ft, self.key, newc
        row = self.row[idx]
        m = (row >= r0) & (row < r1)
        return row[m] - r0, self.fa[idx][m], self.ft[idx][m], self.key[idx][m], newc[m]

    def rows(self, r0: int, r1: int) -> _Paid:
        """The entries of scenarios r0..r1-1, renumbered from 0."""
        self.ensure_all()
        col = np.repeat(np.arange(self.cands.shape[0]), np.diff(self.cptr))
        m = (self.row >= r0) & (self.row < r1)
        return _Paid(self.cands, self.row[m] - r0, self.fa[m], self.ft[m], self.key[m], col[m])


class _PaidStore:
    """Paid standings of every candidate met so far over all scenarios (computed once per lineup),
    handed out by scenario window: the cross-validation's folds and the final selection share them."""

    def __init__(self, points: np.ndarray, contest: Contest, n_lineups: int, executor=None) -> None:
        self.p = points
        fu, self.fc = contest.opponents(n_lineups).unique()
        self.fu = np.ascontiguousarray(fu, dtype=np.int32)
        self.n_paid = contest.payouts.n_paid
        self.paid: _Paid | None = None
        self.index: dict[tuple[int, ...], int] = {}
        self.executor = executor
        self._tops: _FieldTops | None = None
        self.small_batches = 0
        r = self.fu.shape[1] if self.fu.ndim == 2 and self.fu.shape[0] else 0
        g = grid_points(points, r) if r and points.size else None
        # site-scored points: large batches go through the measure's grid kernel (one pass over the
        # field per batch, no paid region kept); else, and for small batches, the field's paid region
        self.grid = (g is not None and int((g.max(axis=1).astype(np.int64) - g.min(axis=1)).max()) * r < MAX_BINS
                     and not (executor is not None and executor.distributed))
        self.g = g if self.grid else None  # grid units, for the paid-standings kernel
        self._regions: GridRegions | None = None  # the field's paid regions on ``g`` (large batches), once
        self._regions_declined = False
        # the cumulative tables the cross-validation's caps select with: each candidate's alone sums
        # for them come with the standings (``_Paid.alone``)
        tables = {}
        for c in CV_CAPS:
            cum = contest.payouts.capped(1 if c == ALONE else c).cumulative()
            tables.setdefault(cum.tobytes(), cum)
        self.cums = np.array(list(tables.values()), dtype=np.float64).reshape(len(tables), -1)
        # a lazily filled batch writes at once the entries of its best ``prefill`` candidates by each
        # table's alone sum (``_lazy_paid``)
        self.prefill = PREFILL_PER_LINEUP * int(n_lineups)

    def _lazy_paid(self, lineups: np.ndarray) -> _Paid | None:
        """Standings of ``lineups`` (a large batch) lazily filled from the field's paid regions (built
        once per store), or None when the regions decline (score ranges too wide)."""
        if self._regions is None and not self._regions_declined:
            self._regions = grid_regions(self.g, self.fu.shape[1], self.fu, self.fc, self.n_paid)
            self._regions_declined = self._regions is None
        if self._regions is None:
            return None
        lus = np.ascontiguousarray(lineups, dtype=np.int32)
        cnt, alone = count_alone(self._regions, lus, self.cums)
        out = _Paid.__new__(_Paid)
        out.store, out.window, out.cands = None, None, lus
        out.cptr = np.zeros(lus.shape[0] + 1, dtype=np.int64)
        np.cumsum(cnt, out=out.cptr[1:])
        E = int(out.cptr[-1])
        # written on demand (``_Paid.ensure``): untouched pages of these are never committed
        out.row, out.fa, out.ft, out.key = (_untouched(E, t) for t in (np.int64, np.int32, np.int32, np.int64))
        out.filled = np.zeros(lus.shape[0], dtype=bool)
        out.regions = self._regions
        out.alone = {k.tobytes(): np.ascontiguousarray(alone[:, i]) for i, k in enumerate(self.cums)}
        out.ensure(self._likely_read(alone))
        return out

    def _likely_read(self, alone: np.ndarray) -> np.ndarray:
        """The candidates whose entries the greedies will most likely read, (k,) int64 ascending:
        the union over the tables of the ``prefill`` best by alone sum (``alone`` (m, K)).

        The lazy greedy starts from the alone values and evaluates the best bounds first, so its
        reads concentrate there (Kansas demo, the 300 best of each table: 73-77 % of the candidates
        a fold store's greedies read and 71 % of the final store's, 2-17 % of those written never
        read; the 500 best: 94-100 % and 92 %, 16-34 % unread); written together, scenario by
        scenario (``standings.fill_paid``), they cost a fraction of one by one. Only when to write
        changes: the same entries either way."""
        m = alone.shape[0]
        k = min(self.prefill, m)
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        if k == m:
            return np.arange(m, dtype=np.int64)
        return np.unique(np.argpartition(-alone, k - 1, axis=0)[:k].ravel()).astype(np.int64)

    @property
    def tops(self) -> _FieldTops:
        """The field's paid region per scenario, built on first use."""
        if self._tops is None:
            self._tops = _FieldTops(self.p, self.fu, self.fc, self.n_paid, self.executor)
        return self._tops

    def entries(self, lineups: np.ndarray, r0: int = 0, r1: int | None = None):
        """(scenario, candidate, field above, field tied excluding itself, key) where a lineup is paid,
        scenarios r0..r1-1 (as ``_FieldTops.entries``)."""
        r1 = self.p.shape[0] if r1 is None else r1
        small = lineups.shape[0] < GRID_BATCH
        if self.grid and (not small or (self._tops is None and self.small_batches < GRID_SMALL_BATCHES)):
            self.small_batches += int(small)
            chunk = int(max(64, min(512, 2**27 // (16 * lineups.shape[0]))))
            row, col, fa, ft, key = _standings(self.p[r0:r1], np.ascontiguousarray(lineups, dtype=np.int32), self.fu,
                                               self.fc.astype(np.int64), self.n_paid, chunk=chunk)
            return row + r0, col, fa, ft, key
        return self.tops.entries(lineups, r0=r0, r1=r1)

    def paid_of(self, lineups: np.ndarray) -> _Paid:
        """Standings of ``lineups`` over all scenarios, grouped by candidate (as ``_Paid`` of
        ``entries``): on grid points straight from ``paid_standings_grid``, the same arrays."""
        small = lineups.shape[0] < GRID_BATCH
        if self.grid and not small:
            lazy = self._lazy_paid(lineups)
            if lazy is not None:
                return lazy
        if self.grid and (not small or (self._tops is None and self.small_batches < GRID_SMALL_BATCHES)):
            got = paid_standings_grid(self.g, lineups, self.fu, self.fc, self.n_paid)
            if got is not None:  # None: score ranges too wide for its field regions
                self.small_batches += int(small)
                out = _Paid.__new__(_Paid)
                out.store, out.window, out.cands = None, None, lineups
                out.cptr, out.row, out.fa, out.ft, out.key = got
                return out
        row, col, fa, ft, key = self.entries(lineups)
        return _Paid(lineups, row, fa, ft, key, col)

    def get(self, lineups: np.ndarray, r0: int, r1: int, keep: bool = True) -> _Paid:
        """Standings of ``lineups`` (distinct sorted rows) in scenarios r0..r1-1, renumbered from 0.

        ``keep=False``: lineups not met before are ranked in r0..r1-1 only and not kept (a fold's
        own candidates: the final selection never needs them on the other half).
        """
        lineups = np.ascontiguousarray(lineups, dtype=np.int32)
        rows = [tuple(x) for x in lineups.tolist()]
        miss = [i for i, x in enumerate(rows) if x not in self.index]
        if miss and not keep:
            known = np.array([i for i, x in enumerate(rows) if x in self.index], dtype=np.int64)
            parts_row, parts_col, parts = [], [], []
            if known.size:
                cols = np.array([self.index[rows[i]] for i in known], dtype=np.int64)
                row, fa, ft, key, col = self.paid.take(cols, r0, r1)
                parts_row.append(row)
                parts_col.append(known[col])
                parts.append((fa, ft, key))
            new = np.asarray(miss, dtype=np.int64)
            row, col, fa, ft, key = self.entries(lineups[new], r0, r1)
            parts_row.append(row - r0)
            parts_col.append(new[col])
            parts.append((fa, ft, key))
            fa, ft, key = (np.concatenate(x) for x in zip(*parts))
            # columns in ``lineups`` order; within a column the rows stay ascending (stable sort)
            return _Paid(lineups, np.concatenate(parts_row), fa, ft, key,
                         np.concatenate(parts_col).astype(np.int64), store=self, window=(r0, r1))
        if miss:
            e = self.paid_of(lineups[miss])
            C0 = 0 if self.paid is None else self.paid.cands.shape[0]
            self.paid = e if self.paid is None else self.paid.append(e)
            for j, i in enumerate(miss):
                self.index[rows[i]] = C0 + j
        cols = np.array([self.index[x] for x in rows], dtype=np.int64)
        a = self.paid
        if r0 == 0 and r1 >= self.p.shape[0] and cols.shape[0] == a.cands.shape[0] and \
                np.array_equal(cols, np.arange(cols.shape[0])):
            # every stored candidate in store order over all scenarios: the store's own arrays
            out = _Paid.__new__(_Paid)
            out.store, out.window, out.cands = self, (r0, r1), lineups
            out.row, out.fa, out.ft, out.key, out.cptr = a.row, a.fa, a.ft, a.key, a.cptr
            out.filled, out.regions, out.alone = a.filled, a.regions, a.alone  # shared: written once for both
            return out
        row, fa, ft, key, col = a.take(cols, r0, r1)
        return _Paid(lineups, row, fa, ft, key, col, store=self, window=(r0, r1), presorted=True)
