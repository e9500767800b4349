"""Contest mode's cross-validated prize cap: 2-fold cross-validation over the optimisation
scenarios, each fold selecting on one half and judged on the other against held-out fields.

See ``optimize.contest_mode``'s docstring, stage 3; the honest estimate built from its figures
is ``optimize.contest.estimate``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numba as nb
import numpy as np

from tailrace.contest import Contest, sample_field
from tailrace.contest.simulate import standings_kernel
from tailrace.errors import InfeasibleError
from tailrace.optimize.contest.paid import _Paid, _PaidStore
from tailrace.optimize.contest.standings import _split
from tailrace.optimize.contest.overlap import in_background, runs_here
from tailrace.optimize.contest.result import CV_CAPS, MIN_LIVE
from tailrace.optimize.contest.selection import select_contest_portfolio
from tailrace.optimize.problem import LineupRules


def _distinct(lineups: np.ndarray) -> np.ndarray:
    """Rows sorted, duplicates dropped, first occurrence order kept."""
    cs = np.sort(np.asarray(lineups), axis=1)
    _, first = np.unique(cs, axis=0, return_index=True)
    return cs[np.sort(first)]


def _cv_field(contest: Contest, salaries: np.ndarray, rules: LineupRules, seed: int) -> Contest:
    """The contest with a separately seeded field (same ownership); a given field is kept."""
    if contest.field.source != "sampled" or contest.ownership is None:
        return contest
    fld = sample_field(contest.ownership, salaries, rules.roster_size, rules.salary_cap, contest.field.n_entries,
                       rng=np.random.default_rng([int(seed), 0x5EED]))
    return replace(contest, field=fld)


@nb.njit(cache=True, nogil=True)
def _portfolio_payouts(above: np.ndarray, tied: np.ndarray, keys: np.ndarray, cols: np.ndarray,
                       cum: np.ndarray) -> np.ndarray:
    """Total payout of a portfolio in each scenario, shape (S,) (as ``_portfolio_payout``): our
    lineups in key order, each run of equal keys shares its places with the field's ties.

    ``above``, ``tied`` (field ties plus itself) and ``keys`` (S, m_all): the standings of every
    lineup judged (``standings_kernel`` without ours); ``cols`` (m,): the portfolio's columns
    there, read in place (no gathered copy).

    The paid lineups are put in key order by insertion (no allocation per scenario): lineups of
    equal key have equal field standings, so their terms are equal and any order of a run gives
    the same sum."""
    S = above.shape[0]
    m = cols.shape[0]
    P = cum.shape[0] - 1
    out = np.zeros(S)
    o = np.empty(m, dtype=np.int64)
    kv = np.empty(m, dtype=np.int64)
    for s in range(S):
        # only lineups with fewer than P field entries above can be paid, and every one of ours
        # above (or tied with) such a lineup has no more field entries above it: rank those alone
        n = 0
        for e in range(m):
            c = cols[e]
            if above[s, c] < P:
                x = keys[s, c]
                q = n
                while q > 0 and kv[q - 1] > x:  # ascending keys
                    kv[q] = kv[q - 1]
                    o[q] = o[q - 1]
                    q -= 1
                kv[q] = x
                o[q] = e
                n += 1
        if n == 0:
            continue
        i = 0
        tot = 0.0
        while i < n:
            x = keys[s, cols[o[i]]]
            j = i + 1
            while j < n and keys[s, cols[o[j]]] == x:
                j += 1
            for q in range(i, j):  # ours above: n - j; ours tied (itself included): j - i
                c = cols[o[q]]
                tot += _split(cum, np.int64(above[s, c] + n - j), np.int64(tied[s, c] - 1 + j - i))
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
            pay[c].append(_portfolio_payouts(a, t, k, np.ascontiguousarray(idx, dtype=np.int64), cum))
    return {c: np.concatenate(v) if v else np.zeros(0) for c, v in pay.items()}


@dataclass(frozen=True)
class CVResult:
    """The cross-validation of the selection's cap (see ``cross_validate_cap``).

    ``scores``: per cap, the mean held-out true-table ROI (over folds; over held-out fields with
    their ``weights``);
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
    weights: Sequence[float] | None = None,
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
    ``weights`` (one per ``held_out`` contest, summing to a positive number; default equal): a
    cap's score is the weighted mean of its held-out figures (``fields.HELD_OUT_WEIGHTS``: the
    fields on the posterior mean count, those on the file itself do not); ``by_field`` and ``roi``
    stay per held-out field.
    """
    p = np.ascontiguousarray(points, dtype=np.float32)
    S = p.shape[0]
    h = S // 2
    judges = held_out if held_out is not None else [_cv_field(contest, salaries, rules, seed)]
    w = np.ones(len(judges)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(judges),) or not w.sum() > 0:
        raise ValueError(f"weights {weights!r}: one per held-out contest ({len(judges)}), with a positive sum")
    w = w / w.sum()
    store = paid.store if paid is not None else None
    if store is None and lazy and fold_contests is None:  # folds with their own contests never read it
        store = _PaidStore(p, contest, n_lineups, executor)
        if fold_pool is None:
            paid = store.get(_distinct(candidates), 0, S)
    cost = contest.entry_fee * n_lineups
    # the folds' portfolios first (selection on one half), then each judge in turn scores them on the
    # other half: one judge's field in memory at a time
    # with their own contests (and so their own paid stores) the two folds share nothing: fold B
    # runs on the helper thread meanwhile (``optimize.contest.overlap``; the same portfolios)
    side_by_side = fold_contests is not None and runs_here(executor)

    def run_fold(f: int) -> tuple[int, int, dict[int, np.ndarray]]:
        """Fold ``f``'s portfolio per cap, selected on its half; and the other half's bounds."""
        (a0, a1), (b0, b1) = (((0, h), (h, S)), ((h, S), (0, h)))[f]
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
        return b0, b1, ports

    fold_b = in_background(lambda: run_fold(1), allowed=side_by_side)
    fold_ports = [run_fold(0), fold_b.result()]
    t_judge = time.perf_counter()

    def judge_all(js: list[int]) -> dict[int, list[dict[int, np.ndarray]]]:
        """Per judge in ``js``, per fold, the held-out payout of each cap's portfolio (S / 2,)."""
        out: dict[int, list[dict[int, np.ndarray]]] = {}
        for j in js:
            fld = judges[j].opponents(n_lineups).unique()  # once per judge, for both folds
            out[j] = [_held_out_payouts(p[b0:b1], ports, judges[j], n_lineups, field=fld) if ports else {}
                      for b0, b1, ports in fold_ports]
        return out

    # the judges are independent: every other one on the helper thread
    odd = in_background(lambda: judge_all(list(range(1, len(judges), 2))), allowed=side_by_side)
    got_by_judge = judge_all(list(range(0, len(judges), 2)))
    got_by_judge.update(odd.result())
    pay: dict[int, list[list[np.ndarray]]] = {c: [[] for _ in judges] for c in caps}
    for j in range(len(judges)):
        for (b0, b1, _), got in zip(fold_ports, got_by_judge[j]):
            for c in caps:
                pay[c][j].append(got[c] if c in got else np.full(b1 - b0, -np.inf))
    t_judged = time.perf_counter()
    def weighted(x: list[float]) -> float:
        """The weighted mean of one fold's held-out figures; ``-inf`` when the fold's selection failed."""
        return float(np.dot(w, x)) if np.isfinite(x).all() else -np.inf

    folds: dict[int, list[float]] = {
        c: [weighted([(pay[c][j][f].mean() - cost) / cost for j in range(len(judges))]) for f in range(2)]
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
