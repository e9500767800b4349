"""Scenario-major bound for upper-tail objectives: enumerate, per scenario, the lineups above t.

For an upper CVaR with tail size k, every threshold t gives the Rockafellar–Uryasev bound
CVaR(x) <= t + sum_s (x_s - t)^+ / k. The sum only involves the (lineup, scenario) pairs
with x_s > t, and for t near a good lineup's VaR those pairs are few (about four per lineup
on a 38-driver NASCAR slate at the 1 % level). So instead of visiting every lineup's
scenarios, each scenario's drivers are sorted by points and the lineups scoring above t in
that scenario are enumerated depth-first with a prefix-sum cut (output-sensitive). Excess
sums are accumulated by the lineup's colex rank over the candidate drivers, one array per
scenario chunk; every lineup's bound then comes from one gather.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tailrace.optimize._kernels import insertion_sort

# accumulator budget in float64 cells (chunks x thresholds x ranks): about 256 MB
MAX_CELLS = 32_000_000
BUF = 4096


def binomials(n: int, r: int) -> np.ndarray:
    """Table C(a, b) for a <= n, b <= r, int64."""
    t = np.zeros((n + 1, r + 1), np.int64)
    for a in range(n + 1):
        t[a, 0] = 1
        for b in range(1, min(a, r) + 1):
            t[a, b] = t[a - 1, b - 1] + (t[a - 1, b] if b <= a - 1 else 0)
    return t


@njit(cache=True)
def _flush(acc, c, taus, brank, bx, nbuf):
    L = taus.shape[0]
    for q in range(nbuf):
        for j in range(L):
            e = bx[q] - taus[j]
            if e > 0.0:
                acc[c, brank[q], j] += e


@njit(cache=True, parallel=True)
def excess_sums(PS, cand, sal, cap, min_sal, r, taus, binom, nchunk):
    """Per chunk of scenarios, sum_s (x_s - taus[j])^+ for every r-subset of ``cand``.

    PS: points (S, n) float64; cand: candidate driver indices (any order; position i is
    cand[i]); sal: salaries of all drivers; subsets over ``cap`` are skipped. Returns acc (nchunk, C(len(cand), r), len(taus))
    indexed by colex rank of the subset's positions in ``cand``, and the pair count.
    """
    S = PS.shape[0]
    nd = cand.shape[0]
    L = taus.shape[0]
    R = binom[nd, r]
    tmin = taus.min()
    acc = np.zeros((nchunk, R, L), np.float64)
    pairs = np.zeros(nchunk, np.int64)
    for c in prange(nchunk):
        v = np.empty(nd, np.float64)
        sv = np.empty(nd, np.float64)
        pre = np.zeros(nd + 1, np.float64)
        psum = np.zeros(r + 1, np.float64)
        psal = np.zeros(r + 1, np.int64)
        pos = np.zeros(r, np.int64)
        chosen = np.zeros(r, np.int64)
        srt = np.zeros(r, np.int64)
        low = np.zeros(r + 1, np.int64)
        high = np.zeros(r + 1, np.int64)
        npairs = 0
        brank = np.empty(BUF, np.int64)
        bx = np.empty(BUF, np.float64)
        nbuf = 0
        for s in range(c * S // nchunk, (c + 1) * S // nchunk):
            for i in range(nd):
                v[i] = -PS[s, cand[i]]
            order = np.argsort(v)
            for i in range(nd):
                sv[i] = -v[order[i]]
                pre[i + 1] = pre[i] + sv[i]
            if pre[r] <= tmin:
                continue
            depth = 0
            pos[0] = 0
            while depth >= 0:
                i = pos[depth]
                left = r - depth
                if i > nd - left or psum[depth] + (pre[i + left] - pre[i]) <= tmin:
                    depth -= 1
                    if depth >= 0:
                        pos[depth] += 1
                    continue
                if left == 1:
                    # last driver: a tight loop over the remaining drivers in points order;
                    # rank = colex rank of the sorted prefix with the new driver inserted
                    m = r - 1
                    for a in range(m):
                        srt[a] = chosen[a]
                    insertion_sort(srt, m)
                    low[0] = 0
                    for a in range(m):
                        low[a + 1] = low[a] + binom[srt[a], a + 1]
                    high[m] = 0
                    for a in range(m - 1, -1, -1):
                        high[a] = high[a + 1] + binom[srt[a], a + 2]
                    base = psum[depth]
                    room = cap - psal[depth]
                    for jj in range(i, nd):
                        x = base + sv[jj]
                        if x <= tmin:
                            break
                        cj = order[jj]
                        if sal[cand[cj]] > room:
                            continue
                        p = 0
                        while p < m and srt[p] < cj:
                            p += 1
                        # buffered: a tight loop of scattered adds overlaps the cache misses
                        brank[nbuf] = low[p] + binom[cj, p + 1] + high[p]
                        bx[nbuf] = x
                        nbuf += 1
                        npairs += 1
                        if nbuf == BUF:
                            _flush(acc, c, taus, brank, bx, nbuf)
                            nbuf = 0
                    depth -= 1
                    if depth >= 0:
                        pos[depth] += 1
                    continue
                ci = order[i]
                ns = psal[depth] + sal[cand[ci]]
                if ns + (left - 1) * min_sal > cap:
                    pos[depth] += 1
                    continue
                chosen[depth] = ci
                psum[depth + 1] = psum[depth] + sv[i]
                psal[depth + 1] = ns
                depth += 1
                pos[depth] = i + 1
        _flush(acc, c, taus, brank, bx, nbuf)
        pairs[c] = npairs
    return acc, pairs.sum()


@njit(cache=True, parallel=True)
def tighten_bounds(lineups, idx, pos_of, binom, acc, taus, tleaf, ks, weights, other, static, bound, direct):
    """Blend bound of lineups ``idx``, taken into ``static`` (and ``bound``) in place: per lineup
    m = idx[b], the sum over upper leaves l of weights[l] times the least, over the thresholds t
    of that leaf (tleaf[t] == l), of taus[t] + excess_t / ks[l]; plus ``other[b]`` (the
    remaining leaves). static[m] becomes the smaller of it and static[m]; with ``direct`` (no
    other bound adds to static), bound[m] becomes the smaller of bound[m] and static[m]. Rows
    are sorted ascending and ``pos_of`` decreases in the driver index, so positions ascend from
    the row's end (colex rank as in excess_sums). ``idx`` holds distinct lineups."""
    nb = idx.shape[0]
    r = lineups.shape[1]
    nl = ks.shape[0]
    for b in prange(nb):
        m = idx[b]
        row = lineups[m]
        rank = 0
        for a in range(r):
            rank += binom[pos_of[row[r - 1 - a]], a + 1]
        tot = other[b]
        for l in range(nl):
            # leaf l's least bound over its thresholds (no per-lineup array: an allocation per
            # lineup cost more than the arithmetic)
            least = np.inf
            for t in range(taus.shape[0]):
                if tleaf[t] != l:
                    continue
                e = 0.0
                for c in range(acc.shape[0]):
                    e += acc[c, rank, t]
                v = taus[t] + e / ks[l]
                if v < least:
                    least = v
            tot += weights[l] * least
        if tot < static[m]:
            static[m] = tot
        if direct and static[m] < bound[m]:
            bound[m] = static[m]


def gather_bounds(lineups, idx, pos_of, binom, acc, taus, tleaf, ks, weights, other):
    """The bounds ``tighten_bounds`` takes, as an array of shape (len(idx),) (``idx`` distinct)."""
    out = np.full(lineups.shape[0], np.inf)
    tighten_bounds(lineups, idx, pos_of, binom, acc, taus, tleaf, ks, weights, other, out, out, False)
    return out[idx]
