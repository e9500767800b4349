"""Exact single-lineup search: the best lineup under LineupRules for any Objective, certified.

Method (see ``search.py``): enumerate every lineup that satisfies the rules, bound each
lineup's objective, evaluate exactly in bound order until no bound beats the best value.
The result carries the value (tail.py's number for the chosen lineup, float64 sums) and a
proven upper bound; they agree (gap 0) unless a time limit or a work budget stopped the search
first.
Optimality is up to a relative tolerance of 1e-9 (floating-point summation order).
Rosters are limited to slates of at most 64 drivers.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace

import numpy as np

from tailrace.errors import InfeasibleError, InputError, Problem
from tailrace.optimize import _kernels
from tailrace.optimize.memo import LruMemo, add_array
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules
from tailrace.optimize.search import DEFAULT_CONFIG, Engine, SearchConfig, SolveResult, drivers_in

__all__ = ["LineupResult", "solve_lineup", "build_engine", "enumerate_feasible", "check_inputs", "diagnose_rules"]

_MAX_LINEUPS = 120_000_000

# Enumerations kept in this process, keyed by the content of their inputs (a repeat request, the
# explanations' re-solves, a portfolio's next call with other exposures reuse them). At most
# _MEMO_SIZE entries, least recently used dropped first; the arrays handed out are read-only, so
# a caller cannot change what the next one gets. Same inputs, same arrays: never a different answer.
_MEMO_SIZE = 4
_memo = LruMemo(_MEMO_SIZE)  # key -> (lineups, masks)


@dataclass(frozen=True)
class LineupResult:
    """One optimal lineup and its certificate."""

    lineup: tuple[int, ...]
    value: float
    bound: float
    gap: float
    optimal: bool
    status: str
    n_evaluated: int
    seconds: float


def check_inputs(points: np.ndarray, salaries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate the scenario matrix (S, n) and salaries (n,); InputError names the field."""
    p = np.asarray(points)
    s = np.asarray(salaries)
    probs = []
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
        probs.append(Problem(f"scenario matrix must have shape (n_scenarios, n_drivers), got {p.shape}",
                             field="points", fix="pass a 2-D array, one column per driver"))
    elif not np.isfinite(np.asarray(p, dtype=np.float64)).all():
        probs.append(Problem("scenario matrix holds NaN or infinite values", field="points",
                             fix="simulate again or drop the broken scenarios"))
    if s.ndim != 1 or (p.ndim == 2 and s.shape[0] != p.shape[1]):
        probs.append(Problem(f"salaries must have one entry per driver column, got shape {s.shape}",
                             field="salaries", fix="give one salary per column of the scenario matrix"))
    elif s.size and not np.issubdtype(s.dtype, np.integer):
        if not np.all(np.asarray(s, dtype=np.float64) == np.round(np.asarray(s, dtype=np.float64))):
            probs.append(Problem("salaries must be whole numbers", field="salaries", fix="round the salaries"))
    if p.ndim == 2 and p.shape[1] > 64:
        probs.append(Problem(f"at most 64 drivers per slate, got {p.shape[1]}", field="points",
                             fix="drop drivers that cannot matter (e.g. by salary or projection)"))
    if probs:
        raise InputError(probs)
    return np.asarray(p, dtype=np.float32), np.asarray(s, dtype=np.int64)


def _rule_arrays(rules: LineupRules, n: int):
    allowed = np.ones(n, np.bool_)
    for i in rules.excludes:
        if 0 <= i < n:
            allowed[i] = False
    locks = np.array(sorted(rules.locks), np.int64)
    gm = np.array([sum(1 << int(i) for i in g.members if 0 <= i < n) for g in rules.groups], np.uint64)
    gmin = np.array([g.min_count for g in rules.groups], np.int64)
    gmax = np.array([g.max_count if g.max_count is not None else 10**6 for g in rules.groups], np.int64)
    gall = np.array([g.all_or_none for g in rules.groups], np.bool_)
    prev = np.array([sum(1 << int(i) for i in set(p)) for p in rules.differ_from], np.uint64)
    return allowed, locks, gm.reshape(-1), gmin, gmax, gall, prev.reshape(-1)


def _enum_key(rules: LineupRules, sal: np.ndarray, *arrays: np.ndarray) -> bytes:
    """Content key of an enumeration: the rules' scalars, the salaries and the rule arrays."""
    scalars = (rules.roster_size, rules.salary_cap, rules.min_salary, rules.roster_size - rules.min_differ)
    h = hashlib.blake2b(repr(scalars).encode(), digest_size=20)
    for a in (sal, *arrays):
        add_array(h, a)
    return h.digest()


def enumeration_key(rules: LineupRules, salaries: np.ndarray, n: int) -> bytes:
    """The key ``enumerate_feasible`` files its answer under (same rules and salaries, same key)."""
    allowed, locks, gm, gmin, gmax, gall, prev = _rule_arrays(rules, n)
    return _enum_key(rules, np.ascontiguousarray(salaries, dtype=np.int64), allowed, locks, gm, gmin, gmax, prev, gall)


def enumerate_feasible(rules: LineupRules, salaries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every lineup satisfying ``rules``: sorted uint8 rows (M, r) and uint64 bit sets (M,).

    The arrays are read-only and shared with every later call on the same inputs (see ``_memo``).
    """
    bad = [i for i in set(rules.locks) | set(rules.excludes) if not (0 <= int(i) < n)]
    if bad:
        raise InputError(Problem(f"driver index {sorted(bad)[0]} is outside 0..{n - 1}", field="locks/excludes",
                                 fix="use column indices of the scenario matrix"))
    if rules.roster_size < 1:
        raise InputError(Problem("roster size must be at least 1", field="roster_size", fix="use the site's roster"))
    if rules.locks & rules.excludes or len(rules.locks) > rules.roster_size:
        return np.empty((0, rules.roster_size), np.uint8), np.empty(0, np.uint64)
    allowed, locks, gm, gmin, gmax, gall, prev = _rule_arrays(rules, n)
    free = int(allowed.sum()) - len(locks)
    from math import comb

    if comb(max(free, 0), max(rules.roster_size - len(locks), 0)) > _MAX_LINEUPS:
        raise InputError(Problem(f"too many candidate lineups ({free} free drivers)", field="points",
                                 fix="exclude drivers or lock some to shrink the search"))
    sal = np.ascontiguousarray(salaries, dtype=np.int64)
    key = _enum_key(rules, sal, allowed, locks, gm, gmin, gmax, prev, gall)
    hit = _memo.get(key)
    if hit is not None:
        return hit
    lineups, masks = _kernels.enumerate_lineups(sal, allowed, locks, rules.roster_size, rules.salary_cap,
                                         rules.min_salary, gm, gmin, gmax, prev,
                                         rules.roster_size - rules.min_differ, gall)
    lineups.flags.writeable = False
    masks.flags.writeable = False
    _memo.put(key, (lineups, masks))
    return lineups, masks


def _count(rules: LineupRules, salaries: np.ndarray, n: int) -> int:
    return int(enumerate_feasible(rules, salaries, n)[0].shape[0])


def diagnose_rules(rules: LineupRules, salaries: np.ndarray, n: int) -> list[str]:
    """Names of the rules that clash: those whose removal alone makes a lineup possible
    (all active rules when no single removal helps)."""
    sal = np.asarray(salaries, np.int64)
    named: list[tuple[str, LineupRules]] = []
    if len(rules.locks) > rules.roster_size:
        return [f"locks ({len(rules.locks)} drivers) exceed the roster size {rules.roster_size}"]
    if rules.locks & rules.excludes:
        return [f"drivers {sorted(rules.locks & rules.excludes)} are both locked and excluded"]
    if n - len(rules.excludes) < rules.roster_size:
        return [f"only {n - len(rules.excludes)} drivers left after excludes, roster needs {rules.roster_size}"]
    named.append((f"salary cap {rules.salary_cap}", replace(rules, salary_cap=int(sal.sum()) + 1)))
    if rules.min_salary > 0:
        named.append((f"minimum salary {rules.min_salary}", replace(rules, min_salary=0)))
    if rules.locks:
        named.append((f"locks {sorted(rules.locks)}", replace(rules, locks=frozenset())))
    if rules.excludes:
        named.append((f"excludes {sorted(rules.excludes)}", replace(rules, excludes=frozenset())))
    for gi, g in enumerate(rules.groups):
        rule = g.describe() if g.name else f"group {gi + 1}: " + g.describe().split(": ", 1)[1]
        named.append((rule, replace(rules, groups=rules.groups[:gi] + rules.groups[gi + 1 :])))
    if rules.differ_from:
        named.append((f"differ from {len(rules.differ_from)} earlier lineups in at least {rules.min_differ} drivers",
                      replace(rules, differ_from=())))
    conflicts = [name for name, relaxed in named if _count(relaxed, sal, n) > 0]
    return conflicts or [name for name, _ in named]


def build_engine(points: np.ndarray, salaries: np.ndarray, rules: LineupRules, objective: Objective,
                 excess_steps: int = 0, search: SearchConfig = DEFAULT_CONFIG,
                 warm: bool = False) -> tuple[np.ndarray, np.ndarray, Engine]:
    """Checked inputs and the search engine over every lineup that satisfies ``rules``.

    Returns ``(points, salaries, engine)``: points as float32 of shape (n_scenarios, n_slate),
    salaries as int64 of shape (n_slate,). Raises InfeasibleError naming the clashing rules
    when no lineup fits. ``warm``: the engine may take, and leaves, its state in the warm
    store (``search.keep_warm``; a long-lived process only): never a different answer.
    """
    p, sal = check_inputs(points, salaries)
    n = p.shape[1]
    lineups, masks = enumerate_feasible(rules, sal, n)
    if lineups.shape[0] == 0:
        conflicts = diagnose_rules(rules, sal, n)
        raise InfeasibleError("no lineup satisfies the rules: " + "; ".join(conflicts), conflicts)
    drivers = drivers_in(masks)
    return p, sal, Engine(p, lineups, masks, objective, drivers, salaries=sal, cap=rules.salary_cap,
                          excess_steps=excess_steps, config=search,
                          warm=enumeration_key(rules, sal, n) if warm else False)


def exact_value(points: np.ndarray, lineup: tuple[int, ...], objective: Objective) -> float:
    """tail.py's objective value for one lineup (float64 sums of the float32 points)."""
    x = np.asarray(points)[:, list(lineup)].astype(np.float64).sum(axis=1)
    return float(objective.evaluate(x))


def result_from(engine: Engine, res: SolveResult, t0: float) -> LineupResult:
    """Package an engine answer, recomputing the value with tail.py."""
    lineup = tuple(int(i) for i in engine.lineups[res.index])
    value = exact_value(engine.points, lineup, engine.objective)
    optimal = res.status == "optimal"
    bound = value if optimal else max(value, float(res.bound))
    return LineupResult(lineup=lineup, value=value, bound=bound, gap=bound - value, optimal=optimal,
                        status=res.status, n_evaluated=res.n_evaluated, seconds=time.perf_counter() - t0)


def solve_lineup(points: np.ndarray, salaries: np.ndarray, rules: LineupRules, objective: Objective, *,
                 time_limit: float | None = None, max_evaluated: int | None = None,
                 search: SearchConfig = DEFAULT_CONFIG) -> LineupResult:
    """The lineup maximising ``objective`` under ``rules``, proven optimal unless time or work runs out.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_slate)
        Fantasy points of every driver in every scenario.
    salaries : ndarray of shape (n_slate,)
        Site salaries.
    rules : LineupRules
        Roster size, cap, locks, excludes, groups, lineups to differ from.
    objective : Objective
        What to maximise.
    time_limit : float, optional
        Seconds; past it the best lineup found so far is returned with status
        ``"time_limit"`` and a bound that covers every lineup.
    max_evaluated : int, optional
        A work budget in lineups evaluated exactly (``Engine.solve``): once spent, the best
        lineup found so far is returned with status ``"work_budget"`` and a bound that covers
        every lineup. It depends on the inputs alone, so the answer is the same on any machine
        (the explanations' re-solves use it instead of a time limit).
    search : SearchConfig
        Tuning knobs of the search (never change the answer).

    Returns
    -------
    LineupResult
        The lineup, its value (tail.py arithmetic), bound, gap and status.

    Raises InfeasibleError (``.conflicts`` names the clashing rules) when no lineup fits.
    """
    t0 = time.perf_counter()
    _, _, engine = build_engine(points, salaries, rules, objective, search=search)
    res = engine.solve(np.arange(engine.n_lineups, dtype=np.int64), time_limit=time_limit, t0=t0,
                       max_evaluated=max_evaluated)
    return result_from(engine, res, t0)
