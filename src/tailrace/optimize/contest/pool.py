"""Contest mode's candidates: the structural pool (every feasible lineup scored on mean and upper
CVaR, the top of each criterion, the best avoiding each subset of the most-used drivers, and the
scenario optima) and the older per-driver ``candidate_pool`` kept for comparison.

See ``optimize.contest_mode``'s docstring, stage 1, for what the pool holds and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba as nb
import numpy as np

from tailrace.errors import InfeasibleError
from tailrace.optimize.contest.result import N_SCENARIO_OPTIMAL
from tailrace.optimize.lineup import enumerate_feasible, solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules
from tailrace.optimize.scenario_optimal import scenario_optimal_lineups


# ----------------------------------------------------------------------------- candidates


@nb.njit(cache=True, nogil=True)
def _top_k_desc(v: np.ndarray, k: int) -> tuple[np.ndarray, bool]:
    """The indices of the ``k`` largest of ``v`` (M,) (1 <= k <= M), largest first, in one pass
    (a min-heap of the best so far), and whether that answer is unambiguous: False when two of
    them are equal, when the k-th equals a value left out, or on a NaN (then the order, or the
    set, is the caller's tie rule's to decide)."""
    M = v.shape[0]
    hv = np.empty(k)
    hi = np.empty(k, dtype=np.int64)
    n = 0
    out_max = -np.inf
    has_out = False
    for i in range(M):
        x = np.float64(v[i])
        if x != x:
            return hi[:0].copy(), False
        if n < k:  # sift up
            p = n
            n += 1
            while p > 0:
                q = (p - 1) // 2
                if hv[q] <= x:
                    break
                hv[p] = hv[q]
                hi[p] = hi[q]
                p = q
            hv[p] = x
            hi[p] = i
            continue
        if not (x > hv[0]):
            if not has_out or x > out_max:
                out_max = x
            has_out = True
            continue
        y = hv[0]  # evicted: the smallest kept so far
        if not has_out or y > out_max:
            out_max = y
        has_out = True
        p = 0  # sift down from the root
        while True:
            c = 2 * p + 1
            if c >= k:
                break
            if c + 1 < k and hv[c + 1] < hv[c]:
                c += 1
            if hv[c] >= x:
                break
            hv[p] = hv[c]
            hi[p] = hi[c]
            p = c
        hv[p] = x
        hi[p] = i
    order = np.argsort(-hv)
    top = hi[order]
    vals = hv[order]
    for j in range(k - 1):
        if vals[j] == vals[j + 1]:
            return top, False
    if has_out and not (vals[k - 1] > out_max):
        return top, False
    return top, True


def _top_by(values: np.ndarray, k: int) -> np.ndarray:
    """The indices of the ``k`` largest ``values`` (M,), largest first: the ``k`` that
    ``np.argpartition(-values, k - 1)`` picks, in stable descending order of value.

    When those values are distinct and above every other value (the usual case: sums and
    bounds of distinct lineups), one pass finds them (``_top_k_desc``; the answer is then the
    only one); else ``argpartition``'s own tie rule decides, as it always did."""
    k = min(k, values.shape[0])
    if k >= 1:
        top, ok = _top_k_desc(np.ascontiguousarray(values), int(k))
        if ok:
            return top
    idx = np.argpartition(-values, k - 1)[:k]
    return idx[np.argsort(-values[idx], kind="stable")]


def candidate_pool(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    *,
    n_mean: int = 300,
    per_theme: int = 30,
    beta: float = 0.02,
    exact_levels: tuple[float, ...] = (0.01, 0.05),
    max_candidates: int = 3000,
) -> np.ndarray:
    """Strong, diverse lineups (rows sorted, distinct) for the contest selection; see module docstring."""
    p = np.asarray(points, dtype=np.float32)
    S, n = p.shape
    lu, _ = enumerate_feasible(rules, np.asarray(salaries, dtype=np.int64), n)
    if lu.shape[0] == 0:
        raise InfeasibleError("no lineup satisfies the rules", [])
    lu = lu.astype(np.int64)
    picks: list[np.ndarray] = []
    mu = p.mean(axis=0, dtype=np.float64)
    picks.append(_top_by(mu[lu].sum(axis=1), n_mean))
    k = max(1, int(round(beta * S)))

    def best_on(rows: np.ndarray, m: int) -> np.ndarray:
        cm = p[rows].mean(axis=0, dtype=np.float64)
        return _top_by(cm[lu].sum(axis=1), m)

    by_mean = _top_by(mu[lu].sum(axis=1), 20 * n_mean)
    for d in range(n):
        rows = np.argpartition(-p[:, d], k - 1)[:k]  # driver d's big days
        top = best_on(rows, 40 * per_theme)
        picks.append(top[:per_theme])
        picks.append(top[(lu[top] == d).any(axis=1)][:per_theme])  # the best of them holding d
        picks.append(by_mean[(lu[by_mean] == d).any(axis=1)][:per_theme])  # best by mean holding d
        x = p[:, lu[top[0]]].sum(axis=1, dtype=np.float64)
        rows = np.argpartition(-x, k - 1)[:k]  # successive linearisation: the incumbent's own top scenarios
        picks.append(best_on(rows, per_theme))
    out = [lu[np.concatenate(picks)]]
    for lev in exact_levels:
        res = solve_lineup(p, salaries, rules, Objective.upper_cvar(lev))
        out.append(np.array([sorted(res.lineup)], dtype=np.int64))
    allc = np.concatenate(out, axis=0)
    _, first = np.unique(allc, axis=0, return_index=True)
    uniq = allc[np.sort(first)]  # keep discovery order
    return uniq[:max_candidates]


# ----------------------------------------------------------------------------- structural pool


@nb.njit(cache=True, nogil=True)
def _max_first(x: np.ndarray) -> float:
    """``x.max()`` as numba computes it (first to last, a NaN returned as met), shape (K,) -> float."""
    best = x[0]
    if np.isnan(best):
        return best
    for k in range(1, x.shape[0]):
        v = x[k]
        if np.isnan(v):
            return v
        if v > best:
            best = v
    return best


@nb.njit(cache=True, nogil=True)
def _max_lanes(x: np.ndarray) -> float:
    """The largest of finite ``x`` (K,), four running maxima at once. The same value as
    ``_max_first`` unless it is zero (then the sign of a zero could depend on the order: the
    caller recomputes those with ``_max_first``)."""
    K = x.shape[0]
    m0 = x[0]
    m1 = m0
    m2 = m0
    m3 = m0
    k = 1
    while k + 4 <= K:
        m0 = x[k] if x[k] > m0 else m0
        m1 = x[k + 1] if x[k + 1] > m1 else m1
        m2 = x[k + 2] if x[k + 2] > m2 else m2
        m3 = x[k + 3] if x[k + 3] > m3 else m3
        k += 4
    while k < K:
        m0 = x[k] if x[k] > m0 else m0
        k += 1
    m0 = m1 if m1 > m0 else m0
    m2 = m3 if m3 > m2 else m2
    return m2 if m2 > m0 else m0


def _lineup_best(lu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per lineup (rows of ``lu`` (M, r)), the largest value sum_j w[lu[i, j], k] over the columns k
    of ``w`` (n, K); shape (M,).

    Each lineup's sums are taken left to right (w[lu[i, 0]] + w[lu[i, 1]] + ...), the partial sum
    of its first d drivers kept for the next lineup: the enumeration is sorted, so most lineups
    share all but their last driver with the one before and cost one addition per column, not
    ``r - 1``. The same additions in the same order as summing each lineup afresh, so the same
    floats; the largest is the value ``ndarray.max`` gives (a NaN in ``w``, or a largest value
    of zero, takes ``ndarray.max``'s own first-to-last walk, so even a zero's sign is the same).
    """
    # one table of :func:`_lineup_best_segments` (the same walk, the same floats)
    seg = np.array([0, w.shape[1]], dtype=np.int64)
    return np.ascontiguousarray(_lineup_best_segments(lu, w, seg)[:, 0])


@nb.njit(cache=True, parallel=True, nogil=True)
def _lineup_best_segments(lu: np.ndarray, w: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """``_lineup_best`` of several weight tables in one walk over the lineups: ``w`` (n, K) their
    columns side by side, table l in columns ``seg[l]:seg[l + 1]`` (``seg`` (L + 1,) ascending,
    ``seg[0] = 0``, ``seg[L] = K``, no table empty); shape (M, L).

    Column l is ``_lineup_best(lu, w[:, seg[l]:seg[l + 1]])`` bit for bit: each column's sums are
    the same additions in the same order, and each table's largest is taken over its own columns
    by the same rule (four lanes when the whole of ``w`` is finite, else ``ndarray.max``'s walk,
    which gives the same value for finite columns; a zero largest value by that walk). One walk
    instead of one per table: the lineups, their shared prefixes and the output are read once."""
    M, r = lu.shape
    K = w.shape[1]
    L = seg.shape[0] - 1
    out = np.empty((M, L))
    finite = np.isfinite(w).all()
    B = 4096
    for b in nb.prange((M + B - 1) // B):
        pre = np.empty((r, K))  # pre[d] = w[lu[i, 0]] + ... + w[lu[i, d]]
        i0 = b * B
        for i in range(i0, min(M, i0 + B)):
            p = 0  # first driver position that differs from the previous lineup (0 at a block's start)
            if i > i0:
                while p < r - 1 and lu[i, p] == lu[i - 1, p]:
                    p += 1
            for d in range(p, r):
                wd = w[lu[i, d]]
                if d == 0:
                    pre[0, :] = wd
                else:
                    for k in range(K):
                        pre[d, k] = pre[d - 1, k] + wd[k]
            for l in range(L):
                acc = pre[r - 1, seg[l]:seg[l + 1]]
                v = _max_lanes(acc) if finite else _max_first(acc)
                if v == 0.0:
                    v = _max_first(acc)
                out[i, l] = v
    return out


@nb.njit(cache=True, parallel=True, nogil=True)
def _upper_cvar_many(points: np.ndarray, lus: np.ndarray, k: int) -> np.ndarray:
    """Exact upper CVaR (mean of the top ``k`` scenario scores) of each lineup in ``lus``."""
    S = points.shape[0]
    L, r = lus.shape
    out = np.empty(L)
    for i in nb.prange(L):
        x = np.empty(S)
        for s in range(S):
            v = 0.0
            for j in range(r):
                v += np.float64(points[s, lus[i, j]])
            x[s] = v
        y = np.partition(x, S - k)
        out[i] = y[S - k:].mean()
    return out


@nb.njit(cache=True, parallel=True, nogil=True)
def _upper_cvar_levels(points: np.ndarray, lus: np.ndarray, ks: np.ndarray, need: np.ndarray) -> np.ndarray:
    """``_upper_cvar_many`` at several tail sizes at once: out[i, l] = the mean of lineup i's top
    ``ks[l]`` scenario scores where ``need[i, l]`` (else NaN), shapes (L,), (U, L) -> (U, L). Each
    lineup's scores are summed once; each level partitions them afresh, as ``_upper_cvar_many``
    does (the same floats). The scores are summed driver by driver over the transposed points
    (each driver's column read as one stream): per scenario the same additions in the same order
    (0 + d0 + d1 + ...) as summing a scenario's row, so the same floats."""
    S = points.shape[0]
    U, r = lus.shape
    L = ks.shape[0]
    pt = np.ascontiguousarray(points.T)  # (n, S)
    out = np.full((U, L), np.nan)
    for i in nb.prange(U):
        x = np.zeros(S)
        for j in range(r):
            col = pt[lus[i, j]]
            for s in range(S):
                x[s] += np.float64(col[s])
        for l in range(L):
            if need[i, l]:
                k = ks[l]
                y = np.partition(x, S - k)
                out[i, l] = y[S - k:].mean()
    return out


@nb.njit(cache=True, nogil=True)
def _group_tops(order: np.ndarray, code: np.ndarray, quota: int, n_groups: int) -> np.ndarray:
    """For each code g, the first ``quota`` lineups of ``order`` with that code (-1 = none)."""
    out = np.full((n_groups, quota), -1, dtype=np.int64)
    cnt = np.zeros(n_groups, dtype=np.int64)
    for i in order:
        g = code[i]
        if cnt[g] < quota:
            out[g, cnt[g]] = i
            cnt[g] += 1
    return out


def _top_scenarios(points: np.ndarray, lus: np.ndarray, k: int) -> np.ndarray:
    """Scenario weights (rows: mean of each driver over a lineup's own top-k scenarios)."""
    rows = []
    for lu in lus:
        x = points[:, np.asarray(lu, dtype=np.int64)].sum(axis=1, dtype=np.float64)
        rows.append(points[np.argpartition(-x, k - 1)[:k]].mean(axis=0, dtype=np.float64))
    return np.array(rows)


def _group_tops_of(v: np.ndarray, code: np.ndarray, quota: int, n_groups: int) -> np.ndarray:
    """``_group_tops`` of the stable descending order of ``v`` (the first ``quota`` of each code),
    without sorting every lineup. The lineups at or above a threshold come first in that order,
    so their stable order is its prefix; the codes it leaves short (rare ones) continue with their
    own lineups below the threshold in stable order, which is how the full order continues for
    them. Same answer as ``_group_tops(np.argsort(-v, kind="stable"), ...)``."""
    M = v.shape[0]
    T = min(M, max(50_000, 16 * n_groups * quota))
    if T >= M:
        return _group_tops(np.argsort(-v, kind="stable"), code, quota, n_groups)
    need = np.minimum(np.bincount(code, minlength=n_groups), quota)
    thr = np.partition(v, M - T)[M - T]  # the T-th largest
    idx = np.nonzero(v >= thr)[0]  # index order
    first = idx[np.argsort(-v[idx], kind="stable")]
    gt = _group_tops(first, code, quota, n_groups)
    short = (gt >= 0).sum(axis=1) < need
    if not short.any():
        return gt
    rest = np.nonzero(short[code] & (v < thr))[0]
    return _group_tops(np.concatenate([first, rest[np.argsort(-v[rest], kind="stable")]]), code, quota, n_groups)


def _lineup_best_of(lu: np.ndarray, ws: list[np.ndarray]) -> np.ndarray:
    """``_lineup_best`` of each weight table in ``ws`` (rows (K_l, n) each: one set of driver
    weights per row), in one walk over the lineups (``_lineup_best_segments``); shape (M, L)."""
    if not ws:
        return np.zeros((lu.shape[0], 0))
    seg = np.concatenate([[0], np.cumsum([w.shape[0] for w in ws])]).astype(np.int64)
    return _lineup_best_segments(lu, np.ascontiguousarray(np.vstack(ws).T), seg)


@dataclass
class PoolContext:
    """Every feasible lineup with its criteria, for the pool and for refills."""

    lineups: np.ndarray  # (M, roster) uint8, rows sorted
    bits: np.ndarray  # (M,) uint64 driver sets
    criteria: dict[str, np.ndarray]  # name -> (M,) float64 (upper CVaR: best known lower bound, exact at the top)
    protected: tuple[int, ...] = ()
    timings: dict[str, float] | None = None

    def refill(self, full: np.ndarray, chosen: np.ndarray, *, per_criterion: int = 100,
               max_overlap: int | None = None) -> np.ndarray:
        """The best lineups by each criterion that avoid every driver in ``full``."""
        mask = np.uint64(0)
        for d in np.asarray(full, dtype=np.int64):
            mask |= np.uint64(1) << np.uint64(d)
        live = (self.bits & mask) == 0
        if max_overlap is not None and chosen.shape[0]:
            for c in np.asarray(chosen):
                cm = np.uint64(0)
                for d in c:
                    cm |= np.uint64(1) << np.uint64(int(d))
                live &= np.bitwise_count(self.bits & cm) <= max_overlap
        if not live.any():
            return np.zeros((0, self.lineups.shape[1]), dtype=np.int64)
        picks = []
        for v in self.criteria.values():
            w = np.where(live, v, -np.inf)
            top = _top_by(w, min(per_criterion, int(live.sum())))
            picks.append(top[np.isfinite(w[top])])
        idx = np.unique(np.concatenate(picks))
        return self.lineups[idx].astype(np.int64)


def pool_context(points: np.ndarray, salaries: np.ndarray, rules: LineupRules, *,
                 levels: tuple[float, ...] = (0.01, 0.05, 0.10), n_exact: int = 5000,
                 lb_lineups: int = 16, refine_lineups: int = 64,
                 enumerated: tuple[np.ndarray, np.ndarray] | None = None) -> PoolContext:
    """Enumerate the feasible lineups and score them on mean and upper CVaR at ``levels``.

    ``enumerated``: the feasible lineups and their bit sets from an earlier context of the same
    rules (the cross-validation's folds reuse the enumeration, not the criteria).
    """
    p = np.ascontiguousarray(points, dtype=np.float32)
    S, n = p.shape
    t0 = time.perf_counter()
    lu, bits = enumerated if enumerated is not None else enumerate_feasible(
        rules, np.asarray(salaries, dtype=np.int64), n)
    if lu.shape[0] == 0:
        raise InfeasibleError("no lineup satisfies the rules", [])
    lu = np.ascontiguousarray(lu)
    timings = {"enumerate": time.perf_counter() - t0}
    t0 = time.perf_counter()
    mu = p.mean(axis=0, dtype=np.float64)
    crit: dict[str, np.ndarray] = {"mean": _lineup_best(lu, np.ascontiguousarray(mu[:, None]))}
    by_mean = _top_by(crit["mean"], lb_lineups)
    bounds: list[np.ndarray] = []
    tops: list[np.ndarray] = []
    ks = [max(1, int(round(lev * S))) for lev in levels]
    # lower bound: the best mean over each driver's big days and the leaders' own top scenarios
    ws = [np.vstack([np.array([p[np.argpartition(-p[:, d], k - 1)[:k]].mean(axis=0, dtype=np.float64)
                               for d in range(n)]), _top_scenarios(p, lu[by_mean], k)]) for k in ks]
    lb1 = _lineup_best_of(lu, ws)
    # successive linearisation, one round: the leaders' own top scenarios
    lb2 = _lineup_best_of(lu, [_top_scenarios(p, lu[_top_by(lb1[:, li], refine_lineups)], k)
                               for li, k in enumerate(ks)])
    for li in range(len(ks)):
        lb = np.maximum(lb1[:, li], lb2[:, li])
        bounds.append(lb)
        tops.append(_top_by(lb, n_exact))
    if levels:  # exact where it matters: every level's leaders, each lineup's scores summed once
        union, inv = np.unique(np.concatenate(tops), return_inverse=True)
        need = np.zeros((union.shape[0], len(levels)), dtype=np.bool_)
        at = 0
        where = []
        for li, top in enumerate(tops):
            idx = inv.ravel()[at:at + top.shape[0]]
            at += top.shape[0]
            need[idx, li] = True
            where.append(idx)
        exact = _upper_cvar_levels(p, np.ascontiguousarray(lu[union]), np.array(ks, dtype=np.int64), need)
        for li, (lev, lb, top) in enumerate(zip(levels, bounds, tops)):
            lb[top] = np.maximum(lb[top], exact[where[li], li])
            crit[f"upper_cvar_{lev:g}"] = lb
    timings["criteria"] = time.perf_counter() - t0
    return PoolContext(lu, bits, crit, timings=timings)


def scenario_optimal_rows(n_scenarios: int, n_scenario_optimal: int | None = None) -> np.ndarray:
    """The evenly spaced scenario rows whose optimal lineups join the structural pool, shape (k,)."""
    k_opt = N_SCENARIO_OPTIMAL if n_scenario_optimal is None else int(n_scenario_optimal)
    if k_opt <= 0 or n_scenario_optimal == 0 or n_scenarios <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.linspace(0, n_scenarios - 1, min(k_opt, n_scenarios)).round().astype(np.int64))


def structural_pool(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    *,
    n_top: int = 2500,
    levels: tuple[float, ...] = (0.01, 0.05, 0.10),
    n_protect: int = 7,
    per_subset: int = 150,
    context: PoolContext | None = None,
    n_scenario_optimal: int | None = None,
    scenario_optimal: np.ndarray | None = None,
) -> tuple[np.ndarray, PoolContext]:
    """Candidates (rows sorted, distinct, int64) and the context they came from; see module docstring.

    The pool holds the top ``n_top`` lineups by mean and by upper CVaR at each level and, for
    every subset of the ``n_protect`` drivers used most by those lineups (``context.protected``),
    the best ``per_subset`` lineups avoiding that subset (split evenly over the criteria), then
    the optimal lineup of each of ``n_scenario_optimal`` scenarios evenly spaced over the rows
    of ``points`` (all rows if fewer; default ``N_SCENARIO_OPTIMAL``): the high-ceiling lineups
    a scenario-by-scenario optimiser finds (``scenario_optimal.scenario_optimal_lineups``),
    kept only if feasible, at most that many more candidates. ``scenario_optimal``: those
    lineups computed already (``scenario_optimal_rows`` gives the rows).
    """
    ctx = context if context is not None else pool_context(points, salaries, rules, levels=levels)
    t0 = time.perf_counter()
    lu, n = ctx.lineups, np.asarray(points).shape[1]
    picks = [_top_by(v, n_top) for v in ctx.criteria.values()]
    top_ids = np.unique(np.concatenate(picks))
    use = np.bincount(lu[top_ids].ravel().astype(np.int64), minlength=n)
    protected = tuple(int(d) for d in np.argsort(-use, kind="stable")[: min(n_protect, n)] if use[d] > 0)
    ctx.protected = protected
    code = np.zeros(lu.shape[0], dtype=np.int64)
    for i, d in enumerate(protected):
        code |= ((ctx.bits >> np.uint64(d)) & np.uint64(1)).astype(np.int64) << i
    G = 1 << len(protected)
    quota = -(-per_subset // len(ctx.criteria))
    for v in ctx.criteria.values():
        gt = _group_tops_of(v, code, quota, G)
        for sub in range(1, G):
            ids = gt[[g for g in range(G) if g & sub == 0]].ravel()
            ids = ids[ids >= 0]
            if ids.size:
                picks.append(ids[_top_by(v[ids], quota)])
    S = np.asarray(points).shape[0]
    rows = scenario_optimal_rows(S, n_scenario_optimal)
    if rows.size or scenario_optimal is not None:
        t1 = time.perf_counter()
        opt = scenario_optimal if scenario_optimal is not None else scenario_optimal_lineups(
            points, salaries, rules, rows)
        if opt.shape[0]:
            ob = np.bitwise_or.reduce(np.left_shift(np.uint64(1), opt.astype(np.uint64)), axis=1)
            order = np.argsort(ctx.bits, kind="stable")
            pos = np.searchsorted(ctx.bits[order], ob)
            pos = np.minimum(pos, order.size - 1)
            hit = ctx.bits[order[pos]] == ob  # in the enumerated feasible set (every rule honoured)
            picks.append(order[pos[hit]])
        if ctx.timings is not None:
            ctx.timings["scenario_optimal"] = time.perf_counter() - t1
    allp = np.concatenate(picks)
    _, first = np.unique(allp, return_index=True)
    idx = allp[np.sort(first)]  # discovery order
    if ctx.timings is not None:
        ctx.timings["pool"] = time.perf_counter() - t0
    return lu[idx].astype(np.int64), ctx
