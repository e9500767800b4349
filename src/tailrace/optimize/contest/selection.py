"""Contest mode's greedy selection: lineups picked one by one for their exact marginal expected
payout given those already chosen (our entries compete with each other and with the field).

Two engines over the same paid standings (``optimize.contest.paid``): ``_LazySelection`` (the
default: a candidate's earlier value is a bound, only the leaders are re-evaluated) and
``_Selection`` (``lazy=False``: every candidate updated at every step). See
``optimize.contest_mode``'s docstring, stage 2.
"""

from __future__ import annotations

from collections.abc import Callable

import numba as nb
import numpy as np

from tailrace.contest import Contest
from tailrace.contest.simulate import bisect_left, bisect_right
from tailrace.errors import InfeasibleError
from tailrace.optimize.contest.paid import _Paid, _standings
from tailrace.optimize.contest.standings import _eval_alone, _split
from tailrace.optimize.contest.result import ALONE, DEFAULT_CAP_PLACE, ContestPortfolio

# ----------------------------------------------------------------------------- selection kernels


@nb.njit(cache=True, nogil=True)
def _rescore_row(s: int, ent: tuple, marg: np.ndarray, total: np.ndarray, st: tuple, cum: np.ndarray) -> None:
    """Recompute every paid candidate's marginal payout in scenario ``s`` given the chosen state.

    ``ent``: the paid entries by scenario (CSR) ``(indptr (S + 1,), col, fa, ft, key)`` ((E,) each:
    candidate, field above, field tied excluding itself, score key); ``marg`` (E,) each entry's
    marginal payout and ``total`` (C,) their sums per candidate, updated; ``st``: the chosen state
    ``(st_neg, st_fa, st_ft, st_n)``, ``st_neg[s, :st_n[s]]`` the chosen entries' negated score keys
    in ascending order (best first), ``st_fa``/``st_ft`` their field standings (S, L) each.
    """
    indptr, col, fa, ft, key = ent
    st_neg, st_fa, st_ft, st_n = st
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


@nb.njit(cache=True, nogil=True)
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


@nb.njit(cache=True, nogil=True)
def _add_chosen(c: int, by_cand: tuple, ent: tuple, marg: np.ndarray, total: np.ndarray, st: tuple,
                cum: np.ndarray) -> None:
    """Add candidate ``c`` to the chosen set in every scenario where it is paid, then rescore those rows.

    ``by_cand``: ``(cpos, cptr, row_of)``: candidate c's entries are ``cpos[cptr[c]:cptr[c + 1]]``,
    ``row_of`` (E,) each entry's scenario; ``ent``, ``marg``, ``total``, ``st``: as ``_rescore_row``.
    """
    cpos, cptr, row_of = by_cand
    indptr, col, fa, ft, key = ent
    st_neg, st_fa, st_ft, st_n = st
    for pp in range(cptr[c], cptr[c + 1]):
        e = cpos[pp]
        s = row_of[e]
        _insert_sorted(s, -key[e], fa[e], ft[e], st_neg, st_fa, st_ft, st_n)
        _rescore_row(s, ent, marg, total, st, cum)


@nb.njit(cache=True, nogil=True)
def _rescore_all(ent: tuple, marg: np.ndarray, total: np.ndarray, st: tuple, cum: np.ndarray) -> None:
    """Bring every entry's marginal payout up to date with the chosen state (after new candidates);
    arguments as ``_rescore_row``."""
    for s in range(ent[0].shape[0] - 1):
        _rescore_row(s, ent, marg, total, st, cum)


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
            _rescore_all((self.indptr, col, fa, ft, key), self.marg, self.total,
                         (self.st_neg, self.st_fa, self.st_ft, self.st_n), self.cum)

    def choose(self, c: int) -> None:
        row_of, col, fa, ft, key = self.entries
        _add_chosen(c, (self.cpos, self.cptr, row_of), (self.indptr, col, fa, ft, key), self.marg, self.total,
                    (self.st_neg, self.st_fa, self.st_ft, self.st_n), self.cum)


# ----------------------------------------------------------------------------- lazy selection kernels


@nb.njit(cache=True, nogil=True)
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


@nb.njit(cache=True, nogil=True)
def _eval_many(cs: np.ndarray, paid: tuple, st_neg: np.ndarray, st_n: np.ndarray, cb: np.ndarray, ct: np.ndarray,
               cum: np.ndarray) -> np.ndarray:
    """Exact marginal payout (summed over scenarios) of each candidate in ``cs`` given the chosen state.

    ``paid``: the entries by candidate (CSC, ``_Paid``) ``(cptr (C + 1,), row, fa, ft, key)`` ((E,)
    each); ``st_neg``/``st_n``: the chosen state (as ``_rescore_row``); ``cb``/``ct`` (S, L + 1) the
    rows' loss prefixes (``_row_prefix``).
    """
    cptr, row, fa, ft, key = paid
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
            hi = lo  # bisect_right(neg, x): past the (rare) chosen entries with this key
            while hi < q and neg[hi] == x:
                hi += 1
            loss = (cb[s, q] - cb[s, hi]) + (ct[s, hi] - ct[s, lo])
            tot += _split(cum, np.int64(fa[e] + lo), np.int64(ft[e] + 1 + hi - lo)) + loss
        out[ii] = tot
    return out


@nb.njit(cache=True, nogil=True)
def _insert(c: int, paid: tuple, st: tuple, cb: np.ndarray, ct: np.ndarray, cum: np.ndarray) -> None:
    """Add candidate ``c`` to the chosen state of every scenario where it is paid; ``paid`` as
    ``_eval_many``, ``st`` as ``_rescore_row``, ``cb``/``ct`` updated (``_row_prefix``)."""
    cptr, row, fa, ft, key = paid
    st_neg, st_fa, st_ft, st_n = st
    for e in range(cptr[c], cptr[c + 1]):
        s = row[e]
        x = -key[e]
        _insert_sorted(s, x, fa[e], ft[e], st_neg, st_fa, st_ft, st_n)
        # entries strictly above the new one keep their places: recompute from its key's group on
        _row_prefix(s, st_neg, st_fa, st_ft, st_n, cb, ct, cum, bisect_left(st_neg[s, :st_n[s]], x))


@nb.njit(cache=True, nogil=True)
def _top_kk(score: np.ndarray, kk: int) -> tuple[np.ndarray, bool]:
    """The indices of the ``kk`` largest of ``score`` (n,) (n > kk) in one pass, and whether that
    set is unambiguous: False when the kk-th and (kk + 1)-th largest values are equal or a NaN
    is present (then several sets qualify)."""
    n = score.shape[0]
    L = kk + 1
    bv = np.empty(L)  # the L largest so far, descending
    bi = np.empty(L, dtype=np.int64)
    q = 0
    for i in range(n):
        x = score[i]
        if x != x:
            return bi[:kk].copy(), False
        if q == L and not (x > bv[L - 1]):
            continue
        p = q if q < L else L - 1
        while p > 0 and bv[p - 1] < x:
            if p < L:
                bv[p] = bv[p - 1]
                bi[p] = bi[p - 1]
            p -= 1
        bv[p] = x
        bi[p] = i
        if q < L:
            q += 1
    return bi[:kk].copy(), bool(bv[kk - 1] != bv[kk])


def _top_set(score: np.ndarray, kk: int) -> np.ndarray | None:
    """The same set of indices as ``np.argpartition(-score, kk - 1)[:kk]`` (in another order) when
    the ``kk`` largest values are a unique set; None when a tie (or NaN) leaves the choice to
    argpartition's own tie rule."""
    if score.shape[0] <= kk:
        return None
    top, ok = _top_kk(score, kk)
    return top if ok else None


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
        cs = np.asarray(cs, dtype=np.int64)
        a.ensure(cs)  # a lazily filled store writes these candidates' entries now
        return _eval_many(cs, (a.cptr, a.row, a.fa, a.ft, a.key), self.st_neg, self.st_n, self.cb, self.ct, self.cum)

    def evaluate_alone(self) -> np.ndarray:
        """Every candidate's value before anything is chosen (``evaluate`` of all, faster)."""
        if int(self.st_n.max(initial=0)):
            return self.evaluate(np.arange(self.cands.shape[0]))
        a = self.paid
        got = a.alone_of(self.cum)  # summed with the standings (a lazily filled store): the same floats
        if got is not None:
            return got
        a.ensure_all()
        return _eval_alone(a.cptr, a.fa, a.ft, self.cum)

    def choose(self, c: int) -> None:
        a = self.paid
        a.ensure(np.array([c], dtype=np.int64))
        _insert(c, (a.cptr, a.row, a.fa, a.ft, a.key), (self.st_neg, self.st_fa, self.st_ft, self.st_n), self.cb, self.ct,
                self.cum)


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

    ``cap_place=ALONE`` (0): the same walk with each candidate's value taken alone (nothing of
    ours chosen, the true table) at every step: the best lineups by their own expected payout,
    under the same exposure rules and, as the sim-ROI workflow diversifies, two lineups sharing
    at most ``roster - 2`` drivers (or ``max_overlap`` when tighter); ``marginal_ev`` then holds
    those values.

    When no candidate is admissible before ``n_lineups`` are chosen — or, with ``min_live``,
    when fewer than ``min_live`` are and the capped drivers changed since the last refill —
    ``refill(full_drivers, chosen_lineups)`` (if given) supplies more candidates and the
    greedy resumes with the same picks; otherwise InfeasibleError names the limits.
    ``lazy``: see the module docstring (the marginal values recorded are exact either way).
    """
    p = np.ascontiguousarray(points, dtype=np.float32)
    S, n = p.shape
    alone = int(cap_place) == ALONE
    table_cap = 1 if alone else cap_place
    if alone:  # the sim-ROI workflow diversifies by overlap: two lineups share at most roster - 2 drivers
        r = int(np.asarray(candidates).shape[1]) if np.asarray(candidates).ndim == 2 and len(candidates) else \
            int(_paid.cands.shape[1]) if _paid is not None else 0
        if r:
            max_overlap = min(r - 2, max_overlap) if max_overlap is not None else r - 2
    sel = _LazySelection(p, contest, n_lineups, table_cap, _paid) if lazy else _Selection(p, contest, n_lineups,
                                                                                          table_cap)
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
            if fresh[c] == step or alone:  # alone: values never change (nothing of ours is entered)
                return c
            kk = min(4, score.size)
            top = _top_set(score, kk)
            if top is None:  # a tie at the k-th value (or a NaN): argpartition's own choice
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
        if not alone:
            sel.choose(c)
        if progress is not None:
            progress(len(chosen), n_lineups)
    lineups = sel.cands[np.array(chosen)].astype(np.int64)
    return ContestPortfolio(lineups, np.array(gains), counts / n_lineups, int(sel.cands.shape[0]), int(cap_place))
