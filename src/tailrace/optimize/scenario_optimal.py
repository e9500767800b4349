"""Per-scenario optimal lineups: for each chosen scenario, the lineup with the most points in it.

These are the "ceiling" lineups of the commercial sim-ROI workflow (the optimal lineup of each
sampled race). The search is a depth-first branch and bound per scenario over the drivers
sorted by that scenario's points: a branch is cut when its points plus the best points still
available cannot beat the incumbent, or when its salary plus the cheapest possible completion
breaks the cap. Locks and excludes are built in (locked drivers are taken first and their
salaries come off the cap; excluded drivers are never considered). Rules the search does not
model (minimum salary, groups, ``differ_from``) are honoured by filtering: a scenario whose
optimum breaks one of them contributes nothing (its best *admissible* lineup is not searched
for). Ties in a scenario's points go to the lineup found first (drivers in order of points,
then index), so the result is deterministic.
"""

from __future__ import annotations

import hashlib

import numba as nb
import numpy as np

from tailrace.optimize.memo import LruMemo, add_array
from tailrace.optimize.problem import LineupRules

# Answers kept in this process, keyed by the content of their inputs: a one-lineup command asks
# twice for the same scenarios' optima (the exact search's first incumbents, then optimal %).
# At most _MEMO_SIZE entries, least recently used dropped first; callers get copies.
_MEMO_SIZE = 2
_memo = LruMemo(_MEMO_SIZE)  # key -> (optima, ok)


@nb.njit(cache=True, parallel=True)
def _scenario_optima(pts: np.ndarray, sal: np.ndarray, cap: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``pts`` (S, m), the best ``r`` columns by points with salary sum <= ``cap``.

    Returns (S, r) sorted column indices and (S,) feasibility flags."""
    S, n = pts.shape
    out = np.zeros((S, r), dtype=np.int64)
    ok = np.zeros(S, dtype=np.bool_)
    low = np.sort(sal)
    minrest = np.zeros(r + 1, dtype=np.int64)  # cheapest possible k further drivers
    for k in range(1, r + 1):
        minrest[k] = minrest[k - 1] + low[k - 1]
    for s in nb.prange(S):
        order = np.argsort(-pts[s], kind="mergesort")  # stable: ties by column index
        p = pts[s][order].astype(np.float64)
        c = sal[order]
        pre = np.zeros(n + 1)
        for i in range(n):
            pre[i + 1] = pre[i] + p[i]
        chosen = np.zeros(r, dtype=np.int64)
        best_set = np.zeros(r, dtype=np.int64)
        nxt = np.zeros(r + 1, dtype=np.int64)
        sp = np.zeros(r + 1)
        ss = np.zeros(r + 1, dtype=np.int64)
        best = -np.inf
        found = False
        d = 0
        while True:
            if d == r:
                if not found or sp[r] > best:
                    best = sp[r]
                    best_set[:] = chosen
                    found = True
                d -= 1
                nxt[d] = chosen[d] + 1
                continue
            i = nxt[d]
            need = r - d
            if i > n - need or (found and sp[d] + pre[i + need] - pre[i] <= best):
                if d == 0:
                    break
                d -= 1
                nxt[d] = chosen[d] + 1
                continue
            if ss[d] + c[i] + minrest[need - 1] > cap:
                nxt[d] = i + 1
                continue
            chosen[d] = i
            sp[d + 1] = sp[d] + p[i]
            ss[d + 1] = ss[d] + c[i]
            d += 1
            nxt[d] = i + 1
        if found:
            ok[s] = True
            for k in range(r):
                out[s, k] = order[best_set[k]]
            out[s].sort()
    return out, ok


def scenario_optima(points: np.ndarray, salaries: np.ndarray, rules: LineupRules,
                    scenarios: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The optimal lineup of each of ``scenarios`` (row indices of ``points``; all rows if None).

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Scenario matrix.
    salaries : ndarray of shape (n_drivers,)
        Salary per driver.
    rules : LineupRules
        Locks, excludes and the cap are searched; minimum salary, groups and ``differ_from``
        are honoured by filtering (module docstring).
    scenarios : ndarray of shape (k,), optional
        Rows to solve, in the order given.

    Returns
    -------
    lineups : ndarray of shape (k, roster), int64
        Each scenario's optimum, rows sorted (ties: module docstring); a row of -1 where
        ``ok`` is False.
    ok : ndarray of shape (k,), bool
        False where the scenario has no feasible lineup or its optimum breaks a filtered rule.
    """
    p = np.asarray(points)
    sal = np.asarray(salaries, dtype=np.int64)
    key = _key(p, sal, rules, scenarios)
    hit = _memo.get(key)
    if hit is not None:
        return hit[0].copy(), hit[1].copy()
    out, ok = _solve_all(p, sal, rules, scenarios)
    _memo.put(key, (out.copy(), ok.copy()))
    return out, ok


def _key(p: np.ndarray, sal: np.ndarray, rules: LineupRules, scenarios: np.ndarray | None) -> bytes:
    """Content key of a ``scenario_optima`` call."""
    h = hashlib.blake2b(repr(rules).encode(), digest_size=20)
    for a in (p, sal, np.zeros(0, np.int64) if scenarios is None else np.asarray(scenarios, dtype=np.int64).ravel()):
        add_array(h, a)
    h.update(b"all" if scenarios is None else b"rows")
    return h.digest()


def _solve_all(p: np.ndarray, sal: np.ndarray, rules: LineupRules,
               scenarios: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``scenario_optima`` without the memo."""
    S, n = p.shape
    r = int(rules.roster_size)
    rows = np.arange(S, dtype=np.int64) if scenarios is None else np.asarray(scenarios, dtype=np.int64).ravel()
    k = rows.size
    out = np.full((k, max(r, 0)), -1, dtype=np.int64)
    ok = np.zeros(k, dtype=bool)
    if k == 0 or r < 1:
        return out, ok
    locks = np.array(sorted(int(i) for i in rules.locks), dtype=np.int64)
    if rules.locks & rules.excludes or locks.size > r or any(not 0 <= i < n for i in rules.locks | rules.excludes):
        return out, ok
    free = np.array([i for i in range(n) if i not in rules.locks and i not in rules.excludes], dtype=np.int64)
    need = r - locks.size
    cap = int(rules.salary_cap) - int(sal[locks].sum())
    if need > free.size or cap < 0:
        return out, ok
    if need == 0:
        out[:] = locks
        ok[:] = True
    else:
        sub = np.ascontiguousarray(p[rows][:, free], dtype=np.float32)
        opt, ok = _scenario_optima(sub, np.ascontiguousarray(sal[free]), cap, need)
        out[ok] = np.sort(np.concatenate([free[opt[ok]], np.broadcast_to(locks, (int(ok.sum()), locks.size))],
                                         axis=1), axis=1)
    if rules.min_salary > 0 or rules.groups or rules.differ_from:
        u, inv = np.unique(out[ok], axis=0, return_inverse=True)
        adm = np.array([rules.admits(tuple(x), sal) for x in u], dtype=bool)
        keep = np.zeros(k, dtype=bool)
        keep[ok] = adm[inv.ravel()]
        out[ok & ~keep] = -1
        ok = keep
    return out, ok


def scenario_optimal_lineups(points: np.ndarray, salaries: np.ndarray, rules: LineupRules,
                             scenarios: np.ndarray | None = None) -> np.ndarray:
    """The distinct optimal lineups of ``scenarios`` (row indices of ``points``; all rows if None).

    ``points``: (S, n) scenario matrix; ``salaries``: (n,). Returns (k, roster) int64, rows
    sorted, distinct, in order of first appearance over ``scenarios``; every row satisfies
    ``rules`` (see module docstring for the rules handled by filtering).
    """
    lus, ok = scenario_optima(points, salaries, rules, scenarios)
    lus = lus[ok]
    if lus.shape[0] == 0:
        return np.zeros((0, max(int(rules.roster_size), 0)), dtype=np.int64)
    _, first = np.unique(lus, axis=0, return_index=True)
    return np.ascontiguousarray(lus[np.sort(first)], dtype=np.int64)
