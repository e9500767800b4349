"""The exact search engine behind solve_lineup and generate_portfolio.

Every feasible lineup is enumerated once (numba). Each lineup carries an upper bound on its
objective that is valid for that lineup alone; the engine evaluates lineups exactly in bound
order and stops when no remaining bound beats the best exact value (up to ``rel_tol``).

Bounds per leaf objective (a blend's bound is the weighted sum of its leaves' bounds):
* mean: the lineup's mean itself (sum of driver means);
* upper CVaR: first subadditivity, CVaR(A + B) <= CVaR(A) + CVaR(B), over splits of the
  lineup (single drivers when the excess pass applies: then this bound only orders the first
  evaluations; parts of up to three drivers otherwise, best of up to 20 splits). Then the
  Rockafellar–Uryasev bound CVaR <= t + sum_s (x_s - t)^+ / (beta S), valid for every t:
  - the excess pass (``_excess.py``) computes it for every lineup at once, at thresholds set
    from the incumbent's VaR and CVaR, by enumerating per scenario only the lineups scoring
    above t. It applies when its accumulators fit (chunks x thresholds x C(drivers, roster)
    cells within _excess.MAX_CELLS: a DraftKings slate of up to 50 drivers for one solve, 44
    in a portfolio, 40 for a two-level blend in a portfolio) and more than ``SearchConfig.excess_min``
    lineups are alive; with fewer alive, evaluating them is cheaper;
  - otherwise a screen over per-part scenario lists at (just below) the incumbent's VaR,
    which also yields exact values where the listed scenarios suffice;
* lower CVaR: concave, the minimum of w.x over capped-simplex weights w, so every scenario
  set of alpha S scenarios gives an additive bound. Start: the mean, then for each lineup the
  best cut from the worst-alpha scenarios of one of its driver pairs; then Kelley cutting
  planes: each batch of evaluated lineups gives (up to ``SearchConfig.n_cuts``, spread over their values)
  cuts to all live lineups;
* target probability: P(A + B >= T) <= P(A >= t) + P(B >= T - t) over a grid of t, for
  two-part splits (rosters of 4–6; larger rosters use the trivial bound 1).
An exact evaluation replaces a lineup's bound by its value, so bounds only tighten and can be
reused across the solves of a portfolio.

First incumbents: the 64 best bounds; for a single upper-CVaR leaf also the lineups optimal in
the most scenarios (``_scenario_starts``), then successive linearisation. When those starts
exist and the excess pass applies, the split bound is left out of a first solve (the starts
replace the 64-best batch, and the excess pass bounds every lineup) and taken in when a later
step needs it (``_ensure_split_bound``), to the same bounds it would have given from the start.

This module holds ``Engine`` (construction and the search: ``solve``, ``top_k``); the bounds,
screens and cuts are its methods in ``bounds.py``; the knobs and results are in
``search_config.py``, the lineup parts in ``splits.py``, the warm-engine store in ``warm.py``.
"""

from __future__ import annotations

import hashlib
import time
from typing import Callable

import numpy as np

from tailrace import tail
from tailrace.optimize import _kernels
from tailrace.optimize.bounds import EngineBounds
from tailrace.optimize.objectives import Objective
# the knobs and results, the lineup parts and the warm-engine store live in their own modules;
# imported here too so that ``tailrace.optimize.search`` keeps offering every name it did
from tailrace.optimize.search_config import DEFAULT_CONFIG, SearchConfig, SolveResult, TopK
from tailrace.optimize.splits import drivers_in, set_partitions
from tailrace.optimize.warm import (
    _WARM_SIZE, _array_key, _snapshot, _snapshot_from, _warm, _warm_enabled, _warm_lock,
    keep_warm, warm_engines, warm_hits,
)

__all__ = [
    "DEFAULT_CONFIG", "Engine", "SearchConfig", "SolveResult", "TopK", "drivers_in", "keep_warm",
    "set_partitions", "warm_engines", "warm_hits",
]


class Engine(EngineBounds):
    """Enumerated lineups, one objective, bounds that tighten as lineups are evaluated.

    Built once per (scenario matrix, rules, objective); every ``solve`` and ``top_k`` reuses
    and tightens the same bounds, which is what makes a portfolio's later solves cheap. Knobs
    that change only the work done live in ``config``; the answer never depends on them.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_slate)
        Fantasy points of every driver in every scenario (float32 or float64).
    lineups : ndarray of shape (n_lineups, roster)
        Every feasible lineup, driver indices ascending (``lineup.enumerate_feasible``).
    masks : ndarray of shape (n_lineups,), uint64
        The same lineups as driver bit sets.
    objective : Objective
        What to maximise; a blend is bounded leaf by leaf.
    drivers : ndarray of shape (n_drivers,)
        Drivers that appear in at least one lineup.
    rel_tol : float
        Lineups whose bound is within ``rel_tol * (1 + |best|)`` of the best are not evaluated.
    salaries, cap
        Only speed up the excess pass (subsets over the cap are skipped).
    excess_steps : int
        Lower thresholds per leaf in each excess pass: 0 for one solve; portfolios take 1 so
        that one pass keeps the bounds tight for their later, slightly worse lineups.
    config : SearchConfig
        Tuning knobs.

    Attributes
    ----------
    driver_points : ndarray of shape (n_slate, n_scenarios), float64
        The scenario matrix, driver rows (what the kernels read).
    exact : ndarray of shape (n_lineups,)
        Exact objective value of each lineup evaluated so far (kernel arithmetic), NaN if not.
    bound : ndarray of shape (n_lineups,)
        Upper bound on each lineup's value; equals ``exact`` once evaluated; never rises.
    static_bound : ndarray of shape (n_lineups,)
        The part of ``bound`` from mean, upper-CVaR and target leaves.
    lower_bound : dict of leaf index -> ndarray of shape (n_lineups,)
        Cutting-plane bound of each lower-CVaR leaf.
    upper_strategy : {"excess", "lists", None}
        How upper-CVaR leaves are bounded (chosen once, in ``_choose_upper_strategy``).
    cutting_planes : bool
        Whether lower-CVaR leaves are bounded by cutting planes (the objective has one).
    n_evaluated : int
        Lineups evaluated exactly since the engine was built.
    """

    def __init__(
        self,
        points: np.ndarray,
        lineups: np.ndarray,
        masks: np.ndarray,
        objective: Objective,
        drivers: np.ndarray,
        rel_tol: float = 1e-9,
        salaries: np.ndarray | None = None,
        cap: int | None = None,
        excess_steps: int = 0,
        config: SearchConfig = DEFAULT_CONFIG,
        warm: bool | bytes = False,
    ) -> None:
        warm_key = self._warm_key(points, lineups, objective, drivers, rel_tol, salaries, cap, excess_steps,
                                  config, warm) if warm and _warm_enabled() else None
        if warm_key is not None:
            with _warm_lock:
                entry = _warm.get(warm_key)
                if entry is not None:
                    _warm.move_to_end(warm_key)
                    warm_hits["built"] += 1
                    self.__dict__.update(_snapshot_from(entry["built"]))
                    self._warm = warm_key
                    return
        self._warm: bytes | None = warm_key
        self._solves = 0
        self.config = config
        self.points = points
        self.driver_points = np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)
        self.n_slate, self.n_scenarios = self.driver_points.shape
        self.lineups = lineups
        self.masks = masks
        self.n_lineups = lineups.shape[0]
        self.roster = lineups.shape[1]
        self.objective = objective
        self.rel_tol = rel_tol
        leaves = objective.leaves()
        self.weights = np.array([w for w, _ in leaves], np.float64)
        code = {"mean": _kernels.MEAN, "upper_cvar": _kernels.UPPER, "lower_cvar": _kernels.LOWER,
                "target_prob": _kernels.TARGET}
        self.kinds = np.array([code[o.kind] for _, o in leaves], np.int64)
        self.k0s = np.zeros(len(leaves), np.int64)
        self.fs = np.zeros(len(leaves), np.float64)
        self.targets = np.zeros(len(leaves), np.float64)
        for j, (_, o) in enumerate(leaves):
            if o.level is not None:
                self.k0s[j], self.fs[j] = tail.tail_size(o.level, self.n_scenarios)
            if o.target is not None:
                self.targets[j] = o.target
        self.lower_leaves = [j for j in range(len(leaves)) if self.kinds[j] == _kernels.LOWER]
        self.upper_leaves = [j for j in range(len(leaves)) if self.kinds[j] == _kernels.UPPER]
        # salaries and cap only speed up the excess pass (subsets over the cap are skipped)
        self.salaries = np.zeros(self.n_slate, np.int64) if salaries is None else np.asarray(salaries, np.int64)
        self.cap = int(np.iinfo(np.int32).max) if cap is None or salaries is None else int(cap)
        self.site_cap: int | None = None if cap is None or salaries is None else int(cap)
        self._pair_floors: dict[float, float] = {}
        self._scenario_points: np.ndarray | None = None
        # leaf values and VaRs of recently evaluated batches' best lineups (bounds._evaluate)
        self._leaf_memo: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.n_evaluated = 0
        self.exact = np.full(self.n_lineups, np.nan)  # exact values (kernel arithmetic)
        self.n_drivers = len(drivers)
        # lower thresholds per leaf in each excess pass: 0 for one solve; portfolios take 1 so
        # that one pass keeps the bounds tight for their later, slightly worse lineups
        self.excess_steps = int(excess_steps)
        # the bound strategies, chosen once: upper-CVaR leaves by the excess pass or the list
        # screen, lower-CVaR leaves by cutting planes (both in a blend that has both)
        self.upper_strategy = self._choose_upper_strategy()
        self.cutting_planes = bool(self.lower_leaves)
        self._build_bounds(np.asarray(drivers, np.int64))
        if warm_key is not None:
            with _warm_lock:
                _warm[warm_key] = {"built": _snapshot(self), "first": {}}
                _warm.move_to_end(warm_key)
                while len(_warm) > _WARM_SIZE:
                    _warm.popitem(last=False)

    @staticmethod
    def _warm_key(points, lineups, objective, drivers, rel_tol, salaries, cap, excess_steps, config,
                  lineups_key: bool | bytes) -> bytes:
        """Content key of everything an engine's construction and search depend on
        (``lineups_key``: a content key of the enumeration, when the caller has one, saves
        hashing the lineups)."""
        h = hashlib.blake2b(repr((objective, rel_tol, cap, int(excess_steps), config)).encode(), digest_size=20)
        if isinstance(lineups_key, bytes):
            h.update(b"enum" + lineups_key + str(np.shape(lineups)).encode())
        else:
            _array_key(h, np.asarray(lineups))
        for a in (points, drivers):
            _array_key(h, np.asarray(a))
        _array_key(h, np.zeros(0, np.int64) if salaries is None else np.asarray(salaries, np.int64))
        return h.digest()

    def _first_solve_key(self, active: np.ndarray) -> bytes | None:
        if self._warm is None or self._solves:
            return None
        h = hashlib.blake2b(self._warm, digest_size=20)
        if len(active) > 1 and bool(np.all(active[1:] > active[:-1])):
            # ascending (as the portfolio hands them over): the set says it all, as a bit set
            bits = np.zeros(self.n_lineups, np.bool_)
            bits[active] = True
            h.update(b"bits" + np.packbits(bits).tobytes())
        else:
            _array_key(h, active)
        return h.digest()

    def scenario_points(self) -> np.ndarray:
        """The scenario matrix as (S, n) float64 (scenario rows), made once."""
        if self._scenario_points is None:
            self._scenario_points = np.ascontiguousarray(self.driver_points.T)
        return self._scenario_points


    def solve(self, active: np.ndarray, time_limit: float | None = None, t0: float | None = None,
              max_evaluated: int | None = None) -> SolveResult:
        """Best lineup among ``active``, with its certificate.

        Parameters
        ----------
        active : ndarray of shape (n_active,), int64
            Indices into the enumeration that are allowed.
        time_limit : float, optional
            Seconds from ``t0``; past it the search stops with status ``"time_limit"`` and a
            bound that still covers every active lineup.
        t0 : float, optional
            ``time.perf_counter()`` at which the clock started (default: now).
        max_evaluated : int, optional
            A work budget in lineups evaluated exactly by this solve (``SolveResult.n_evaluated``):
            once it has evaluated at least this many, no further batch starts and the search
            stops with status ``"work_budget"`` and a bound that covers every active lineup.
            Unlike ``time_limit`` it depends on the inputs alone, so whether a solve finishes,
            and what it returns, is the same on every machine and under any load (the
            explanations' re-solves use it). A batch under way is finished, so a solve may
            evaluate up to one batch (256 lineups) or its opening steps beyond the budget.

        Returns
        -------
        SolveResult
        """
        t0 = time.perf_counter() if t0 is None else t0
        active = np.asarray(active, np.int64)
        if len(active) == 0:
            raise ValueError("no active lineups")
        # a budgeted solve neither takes nor leaves a finished first solve in the warm store: a
        # stored answer could be one the budget would have cut short
        first_key = self._first_solve_key(active) if max_evaluated is None else None
        if first_key is not None:
            with _warm_lock:
                entry = _warm.get(self._warm)
                hit = None if entry is None else entry["first"].get(first_key)
                if hit is not None:
                    warm_hits["first_solve"] += 1
                    self.__dict__.update(_snapshot_from(hit[0]))
                    return hit[1]
        res = self._solve(active, time_limit, t0, max_evaluated)
        self._solves += 1
        if first_key is not None and res.status == "optimal":
            # a finished solve is a function of the engine's state and ``active`` alone (a
            # deadline that did not strike changed nothing), so its end state can stand in for it
            with _warm_lock:
                entry = _warm.get(self._warm)
                if entry is not None:
                    entry["first"] = {first_key: (_snapshot(self), res)}
        return res

    def _solve(self, active: np.ndarray, time_limit: float | None, t0: float,
               max_evaluated: int | None = None) -> SolveResult:
        """``solve`` without the warm store."""
        evaluated_before = self.n_evaluated
        deadline = None if time_limit is None else t0 + time_limit
        batch = 64
        # incumbent: best exact among active, else evaluate the top bounds
        known = active[~np.isnan(self.exact[active])]
        first = len(known) == 0
        # a single upper-CVaR leaf starts from the lineups optimal in the most scenarios (a
        # better first incumbent sets the excess pass's thresholds higher: fewer pairs)
        starts = (self._scenario_starts(active) if first and len(self.kinds) == 1 and self.upper_leaves
                  else np.empty(0, np.int64))
        if len(starts) == 0:
            self._ensure_split_bound()  # no start to search from: the split bound orders the first batch
        if first and not self._split_pending:
            if len(active) > batch and not self.lower_leaves:
                top = self._top_bounds(active, batch)  # the same set; the order does not matter here
            elif len(active) > batch:
                # the cuts below take the batch's best in batch order (ties), so argpartition's
                top = active[np.argpartition(-self.bound[active], batch - 1)[:batch]]
            else:
                top = active
            self._evaluate(top)
            if self.lower_leaves:
                # the incumbent's own cut first (on the lineups its value does not already
                # prune), then the other cuts on what survives
                b0 = float(np.nanmax(self.exact[top]))
                live = active[self.bound[active] > b0 + self._tol(b0)]
                ordered = top[np.argsort(-self.exact[top], kind="stable")]
                self._apply_cuts(self._cuts_from(ordered[:1]), live, b0 + self._tol(b0))
                live = live[self.bound[live] > b0 + self._tol(b0)]
                self._apply_cuts(self._cuts_from(ordered[1:]), live, b0 + self._tol(b0))
        if first:
            if len(starts):
                self._evaluate(starts)
            if len(self.kinds) == 1 and self.upper_leaves:
                # then linearisation from the best so far
                known = active[~np.isnan(self.exact[active])]
                self._linearise(active, int(known[np.argmax(self.exact[known])]))
            known = active[~np.isnan(self.exact[active])]
        best_m = int(known[np.argmax(self.exact[known])])
        best = float(self.exact[best_m])

        tscreen = self._incumbent_t(best_m)
        status = "optimal"
        alive = active[self.bound[active] > best + self._tol(best)]
        alive = alive[np.isnan(self.exact[alive])]
        dynamic = self.cutting_planes
        if not first and len(alive) > max(self.config.excess_min, batch):
            # many lineups alive behind a known incumbent: in a portfolio's later solves the
            # best known lineup still allowed can be a poor one, and the screens are only as
            # good as the incumbent they start from, so the best bounds are evaluated first
            top = alive[np.argpartition(-self.bound[alive], batch - 1)[:batch]]
            out, _, _ = self._evaluate(top)
            i = int(np.argmax(out))
            if out[i] > best:
                best, best_m = float(out[i]), int(top[i])
                tscreen = self._incumbent_t(best_m)
            alive = alive[(self.bound[alive] > best + self._tol(best)) & np.isnan(self.exact[alive])]
        if self.upper_strategy == "excess":
            # with few lineups alive, evaluating them beats any screen
            if len(alive) > max(self.config.excess_min, 0) and self._excess_screen(alive, best_m, best):
                alive = alive[self.bound[alive] > best + self._tol(best)]
            elif self._split_pending:
                # no excess pass after all: the deferred split bound orders and prunes, as ever
                self._ensure_split_bound()
                alive = alive[self.bound[alive] > best + self._tol(best)]
        elif self.upper_strategy == "lists" and len(alive) and np.all(np.isfinite(tscreen[self.upper_leaves])):
            alive = self._screen(alive, tscreen, best)
            alive = alive[self.bound[alive] > best + self._tol(best)]
            alive = alive[np.isnan(self.exact[alive])]
            scr_known = active[~np.isnan(self.exact[active])]
            bi = int(scr_known[np.argmax(self.exact[scr_known])])
            if self.exact[bi] > best:
                best, best_m = float(self.exact[bi]), bi
                tscreen = self._incumbent_t(best_m)
        order = None if dynamic else alive[np.argsort(-self.bound[alive], kind="stable")]
        pos = 0
        qsize = 16 if dynamic else 256
        while True:
            if dynamic:
                alive = alive[self.bound[alive] > best + self._tol(best)]
                if len(alive) == 0:
                    break
                q = min(qsize, len(alive))
                sel = alive[np.argpartition(-self.bound[alive], q - 1)[:q]] if q < len(alive) else alive
            else:
                if pos >= len(order) or self.bound[order[pos]] <= best + self._tol(best):
                    break
                sel = order[pos : pos + qsize]
                pos += qsize
                sel = sel[self.bound[sel] > best + self._tol(best)]
                if len(sel) == 0:
                    continue
            if max_evaluated is not None and self.n_evaluated - evaluated_before >= max_evaluated:
                status = "work_budget"  # before the clock: a spent budget says so on any machine
                break
            if deadline is not None and time.perf_counter() > deadline:
                status = "time_limit"
                break
            out, _, lvar = self._evaluate(sel)  # sel is never empty here
            i = int(np.argmax(out))
            if out[i] > best:
                best = float(out[i])
                best_m = int(sel[i])
                tscreen = self._screen_t(lvar[i])
            if dynamic:
                self._apply_cuts(self._cuts_from(sel, lvar), alive, best + self._tol(best))
                alive = alive[np.isnan(self.exact[alive])]
            if dynamic:
                qsize = min(qsize * 2, 256)
        if status == "optimal":
            bound = best
        else:
            self._ensure_split_bound()
            rest = active[np.isnan(self.exact[active])]
            bound = max(best, float(self.bound[rest].max()) if len(rest) else best)
        return SolveResult(best_m, best, bound, status, self.n_evaluated - evaluated_before)

    def top_k(self, active: np.ndarray, k: int, deadline: float | None = None) -> TopK:
        """The ``k`` best lineups of ``active`` by exact value (best first), proven by bounds.

        Parameters
        ----------
        active : ndarray of shape (n_active,), int64
            Indices into the enumeration that are allowed.
        k : int
            How many (at most ``n_active``).
        deadline : float, optional
            A ``time.perf_counter()`` time; past it the search stops and returns the best
            ``k`` found so far, with ``proven=False``.

        Returns
        -------
        TopK
            ``indices`` of shape (k,), best first, and ``proven``.
        """
        active = np.asarray(active, np.int64)
        k = min(k, len(active))
        proven = [True]

        def late() -> bool:
            if deadline is not None and time.perf_counter() > deadline:
                proven[0] = False
                return True
            return False

        if self.cutting_planes:
            return TopK(self._top_k_cuts(active, k, deadline, late), proven[0])
        res = self.solve(active, time_limit=None if deadline is None else max(0.0, deadline - time.perf_counter()))
        self._ensure_split_bound()
        if res.status != "optimal":
            proven[0] = False
        # k exact values first (the best bounds), so the k-th value is a finite threshold
        known = active[~np.isnan(self.exact[active])]
        if len(known) < k:
            rest = active[np.isnan(self.exact[active])]
            q = k - len(known)
            sel = rest[np.argpartition(-self.bound[rest], q - 1)[:q]] if q < len(rest) else rest
            self._evaluate(sel)
            known = active[~np.isnan(self.exact[active])]
        kth = float(np.partition(self.exact[known], len(known) - k)[len(known) - k])
        rest = active[np.isnan(self.exact[active])]
        rest = rest[self.bound[rest] > kth]
        excess = self.upper_strategy == "excess"
        for _ in range(3 if excess else 0):
            # excess passes at the k-th lineup's tail (a larger pair budget: the k-th value sits
            # lower than a single solve's best), each followed by the k best bounds evaluated,
            # which raises the k-th value
            if len(rest) <= max(self.config.excess_min, 2 * k) or late():
                break
            kth_m = int(known[np.argsort(-self.exact[known], kind="stable")[k - 1]])
            if not self._excess_screen(rest, kth_m, kth, self.config.pairs_per_lineup * 4):
                break
            rest = rest[self.bound[rest] > kth]
            q = min(k, len(rest))
            if q:
                self._evaluate(rest[np.argpartition(-self.bound[rest], q - 1)[:q]] if q < len(rest) else rest)
            known = active[~np.isnan(self.exact[active])]
            kth = float(np.partition(self.exact[known], len(known) - k)[len(known) - k])
            rest = rest[np.isnan(self.exact[rest])]
            rest = rest[self.bound[rest] > kth]
        if len(rest) and self.upper_strategy == "lists":
            # screen at the k-th lineup's VaR: lineups near the threshold get exact values
            # from the listed scenarios instead of a full pass
            kth_m = int(known[np.argsort(-self.exact[known], kind="stable")[k - 1]])
            self._screen(rest, self._incumbent_t(kth_m), kth)
            known = active[~np.isnan(self.exact[active])]
            kth = float(np.partition(self.exact[known], len(known) - k)[len(known) - k])
            rest = rest[np.isnan(self.exact[rest])]
            rest = rest[self.bound[rest] > kth]
        # evaluate the rest in bound order; the threshold rises as better values appear
        order = rest[np.argsort(-self.bound[rest], kind="stable")]
        vals = self.exact[known]
        pos = 0
        while pos < len(order) and self.bound[order[pos]] > kth and not late():
            sel = order[pos : pos + 1024]
            pos += len(sel)
            out, _, _ = self._evaluate(sel)
            vals = np.concatenate([vals, out])
            kth = float(np.partition(vals, len(vals) - k)[len(vals) - k])
        known = active[~np.isnan(self.exact[active])]
        return TopK(known[np.argsort(-self.exact[known], kind="stable")[:k]], proven[0])

    def _top_k_cuts(self, active: np.ndarray, k: int, deadline: float | None,
                    late: Callable[[], bool]) -> np.ndarray:
        """top_k with lower-CVaR leaves: bounds tighten by cutting planes as lineups are
        evaluated. The first solve honours the deadline too (a lower-CVaR solve can be long)."""
        res = self.solve(active, time_limit=None if deadline is None else max(0.0, deadline - time.perf_counter()))
        if res.status != "optimal":
            late()  # past the deadline: the answer is not proven
        known = active[~np.isnan(self.exact[active])]
        while True:
            vals = self.exact[known]
            if len(known) >= k:
                kth = np.partition(vals, len(vals) - k)[len(vals) - k]
            else:
                kth = -np.inf
            rest = active[np.isnan(self.exact[active])]
            rest = rest[self.bound[rest] > kth]
            if len(rest) == 0 or late():
                break
            q = min(len(rest), max(256, k - len(known)))
            sel = rest[np.argpartition(-self.bound[rest], q - 1)[:q]] if q < len(rest) else rest
            self._evaluate(sel)
            self._apply_cuts(self._cuts_from(sel), rest, float(kth))
            known = np.concatenate([known, sel])
        return known[np.argsort(-self.exact[known], kind="stable")[:k]]
