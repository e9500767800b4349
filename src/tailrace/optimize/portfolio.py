"""Portfolios of distinct lineups under exposure and overlap limits.

Lineups are built one at a time over a single enumeration of the feasible lineups (bounds and
exact values computed for one lineup are reused for the next):

* ``independent``: each lineup is the exact optimum of the objective among the lineups still
  allowed (distinct from the ones chosen, overlap limit, exposure caps, forced locks).
* ``marginal``: each lineup maximises the portfolio measure F(P + L), where
  F(P) = objective(max over the portfolio's lineups of their score, per scenario) — e.g. the
  upper CVaR of the best lineup's score in each race, so lineups cover different winning races.
  The choice is exact over a stated candidate pool, not over every feasible lineup: the pool
  is the ``marginal_pool`` (default MARGINAL_POOL = 5000) best lineups by the single-lineup
  objective (an exact top-K, proven by the same bounds as solve_lineup) among those allowed
  when it is built; each step picks the best gain among the pool lineups still allowed. The
  pool is rebuilt from the lineups then allowed when fewer than a quarter of it (at least one)
  remain allowed. With ``time_limit``, once it has passed the pool is rebuilt only when none
  of it is allowed, and that rebuild keeps the best lineups found by then (not proven);
  lineups chosen so are marked status "time_limit" instead of "marginal". Gains are found
  by lazy evaluation when the objective has no lower-CVaR
  part: then F is submodular (upper CVaR, mean and hit rate are monotone and have decreasing
  differences on the scenario lattice, so f(b v x) - f(b) <= f(a v x) - f(a) for a <= b), so a
  gain computed for an earlier portfolio bounds the gain now; a lineup is chosen only when its
  fresh gain is at least every other bound. With a lower-CVaR part every gain is recomputed.

Exposure limits hold over the finished portfolio: a driver at its cap is excluded from later
lineups; a driver whose remaining minimum need equals the remaining slots is locked. Conflicts
that can be seen up front raise InfeasibleError naming them; a dead end while building raises
InfeasibleError with the constraints active at that step. Never fewer lineups than asked.

``build_portfolio`` is the one dispatch on a resolved spec's mode: ``independent`` and
``marginal`` go to ``generate_portfolio``, ``contest`` to the contest engine
(``tailrace.optimize.contest_mode``); every mode answers a ``Portfolio``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from tailrace.errors import InfeasibleError, InputError, Problem
from tailrace.optimize import _kernels
from tailrace.optimize.lineup import LineupResult, build_engine, exact_value, result_from
from tailrace.optimize.search import DEFAULT_CONFIG, SearchConfig
from tailrace.optimize.objectives import Objective
from tailrace.optimize.problem import LineupRules

if TYPE_CHECKING:
    from tailrace.contest import Contest
    from tailrace.optimize.constraints import ResolvedSpec

__all__ = ["Portfolio", "build_portfolio", "generate_portfolio", "portfolio_measure", "selection_fields",
           "MARGINAL_POOL"]

MARGINAL_POOL = 5000  # marginal mode: the candidate pool = this many best allowed lineups


@dataclass(frozen=True)
class Portfolio:
    """Lineups in the order built, each driver's exposure, and the portfolio measure.

    ``exposures``: shape (n_slate,), each driver's share of the lineups. ``portfolio_value`` is
    F(P) = objective of the per-scenario best lineup score (see module docstring), reported for
    every mode. ``selection`` (mode ``contest`` only, else None): the contest engine's own
    answer (``tailrace.optimize.contest.result.ContestPortfolio``: marginal expected payout per
    lineup, candidates, the cap and its cross-validation, the honest ROI estimate).
    """

    lineups: tuple[LineupResult, ...]
    exposures: np.ndarray
    mode: str
    objective: Objective
    portfolio_value: float | None
    seconds: float
    selection: Any = None


def portfolio_measure(points: np.ndarray, lineups: list[tuple[int, ...]], objective: Objective) -> float:
    """objective(max over lineups of the lineup score, per scenario), scored by tail.py."""
    p = np.asarray(points)
    best = None
    for lu in lineups:
        x = p[:, list(lu)].astype(np.float64).sum(axis=1)
        best = x if best is None else np.maximum(best, x)
    return float(objective.evaluate(best))


def _pct(v: float) -> str:
    return f"{100 * v:g}%"


def _check_args(n: int, n_lineups: int, mode: str, min_exp: dict, max_exp: dict, gmax: float | None,
                max_overlap: int | None, roster: int) -> None:
    probs = []
    if not isinstance(n_lineups, (int, np.integer)) or n_lineups < 1:
        probs.append(Problem(f"number of lineups must be a positive whole number, got {n_lineups}",
                             field="n_lineups", fix="ask for 1 to 150 lineups"))
    if mode not in ("independent", "marginal"):
        probs.append(Problem(f"mode must be 'independent' or 'marginal', got {mode!r}", field="mode",
                             fix="use independent or marginal"))
    for name, d in (("min_exposure", min_exp), ("max_exposure", max_exp)):
        for i, v in d.items():
            if not (0 <= int(i) < n):
                probs.append(Problem(f"driver index {i} is outside 0..{n - 1}", field=name,
                                     fix="use column indices of the scenario matrix"))
            if not (0.0 <= float(v) <= 1.0):
                probs.append(Problem(f"exposure {v} for driver {i} is not a share in [0, 1]", field=name,
                                     fix="give exposures as shares, e.g. 0.4 for 40%"))
    if gmax is not None and not (0.0 < gmax <= 1.0):
        probs.append(Problem(f"global max exposure {gmax} is not a share in (0, 1]", field="global_max_exposure",
                             fix="give a share, e.g. 0.4 for 40%"))
    if max_overlap is not None and not (0 <= max_overlap <= roster):
        probs.append(Problem(f"max overlap {max_overlap} must lie in 0..{roster}", field="max_overlap",
                             fix=f"use a number of drivers between 0 and {roster}"))
    if probs:
        raise InputError(probs)


def _upfront_conflicts(N: int, rules: LineupRules, req: np.ndarray, cap: np.ndarray,
                       max_overlap: int | None, names: Callable[[int], str],
                       min_exp: dict, max_exp_of: Callable[[int], float]) -> list[str]:
    r = rules.roster_size
    out = []
    for i in np.flatnonzero(req > cap):
        out.append(f"min exposure {_pct(min_exp[i])} on {names(i)} is above its max exposure {_pct(max_exp_of(i))}")
    for i in np.flatnonzero(req > 0):
        if i in rules.excludes:
            out.append(f"min exposure {_pct(min_exp[i])} on {names(i)}, who is excluded")
    for i in sorted(rules.locks):
        if cap[i] < N:
            out.append(f"lock on {names(i)} puts it in every lineup, above its max exposure {_pct(max_exp_of(i))}")
    if req.sum() > N * r:
        out.append(f"min exposures need {int(req.sum())} roster spots, {N} lineups of {r} have {N * r}")
    if max_overlap is not None and N > 1:
        nl = len(rules.locks)
        if nl > max_overlap:
            out.append(f"locks on {nl} drivers with max overlap {max_overlap} allow only one lineup")
        mins = [i for i in np.flatnonzero(req > 0) if i not in rules.locks]
        for i in mins:
            if req[i] >= 2 and nl + 1 > max_overlap:
                out.append(f"min exposure {_pct(min_exp[i])} on {names(i)} with {nl} locks and max overlap "
                           f"{max_overlap} leave no room")
        for a_ in range(len(mins)):
            for b_ in range(a_ + 1, len(mins)):
                a, b = mins[a_], mins[b_]
                both = req[a] + req[b] - N  # lineups that must hold both
                if both >= 2 and nl + 2 > max_overlap:
                    out.append(f"min exposure {_pct(min_exp[a])} on {names(a)} and {_pct(min_exp[b])} on {names(b)} "
                               f"with max overlap {max_overlap} leave no room")
    return out


def generate_portfolio(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    objective: Objective,
    n_lineups: int,
    *,
    mode: str = "independent",
    min_exposure: dict[int, float] | None = None,
    max_exposure: dict[int, float] | None = None,
    global_max_exposure: float | None = None,
    max_overlap: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    time_limit: float | None = None,
    marginal_pool: int = MARGINAL_POOL,
    search: SearchConfig = DEFAULT_CONFIG,
    driver_names: Sequence[str] | None = None,
) -> Portfolio:
    """Build ``n_lineups`` distinct lineups maximising ``objective`` under the portfolio rules.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_slate)
        Fantasy points of every driver in every scenario.
    salaries : ndarray of shape (n_slate,)
        Site salaries.
    rules : LineupRules
        What every single lineup must satisfy.
    objective : Objective
        What each lineup (independent) or the portfolio's best-per-scenario score
        (marginal) maximises.
    n_lineups : int
        How many distinct lineups.
    mode : {"independent", "marginal"}
        ``independent``: each lineup is the exact optimum among the lineups the rules still
        allow. ``marginal``: each adds the largest gain F(max(z, x)) - F(z) over a pool of
        the ``marginal_pool`` best single lineups (see the module docstring).
    min_exposure, max_exposure : dict of driver index -> share in [0, 1], optional
        Per-driver exposure limits.
    global_max_exposure : float, optional
        A cap on every driver's share.
    max_overlap : int, optional
        At most this many drivers shared by any two lineups.
    progress : callable (done, total), optional
        Called after each lineup.
    time_limit : float, optional
        Seconds for the whole portfolio; past it lineups are still returned, with status
        ``"time_limit"``.
    marginal_pool : int
        Candidate pool of marginal mode.
    search : SearchConfig
        Tuning knobs of the exact search (never change the answer).
    driver_names : sequence of str, optional
        Names used in conflict messages (default "driver i").

    Returns
    -------
    Portfolio
        The lineups in the order built (each with its certificate), exposures of shape
        (n_slate,), and the portfolio measure.

    Raises InfeasibleError naming the conflicting constraints; never returns fewer lineups.
    """
    t0 = time.perf_counter()
    min_exp = {int(k): float(v) for k, v in (min_exposure or {}).items()}
    max_exp = {int(k): float(v) for k, v in (max_exposure or {}).items()}
    pts = np.asarray(points)
    n = pts.shape[1] if pts.ndim == 2 else 0
    _check_args(n, n_lineups, mode, min_exp, max_exp, global_max_exposure, max_overlap, rules.roster_size)
    if not isinstance(marginal_pool, (int, np.integer)) or marginal_pool < 1:
        raise InputError(Problem(f"marginal pool must be a positive whole number, got {marginal_pool}",
                                 field="marginal_pool", fix=f"use e.g. {MARGINAL_POOL}"))
    N = int(n_lineups)
    r = rules.roster_size

    def max_exp_of(i: int) -> float:
        v = max_exp.get(i, 1.0)
        return min(v, global_max_exposure) if global_max_exposure is not None else v

    def names(i: int) -> str:
        if driver_names is not None and 0 <= i < len(driver_names):
            return str(driver_names[i])
        return f"driver {i}"

    cap = np.array([math.floor(max_exp_of(i) * N + 1e-9) for i in range(n)], np.int64)
    req = np.array([math.ceil(min_exp.get(i, 0.0) * N - 1e-9) for i in range(n)], np.int64)
    conflicts = _upfront_conflicts(N, rules, req, cap, max_overlap, names, min_exp, max_exp_of)
    if conflicts:
        raise InfeasibleError("the portfolio rules conflict: " + "; ".join(conflicts), conflicts)

    # one lower threshold per excess pass keeps the bounds tight for a portfolio's later, slightly
    # worse lineups; a one-lineup portfolio has none, so it takes the single solve's pass (half
    # the accumulator work; bounds only order the search, the answer is the same)
    p, _, engine = build_engine(points, salaries, rules, objective, excess_steps=1 if N > 1 else 0, search=search,
                                warm=True)
    if engine.n_lineups < N:
        msg = f"only {engine.n_lineups} distinct lineups satisfy the lineup rules, {N} asked for"
        raise InfeasibleError(msg, [msg])
    masks = engine.masks
    cand_idx = np.arange(engine.n_lineups, dtype=np.int64)  # distinct and within max overlap so far
    prev_key: tuple[int, int, int, int] | None = None  # the last step's rules and allowed set
    prev_active = cand_idx
    counts = np.zeros(n, np.int64)
    chosen: list[int] = []
    results: list[LineupResult] = []
    z = None
    pool = np.empty(0, np.int64)  # marginal mode: candidate pool and its gain bounds
    gbound = np.empty(0)
    lazy = not engine.lower_leaves
    in_active = np.zeros(engine.n_lineups, np.bool_)
    pool_proven = True
    deadline = None if time_limit is None else t0 + time_limit

    for j in range(N):
        remaining = N - j
        need = np.maximum(req - counts, 0)
        lock_ids = [int(i) for i in np.flatnonzero(need >= remaining)]
        forbid_ids = [int(i) for i in np.flatnonzero(counts >= cap)]
        need_min = int(max(0, need.sum() - (remaining - 1) * r))
        lockm = np.uint64(sum(1 << i for i in lock_ids))
        forbid = np.uint64(sum(1 << i for i in forbid_ids))
        needm = np.uint64(sum(1 << int(i) for i in np.flatnonzero(need > 0)))
        step_key = (int(forbid), int(lockm), int(needm), need_min)
        if step_key == prev_key:
            # the same step rules as the last lineup's: its allowed set, less what the last pick
            # removed from the candidates (itself, and by max overlap), is this step's allowed
            # set (step_filter keeps a lineup by its own bits alone), in the same order
            active = _drop_pick(prev_active, masks, chosen[-1], max_overlap)
        elif not (forbid or lockm or needm or need_min):
            active = cand_idx  # no step rule: step_filter would keep every candidate
        else:
            active = cand_idx[_kernels.step_filter(masks, cand_idx, forbid, lockm, needm, need_min)]
        prev_key, prev_active = step_key, active
        if len(active) == 0:
            why = []
            if lock_ids:
                why.append("min exposure forces " + ", ".join(names(i) for i in lock_ids) + " into every remaining lineup")
            if need_min:
                why.append(f"min exposures still need {int(need.sum())} spots in {remaining} lineups")
            if forbid_ids:
                why.append("max exposure reached for " + ", ".join(names(i) for i in forbid_ids))
            if max_overlap is not None:
                why.append(f"max overlap {max_overlap} with the {len(chosen)} lineups already chosen")
            why.append("lineups must be distinct")
            raise InfeasibleError(f"no lineup {j + 1} of {N} satisfies the rules: " + "; ".join(why), why)
        left = None if deadline is None else max(0.0, deadline - time.perf_counter())
        ts = time.perf_counter()
        before = engine.n_evaluated
        if mode == "independent":
            res = engine.solve(active, time_limit=left, t0=ts)
            m = res.index
            results.append(result_from(engine, res, ts))
        else:
            in_active[active] = True
            live = in_active[pool]
            late = deadline is not None and time.perf_counter() > deadline
            low = live.sum() < max(1, len(pool) // 4)
            # past the time limit the pool is rebuilt only when nothing in it is allowed
            cut_short = late and low and bool(live.any())
            if (low and not cut_short) or len(pool) == 0:
                top = engine.top_k(active, int(marginal_pool), deadline)
                new, pool_proven = np.sort(top.indices), top.proven
                fresh = ~np.isin(new, pool)
                pool = np.concatenate([pool, new[fresh]])
                gbound = np.concatenate([gbound, np.full(int(fresh.sum()), np.inf)])
                keep = in_active[pool] & np.isin(pool, new)
                pool, gbound = pool[keep], gbound[keep]
                live = np.ones(len(pool), np.bool_)
            in_active[active] = False
            m = _marginal_pick(engine, pool, gbound, live, z, lazy)
            lineup = tuple(int(i) for i in engine.lineups[m])
            v = exact_value(p, lineup, objective)
            status = "marginal" if pool_proven and not cut_short else "time_limit"
            results.append(LineupResult(lineup=lineup, value=v, bound=v, gap=0.0, optimal=False, status=status,
                                        n_evaluated=engine.n_evaluated - before, seconds=time.perf_counter() - ts))
            x = np.zeros(engine.n_scenarios)
            _kernels.sum_rows(engine.driver_points, engine.lineups[m].astype(np.int64), x)
            z = x if z is None else np.maximum(z, x)
        chosen.append(m)
        if j + 1 < N:  # the candidates of the next lineup (the last one has none)
            cand_idx = _drop_pick(cand_idx, masks, m, max_overlap)
        for i in engine.lineups[m]:
            counts[int(i)] += 1
        if progress is not None:
            progress(j + 1, N)

    lineups = [res.lineup for res in results]
    return Portfolio(lineups=tuple(results), exposures=counts / N, mode=mode, objective=objective,
                     portfolio_value=portfolio_measure(p, lineups, objective), seconds=time.perf_counter() - t0)


def selection_fields(contest: Contest) -> list[Contest]:
    """The contests whose fields mode contest's selection hedges across besides ``contest``'s own.

    When the contest's ownership is one no legal field has (``contest.report.realisable`` false),
    every field sampler repairs it its own way, so the selection adds the ensemble's other
    repairs (``contest.alternatives``: the rejection sampler, other sharpness); else none.
    """
    report = getattr(contest, "report", None)
    if report is not None and not report.realisable and contest.alternatives:
        return list(contest.alternatives)
    return []


def build_portfolio(
    points: np.ndarray,
    salaries: np.ndarray,
    spec: ResolvedSpec,
    *,
    contest: Contest | None = None,
    progress: Callable[[int, int], None] | None = None,
    time_limit: float | None = None,
    executor: Any = None,
    cap_place: int | None = None,
    admit: Callable[[np.ndarray], np.ndarray] | None = None,
    driver_names: Sequence[str] | None = None,
) -> Portfolio:
    """The portfolio a resolved spec asks for, built by its mode's engine.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_slate)
        Fantasy points of every driver in every scenario.
    salaries : ndarray of shape (n_slate,)
        Site salaries.
    spec : ResolvedSpec
        Rules, objective, exposures, overlap, number of lineups and ``mode``:
        ``independent`` / ``marginal`` (``generate_portfolio``; the spec's max exposures are
        per driver, its global cap already folded in) or ``contest`` (lineups picked one by
        one for their marginal expected profit in ``contest``:
        ``tailrace.optimize.contest_mode.generate_contest_portfolio``).
    contest : Contest, optional
        Mode contest's contest (payouts, field); required for that mode.
    progress : callable (done, total), optional
        Called after each lineup.
    time_limit : float, optional
        Modes independent / marginal: seconds for the whole portfolio.
    executor : optional
        Mode contest: where the field passes run (``tailrace.distributed``; default local).
    cap_place : int, optional
        Mode contest: the selection's cap on the top prizes (a place; 1 = uncapped); default:
        cross-validated on the optimisation scenarios.
    admit : callable, lineups (k, roster) -> bool (k,), optional
        Mode contest: only lineups it passes enter any candidate pool.
    driver_names : sequence of str, optional
        Modes independent / marginal: names used in conflict messages.

    Returns
    -------
    Portfolio
        Lineups in the order built; mode contest's lineups carry status ``"contest"`` and their
        objective value (no bound: they are picked for expected profit), and ``selection`` holds
        the engine's own answer.

    Raises InputError (mode contest with min exposures) / InfeasibleError.
    """
    if spec.mode != "contest":
        return generate_portfolio(
            points,
            salaries,
            spec.rules,
            spec.objective,
            spec.n_lineups,
            mode=spec.mode,
            min_exposure=spec.min_exposure or None,
            max_exposure=spec.max_exposure or None,
            global_max_exposure=None,  # already folded into max_exposure, per driver
            max_overlap=spec.max_overlap,
            progress=progress,
            time_limit=time_limit,
            driver_names=driver_names,
        )
    if contest is None:
        raise ValueError("mode 'contest' needs a contest")
    # lazy: the contest engine (numba kernels, the contest package) loads only when mode contest runs
    from tailrace.optimize.contest_mode import generate_contest_portfolio

    if spec.min_exposure:
        raise InputError(Problem("mode 'contest' does not take min exposures", field="min_exposure",
                                 fix="drop min_exposure, or use mode 'independent' or 'marginal'"))
    t0 = time.perf_counter()
    cap = np.ones(points.shape[1])
    for i, v in spec.max_exposure.items():
        cap[i] = v
    extra = selection_fields(contest)
    cp = generate_contest_portfolio(points, salaries, spec.rules, spec.n_lineups, contest, max_exposure=cap,
                                    max_overlap=spec.max_overlap, progress=progress, executor=executor,
                                    cap_place="cv" if cap_place is None else int(cap_place), admit=admit,
                                    **({"fields": extra} if extra else {}))
    obj = spec.objective
    results = []
    for row in cp.lineups:
        lu = tuple(sorted(int(i) for i in row))
        v = exact_value(points, lu, obj)
        results.append(LineupResult(lineup=lu, value=v, bound=v, gap=0.0, optimal=False, status="contest",
                                    n_evaluated=0, seconds=0.0))
    lineups = [r.lineup for r in results]
    return Portfolio(lineups=tuple(results), exposures=np.asarray(cp.exposures, dtype=np.float64), mode="contest",
                     objective=obj, portfolio_value=portfolio_measure(points, lineups, obj),
                     seconds=time.perf_counter() - t0, selection=cp)


def _drop_pick(idx: np.ndarray, masks: np.ndarray, m: int, max_overlap: int | None) -> np.ndarray:
    """Ascending lineup indices ``idx`` without the pick ``m`` and, under a max overlap, without
    the lineups that share more than ``max_overlap`` drivers with it; shape (<= len(idx),)."""
    pos = int(np.searchsorted(idx, m))
    if pos < len(idx) and idx[pos] == m:
        idx = np.delete(idx, pos)
    if max_overlap is not None:
        idx = idx[_kernels.overlap_keep(masks, idx, masks[m], int(max_overlap))]
    return idx


def _marginal_pick(engine, pool: np.ndarray, gbound: np.ndarray, live: np.ndarray, z: np.ndarray | None,
                   lazy: bool) -> int:
    """The live pool lineup of largest gain F(max(z, x_L)) - F(z); updates ``gbound`` in place.

    Lazy: gains are evaluated best bound first, in batches, until the best fresh gain is at
    least every remaining (stale, hence upper) bound. Otherwise every live gain is evaluated.
    """
    idx = np.flatnonzero(live)
    if z is None:  # empty portfolio: the gain is the lineup's own value
        vals = engine.exact[pool[idx]]
        return int(pool[idx[int(np.argmax(vals))]])
    fz = float(np.dot(engine.weights, _kernels.leaf_values(z, engine.kinds, engine.k0s, engine.fs, engine.targets)[0]))

    def gains(sub: np.ndarray) -> np.ndarray:
        return _kernels.marginal_values(engine.driver_points, engine.lineups, pool[sub], z, engine.kinds, engine.k0s,
                                        engine.fs, engine.targets, engine.weights) - fz

    if not lazy:
        g = gains(idx)
        gbound[idx] = g
        return int(pool[idx[int(np.argmax(g))]])
    order = idx[np.argsort(-gbound[idx], kind="stable")]
    best_g, best_i = -np.inf, -1
    pos = 0
    batch = 16
    while pos < len(order) and gbound[order[pos]] > best_g:
        sub = order[pos : pos + batch]
        pos += len(sub)
        g = gains(sub)
        gbound[sub] = g
        j = int(np.argmax(g))
        if g[j] > best_g:
            best_g, best_i = float(g[j]), int(sub[j])
        batch = min(batch * 2, 256)
    return int(pool[best_i])
