"""Numba kernels for the exact lineup search: enumeration, tail sums, bounds and cuts.

Conventions: ``P`` is the scenario matrix transposed, float64 of shape (n_drivers, S), so a
lineup's scores are a sum of contiguous rows (exact in float64 for float32 inputs).
Lineups are rows of a uint8 array (M, r); ``masks`` hold the same lineups as uint64 bit sets.
Leaf objectives are coded as ints: 0 mean, 1 upper CVaR, 2 lower CVaR, 3 target probability.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

MEAN, UPPER, LOWER, TARGET = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _popcount(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


# ----------------------------------------------------------------------------- enumeration


@njit(cache=True, inline="always")
def insertion_sort(a: np.ndarray, m: int) -> None:
    """Sort a[:m] ascending in place (m is a roster size: tiny)."""
    for i in range(1, m):
        v = a[i]
        b = i - 1
        while b >= 0 and a[b] > v:
            a[b + 1] = a[b]
            b -= 1
        a[b + 1] = v


@njit(cache=True)
def _enum_first(first, pool, rules, groups, overlap, outs, start, fill):
    """Lineups whose smallest free driver is cand[first]; count them or write them from ``start``.

    The arguments are grouped by meaning (every tuple packed once by ``enumerate_lineups``):

    * ``pool`` (the slate): ``(cand int64 (nc,), lock_ids int64 (nl,), salaries int64 (n,))``:
      the free candidates in ascending driver index, the locked drivers, every driver's salary.
    * ``rules`` (int scalars): ``(kf, cap, min_sal)``: free slots to fill (roster size minus
      locks), the salary cap and the least salary a lineup must spend.
    * ``groups`` ((G,) each): ``(gmasks uint64, gmin int64, gmax int64, gall bool)``: each
      group's drivers as a bit set, the least and most of them a lineup holds, and whether
      the group is all-or-none.
    * ``overlap`` (the overlap rule): ``(prev uint64 (Q,), max_shared int)``: earlier lineups as
      bit sets and the most drivers a lineup may share with any of them.
    * ``outs`` (written when ``fill``): ``(out uint8 (M, r), outm uint64 (M,))``: sorted rows
      and bit sets; this call writes rows ``start:start + count``.
    """
    cand, lock_ids, salaries = pool
    kf, cap, min_sal = rules
    gmasks, gmin, gmax, gall = groups
    prev, max_shared = overlap
    out, outm = outs
    nc = cand.shape[0]
    nl = lock_ids.shape[0]
    lock_sal = 0
    lock_mask = np.uint64(0)
    for j in range(nl):
        lock_sal += salaries[lock_ids[j]]
        lock_mask |= np.uint64(1) << np.uint64(lock_ids[j])
    r = nl + kf
    count = 0
    if kf == 0:
        if first > 0:
            return 0
        c = np.empty(0, np.int64)
    else:
        if first + kf > nc:
            return 0
        c = np.empty(kf, np.int64)
        for j in range(kf):
            c[j] = first + j
    row = np.empty(r, np.int64)
    while True:
        sal = lock_sal
        mask = lock_mask
        for j in range(kf):
            d = cand[c[j]]
            sal += salaries[d]
            mask |= np.uint64(1) << np.uint64(d)
        ok = sal <= cap and sal >= min_sal
        if ok:
            for g in range(gmasks.shape[0]):
                cnt = _popcount(mask & gmasks[g])
                if cnt < gmin[g] or cnt > gmax[g]:
                    ok = False
                    break
                if gall[g] and cnt != 0 and cnt != _popcount(gmasks[g]):
                    ok = False
                    break
        if ok:
            for p in range(prev.shape[0]):
                if _popcount(mask & prev[p]) > max_shared:
                    ok = False
                    break
        if ok:
            if fill:
                for j in range(nl):
                    row[j] = lock_ids[j]
                for j in range(kf):
                    row[nl + j] = cand[c[j]]
                insertion_sort(row, r)
                for j in range(r):
                    out[start + count, j] = row[j]
                outm[start + count] = mask
            count += 1
        if kf == 0:
            break
        i = kf - 1
        while i >= 1 and c[i] == nc - kf + i:
            i -= 1
        if i < 1:
            break
        c[i] += 1
        for j in range(i + 1, kf):
            c[j] = c[j - 1] + 1
    return count


@njit(cache=True, parallel=True)
def _enum_all(pool, rules, groups, overlap, outs, starts, fill):
    """``_enum_first`` for every first candidate in parallel: the count of each (nc,) (int64).

    The tuples are ``_enum_first``'s; ``starts`` int64 (nc,) is each first candidate's first
    row in ``outs`` (the exclusive cumulative sum of the counts) when ``fill``.
    """
    nf = max(pool[0].shape[0], 1)
    counts = np.zeros(nf, np.int64)
    for f in prange(nf):
        counts[f] = _enum_first(f, pool, rules, groups, overlap, outs, starts[f], fill)
    return counts


# enumerations of at most this many candidate rows (kf-subsets of the free drivers) fill in one
# pass: ~14 bytes a row of address space, only the rows written are touched
_ONE_PASS_ROWS = 16_000_000


def enumerate_lineups(
    salaries: np.ndarray,
    allowed: np.ndarray,
    lock_ids: np.ndarray,
    roster_size: int,
    cap: int,
    min_sal: int,
    gmasks: np.ndarray,
    gmin: np.ndarray,
    gmax: np.ndarray,
    prev: np.ndarray,
    max_shared: int,
    gall: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every lineup meeting the rules, as sorted uint8 rows (M, r) and uint64 bit sets (M,).

    ``gall`` (bool, one per group; default all False) marks all-or-none groups: a lineup holds
    none of that group's members or every one of them.
    """
    gall = np.zeros(len(gmasks), np.bool_) if gall is None else np.asarray(gall, np.bool_)
    locks = np.asarray(lock_ids, np.int64)
    lockset = set(locks.tolist())
    cand = np.array([i for i in range(len(salaries)) if allowed[i] and i not in lockset], np.int64)
    kf = roster_size - len(locks)
    sal = np.asarray(salaries, np.int64)
    if kf < 0 or kf > len(cand):
        return np.empty((0, roster_size), np.uint8), np.empty(0, np.uint64)
    pool = (cand, locks, sal)
    rules = (kf, int(cap), int(min_sal))
    groups = (gmasks, gmin, gmax, gall)
    overlap = (prev, int(max_shared))
    nf = max(len(cand), 1)
    # the most rows each first candidate can give: the kf-subsets that start with it
    most = np.array([math.comb(len(cand) - f - 1, kf - 1) if kf >= 1 else int(f == 0) for f in range(nf)], np.int64)
    if 0 < int(most.sum()) <= _ONE_PASS_ROWS:
        # one pass instead of count-then-fill: each first candidate fills a block sized for its
        # most rows (pages it never writes are never touched), then the blocks are closed up
        at = np.concatenate([[0], np.cumsum(most)[:-1]]).astype(np.int64)
        big, bigm = np.empty((int(most.sum()), roster_size), np.uint8), np.empty(int(most.sum()), np.uint64)
        counts = _enum_all(pool, rules, groups, overlap, (big, bigm), at, True)
        if int(counts.sum()) == len(bigm):
            return big, bigm
        out = np.empty((int(counts.sum()), roster_size), np.uint8)
        outm = np.empty(int(counts.sum()), np.uint64)
        pos = 0
        for f in np.flatnonzero(counts).tolist():
            c, a = int(counts[f]), int(at[f])
            out[pos : pos + c] = big[a : a + c]
            outm[pos : pos + c] = bigm[a : a + c]
            pos += c
        return out, outm
    empty = (np.empty((0, roster_size), np.uint8), np.empty(0, np.uint64))
    counts = _enum_all(pool, rules, groups, overlap, empty, np.zeros(nf, np.int64), False)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    m = int(counts.sum())
    out = np.empty((m, roster_size), np.uint8)
    outm = np.empty(m, np.uint64)
    if m:
        _enum_all(pool, rules, groups, overlap, (out, outm), starts, True)
    return out, outm


# ----------------------------------------------------------------------------- tail sums


@njit(cache=True)
def _top_buffer(x: np.ndarray, need: int) -> np.ndarray:
    """A buffer holding (at least) the ``need`` largest values of x: every value >= a threshold
    found from a strided sample, or all of x when the sample's guess falls short."""
    S = x.shape[0]
    step = min(8, S // max(need * 3, 1))
    if need > 0 and step >= 2:
        m = S // step
        sub = np.empty(m, np.float64)
        for i in range(m):
            sub[i] = x[i * step]
        j = need // step + 3 + int(2.0 * np.sqrt(need / step + 1.0))
        if j < m:
            tau = np.partition(sub, m - j - 1)[m - j - 1]
            cnt = 0
            for s in range(S):
                if x[s] >= tau:
                    cnt += 1
            if cnt >= need:
                buf = np.empty(cnt, np.float64)
                q = 0
                for s in range(S):
                    if x[s] >= tau:
                        buf[q] = x[s]
                        q += 1
                return buf
    return x.copy()


@njit(cache=True)
def _sum_top(buf: np.ndarray, need: int) -> tuple[float, float]:
    """(sum of the ``need`` largest values of buf, the need-th largest value)."""
    cnt = buf.shape[0]
    if need <= 0:
        return 0.0, np.inf
    if need >= cnt:
        return buf.sum(), buf.min()
    part = np.partition(buf, cnt - need)
    tot = 0.0
    for i in range(cnt - need, cnt):
        tot += part[i]
    return tot, part[cnt - need]


@njit(cache=True)
def _top_need(x: np.ndarray, need: int) -> tuple[float, float]:
    """(sum of the ``need`` largest values of x, the need-th largest value)."""
    if need <= 0:
        return 0.0, np.inf
    if need >= x.shape[0]:
        return x.sum(), x.min()
    return _sum_top(_top_buffer(x, need), need)


@njit(cache=True)
def upper_tail(x: np.ndarray, k0: int, f: float) -> tuple[float, float]:
    """(upper CVaR with k = k0 + f, upper VaR) as tail.py defines them."""
    need = k0 + 1 if f > 0.0 else k0
    tot, v = _top_need(x, need)
    if f > 0.0:
        tot = tot - (1.0 - f) * v
    return tot / (k0 + f), v


@njit(cache=True)
def lower_tail(x: np.ndarray, k0: int, f: float) -> tuple[float, float]:
    """(lower CVaR with k = k0 + f, lower VaR) as tail.py defines them."""
    y = -x
    c, v = upper_tail(y, k0, f)
    return -c, -v


@njit(cache=True)
def sum_rows(P: np.ndarray, row: np.ndarray, x: np.ndarray) -> None:
    S = P.shape[1]
    for s in range(S):
        x[s] = P[row[0], s]
    for j in range(1, row.shape[0]):
        d = row[j]
        for s in range(S):
            x[s] += P[d, s]


@njit(cache=True)
def leaf_values(x, kinds, k0s, fs, targets):
    """Every leaf objective of scores x (exact): one value per leaf, and each tail's VaR."""
    L = kinds.shape[0]
    vals = np.empty(L, np.float64)
    vars_ = np.zeros(L, np.float64)
    S = x.shape[0]
    for j in range(L):
        kd = kinds[j]
        if kd == MEAN:
            vals[j] = x.sum() / S
        elif kd == UPPER:
            vals[j], vars_[j] = upper_tail(x, k0s[j], fs[j])
        elif kd == LOWER:
            vals[j], vars_[j] = lower_tail(x, k0s[j], fs[j])
        else:
            c = 0
            for s in range(S):
                if x[s] >= targets[j]:
                    c += 1
            vals[j] = c / S
    return vals, vars_


@njit(cache=True, parallel=True)
def evaluate_batch(P, lineups, idx, kinds, k0s, fs, targets, weights):
    """Exact objective values of lineups ``idx``.

    ``P`` (n_slate, n_scenarios) is the scenario matrix by driver rows; ``kinds``, ``k0s``,
    ``fs``, ``targets``, ``weights`` (L,) describe the objective's leaves. Returns the values
    (len(idx),), and each leaf's value and VaR (len(idx), L).
    """
    nb = idx.shape[0]
    L = kinds.shape[0]
    S = P.shape[1]
    out = np.empty(nb, np.float64)
    lv = np.zeros((nb, L), np.float64)
    lvar = np.zeros((nb, L), np.float64)
    for b in prange(nb):
        x = np.empty(S, np.float64)
        sum_rows(P, lineups[idx[b]], x)
        v, var = leaf_values(x, kinds, k0s, fs, targets)
        tot = 0.0
        for j in range(L):
            lv[b, j] = v[j]
            lvar[b, j] = var[j]
            tot += weights[j] * v[j]
        out[b] = tot
    return out, lv, lvar


@njit(cache=True, parallel=True)
def apply_cuts(lineups, idx, cuts, ub, thr):
    """ub[idx] = min(ub[idx], min over cuts of the lineup's summed cut coefficients), stopping
    early for a lineup once its bound is at or below ``thr[b]`` (it is pruned: the smaller
    bound the remaining cuts might give is not needed)."""
    r = lineups.shape[1]
    for b in prange(idx.shape[0]):
        m = idx[b]
        row = lineups[m]
        best = ub[m]
        t = thr[b]
        if best <= t:
            continue
        for q in range(cuts.shape[0]):
            s = 0.0
            for j in range(r):
                s += cuts[q, row[j]]
            if s < best:
                best = s
                if best <= t:
                    break
        ub[m] = best


@njit(cache=True, parallel=True)
def additive_values(lineups, idx, c):
    """sum of c over each lineup in idx."""
    out = np.empty(idx.shape[0], np.float64)
    r = lineups.shape[1]
    for b in prange(idx.shape[0]):
        row = lineups[idx[b]]
        s = 0.0
        for j in range(r):
            s += c[row[j]]
        out[b] = s
    return out


# ----------------------------------------------------------------------------- part tables


@njit(cache=True, parallel=True)
def part_upper_cvar(P, parts, k0s, fs, weights):
    """Weighted sum over levels of the upper CVaR of each part (rows of driver indices, -1 padded)."""
    S = P.shape[1]
    out = np.zeros(parts.shape[0], np.float64)
    for p in prange(parts.shape[0]):
        x = np.zeros(S, np.float64)
        for j in range(parts.shape[1]):
            d = parts[p, j]
            if d >= 0:
                for s in range(S):
                    x[s] += P[d, s]
        maxneed = 0
        for j in range(k0s.shape[0]):
            nd = k0s[j] + 1 if fs[j] > 0.0 else k0s[j]
            maxneed = max(maxneed, nd)
        buf = _top_buffer(x, min(maxneed, S))
        for j in range(k0s.shape[0]):
            need = k0s[j] + 1 if fs[j] > 0.0 else k0s[j]
            tot, v = _sum_top(buf, need)
            if fs[j] > 0.0:
                tot = tot - (1.0 - fs[j]) * v
            out[p] += weights[j] * (tot / (k0s[j] + fs[j]))
    return out


@njit(cache=True, parallel=True)
def part_survival(P, parts, grid):
    """Share of scenarios in which each part scores >= each grid threshold: (n_parts, G)."""
    S = P.shape[1]
    G = grid.shape[0]
    out = np.empty((parts.shape[0], G), np.float64)
    for p in prange(parts.shape[0]):
        x = np.zeros(S, np.float64)
        for j in range(parts.shape[1]):
            d = parts[p, j]
            if d >= 0:
                for s in range(S):
                    x[s] += P[d, s]
        for g in range(G):
            c = 0
            for s in range(S):
                if x[s] >= grid[g]:
                    c += 1
            out[p, g] = c / S
    return out


@njit(cache=True, parallel=True)
def part_max(P, parts):
    """Largest score of each part over the scenarios."""
    S = P.shape[1]
    out = np.empty(parts.shape[0], np.float64)
    for p in prange(parts.shape[0]):
        x = np.zeros(S, np.float64)
        for j in range(parts.shape[1]):
            d = parts[p, j]
            if d >= 0:
                for s in range(S):
                    x[s] += P[d, s]
        out[p] = x.max()
    return out


@njit(cache=True)
def _part_code(row, pos, n):
    # sorted drivers a<b<c -> code in base (n+1), with n meaning "none"
    code = 0
    for j in range(3):
        d = n
        if j < pos.shape[0] and pos[j] >= 0:
            d = row[pos[j]]
        code = code * (n + 1) + d
    return code


@njit(cache=True, parallel=True)
def split_cvar_bound(lineups, idx, splits, table, n):
    """min over splits of the sum of the parts' upper CVaR (subadditivity): a valid bound.

    ``splits`` is (n_splits, n_parts, 3) of lineup positions (-1 padded); ``table`` maps a
    part code (see _part_code) to its upper CVaR.
    """
    out = np.empty(idx.shape[0], np.float64)
    for b in prange(idx.shape[0]):
        row = lineups[idx[b]]
        best = np.inf
        for q in range(splits.shape[0]):
            s = 0.0
            for p in range(splits.shape[1]):
                if splits[q, p, 0] >= 0:
                    s += table[_part_code(row, splits[q, p], n)]
            if s < best:
                best = s
        out[b] = best
    return out


@njit(cache=True, parallel=True)
def split_target_bound(lineups, idx, splits2, surv, n):
    """min over two-part splits and grid points g of P(A >= t_g) + P(B >= T - t_g).

    ``surv`` is (codes, G) with the grid built so that column G-1-g is the complement
    threshold of column g. Parts are given by ``splits2`` (n_splits, 2, 3).
    """
    G = surv.shape[1]
    out = np.empty(idx.shape[0], np.float64)
    for b in prange(idx.shape[0]):
        row = lineups[idx[b]]
        best = 1.0
        for q in range(splits2.shape[0]):
            ca = _part_code(row, splits2[q, 0], n)
            cb = _part_code(row, splits2[q, 1], n)
            for g in range(G):
                v = surv[ca, g] + surv[cb, G - 1 - g]
                if v < best:
                    best = v
        out[b] = best
    return out


# ----------------------------------------------------------------------------- scenario lists


@njit(cache=True, parallel=True)
def part_lists(P, parts, thetas, need, offsets, flat, fill):
    """Scenarios where part p scores above ``thetas[p]`` (only parts with ``need[p]``): count
    them (fill=False, returns counts) or write them to ``flat[offsets[p]:offsets[p+1]]``."""
    S = P.shape[1]
    cnt = np.zeros(parts.shape[0], np.int64)
    for p in prange(parts.shape[0]):
        if not need[p]:
            continue
        x = np.zeros(S, np.float64)
        for j in range(parts.shape[1]):
            d = parts[p, j]
            if d >= 0:
                for s in range(S):
                    x[s] += P[d, s]
        th = thetas[p]
        if fill:
            q = offsets[p]
            for s in range(S):
                if x[s] > th:
                    flat[q] = s
                    q += 1
        else:
            c = 0
            for s in range(S):
                if x[s] > th:
                    c += 1
            cnt[p] = c
    return cnt


@njit(cache=True)
def mark_parts(lineups, idx, splits, code_part, n, need):
    """need[part] = True for every part of every split of the lineups ``idx``."""
    for b in range(idx.shape[0]):
        row = lineups[idx[b]]
        for q in range(splits.shape[0]):
            for p in range(splits.shape[1]):
                if splits[q, p, 0] >= 0:
                    need[code_part[_part_code(row, splits[q, p], n)]] = True


# ----------------------------------------------------------------------------- portfolios


@njit(cache=True, parallel=True)
def step_filter(masks, idx, forbid, lock, needm, need_min):
    """Which lineups idx[b] have no forbidden driver, every lock, >= need_min drivers of needm."""
    out = np.zeros(idx.shape[0], np.bool_)
    for b in prange(idx.shape[0]):
        mk = masks[idx[b]]
        if (mk & forbid) == 0 and (mk & lock) == lock and _popcount(mk & needm) >= need_min:
            out[b] = True
    return out


@njit(cache=True, parallel=True)
def overlap_keep(masks, idx, chosen, max_overlap):
    """Which lineups idx[b] share at most max_overlap drivers with ``chosen``."""
    out = np.zeros(idx.shape[0], np.bool_)
    for b in prange(idx.shape[0]):
        out[b] = _popcount(masks[idx[b]] & chosen) <= max_overlap
    return out


@njit(cache=True, parallel=True)
def marginal_values(P, lineups, idx, z, kinds, k0s, fs, targets, weights):
    """Objective of max(z, x_L) per scenario for each lineup L in idx (portfolio measure)."""
    S = P.shape[1]
    out = np.empty(idx.shape[0], np.float64)
    for b in prange(idx.shape[0]):
        x = np.empty(S, np.float64)
        sum_rows(P, lineups[idx[b]], x)
        for s in range(S):
            if z[s] > x[s]:
                x[s] = z[s]
        v, _ = leaf_values(x, kinds, k0s, fs, targets)
        tot = 0.0
        for j in range(kinds.shape[0]):
            tot += weights[j] * v[j]
        out[b] = tot
    return out


@njit(cache=True, parallel=True)
def screen_exact(P, lineups, idx, lists, leaves, other, best, tol, exact_ok):
    """Rockafellar–Uryasev bound of each lineup's blend, touching only listed scenarios; and
    where the screen does not prune and enough scenarios above ``t_build`` are listed (every
    one of them is), the exact value from those scenarios.

    ``P`` float64 (n, S) is the scenario matrix by driver rows; ``lineups`` uint8 (M, r);
    ``idx`` int64 (B,) the lineups to screen. ``lists`` = ``(splits int64 (Q, parts, 3),
    code_part int64 (codes,), offsets int64 (n_parts + 1,), flat int32 (offsets[-1],), thetas
    float64 (n_parts,), t_build float, n int)``: the part lists (the splits of a lineup into
    parts by lineup position, -1 padded; each part's row found as ``code_part[_part_code(row,
    split, n)]`` with ``n`` the slate size; each part's list of scenarios
    ``flat[offsets[p]:offsets[p+1]]`` where it beats its threshold ``thetas[p]``; every
    scenario where a lineup scores above ``t_build`` is on one of its parts' lists).
    ``leaves`` = ``(kinds int64 (L,), k0s int64 (L,), fs float64 (L,), weights float64 (L,),
    tvals float64 (L,))``: the objective's leaves and each upper leaf's threshold t.
    ``other`` float64 (B, L): the value of each lineup's non-upper leaves; ``best``, ``tol``
    (floats): a lineup whose bound is at most ``best + tol`` is pruned.

    For an upper-CVaR leaf at threshold t: CVaR <= t + sum_s (x_s - t)^+ / k, and x_s > t only
    where some part of the lineup beats its share of t (the part lists were built with
    thresholds whose sum over any split is at most min t). Other leaves add ``other[b, j]``.

    Returns (bound or value, status): status 0 = pruned bound, 1 = exact value, 2 = needs a
    full evaluation. ``exact_ok`` says the objective has only upper-CVaR and mean leaves
    (mean leaves take ``other``, the lineup's mean).
    """
    splits, code_part, offsets, flat, thetas, t_build, n = lists
    kinds, k0s, fs, weights, tvals = leaves
    L = kinds.shape[0]
    nb = idx.shape[0]
    out = np.empty(nb, np.float64)
    status = np.zeros(nb, np.int8)
    nparts = splits.shape[1]
    maxneed = 0
    for j in range(L):
        if kinds[j] == UPPER:
            nd = k0s[j] + 1 if fs[j] > 0.0 else k0s[j]
            if nd > maxneed:
                maxneed = nd
    for b in prange(nb):
        row = lineups[idx[b]]
        bestq = 0
        bestlen = 1 << 62
        for q in range(splits.shape[0]):
            tot = 0
            for p in range(nparts):
                if splits[q, p, 0] >= 0:
                    pp = code_part[_part_code(row, splits[q, p], n)]
                    tot += offsets[pp + 1] - offsets[pp]
            if tot < bestlen:
                bestlen = tot
                bestq = q
        buf = np.empty(bestlen, np.float64)
        nbuf = 0
        acc = np.zeros(L, np.float64)
        for p in range(nparts):
            if splits[bestq, p, 0] < 0:
                continue
            pp = code_part[_part_code(row, splits[bestq, p], n)]
            for u in range(offsets[pp], offsets[pp + 1]):
                s = flat[u]
                dup = False
                for p2 in range(p):
                    if splits[bestq, p2, 0] < 0:
                        continue
                    v2 = 0.0
                    for jj in range(3):
                        pos = splits[bestq, p2, jj]
                        if pos >= 0:
                            v2 += P[row[pos], s]
                    if v2 > thetas[code_part[_part_code(row, splits[bestq, p2], n)]]:
                        dup = True
                        break
                if dup:
                    continue
                x = 0.0
                for j in range(row.shape[0]):
                    x += P[row[j], s]
                if x > t_build:
                    buf[nbuf] = x
                    nbuf += 1
                for j in range(L):
                    if kinds[j] == UPPER and x > tvals[j]:
                        acc[j] += x - tvals[j]
        tot = 0.0
        for j in range(L):
            if kinds[j] == UPPER:
                tot += weights[j] * (tvals[j] + acc[j] / (k0s[j] + fs[j]))
            else:
                tot += weights[j] * other[b, j]
        if tot <= best + tol:
            out[b] = tot
            continue
        if exact_ok and nbuf >= maxneed:
            vals = buf[:nbuf]
            tot = 0.0
            for j in range(L):
                if kinds[j] == UPPER:
                    c, _ = upper_tail(vals, k0s[j], fs[j])
                    tot += weights[j] * c
                else:
                    tot += weights[j] * other[b, j]
            out[b] = tot
            status[b] = 1
        else:
            out[b] = tot
            status[b] = 2
    return out, status


@njit(cache=True, parallel=True)
def lower_cuts(P, PS, lineups, idx, k0, f, vars_):
    """Cut vectors c (len(idx), n) from each lineup's (or driver subset's) worst-alpha
    scenario weights: for every lineup L, lower CVaR(L) <= sum_{i in L} c[b, i], with equality
    at lineup idx[b]. In parallel over idx.

    ``PS`` is P transposed (S, n), so the worst-alpha scenarios are summed row by row.
    ``vars_[b]`` is the lineup's lower VaR when known (from its evaluation), else NaN.
    """
    n, S = P.shape
    k = k0 + f
    out = np.zeros((idx.shape[0], n), np.float64)
    for b in prange(idx.shape[0]):
        x = np.empty(S, np.float64)
        sum_rows(P, lineups[idx[b]], x)
        v = vars_[b]
        if np.isnan(v):
            _, v = lower_tail(x, k0, f)
        below = 0
        ties = 0
        for s in range(S):
            if x[s] < v:
                below += 1
            elif x[s] == v:
                ties += 1
        wt = (k - below) / ties if ties > 0 else 0.0
        acc = np.zeros(n, np.float64)
        for s in range(S):
            if x[s] < v:
                for i in range(n):
                    acc[i] += PS[s, i]
            elif x[s] == v and wt > 0.0:
                for i in range(n):
                    acc[i] += wt * PS[s, i]
        for i in range(n):
            out[b, i] = acc[i] / k
    return out


@njit(cache=True, parallel=True)
def apply_pair_cuts(lineups, idx, table, pair_row, ub):
    """ub[idx] = min(ub[idx], min over the lineup's driver pairs {a, b} of the summed cut
    coefficients table[pair_row[a, b]]): the cut from the pair's own worst-alpha scenarios."""
    r = lineups.shape[1]
    for b in prange(idx.shape[0]):
        m = idx[b]
        row = lineups[m]
        best = ub[m]
        for a in range(r):
            for c in range(a + 1, r):
                q = pair_row[row[a], row[c]]
                s = 0.0
                for j in range(r):
                    s += table[q, row[j]]
                if s < best:
                    best = s
        ub[m] = best
