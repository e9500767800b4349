"""Contest-aware portfolios: lineups picked one by one for their marginal expected profit.

Three stages.

1. **Candidates** (``structural_pool``). Every lineup that satisfies the rules is enumerated
   (as the exact search does) and scored on four criteria: mean, and upper CVaR at 1 %, 5 %
   and 10 % (the mean of a lineup's top-beta share of scenarios). Upper CVaR is ranked by a
   lower bound first — the best mean over a family of scenario sets (each driver's big days,
   then the strong lineups' own top scenarios: one round of successive linearisation, whose
   fixed point is a local optimum of upper CVaR) — and made exact for the best ``2 n_top``.
   The pool holds the top ``n_top`` by each criterion and, for every subset of the
   ``n_protect`` drivers the top lineups use most, the best ``per_subset`` lineups avoiding
   that subset (split over the criteria), so the greedy keeps strong options whichever
   drivers' exposure caps bind. Added to these: the optimal lineup of each of
   ``N_SCENARIO_OPTIMAL`` evenly spaced optimisation scenarios (``scenario_optimal``), the
   high-ceiling lineups a sim-ROI workflow starts from. When the caps leave fewer than ``min_live`` admissible
   candidates, more are drawn from the enumeration (the best avoiding the capped drivers).
   The older ``candidate_pool`` (per-driver themes) is kept for comparison.
2. **Selection** (``select_contest_portfolio``). Greedy: each step adds the admissible
   candidate with the largest *exact* marginal expected payout given the lineups already
   chosen — our entries compete with each other and with the field, ties split as the site
   splits them, and an added lineup pushes ours below it down a place. Admissible = distinct,
   within every driver's exposure cap over the finished portfolio, and sharing at most
   ``max_overlap`` drivers with each chosen lineup. By default the greedy is *lazy*: a
   candidate's value from an earlier step is used as a bound and only the leaders are
   re-evaluated exactly (marginal values shrink as the portfolio grows in almost every
   scenario; when one would grow, the lazy pick can differ from the strict argmax). Every
   recorded marginal value is exact. ``lazy=False`` updates every candidate at every step.
3. **The cap** (``cap_place="cv"``, the default). The selection objective caps the top prizes
   at place ``cap`` (places 1..cap-1 paid the cap's prize; ``1`` = uncapped): the top prizes
   are won in a handful of scenarios, so their estimate is mostly noise and the greedy
   over-fits to it. The cap is chosen per run by 2-fold cross-validation over the
   optimisation scenarios only: halves A and B; on A, the structural pool of A alone (no
   optimum of a held-out scenario in it) and a selection with each cap of ``cv_caps`` against
   fold A's pretend-world field (below), scored by true-table ROI on B against the held-out
   fields, and vice versa; the cap with the best mean wins, and the final selection runs on
   all scenarios with it, from the union of the two folds' pools (refills ranked by the folds'
   criteria averaged). A fixed cap builds the structural pool on all scenarios instead.
4. **The fields** (``optimize.contest.fields``, built from ``tailrace.contest``'s field
   models). The real field is unknown: the final selection runs against a *mixture field* of
   the contest's size (the contest's field and its other field models). The CV mirrors the
   real situation in a pretend world: each fold selects against the mixture built on the
   user's ownership times a further 30 % log-normal error, and is scored against held-out
   fields drawn from the user's ownership itself by other models (calibrated and uncalibrated
   samplers, 0-35 % optimiser-built entries). A field given as a file is used as it is.
5. **The honest estimate** (``optimize.contest.estimate``): the chosen cap's held-out ROI, the
   mean over the held-out fields, with a 90 % interval spanning the (field, fold) figures and
   race noise, on ``ContestPortfolio`` (``roi_estimate``, ``roi_interval``, ``estimate_note``,
   ``cv_by_field``). The true table is used for every reported figure.

Cost. Candidates' paid standings are computed once per lineup over all scenarios (the final
store, ``_PaidStore``) and handed to the selection by scenario window; on site-scored points
large batches go through ``optimize.contest.standings.paid_standings_grid`` (one pass over the
field per batch for its paid region in grid units, then only the paid cells written, straight
into the per-candidate arrays), small refill batches through the field's paid region
(``_FieldTops``: its distinct score keys in the paid places, best first; a lineup's standings
are then a binary search), built once when refills become frequent. The greedy's first values
(nothing chosen yet) come from a streaming pass over those arrays; each pick recomputes a
scenario's loss prefixes only from the new entry's place down. Each fold ranks its own pool on its own half against
its pretend-world field; each held-out field is one grid pass over the scenarios, judged one
at a time. The folds' pools share the enumeration and the scenario optima (each scenario's
optimum is computed once, for its own half); there is no third pool on all scenarios.

Approximations, said exactly: (a) the search is over the candidate pool, not every lineup;
(b) greedy selection of a set function (not a proven optimum over all portfolios of the
pool), lazily evaluated unless ``lazy=False``; (c) the selection objective's capped table;
(d) the cross-validation has two folds (its choice is noisy where caps score within a few
points). The fields are fixed per seed. Scores are compared as integers
(``tailrace.contest.simulate.SCORE_SCALE``: 1e-4 points, finer than DK's 0.05), so ties are
exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numba as nb
import numpy as np

from tailrace.contest import Contest
from tailrace.contest.simulate import MAX_BINS, SCORE_SCALE, bisect_left, bisect_right, grid_points, standings_kernel
from tailrace.errors import InfeasibleError
from tailrace.optimize.contest.standings import paid_standings_grid
from tailrace.optimize.lineup import enumerate_feasible, solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules
from tailrace.optimize.scenario_optimal import scenario_optimal_lineups

DEFAULT_CAP_PLACE = 8  # the fixed cap when cross-validation is not asked for
CV_CAPS = (3, 5, 8, 12, 20, 1)  # caps tried by the cross-validation; 1 = uncapped
MIN_LIVE = 300  # draw more candidates when the caps leave fewer admissible ones than this
# structural pool: optimal lineups of this many evenly spaced scenarios (0 = none). 5,000 of
# 10,000 beat 2,000 on all six slates of benchmarks/decision_quality.py (Martinsville +10.6
# points over sim-ROI against +1.5; build times in BENCHMARKS.md)
N_SCENARIO_OPTIMAL = 5000
GRID_BATCH = 2000  # candidate batches at least this large are ranked by the grid kernel (site-scored points)
GRID_SMALL_BATCHES = 8  # smaller batches too, until this many: then the field's paid region is built once


@dataclass(frozen=True)
class ContestPortfolio:
    """Chosen lineups (rows of driver indices, in pick order) with the selection's own estimates.

    ``cap_place``: the cap the selection used (1 = uncapped); ``cv_scores``: when it was
    cross-validated, the mean held-out true-table ROI (a share of fees) per cap tried.
    ``roi_estimate`` (a share of fees), ``roi_interval`` (90 %) and ``estimate_note`` (what
    they assume): the honest estimate (``optimize.contest.estimate``), None without the CV.
    """

    lineups: np.ndarray  # (m, roster) int
    marginal_ev: np.ndarray  # (m,) marginal expected payout at pick time (selection table)
    exposures: np.ndarray  # (n,) share of lineups holding each driver
    n_candidates: int
    cap_place: int
    cv_scores: dict[int, float] | None = None
    cv_folds: dict[int, tuple[float, ...]] | None = None  # per cap, the ROI on each held-out half
    timings: dict[str, float] | None = None
    # the honest estimate (``optimize.contest.estimate``): the chosen cap's held-out ROI (a share
    # of fees) against held-out fields, its interval and what it assumes; None without the CV
    roi_estimate: float | None = None
    roi_interval: tuple[float, float] | None = None
    estimate_note: str = ""
    cv_by_field: tuple[float, ...] | None = None  # the chosen cap's held-out ROI against each held-out field
    cv_field_models: tuple[str, ...] | None = None  # how each held-out field was drawn (same order as cv_by_field)


# ----------------------------------------------------------------------------- candidates


def _top_by(values: np.ndarray, k: int) -> np.ndarray:
    k = min(k, values.shape[0])
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


@nb.njit(cache=True, parallel=True)
def _lineup_best(lu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per lineup (rows of ``lu``), the largest value sum_j w[lu[i, j], k] over the columns k of ``w`` (n, K)."""
    M, r = lu.shape
    K = w.shape[1]
    out = np.empty(M)
    B = 4096
    for b in nb.prange((M + B - 1) // B):
        acc = np.empty(K)
        for i in range(b * B, min(M, (b + 1) * B)):
            acc[:] = w[lu[i, 0]]
            for j in range(1, r):
                acc += w[lu[i, j]]
            out[i] = acc.max()
    return out


@nb.njit(cache=True, parallel=True)
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


@nb.njit(cache=True, parallel=True)
def _upper_cvar_levels(points: np.ndarray, lus: np.ndarray, ks: np.ndarray, need: np.ndarray) -> np.ndarray:
    """``_upper_cvar_many`` at several tail sizes at once: out[i, l] = the mean of lineup i's top
    ``ks[l]`` scenario scores where ``need[i, l]`` (else NaN), shapes (L,), (U, L) -> (U, L). Each
    lineup's scores are summed once; each level partitions them afresh, as ``_upper_cvar_many``
    does (the same floats)."""
    S = points.shape[0]
    U, r = lus.shape
    L = ks.shape[0]
    out = np.full((U, L), np.nan)
    for i in nb.prange(U):
        x = np.empty(S)
        for s in range(S):
            v = 0.0
            for j in range(r):
                v += np.float64(points[s, lus[i, j]])
            x[s] = v
        for l in range(L):
            if need[i, l]:
                k = ks[l]
                y = np.partition(x, S - k)
                out[i, l] = y[S - k:].mean()
    return out


@nb.njit(cache=True)
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
    bounds, tops, ks = [], [], []
    for lev in levels:
        k = max(1, int(round(lev * S)))
        # lower bound: the best mean over each driver's big days and the leaders' own top scenarios
        w = [p[np.argpartition(-p[:, d], k - 1)[:k]].mean(axis=0, dtype=np.float64) for d in range(n)]
        w = np.vstack([np.array(w), _top_scenarios(p, lu[by_mean], k)])
        lb = _lineup_best(lu, np.ascontiguousarray(w.T))
        # successive linearisation, one round: the leaders' own top scenarios
        w2 = _top_scenarios(p, lu[_top_by(lb, refine_lineups)], k)
        lb = np.maximum(lb, _lineup_best(lu, np.ascontiguousarray(w2.T)))
        bounds.append(lb)
        tops.append(_top_by(lb, n_exact))
        ks.append(k)
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


# ----------------------------------------------------------------------------- selection kernels


@nb.njit(cache=True)
def _split(cum: np.ndarray, a: np.int64, t: np.int64) -> float:
    P = cum.shape[0] - 1
    lo = a if a < P else P
    hi = a + t if a + t < P else P
    return (cum[hi] - cum[lo]) / t


@nb.njit(cache=True)
def _rescore_row(
    s: int, indptr: np.ndarray, col: np.ndarray, fa: np.ndarray, ft: np.ndarray, key: np.ndarray,
    marg: np.ndarray, total: np.ndarray, st_neg: np.ndarray, st_fa: np.ndarray, st_ft: np.ndarray,
    st_n: np.ndarray, cum: np.ndarray,
) -> None:
    """Recompute every paid candidate's marginal payout in scenario ``s`` given the chosen state.

    ``st_neg[s, :q]`` holds the chosen entries' negated score keys in ascending order (best first).
    """
    q = st_n[s]
    neg = st_neg[s, :q]
    # cb[i] = sum of dbelow over chosen 0..i-1; ct likewise for dtie
    cb = np.zeros(q + 1)
    ct = np.zeros(q + 1)
    i = 0
    while i < q:
        j = i
        while j < q and neg[j] == neg[i]:
            j += 1
        for k in range(i, j):  # group i..j-1 ties; i chosen entries are strictly above it
            a = np.int64(st_fa[s, k] + i)
            t = np.int64(st_ft[s, k] + (j - i))
            pay = _split(cum, a, t)
            cb[k + 1] = cb[k] + _split(cum, a + 1, t) - pay
            ct[k + 1] = ct[k] + _split(cum, a, t + 1) - pay
        i = j
    for e in range(indptr[s], indptr[s + 1]):
        x = -key[e]
        lo = bisect_left(neg, x)  # chosen strictly above
        hi = bisect_right(neg, x)  # chosen at or above
        loss = (cb[q] - cb[hi]) + (ct[hi] - ct[lo])
        v = _split(cum, np.int64(fa[e] + lo), np.int64(ft[e] + 1 + hi - lo)) + loss
        total[col[e]] += v - marg[e]
        marg[e] = v


@nb.njit(cache=True)
def _insert_sorted(s: int, x: np.int64, a: np.int64, t: np.int64, st_neg: np.ndarray, st_fa: np.ndarray,
                   st_ft: np.ndarray, st_n: np.ndarray) -> None:
    """Insert one chosen entry (negated key ``x``, field above ``a``, field tied ``t``) into
    scenario ``s``'s sorted chosen state, keeping it sorted by ``x``."""
    q = st_n[s]
    pos = bisect_right(st_neg[s, :q], x)
    for k in range(q, pos, -1):
        st_neg[s, k] = st_neg[s, k - 1]
        st_fa[s, k] = st_fa[s, k - 1]
        st_ft[s, k] = st_ft[s, k - 1]
    st_neg[s, pos] = x
    st_fa[s, pos] = a
    st_ft[s, pos] = t
    st_n[s] = q + 1


@nb.njit(cache=True)
def _add_chosen(
    c: int, cpos: np.ndarray, cptr: np.ndarray, row_of: np.ndarray, indptr: np.ndarray, col: np.ndarray,
    fa: np.ndarray, ft: np.ndarray, key: np.ndarray, marg: np.ndarray, total: np.ndarray,
    st_neg: np.ndarray, st_fa: np.ndarray, st_ft: np.ndarray, st_n: np.ndarray, cum: np.ndarray,
) -> None:
    """Add candidate ``c`` to the chosen set in every scenario where it is paid, then rescore those rows."""
    for pp in range(cptr[c], cptr[c + 1]):
        e = cpos[pp]
        s = row_of[e]
        _insert_sorted(s, -key[e], fa[e], ft[e], st_neg, st_fa, st_ft, st_n)
        _rescore_row(s, indptr, col, fa, ft, key, marg, total, st_neg, st_fa, st_ft, st_n, cum)


@nb.njit(cache=True)
def _rescore_all(
    indptr: np.ndarray, col: np.ndarray, fa: np.ndarray, ft: np.ndarray, key: np.ndarray, marg: np.ndarray,
    total: np.ndarray, st_neg: np.ndarray, st_fa: np.ndarray, st_ft: np.ndarray, st_n: np.ndarray, cum: np.ndarray,
) -> None:
    """Bring every entry's marginal payout up to date with the chosen state (after new candidates)."""
    for s in range(indptr.shape[0] - 1):
        _rescore_row(s, indptr, col, fa, ft, key, marg, total, st_neg, st_fa, st_ft, st_n, cum)


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


class _Selection:
    """The greedy's state: candidates' paid standings (CSR by scenario) and the marginal totals."""

    def __init__(self, points: np.ndarray, contest: Contest, n_lineups: int, cap_place: int) -> None:
        self.p = points
        self.S = points.shape[0]
        self.n_lineups = n_lineups
        self.table = contest.payouts.capped(cap_place)
        self.cum = self.table.cumulative()
        fu, self.fc = contest.opponents(n_lineups).unique()
        self.fu = np.ascontiguousarray(fu, dtype=np.int32)
        self.cands = np.zeros((0, 0), dtype=np.int32)
        self.entries: tuple[np.ndarray, ...] | None = None

    def add_candidates(self, new: np.ndarray) -> None:
        """Append candidates: their standings are computed once and scored against the chosen state."""
        new = np.ascontiguousarray(new, dtype=np.int32)
        C0 = self.cands.shape[0]
        e = _standings(self.p, new, self.fu, self.fc, self.table.n_paid, offset=C0)
        row_of, col, fa, ft, key = e
        P = self.table.n_paid
        lo = np.minimum(fa, P)
        hi = np.minimum(fa.astype(np.int64) + ft + 1, P)
        marg = (self.cum[hi] - self.cum[lo]) / (ft + 1.0)  # alone against the field
        C = C0 + new.shape[0]
        total = np.bincount(col - C0, weights=marg, minlength=new.shape[0]).astype(np.float64)
        first = self.entries is None
        if not first:
            e = tuple(np.concatenate([x, y]) for x, y in zip(self.entries, e))
            marg = np.concatenate([self.marg, marg])
            total = np.concatenate([self.total, total])
        order = np.argsort(e[0], kind="stable")
        self.entries = tuple(x[order] for x in e)
        self.marg = marg[order]
        self.total = total
        self.cands = new if C0 == 0 else np.concatenate([self.cands, new], axis=0)
        row_of, col, fa, ft, key = self.entries
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=self.S))]).astype(np.int64)
        self.cpos = np.argsort(col, kind="stable").astype(np.int64)
        self.cptr = np.concatenate([[0], np.cumsum(np.bincount(col, minlength=C))]).astype(np.int64)
        if first:
            self.st_neg = np.zeros((self.S, self.n_lineups), dtype=np.int64)
            self.st_fa = np.zeros((self.S, self.n_lineups), dtype=np.int32)
            self.st_ft = np.zeros((self.S, self.n_lineups), dtype=np.int32)
            self.st_n = np.zeros(self.S, dtype=np.int64)
        else:
            _rescore_all(self.indptr, col, fa, ft, key, self.marg, self.total, self.st_neg, self.st_fa,
                         self.st_ft, self.st_n, self.cum)

    def choose(self, c: int) -> None:
        row_of, col, fa, ft, key = self.entries
        _add_chosen(c, self.cpos, self.cptr, row_of, self.indptr, col, fa, ft, key, self.marg, self.total,
                    self.st_neg, self.st_fa, self.st_ft, self.st_n, self.cum)


# ----------------------------------------------------------------------------- lazy selection kernels


@nb.njit(cache=True)
def _row_prefix(s: int, st_neg: np.ndarray, st_fa: np.ndarray, st_ft: np.ndarray, st_n: np.ndarray,
                cb: np.ndarray, ct: np.ndarray, cum: np.ndarray, i0: int = 0) -> None:
    """Row ``s``'s loss prefixes: cb[s, i] / ct[s, i] = what chosen 0..i-1 lose when a new entry
    lands strictly above / tied with them (as in ``_rescore_row``).

    ``i0``: a group start (first of a run of equal keys) before which nothing changed since the
    prefixes were last computed: entries 0..i0-1 keep their places, so cb/ct[s, :i0 + 1] stand
    and only the rest is recomputed (the same sums, term for term)."""
    q = st_n[s]
    neg = st_neg[s]
    if i0 == 0:
        cb[s, 0] = 0.0
        ct[s, 0] = 0.0
    i = i0
    while i < q:
        j = i
        while j < q and neg[j] == neg[i]:
            j += 1
        for k in range(i, j):
            a = np.int64(st_fa[s, k] + i)
            t = np.int64(st_ft[s, k] + (j - i))
            pay = _split(cum, a, t)
            cb[s, k + 1] = cb[s, k] + _split(cum, a + 1, t) - pay
            ct[s, k + 1] = ct[s, k] + _split(cum, a, t + 1) - pay
        i = j


@nb.njit(cache=True)
def _eval_many(cs: np.ndarray, cptr: np.ndarray, row: np.ndarray, fa: np.ndarray, ft: np.ndarray, key: np.ndarray,
               st_neg: np.ndarray, st_n: np.ndarray, cb: np.ndarray, ct: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Exact marginal payout (summed over scenarios) of each candidate in ``cs`` given the chosen state."""
    out = np.empty(cs.shape[0])
    for ii in range(cs.shape[0]):
        c = cs[ii]
        tot = 0.0
        for e in range(cptr[c], cptr[c + 1]):
            s = row[e]
            q = st_n[s]
            x = -key[e]
            neg = st_neg[s, :q]
            lo = bisect_left(neg, x)
            hi = bisect_right(neg, x)
            loss = (cb[s, q] - cb[s, hi]) + (ct[s, hi] - ct[s, lo])
            tot += _split(cum, np.int64(fa[e] + lo), np.int64(ft[e] + 1 + hi - lo)) + loss
        out[ii] = tot
    return out


@nb.njit(cache=True, parallel=True)
def _eval_alone(cptr: np.ndarray, fa: np.ndarray, ft: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """``_eval_many`` of every candidate while nothing is chosen: each entry's payout alone
    against the field, summed over its scenarios in the same order (the same floats)."""
    C = cptr.shape[0] - 1
    out = np.empty(C)
    for c in nb.prange(C):
        tot = 0.0
        for e in range(cptr[c], cptr[c + 1]):
            tot += _split(cum, np.int64(fa[e]), np.int64(ft[e] + 1))
        out[c] = tot
    return out


@nb.njit(cache=True)
def _insert(c: int, cptr: np.ndarray, row: np.ndarray, fa: np.ndarray, ft: np.ndarray, key: np.ndarray,
            st_neg: np.ndarray, st_fa: np.ndarray, st_ft: np.ndarray, st_n: np.ndarray,
            cb: np.ndarray, ct: np.ndarray, cum: np.ndarray) -> None:
    """Add candidate ``c`` to the chosen state of every scenario where it is paid."""
    for e in range(cptr[c], cptr[c + 1]):
        s = row[e]
        x = -key[e]
        _insert_sorted(s, x, fa[e], ft[e], st_neg, st_fa, st_ft, st_n)
        # entries strictly above the new one keep their places: recompute from its key's group on
        _row_prefix(s, st_neg, st_fa, st_ft, st_n, cb, ct, cum, bisect_left(st_neg[s, :st_n[s]], x))


@nb.njit(cache=True)
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


@nb.njit(cache=True)
def _score_key(row: np.ndarray, lineup: np.ndarray) -> np.int64:
    """A lineup's score as the contest simulator keys it (``tailrace.contest.simulate``: float64 sum
    of the float32 points in roster order, rounded to integers of 1 / SCORE_SCALE points)."""
    s = 0.0
    for k in range(lineup.shape[0]):
        s += np.float64(row[lineup[k]])
    return np.int64(np.round(s * SCORE_SCALE))


@nb.njit(cache=True, parallel=True)
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
            f[i] = -_score_key(row, field_u[i])
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


@nb.njit(cache=True, parallel=True)
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
            k = _score_key(row, cands[c])
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
            from tailrace.distributed import row_blocks

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


@nb.njit(cache=True)
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
    scenario, field strictly above, field tied (itself excluded) and the score key."""

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

    def append(self, e: _Paid) -> _Paid:
        """This and ``e``'s candidates (e's after), without re-sorting."""
        cands = np.concatenate([self.cands, e.cands], axis=0)
        out = _Paid.__new__(_Paid)
        out.store, out.window, out.cands = self.store, self.window, cands
        out.row, out.fa, out.ft, out.key = (np.concatenate([x, y]) for x, y in
                                            ((self.row, e.row), (self.fa, e.fa), (self.ft, e.ft), (self.key, e.key)))
        out.cptr = np.concatenate([self.cptr, self.cptr[-1] + e.cptr[1:]])
        return out

    @classmethod
    def compute(cls, points: np.ndarray, cands: np.ndarray, field_u: np.ndarray, field_c: np.ndarray,
                n_paid: int) -> _Paid:
        cands = np.ascontiguousarray(cands, dtype=np.int32)
        row, col, fa, ft, key = _standings(points, cands, field_u, field_c, n_paid)
        return cls(cands, row, fa, ft, key, col)

    def take(self, cols: np.ndarray, r0: int, r1: int) -> tuple[np.ndarray, ...]:
        """Entries (row - r0, fa, ft, key, new column) of candidates ``cols`` in scenarios r0..r1-1."""
        cnt = self.cptr[cols + 1] - self.cptr[cols]
        idx = np.repeat(self.cptr[cols] - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt) + np.arange(cnt.sum())
        newc = np.repeat(np.arange(cols.shape[0]), cnt)
        if r0 == 0 and r1 > int(self.row.max(initial=-1)) and np.array_equal(cols, np.arange(self.cands.shape[0])):
            return self.row, self.fa, self.ft, self.key, newc
        row = self.row[idx]
        m = (row >= r0) & (row < r1)
        return row[m] - r0, self.fa[idx][m], self.ft[idx][m], self.key[idx][m], newc[m]

    def rows(self, r0: int, r1: int) -> _Paid:
        """The entries of scenarios r0..r1-1, renumbered from 0."""
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
            return out
        row, fa, ft, key, col = a.take(cols, r0, r1)
        return _Paid(lineups, row, fa, ft, key, col, store=self, window=(r0, r1), presorted=True)


class _LazySelection:
    """The lazy greedy's state: candidates' paid standings (CSC) and each scenario's chosen entries."""

    def __init__(self, points: np.ndarray, contest: Contest, n_lineups: int, cap_place: int,
                 paid: _Paid | None = None) -> None:
        self.p = points
        self.S = points.shape[0]
        self.table = contest.payouts.capped(cap_place)
        self.cum = self.table.cumulative()
        self.contest, self.n_lineups = contest, n_lineups
        self.paid = paid
        L = n_lineups + 1
        self.st_neg = np.zeros((self.S, L), dtype=np.int64)
        self.st_fa = np.zeros((self.S, L), dtype=np.int32)
        self.st_ft = np.zeros((self.S, L), dtype=np.int32)
        self.st_n = np.zeros(self.S, dtype=np.int64)
        self.cb = np.zeros((self.S, L + 1))
        self.ct = np.zeros((self.S, L + 1))

    @property
    def cands(self) -> np.ndarray:
        return np.zeros((0, 0), dtype=np.int32) if self.paid is None else self.paid.cands

    def add_candidates(self, new: np.ndarray) -> None:
        new = np.ascontiguousarray(new, dtype=np.int32)
        if self.paid is not None and self.paid.store is not None:
            e = self.paid.store.get(new, *self.paid.window)
        else:  # no store: the field's distinct lineups, only now (a store's selection never needs them)
            fu, fc = self.contest.opponents(self.n_lineups).unique()
            e = _Paid.compute(self.p, new, np.ascontiguousarray(fu, dtype=np.int32), fc, self.table.n_paid)
        self.paid = e if self.paid is None else self.paid.append(e)

    def evaluate(self, cs: np.ndarray) -> np.ndarray:
        a = self.paid
        return _eval_many(np.asarray(cs, dtype=np.int64), a.cptr, a.row, a.fa, a.ft, a.key, self.st_neg,
                          self.st_n, self.cb, self.ct, self.cum)

    def evaluate_alone(self) -> np.ndarray:
        """Every candidate's value before anything is chosen (``evaluate`` of all, faster)."""
        if int(self.st_n.max(initial=0)):
            return self.evaluate(np.arange(self.cands.shape[0]))
        a = self.paid
        return _eval_alone(a.cptr, a.fa, a.ft, self.cum)

    def choose(self, c: int) -> None:
        a = self.paid
        _insert(c, a.cptr, a.row, a.fa, a.ft, a.key, self.st_neg, self.st_fa, self.st_ft, self.st_n,
                self.cb, self.ct, self.cum)


def select_contest_portfolio(
    points: np.ndarray,
    candidates: np.ndarray,
    n_lineups: int,
    contest: Contest,
    *,
    max_exposure: float | np.ndarray = 1.0,
    max_overlap: int | None = None,
    cap_place: int = DEFAULT_CAP_PLACE,
    progress: Callable[[int, int], None] | None = None,
    refill: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    lazy: bool = True,
    min_live: int = 0,
    _paid: _Paid | None = None,
) -> ContestPortfolio:
    """Greedy by exact marginal expected payout (capped table) over ``candidates`` (C, roster).

    When no candidate is admissible before ``n_lineups`` are chosen — or, with ``min_live``,
    when fewer than ``min_live`` are and the capped drivers changed since the last refill —
    ``refill(full_drivers, chosen_lineups)`` (if given) supplies more candidates and the
    greedy resumes with the same picks; otherwise InfeasibleError names the limits.
    ``lazy``: see the module docstring (the marginal values recorded are exact either way).
    """
    p = np.ascontiguousarray(points, dtype=np.float32)
    S, n = p.shape
    sel = _LazySelection(p, contest, n_lineups, cap_place, _paid) if lazy else _Selection(p, contest, n_lineups,
                                                                                          cap_place)
    cap = np.broadcast_to(np.asarray(max_exposure, dtype=np.float64), (n,))
    limit = np.floor(cap * n_lineups + 1e-9).astype(np.int64)
    counts = np.zeros(n, dtype=np.int64)
    chosen: list[int] = []
    gains: list[float] = []
    member = np.zeros((0, n), dtype=bool)
    ok = np.zeros(0, dtype=bool)
    bound = np.zeros(0)  # lazy: last exact value of each candidate (a bound on its value now)
    fresh = np.zeros(0, dtype=np.int64)  # lazy: the step at which ``bound`` was computed

    def admissible(m: np.ndarray) -> np.ndarray:
        okn = ~m[:, counts >= limit].any(axis=1)
        for c in chosen:
            okn &= m[:, sel.cands[c]].sum(axis=1) <= (max_overlap if max_overlap is not None else n)
        return okn

    def extend(new: np.ndarray) -> int:
        nonlocal member, ok, bound, fresh
        new = np.sort(np.asarray(new), axis=1).astype(np.int32)
        if sel.cands.size:
            known = {tuple(x) for x in sel.cands.tolist()}
            new = np.array([x for x in new.tolist() if tuple(x) not in known], dtype=np.int32).reshape(-1, new.shape[1])
        if new.shape[0] == 0:
            return 0
        _, first = np.unique(new, axis=0, return_index=True)
        new = new[np.sort(first)]
        C0 = sel.cands.shape[0]
        sel.add_candidates(new)
        m = np.zeros((new.shape[0], n), dtype=bool)
        m[np.arange(new.shape[0])[:, None], new] = True
        member = np.concatenate([member, m], axis=0)
        ok = np.concatenate([ok, admissible(m)])
        if lazy:
            bound = np.concatenate([bound, sel.evaluate(np.arange(C0, C0 + new.shape[0]))])
            fresh = np.concatenate([fresh, np.full(new.shape[0], len(chosen), dtype=np.int64)])
        return new.shape[0]

    def pick() -> int:
        """The admissible candidate with the largest marginal value (-1: none)."""
        if not lazy:
            score = np.where(ok, sel.total, -np.inf)
            c = int(np.argmax(score)) if score.size else -1
            return c if c >= 0 and np.isfinite(score[c]) else -1
        step = len(chosen)
        score = np.where(ok, bound, -np.inf)
        while True:
            c = int(np.argmax(score)) if score.size else -1
            if c < 0 or not np.isfinite(score[c]):
                return -1
            if fresh[c] == step:
                return c
            kk = min(4, score.size)
            top = np.argpartition(-score, kk - 1)[:kk]
            top = top[np.isfinite(score[top]) & (fresh[top] != step)]
            v = sel.evaluate(top)
            bound[top] = v
            fresh[top] = step
            score[top] = v

    if _paid is not None:
        C0 = _paid.cands.shape[0]
        m = np.zeros((C0, n), dtype=bool)
        m[np.arange(C0)[:, None], _paid.cands] = True
        member, ok = m, admissible(m)
        bound, fresh = sel.evaluate_alone(), np.zeros(C0, dtype=np.int64)
    else:
        extend(np.asarray(candidates))
    refilled_for: tuple[int, ...] | None = None
    while len(chosen) < n_lineups:
        full_t = tuple(int(i) for i in np.nonzero(counts >= limit)[0])
        if refill is not None and min_live and int(ok.sum()) < min_live and full_t != refilled_for:
            refilled_for = full_t
            extend(refill(np.array(full_t, dtype=np.int64), sel.cands[np.array(chosen, dtype=np.int64)]))
        c = pick()
        if c < 0 and refill is not None:
            extra = refill(np.array(full_t, dtype=np.int64), sel.cands[np.array(chosen, dtype=np.int64)])
            refilled_for = full_t
            if extend(extra) > 0:
                continue
        if c < 0:
            raise InfeasibleError(
                f"the candidate pool ran out after {len(chosen)} of {n_lineups} lineups under the exposure "
                "and overlap limits",
                [f"max exposure {float(np.max(cap)):.0%}", f"max overlap {max_overlap}", "candidate pool size"],
            )
        chosen.append(c)
        gains.append(float(bound[c] if lazy else sel.total[c]) / S)
        ok[c] = False
        counts[sel.cands[c]] += 1
        full = np.nonzero(counts >= limit)[0]
        if full.size:
            ok &= ~member[:, full].any(axis=1)
        if max_overlap is not None:
            ok &= member[:, sel.cands[c]].sum(axis=1) <= max_overlap
        sel.choose(c)
        if progress is not None:
            progress(len(chosen), n_lineups)
    lineups = sel.cands[np.array(chosen)].astype(np.int64)
    return ContestPortfolio(lineups, np.array(gains), counts / n_lineups, int(sel.cands.shape[0]), int(cap_place))


# ----------------------------------------------------------------------------- cross-validated cap


def _distinct(lineups: np.ndarray) -> np.ndarray:
    """Rows sorted, duplicates dropped, first occurrence order kept."""
    cs = np.sort(np.asarray(lineups), axis=1)
    _, first = np.unique(cs, axis=0, return_index=True)
    return cs[np.sort(first)]


def _cv_field(contest: Contest, salaries: np.ndarray, rules: LineupRules, seed: int) -> Contest:
    """The contest with a separately seeded field (same ownership); a given field is kept."""
    if contest.field.source != "sampled" or contest.ownership is None:
        return contest
    from tailrace.contest import sample_field

    fld = sample_field(contest.ownership, salaries, rules.roster_size, rules.salary_cap, contest.field.n_entries,
                       rng=np.random.default_rng([int(seed), 0x5EED]))
    return replace(contest, field=fld)


@nb.njit(cache=True)
def _portfolio_payouts(fa: np.ndarray, ft: np.ndarray, keys: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Total payout of a portfolio in each scenario, shape (S,) (as ``_portfolio_payout``): our
    lineups in key order, each run of equal keys shares its places with the field's ties."""
    S, m = fa.shape
    P = cum.shape[0] - 1
    out = np.zeros(S)
    idx = np.empty(m, dtype=np.int64)
    for s in range(S):
        # only lineups with fewer than P field entries above can be paid, and every one of ours
        # above (or tied with) such a lineup has no more field entries above it: rank those alone
        n = 0
        for e in range(m):
            if fa[s, e] < P:
                idx[n] = e
                n += 1
        if n == 0:
            continue
        sub = idx[:n]
        o = sub[np.argsort(keys[s][sub])]
        i = 0
        tot = 0.0
        while i < n:
            x = keys[s, o[i]]
            j = i + 1
            while j < n and keys[s, o[j]] == x:
                j += 1
            for q in range(i, j):  # ours above: n - j; ours tied (itself included): j - i
                e = o[q]
                tot += _split(cum, np.int64(fa[s, e] + n - j), np.int64(ft[s, e] + j - i))
            i = j
        out[s] = tot
    return out


def _held_out_payouts(points: np.ndarray, ports: dict[int, np.ndarray], judge: Contest, n_lineups: int,
                      chunk: int = 1024, field: tuple[np.ndarray, np.ndarray] | None = None) -> dict[int, np.ndarray]:
    """True-table payout of each portfolio in each scenario, shape (S,), against ``judge``'s field
    (our lineups rank among themselves too).

    The measure's standings kernel (``contest.simulate.standings_kernel``) ranks the portfolios'
    distinct lineups against the field scenario by scenario, so a judge costs one pass over its
    field and no memory that grows with the paid places. ``field``: the judge's distinct
    opponents and their counts (``opponents(n_lineups).unique()``), when already computed.
    """
    fu, fc = field if field is not None else judge.opponents(n_lineups).unique()
    fu = np.ascontiguousarray(fu, dtype=np.int32)
    fc = np.ascontiguousarray(fc, dtype=np.int64)
    union, inv = np.unique(np.concatenate([np.sort(v, axis=1) for v in ports.values()]), axis=0, return_inverse=True)
    u = np.ascontiguousarray(union, dtype=np.int32)
    cum = judge.payouts.cumulative()
    inv = inv.ravel()
    p = np.ascontiguousarray(points, dtype=np.float32)
    pay: dict[int, list[np.ndarray]] = {c: [] for c in ports}
    for start in range(0, p.shape[0], chunk):
        a, t, k = standings_kernel(p[start:start + chunk], u, fu, fc, False)
        at = 0
        for c, v in ports.items():
            idx = inv[at:at + v.shape[0]]
            at += v.shape[0]
            pay[c].append(_portfolio_payouts(np.ascontiguousarray(a[:, idx]), np.ascontiguousarray(t[:, idx] - 1),
                                             np.ascontiguousarray(k[:, idx]), cum))
    return {c: np.concatenate(v) if v else np.zeros(0) for c, v in pay.items()}


@dataclass(frozen=True)
class CVResult:
    """The cross-validation of the selection's cap (see ``cross_validate_cap``).

    ``scores``: per cap, the mean held-out true-table ROI (over folds and held-out fields);
    ``folds``: per cap, each fold's ROI (mean over the held-out fields); ``by_field``: per cap,
    the ROI against each held-out field over all scenarios (each held out once); ``roi``:
    per cap, per held-out field, per scenario, the held-out ROI (shape (n_fields, S)).
    """

    cap: int
    scores: dict[int, float]
    folds: dict[int, tuple[float, ...]]
    by_field: dict[int, tuple[float, ...]]
    roi: dict[int, np.ndarray]
    timings: dict[str, float] | None = None

    def as_tuple(self) -> tuple[int, dict[int, float], dict[int, tuple[float, ...]]]:
        return self.cap, self.scores, self.folds


def cross_validate_cap(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    candidates: np.ndarray,
    n_lineups: int,
    contest: Contest,
    *,
    caps: tuple[int, ...] = CV_CAPS,
    seed: int = 0,
    max_exposure: float | np.ndarray = 1.0,
    max_overlap: int | None = None,
    refill: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    lazy: bool = True,
    min_live: int = MIN_LIVE,
    paid: _Paid | None = None,
    executor=None,
    fold_pool: Callable[[int, int], tuple[np.ndarray, Callable]] | None = None,
    held_out: list[Contest] | None = None,
    fold_contests: Sequence[Contest] | None = None,
) -> CVResult:
    """2-fold cross-validation of the selection's cap over ``points`` only (see module docstring).

    Halves A and B: select on A (against ``contest``'s field) with each cap and score the
    portfolio's true-table ROI on B against every ``held_out`` contest (default: one field
    sampled afresh from the contest's ownership, ``_cv_field``), and vice versa. ``fold_pool(a0,
    a1)``: the candidates and refill built on scenarios a0..a1-1 only (no held-out scenario's
    optimum in the fold's pool); default ``candidates`` and ``refill``. The cap with the best
    mean wins (ties to the earlier in ``caps``). Deterministic in (points, contest, held_out, seed).
    ``fold_contests``: the contest each fold (A, then B) selects against instead of ``contest``
    (the pretend world of ``optimize.contest.fields``); its candidates are ranked on its half only.
    """
    p = np.ascontiguousarray(points, dtype=np.float32)
    S = p.shape[0]
    h = S // 2
    judges = held_out if held_out is not None else [_cv_field(contest, salaries, rules, seed)]
    store = paid.store if paid is not None else None
    if store is None and lazy:
        store = _PaidStore(p, contest, n_lineups, executor)
        if fold_pool is None:
            paid = store.get(_distinct(candidates), 0, S)
    cost = contest.entry_fee * n_lineups
    # the folds' portfolios first (selection on one half), then each judge in turn scores them on the
    # other half: one judge's field in memory at a time
    fold_ports: list[tuple[int, int, dict[int, np.ndarray]]] = []
    for f, ((a0, a1), (b0, b1)) in enumerate((((0, h), (h, S)), ((h, S), (0, h)))):
        ports: dict[int, np.ndarray] = {}
        cands, rf = (candidates, refill) if fold_pool is None else fold_pool(a0, a1)
        sub = None
        fold_contest = contest if fold_contests is None else fold_contests[f]
        if lazy:
            if fold_contests is not None:
                sub = _PaidStore(p[a0:a1], fold_contest, n_lineups, executor).get(_distinct(cands), 0, a1 - a0)
            elif fold_pool is not None:
                sub = store.get(_distinct(cands), a0, a1, keep=False)
            elif paid.store is not None:
                sub = paid.store.get(paid.cands, a0, a1)
            else:
                sub = paid.rows(a0, a1)
        for c in caps:
            try:
                ports[c] = select_contest_portfolio(
                    p[a0:a1], cands, n_lineups, fold_contest, max_exposure=max_exposure, max_overlap=max_overlap,
                    cap_place=c, refill=rf, lazy=lazy, min_live=min_live, _paid=sub).lineups
            except InfeasibleError:
                pass
        fold_ports.append((b0, b1, ports))
    t_judge = time.perf_counter()
    pay: dict[int, list[list[np.ndarray]]] = {c: [[] for _ in judges] for c in caps}
    for j, judge in enumerate(judges):
        fld = judge.opponents(n_lineups).unique()  # once per judge, for both folds
        for b0, b1, ports in fold_ports:
            got = _held_out_payouts(p[b0:b1], ports, judge, n_lineups, field=fld) if ports else {}
            for c in caps:
                pay[c][j].append(got[c] if c in got else np.full(b1 - b0, -np.inf))
    t_judged = time.perf_counter()
    folds: dict[int, list[float]] = {
        c: [float(np.mean([(pay[c][j][f].mean() - cost) / cost for j in range(len(judges))])) for f in range(2)]
        for c in caps}
    roi: dict[int, np.ndarray] = {}
    by_field: dict[int, tuple[float, ...]] = {}
    for c in caps:
        # fold B's scenarios came first in fold A's held-out half: put them back in scenario order
        r = np.array([np.concatenate([v[1], v[0]]) for v in pay[c]])
        roi[c] = (r - cost) / cost
        by_field[c] = tuple(float(x) for x in roi[c].mean(axis=1))
    scores = {c: float(np.mean(v)) for c, v in folds.items()}
    best = max(caps, key=lambda c: (scores[c], -caps.index(c)))
    if not np.isfinite(scores[best]):
        raise InfeasibleError("no cap gave a full portfolio on both halves of the scenarios",
                              ["max exposure", f"max overlap {max_overlap}", "candidate pool size"])
    return CVResult(int(best), scores, {c: tuple(float(x) for x in v) for c, v in folds.items()}, by_field, roi,
                    {"held_out_judging": t_judged - t_judge})


def _admitted(admit: Callable[[np.ndarray], np.ndarray], cands: np.ndarray, refill: Callable | None,
              fold_pool: Callable | None) -> tuple[np.ndarray, Callable | None, Callable | None]:
    """``cands``, ``refill`` and ``fold_pool`` with only the lineups ``admit`` passes."""
    def keep(x: np.ndarray) -> np.ndarray:
        return x[admit(x)] if len(x) else x

    rf = None if refill is None else (lambda full, chosen: keep(refill(full, chosen)))

    def fp(a0: int, a1: int) -> tuple[np.ndarray, Callable]:
        c, r = fold_pool(a0, a1)
        return keep(c), (lambda full, chosen: keep(r(full, chosen)))
    return keep(cands), rf, (None if fold_pool is None else fp)


def _admitted_rows(admit: Callable[[np.ndarray], np.ndarray],
                   enumerated: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The enumeration's lineups (M, roster) and bit sets (M,) that ``admit`` passes."""
    lu, bits = enumerated
    ok = admit(lu)
    return lu[ok], bits[ok]


def generate_contest_portfolio(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    n_lineups: int,
    contest: Contest,
    *,
    max_exposure: float | np.ndarray = 1.0,
    max_overlap: int | None = None,
    cap_place: int | str | None = "cv",
    candidates: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    seed: int = 0,
    cv_caps: tuple[int, ...] = CV_CAPS,
    lazy: bool = True,
    executor=None,
    fields: Sequence[Contest] | None = None,
    robust_fields: bool = True,
    admit: Callable[[np.ndarray], np.ndarray] | None = None,
) -> ContestPortfolio:
    """A portfolio of ``n_lineups`` chosen for the contest's expected profit (see module docstring).

    ``cap_place``: an int fixes the selection's cap (1 = uncapped); ``"cv"`` or ``None``
    cross-validates it over ``cv_caps`` on the optimisation scenarios (pools built per fold,
    held-out fields from other models than the selection's; ``optimize.contest.fields``) and
    gives the honest estimate (``roi_estimate``, ``roi_interval``, ``estimate_note``).
    ``candidates``: a given pool (then refills come from the older ``candidate_pool``); else
    the structural pool. ``fields``: extra contests (same payouts, other fields) whose fields
    join the selection's mixture field. ``robust_fields=False``: select against the contest's
    field alone and validate against one fresh sample of its ownership (the earlier recipe).
    Deterministic: the same points, rules, contest and seed give the same lineups.
    ``admit`` (lineups (k, roster) -> bool (k,)): only lineups it passes enter any pool, refill
    or fold pool (``optimize.contest.duplicates.admission``: ``max_duplicates``; the plan's day
    overlap rule); the structural pools are built from the admitted lineups of the enumeration,
    so a refill reaches past rejected ones.
    ``executor`` (``tailrace.distributed``, default local) runs the field passes
    (``_FieldTops``) by scenario chunk; the lineups are the same on any executor.
    """
    from tailrace.optimize.contest import estimate as _est
    from tailrace.optimize.contest import fields as _fields

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    p = np.ascontiguousarray(points, dtype=np.float32)
    S = p.shape[0]
    cv = cap_place is None or cap_place == "cv"
    fold_pool = None
    ctx = None
    if candidates is None and cv and S >= 2:
        # the folds' structural pools (each from its own half: no held-out scenario's optimum in
        # it) over one enumeration; the final pool is their union, its refills ranked by the
        # folds' criteria averaged (the mean exactly, upper CVaR as the halves' average)
        h = S // 2
        rows = scenario_optimal_rows(S)
        t1 = time.perf_counter()
        opt_parts = (scenario_optimal_lineups(p, salaries, rules, rows[rows < h]),
                     scenario_optimal_lineups(p, salaries, rules, rows[rows >= h])) if rows.size else (None, None)
        timings["scenario_optimal_folds"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        enumerated = enumerate_feasible(rules, np.asarray(salaries, dtype=np.int64), p.shape[1])
        if admit is not None:  # the pools and their refills hold admitted lineups only
            enumerated = _admitted_rows(admit, enumerated)
        timings["enumerate"] = time.perf_counter() - t1
        folds_built: dict[int, tuple[np.ndarray, PoolContext]] = {}
        for f, (a0, a1) in enumerate(((0, h), (h, S))):
            t1 = time.perf_counter()
            fctx = pool_context(p[a0:a1], salaries, rules, enumerated=enumerated)
            part = opt_parts[f]
            folds_built[a0] = structural_pool(p[a0:a1], salaries, rules, context=fctx, scenario_optimal=part,
                                              n_scenario_optimal=None if part is not None else 0)
            timings["fold_pools"] = timings.get("fold_pools", 0.0) + time.perf_counter() - t1
        (pa, ca), (pb, cb) = folds_built[0], folds_built[h]
        wa = h / S
        ctx = PoolContext(ca.lineups, ca.bits, {k: wa * ca.criteria[k] + (1.0 - wa) * cb.criteria[k] for k in ca.criteria},
                          timings={})
        cands = _distinct(np.concatenate([pa, pb], axis=0)).astype(np.int64)

        def refill(full: np.ndarray, chosen: np.ndarray) -> np.ndarray:
            return ctx.refill(full, chosen, max_overlap=max_overlap)
        live = MIN_LIVE

        def fold_pool(a0: int, a1: int) -> tuple[np.ndarray, Callable]:
            """The structural pool of scenarios a0..a1-1 only, and its refill."""
            fc, fctx = folds_built[a0]
            return fc, lambda full, chosen: fctx.refill(full, chosen, max_overlap=max_overlap)
    elif candidates is None:
        ctx0 = None if admit is None else pool_context(p, salaries, rules, enumerated=_admitted_rows(
            admit, enumerate_feasible(rules, np.asarray(salaries, dtype=np.int64), p.shape[1])))
        cands, ctx = structural_pool(p, salaries, rules, context=ctx0)
        timings.update(ctx.timings or {})

        def refill(full: np.ndarray, chosen: np.ndarray) -> np.ndarray:
            return ctx.refill(full, chosen, max_overlap=max_overlap)
        live = MIN_LIVE
    else:
        cands = np.asarray(candidates)
        live = 0

        def refill(full: np.ndarray, chosen: np.ndarray) -> np.ndarray:
            # more candidates among lineups that avoid the drivers whose exposure is used up
            r2 = replace(rules, excludes=rules.excludes | frozenset(int(i) for i in full))
            try:
                more = candidate_pool(points, salaries, r2, exact_levels=())
            except InfeasibleError:
                return np.zeros((0, rules.roster_size), dtype=np.int64)
            if max_overlap is not None and chosen.shape[0]:
                n = np.asarray(points).shape[1]
                a = np.zeros((more.shape[0], n), dtype=np.int64)
                a[np.arange(more.shape[0])[:, None], more] = 1
                b = np.zeros((chosen.shape[0], n), dtype=np.int64)
                b[np.arange(chosen.shape[0])[:, None], chosen] = 1
                more = more[(a @ b.T).max(axis=1) <= max_overlap]
            return more
    if admit is not None:  # an admission rule (max duplicates): filter every road into the selection
        cands, refill, fold_pool = _admitted(admit, cands, refill, fold_pool)
    timings["candidates"] = time.perf_counter() - t0
    # the fields: the selection's (a mixture of the ensemble's members) and the CV's held-out ones
    t1 = time.perf_counter()
    sel_contest, held, fold_contests = contest, None, None
    if robust_fields and (_fields.robust(contest) or fields):
        mean = p.mean(axis=0, dtype=np.float64)  # the projections optimiser-built entries start from
        sel_contest = _fields.selection_contest(contest, salaries, rules, mean, seed, tuple(fields or ()))
        if cv:
            held = _fields.held_out_contests(contest, salaries, rules, mean, seed)
            fold_contests = [_fields.fold_selection_contest(contest, salaries, rules, mean, seed, f, tuple(fields or ()))
                             for f in (0, 1)]
    timings["fields"] = time.perf_counter() - t1
    paid = None
    if lazy:
        t1 = time.perf_counter()
        paid = _PaidStore(p, sel_contest, n_lineups, executor).get(_distinct(cands), 0, S)
        timings["standings"] = time.perf_counter() - t1
    res = None
    if cv:
        t1 = time.perf_counter()
        res = cross_validate_cap(
            p, salaries, rules, cands, n_lineups, sel_contest, caps=tuple(cv_caps), seed=seed,
            max_exposure=max_exposure, max_overlap=max_overlap, refill=refill, lazy=lazy, min_live=live, paid=paid,
            executor=executor, fold_pool=fold_pool,
            held_out=held if held is not None else [_cv_field(contest, salaries, rules, seed)],
            fold_contests=fold_contests)
        cap = res.cap
        timings["cross_validation"] = time.perf_counter() - t1
        timings.update(res.timings or {})
    else:
        cap = int(cap_place)
    t1 = time.perf_counter()
    port = select_contest_portfolio(p, cands, n_lineups, sel_contest, max_exposure=max_exposure,
                                    max_overlap=max_overlap, cap_place=cap, progress=progress,
                                    refill=refill, lazy=lazy, min_live=live, _paid=paid)
    timings["selection"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    if res is None:
        return replace(port, timings=timings)
    est = _est.honest_estimate(res.roi[cap], given_field=not _fields.robust(contest), robust=held is not None,
                               folds=((0, S // 2), (S // 2, S)) if fold_contests is not None else None)
    return replace(port, cv_scores=res.scores, cv_folds=res.folds, timings=timings, roi_estimate=est.estimate,
                   roi_interval=est.interval, estimate_note=est.note, cv_by_field=res.by_field[cap],
                   cv_field_models=tuple(h.field.model for h in held) if held is not None else None)
