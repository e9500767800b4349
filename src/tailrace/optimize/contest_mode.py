"""Contest-aware portfolios: lineups picked one by one for their marginal expected profit.

Two stages.

1. **Candidates.** Every lineup that satisfies the rules is enumerated (as the exact search
   does) and strong, diverse ones are kept: the best by mean; for each driver, the lineups
   with the best mean over the scenarios where that driver has a big day, refined by one
   round of successive linearisation (the best lineup by mean over the current lineup's
   top-beta scenarios — the fixed point of this map is a local optimum of upper CVaR);
   and the exact upper-CVaR optima at a few levels from ``solve_lineup``.
2. **Selection.** Greedy: each step adds the admissible candidate with the largest
   *exact* marginal expected payout given the lineups already chosen — our entries compete
   with each other and with the field, ties split as the site splits them, and an added
   lineup pushes ours below it down a place. Admissible = distinct, within every driver's
   exposure cap over the finished portfolio, and sharing at most ``max_overlap`` drivers
   with each chosen lineup.

Approximations, said exactly: (a) the search is over the candidate pool, not every lineup;
(b) greedy selection of a set function (not a proven optimum over all portfolios of the
pool); (c) the selection objective uses the payout table with its top prizes capped at
place ``cap_place`` (a regulariser: the top prizes are won in a handful of scenarios, so
their estimate is mostly noise and the greedy over-fits to it; the true table is used for
every reported figure). The field is the contest's sampled or given field, fixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numba as nb
import numpy as np

from tailrace.contest import Contest
from tailrace.contest.simulate import _lower, _upper, standings_kernel
from tailrace.errors import InfeasibleError
from tailrace.optimize.lineup import enumerate_feasible, solve_lineup
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules

DEFAULT_CAP_PLACE = 8  # the probe: capping at the 5th-10th prize helped out of sample


@dataclass(frozen=True)
class ContestPortfolio:
    """Chosen lineups (rows of driver indices, in pick order) with the selection's own estimates."""

    lineups: np.ndarray  # (m, roster) int
    marginal_ev: np.ndarray  # (m,) marginal expected payout at pick time (selection table)
    exposures: np.ndarray  # (n,) share of lineups holding each driver
    n_candidates: int
    cap_place: int


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
    timings: dict[str, float] = {}
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
        t0 = time.perf_counter()
        res = solve_lineup(p, salaries, rules, Objective.upper_cvar(lev))
        out.append(np.array([sorted(res.lineup)], dtype=np.int64))
        timings[f"exact {lev}"] = time.perf_counter() - t0
    allc = np.concatenate(out, axis=0)
    _, first = np.unique(allc, axis=0, return_index=True)
    uniq = allc[np.sort(first)]  # keep discovery order
    return uniq[:max_candidates]


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
        lo = _lower(neg, x)  # chosen strictly above
        hi = _upper(neg, x)  # chosen at or above
        loss = (cb[q] - cb[hi]) + (ct[hi] - ct[lo])
        v = _split(cum, np.int64(fa[e] + lo), np.int64(ft[e] + 1 + hi - lo)) + loss
        total[col[e]] += v - marg[e]
        marg[e] = v


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
        q = st_n[s]
        x = -key[e]
        pos = _upper(st_neg[s, :q], x)
        for k in range(q, pos, -1):
            st_neg[s, k] = st_neg[s, k - 1]
            st_fa[s, k] = st_fa[s, k - 1]
            st_ft[s, k] = st_ft[s, k - 1]
        st_neg[s, pos] = x
        st_fa[s, pos] = fa[e]
        st_ft[s, pos] = ft[e]
        st_n[s] = q + 1
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
) -> ContestPortfolio:
    """Greedy by exact marginal expected payout (capped table) over ``candidates`` (C, roster).

    When no candidate is admissible before ``n_lineups`` are chosen, ``refill(full_drivers,
    chosen_lineups)`` (if given) supplies more candidates and the greedy resumes with the same
    picks; otherwise InfeasibleError names the limits.
    """
    p = np.ascontiguousarray(points, dtype=np.float32)
    S, n = p.shape
    sel = _Selection(p, contest, n_lineups, cap_place)
    cap = np.broadcast_to(np.asarray(max_exposure, dtype=np.float64), (n,))
    limit = np.floor(cap * n_lineups + 1e-9).astype(np.int64)
    counts = np.zeros(n, dtype=np.int64)
    chosen: list[int] = []
    gains: list[float] = []
    member = np.zeros((0, n), dtype=bool)
    ok = np.zeros(0, dtype=bool)

    def extend(new: np.ndarray) -> int:
        nonlocal member, ok
        new = np.sort(np.asarray(new), axis=1).astype(np.int32)
        if sel.cands.size:
            known = {tuple(x) for x in sel.cands.tolist()}
            new = np.array([x for x in new.tolist() if tuple(x) not in known], dtype=np.int32).reshape(-1, new.shape[1])
        if new.shape[0] == 0:
            return 0
        _, first = np.unique(new, axis=0, return_index=True)
        new = new[np.sort(first)]
        sel.add_candidates(new)
        m = np.zeros((new.shape[0], n), dtype=bool)
        m[np.arange(new.shape[0])[:, None], new] = True
        okn = ~m[:, counts >= limit].any(axis=1)
        for c in chosen:
            okn &= m[:, sel.cands[c]].sum(axis=1) <= (max_overlap if max_overlap is not None else n)
        member = np.concatenate([member, m], axis=0)
        ok = np.concatenate([ok, okn])
        return new.shape[0]

    extend(np.asarray(candidates))
    while len(chosen) < n_lineups:
        score = np.where(ok, sel.total, -np.inf)
        c = int(np.argmax(score))
        if not np.isfinite(score[c]) and refill is not None:
            extra = refill(np.nonzero(counts >= limit)[0], sel.cands[np.array(chosen, dtype=np.int64)])
            if extend(extra) > 0:
                continue
        if not np.isfinite(score[c]):
            raise InfeasibleError(
                f"the candidate pool ran out after {len(chosen)} of {n_lineups} lineups under the exposure "
                "and overlap limits",
                [f"max exposure {float(np.max(cap)):.0%}", f"max overlap {max_overlap}", "candidate pool size"],
            )
        chosen.append(c)
        gains.append(float(sel.total[c]) / S)
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
    return ContestPortfolio(lineups, np.array(gains), counts / n_lineups, int(sel.cands.shape[0]), cap_place)


def generate_contest_portfolio(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    n_lineups: int,
    contest: Contest,
    *,
    max_exposure: float | np.ndarray = 1.0,
    max_overlap: int | None = None,
    cap_place: int = DEFAULT_CAP_PLACE,
    candidates: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ContestPortfolio:
    """A portfolio of ``n_lineups`` chosen for the contest's expected profit (see module docstring).

    Deterministic: the same points, rules and contest give the same lineups.
    """
    cands = candidate_pool(points, salaries, rules) if candidates is None else np.asarray(candidates)

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

    return select_contest_portfolio(points, cands, n_lineups, contest, max_exposure=max_exposure,
                                    max_overlap=max_overlap, cap_place=cap_place, progress=progress,
                                    refill=refill)
