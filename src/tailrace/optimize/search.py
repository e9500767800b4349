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
    in a portfolio, 40 for a two-level blend in a portfolio) and more than _EXCESS_MIN
    lineups are alive; with fewer alive, evaluating them is cheaper;
  - otherwise a screen over per-part scenario lists at (just below) the incumbent's VaR,
    which also yields exact values where the listed scenarios suffice;
* lower CVaR: concave, the minimum of w.x over capped-simplex weights w, so every scenario
  set of alpha S scenarios gives an additive bound. Start: the mean, then for each lineup the
  best cut from the worst-alpha scenarios of one of its driver pairs; then Kelley cutting
  planes: each batch of evaluated lineups gives (up to _N_CUTS, spread over their values)
  cuts to all live lineups;
* target probability: P(A + B >= T) <= P(A >= t) + P(B >= T - t) over a grid of t, for
  two-part splits (rosters of 4–6; larger rosters use the trivial bound 1).
An exact evaluation replaces a lineup's bound by its value, so bounds only tighten and can be
reused across the solves of a portfolio.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np

from tailrace import tail
from tailrace.optimize import _excess as X
from tailrace.optimize import _kernels as K
from tailrace.optimize.objectives import Objective

_MAX_SPLITS = 20
_TARGET_GRID = 17
# excess pass: each upper leaf's threshold sits this share of the way from the incumbent's
# VaR to its CVaR (tighter prunes more, higher enumerates fewer pairs); thresholds are raised
# so that the expected pair count stays under _PAIRS_PER_LINEUP per feasible lineup; the pass
# runs only when more than _EXCESS_MIN lineups are alive (below that, evaluating them is cheaper)
_EXCESS_LAMBDA = 0.4
_PAIRS_PER_LINEUP = 8.0
_EXCESS_MIN = 20_000
# scenario chunks of the excess pass, each with its own accumulators: fixed (not the thread
# count) so the bounds, and with them evaluation order and tie-breaks, are the same bytes on
# every machine; more threads than chunks sit idle in that pass
_EXCESS_CHUNKS = 2
_SAMPLE_LINEUPS = 128
_N_CUTS = 256  # lower CVaR: cuts taken from each batch of evaluated lineups


def drivers_in(masks: np.ndarray) -> np.ndarray:
    """Driver indices that appear in at least one of the lineups (bit sets)."""
    allbits = np.bitwise_or.reduce(masks) if len(masks) else np.uint64(0)
    return np.flatnonzero((allbits >> np.arange(64, dtype=np.uint64)) & np.uint64(1))


def set_partitions(r: int, size: int = 3) -> list[list[list[int]]]:
    """Partitions of positions 0..r-1 into ceil(r/size) blocks of at most ``size`` (first 20)."""
    nb = max(1, math.ceil(r / size))
    out: list[list[list[int]]] = []

    def rec(pos: int, blocks: list[list[int]]) -> None:
        if len(out) >= _MAX_SPLITS:
            return
        if pos == r:
            if len(blocks) == nb:
                out.append([list(b) for b in blocks])
            return
        for b in blocks:
            if len(b) < size:
                b.append(pos)
                rec(pos + 1, blocks)
                b.pop()
        if len(blocks) < nb:
            blocks.append([pos])
            rec(pos + 1, blocks)
            blocks.pop()

    rec(0, [])
    return out


def _split_array(parts: list[list[list[int]]]) -> np.ndarray:
    nparts = max(len(p) for p in parts)
    arr = -np.ones((len(parts), nparts, 3), np.int64)
    for q, sp in enumerate(parts):
        for p, blk in enumerate(sp):
            arr[q, p, : len(blk)] = blk
    return arr


def _part_code(drivers: tuple[int, ...], n: int) -> int:
    code = 0
    for j in range(3):
        d = drivers[j] if j < len(drivers) else n
        code = code * (n + 1) + d
    return code


class Engine:
    """Enumerated lineups, one objective, bounds that tighten as lineups are evaluated."""

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
    ) -> None:
        self.points = points
        self.P = np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)
        self.n, self.S = self.P.shape
        self.lineups = lineups
        self.masks = masks
        self.M = lineups.shape[0]
        self.r = lineups.shape[1]
        self.objective = objective
        self.rel_tol = rel_tol
        leaves = objective.leaves()
        self.weights = np.array([w for w, _ in leaves], np.float64)
        code = {"mean": K.MEAN, "upper_cvar": K.UPPER, "lower_cvar": K.LOWER, "target_prob": K.TARGET}
        self.kinds = np.array([code[o.kind] for _, o in leaves], np.int64)
        self.k0s = np.zeros(len(leaves), np.int64)
        self.fs = np.zeros(len(leaves), np.float64)
        self.targets = np.zeros(len(leaves), np.float64)
        for j, (_, o) in enumerate(leaves):
            if o.level is not None:
                self.k0s[j], self.fs[j] = tail.tail_size(o.level, self.S)
            if o.target is not None:
                self.targets[j] = o.target
        self.lower_leaves = [j for j in range(len(leaves)) if self.kinds[j] == K.LOWER]
        self.upper_leaves = [j for j in range(len(leaves)) if self.kinds[j] == K.UPPER]
        # salaries and cap only speed up the excess pass (subsets over the cap are skipped)
        self.salaries = np.zeros(self.n, np.int64) if salaries is None else np.asarray(salaries, np.int64)
        self.cap = int(np.iinfo(np.int32).max) if cap is None or salaries is None else int(cap)
        self._floor: dict[float, float] = {}
        self._ps: np.ndarray | None = None
        self.top_k_proven = True  # whether the last top_k answer is proven (see top_k)
        self.n_evaluated = 0
        self.value = np.full(self.M, np.nan)  # exact values (kernel arithmetic)
        self.n_drivers = len(drivers)
        # lower thresholds per leaf in each excess pass: 0 for one solve; portfolios take 1 so
        # that one pass keeps the bounds tight for their later, slightly worse lineups
        self.excess_steps = int(excess_steps)
        self._build_bounds(np.asarray(drivers, np.int64))

    # ------------------------------------------------------------------ bounds
    def _build_bounds(self, drivers: np.ndarray) -> None:
        all_idx = np.arange(self.M, dtype=np.int64)
        means = self.P.mean(axis=1)
        mean_sum = K.additive_values(self.lineups, all_idx, means)
        static = np.zeros(self.M)
        self.low = {}
        self.leaf_static: dict[int, np.ndarray] = {}
        # with the excess pass available the split bound only orders the first evaluations, so
        # single drivers (cheap) suffice; otherwise triples feed the list screen
        part_size = 1 if self._excess_available() else 3
        splits = set_partitions(self.r, part_size)
        split_arr = _split_array(splits)
        sizes = sorted({len(b) for sp in splits for b in sp})
        parts: list[tuple[int, ...]] = []
        for size in sizes:
            parts.extend(itertools.combinations(drivers.tolist(), size))
        part_arr = -np.ones((len(parts), 3), np.int64)
        for p, t in enumerate(parts):
            part_arr[p, : len(t)] = t
        codes = np.array([_part_code(t, self.n) for t in parts], np.int64)
        ncodes = (self.n + 1) ** 3
        for j in range(len(self.kinds)):
            w = self.weights[j]
            kd = self.kinds[j]
            if kd == K.MEAN:
                static += w * mean_sum
                self.leaf_static[j] = mean_sum
            elif kd == K.LOWER:
                self.low[j] = mean_sum.copy()
                self._pair_cuts(j, drivers, all_idx)
            elif kd == K.UPPER:
                continue
            else:
                tb = self._target_bound(float(self.targets[j]), all_idx)
                static += w * tb
                self.leaf_static[j] = tb
        up = [j for j in range(len(self.kinds)) if self.kinds[j] == K.UPPER]
        if up:
            # one table of sum_j w_j CVaR_j(part): min over splits of its sum bounds the blend
            table = np.full(ncodes, np.inf)
            table[codes] = K.part_upper_cvar(self.P, part_arr, self.k0s[up], self.fs[up], self.weights[up])
            static += K.split_cvar_bound(self.lineups, all_idx, split_arr, table, self.n)
        self.static = static
        self.split_arr = split_arr
        self.part_arr = part_arr
        self.code_part = -np.ones(ncodes, np.int64)
        self.code_part[codes] = np.arange(len(parts))
        self.part_sizes = (part_arr >= 0).sum(axis=1)
        self.lists = None  # (t_build, thetas, offsets, flat)
        self.ub = static.copy()
        for j, arr in self.low.items():
            self.ub += self.weights[j] * arr

    def _refresh_ub(self, idx: np.ndarray) -> None:
        """ub[idx] = min(ub[idx], static + weighted lower-CVaR bounds) after either tightened."""
        tot = self.static[idx].copy()
        for j, arr in self.low.items():
            tot += self.weights[j] * arr[idx]
        self.ub[idx] = np.minimum(self.ub[idx], tot)

    def _ps_t(self) -> np.ndarray:
        """The scenario matrix as (S, n) float64 (scenario rows), made once."""
        if self._ps is None:
            self._ps = np.ascontiguousarray(self.P.T)
        return self._ps

    def _pair_cuts(self, j: int, drivers: np.ndarray, idx: np.ndarray) -> None:
        """Lower-CVaR leaf j: each lineup's bound becomes the best cut from the worst-alpha
        scenarios of one of its driver pairs (one cut per pair of the slate, applied only to
        the lineups holding that pair, whose own bad races it tracks)."""
        if self.r < 2 or len(drivers) < 2:
            return
        pairs = np.array(list(itertools.combinations(drivers.tolist(), 2)), np.int64)
        table = K.lower_cuts(self.P, self._ps_t(), pairs, np.arange(len(pairs), dtype=np.int64),
                             int(self.k0s[j]), float(self.fs[j]), np.full(len(pairs), np.nan))
        pair_row = np.zeros((self.n, self.n), np.int64)
        pair_row[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
        pair_row[pairs[:, 1], pairs[:, 0]] = np.arange(len(pairs))
        K.apply_pair_cuts(self.lineups, idx, table, pair_row, self.low[j])

    def _target_bound(self, T: float, all_idx: np.ndarray) -> np.ndarray:
        if not (4 <= self.r <= 6):
            return np.ones(self.M)
        two = [sp for sp in set_partitions(self.r) if len(sp) == 2]
        if not two:
            return np.ones(self.M)
        split2 = _split_array(two)
        sizes = sorted({len(b) for sp in two for b in sp})
        drivers = drivers_in(self.masks)
        parts = [t for size in sizes for t in itertools.combinations(drivers.tolist(), size)]
        part_arr = -np.ones((len(parts), 3), np.int64)
        for p, t in enumerate(parts):
            part_arr[p, : len(t)] = t
        mx = float(K.part_max(self.P, part_arr).max())
        G = _TARGET_GRID
        g = np.arange(G)
        grid = T - mx + g * (2 * mx - T) / (G - 1)
        grid = np.minimum(grid, T - grid[::-1])  # make pairs sum to at most T exactly
        delta = 1e-9 * (1.0 + abs(mx) + abs(T))
        surv = np.ones(((self.n + 1) ** 3, G))
        codes = np.array([_part_code(t, self.n) for t in parts], np.int64)
        surv[codes] = K.part_survival(self.P, part_arr, grid - delta)
        return K.split_target_bound(self.lineups, all_idx, split2, surv, self.n)

    # ------------------------------------------------------------------ search
    def _tol(self, best: float) -> float:
        return self.rel_tol * (1.0 + abs(best))

    def _other(self, idx: np.ndarray) -> np.ndarray:
        other = np.zeros((len(idx), len(self.kinds)))
        for j, arr in self.low.items():
            other[:, j] = arr[idx]
        for j, arr in self.leaf_static.items():
            other[:, j] = arr[idx]
        return other

    def _ensure_lists(self, tvals: np.ndarray, idx: np.ndarray) -> None:
        """Per-part scenario lists at thresholds summing to min t over each split (built for
        the parts the lineups ``idx`` use; rebuilt when t moves by more than 5 %)."""
        t_inc = float(min(tvals[j] for j in self.upper_leaves))
        # lists reach a little below the incumbent's VaR, so a lineup whose top tail lies
        # above the list threshold gets its exact value from the listed scenarios alone
        t_min = t_inc - 0.03 * (abs(t_inc) + 1.0)
        need = np.zeros(len(self.part_arr), np.bool_)
        K.mark_parts(self.lineups, idx, self.split_arr, self.code_part, self.n, need)
        if self.lists is not None:
            tb, _, _, _, have = self.lists
            if tb <= t_inc <= tb + 0.08 * (abs(tb) + 1.0):
                if not (need & ~have).any():
                    return
                t_min = tb
                need |= have
        delta = 1e-9 * (1.0 + abs(t_min))
        thetas = t_min * self.part_sizes / self.r - delta
        offsets = np.zeros(len(need) + 1, np.int64)
        cnt = K.part_lists(self.P, self.part_arr, thetas, need, offsets, np.empty(0, np.int32), False)
        np.cumsum(cnt, out=offsets[1:])
        flat = np.empty(int(offsets[-1]), np.int32)
        K.part_lists(self.P, self.part_arr, thetas, need, offsets, flat, True)
        self.lists = (t_min, thetas, offsets, flat, need)

    def _excess_fits(self, nd: int, n_upper: int) -> bool:
        """Whether the excess pass's accumulators fit for ``nd`` candidate drivers."""
        cells = _EXCESS_CHUNKS * n_upper * (self.excess_steps + 1) * math.comb(nd, self.r)
        return nd >= self.r and cells <= X.MAX_CELLS

    def _excess_available(self) -> bool:
        """Whether the objective has upper-CVaR leaves and the excess pass fits this slate."""
        return bool(self.upper_leaves) and self._excess_fits(self.n_drivers, len(self.upper_leaves))

    def _pair_floor(self, per_lineup: float = _PAIRS_PER_LINEUP) -> float:
        """Threshold above which about ``per_lineup`` scenarios per lineup lie, estimated
        from evenly spaced sample lineups (deterministic)."""
        if per_lineup not in self._floor:
            m = min(_SAMPLE_LINEUPS, self.M)
            pick = np.linspace(0, self.M - 1, m).astype(np.int64)
            rows = self.lineups[pick].astype(np.int64)
            xs = self.P[rows[:, 0]].copy()
            for a in range(1, self.r):
                xs += self.P[rows[:, a]]
            flat = xs.ravel()
            q = int(min(len(flat) - 1, per_lineup * m))
            self._floor[per_lineup] = float(np.partition(flat, len(flat) - 1 - q)[len(flat) - 1 - q])
        return self._floor[per_lineup]

    def _thresholds(self, vals: np.ndarray, var: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """Excess-pass thresholds and the upper leaf (0-based among them) of each, from the
        incumbent's leaf values and VaRs. Per leaf: the main threshold, VaR + lambda (CVaR -
        VaR), and ``excess_steps`` lower ones a (CVaR - VaR) apart, so the bounds stay tight for
        lineups a little worse than the incumbent (a portfolio's later lineups); none below
        ``floor``."""
        t_list: list[float] = []
        l_list: list[int] = []
        for li, j in enumerate(self.upper_leaves):
            spread = max(float(vals[j] - var[j]), 0.0)
            t0 = float(var[j]) + _EXCESS_LAMBDA * spread
            for q in range(self.excess_steps + 1):
                t = max(t0 - q * spread, floor)
                if q == 0 or t < t_list[-1]:
                    t_list.append(t)
                    l_list.append(li)
        return np.array(t_list), np.array(l_list, np.int64)

    def _excess_screen(self, idx: np.ndarray, m_inc: int, best: float,
                       per_lineup: float = _PAIRS_PER_LINEUP) -> bool:
        """Tighten the bounds of lineups ``idx`` by the scenario-major excess pass (see
        _excess.py) at thresholds set from lineup ``m_inc``; False when it does not apply
        (accumulators too large, or thresholds too high to prune anything)."""
        cand = drivers_in(self.masks[idx])
        nd, up = len(cand), self.upper_leaves
        if not self._excess_fits(nd, len(up)):
            return False
        binom = X.binomials(nd, self.r)
        vals, var = self._leaf_stats(m_inc)
        other = np.zeros(len(idx))
        for j, arr in self.leaf_static.items():
            other += self.weights[j] * arr[idx]
        w_up = self.weights[up]
        # Every bound is at least sum_j w_j tau_j + other, so the room to prune is ``best``
        # minus that. The pair floor keeps the pass cheap but raising thresholds eats the room;
        # where it leaves less than a quarter of the room of the natural thresholds (e.g. a
        # portfolio's later lineup, whose best has fallen below the floor), the budget grows
        # (4x, then 16x: past that the pass could cost more than the evaluations it saves).
        def room(taus: np.ndarray, tleaf: np.ndarray) -> float:
            lowest = np.array([taus[tleaf == li].min() for li in range(len(up))])
            return best + self._tol(best) - float(np.dot(w_up, lowest)) - float(other.min())

        natural = room(*self._thresholds(vals, var, -math.inf))
        if natural <= 0.0:
            return False
        for budget in (per_lineup, 4 * per_lineup, 16 * per_lineup):
            taus, tleaf = self._thresholds(vals, var, self._pair_floor(budget))
            left = room(taus, tleaf)
            if left >= 0.25 * natural:
                break
        if left <= 0.0:
            return False
        sal = self.salaries
        # positions run down the driver index, so ranks fall as the enumeration's order rises
        # (the gather below then reads the accumulators nearly in order)
        acc, _ = X.excess_sums(self._ps_t(), cand[::-1].astype(np.int64), sal, int(self.cap), int(sal[cand].min()), self.r,
                               taus, binom, _EXCESS_CHUNKS)
        pos_of = np.full(self.n, -1, np.int64)
        pos_of[cand] = np.arange(nd)[::-1]
        ks = self.k0s[up] + self.fs[up]
        bound = X.gather_bounds(self.lineups, idx, pos_of, binom, acc, taus, tleaf, ks, w_up, other)
        self.static[idx] = np.minimum(self.static[idx], bound)
        self._refresh_ub(idx)
        return True

    def _screen(self, idx: np.ndarray, tscreen: np.ndarray, best: float) -> np.ndarray:
        """R–U screen of lineups ``idx``; exact values where the listed scenarios suffice.

        Tightens bounds, records exact values, and returns the lineups that still need a full
        exact evaluation (their screen bound beats ``best``).
        """
        self._ensure_lists(tscreen, idx)
        t_build, thetas, offsets, flat, _ = self.lists
        tv = tscreen.copy()
        for j in self.upper_leaves:
            tv[j] = max(tv[j], t_build)
        exact_ok = bool(np.all((self.kinds == K.UPPER) | (self.kinds == K.MEAN)))
        tol = self._tol(best)
        pending = []
        for a in range(0, len(idx), 1 << 20):
            sub = idx[a : a + (1 << 20)]
            other = self._other(sub)
            for j in self.lower_leaves:
                other[:, j] = 0.0
            out, st = K.screen_exact(self.P, self.lineups, sub, self.split_arr, self.code_part, offsets, flat,
                                     thetas, t_build, self.n, self.kinds, self.k0s, self.fs, self.weights, tv,
                                     other, best if not self.lower_leaves else -np.inf, tol, exact_ok)
            ex = st == 1
            if self.lower_leaves:
                # the screen bounds the non-lower leaves only
                self.static[sub] = np.minimum(self.static[sub], out)
                self._refresh_ub(sub)
                pending.append(sub)
                continue
            self.static[sub[~ex]] = np.minimum(self.static[sub[~ex]], out[~ex])
            self.ub[sub[~ex]] = np.minimum(self.ub[sub[~ex]], out[~ex])
            self.value[sub[ex]] = out[ex]
            self.ub[sub[ex]] = out[ex]
            self.n_evaluated += int(ex.sum())
            pending.append(sub[st == 2])
        return np.concatenate(pending) if pending else np.empty(0, np.int64)

    def _evaluate(self, idx: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Exact values of lineups ``idx`` (kernel arithmetic); their bounds become the values."""
        idx = np.asarray(idx, np.int64)
        out, exact, lv, lvar = K.evaluate_batch(
            self.P, self.lineups, idx, self.kinds, self.k0s, self.fs, self.targets, self.weights,
            np.zeros(len(self.kinds)), self._other(idx), best, self._tol(best), False,
        )
        self.n_evaluated += int(exact.sum())
        self.value[idx] = out
        self.ub[idx] = out
        return out, exact, lv, lvar

    def _screen_t(self, lvar_row: np.ndarray | None) -> np.ndarray:
        t = np.full(len(self.kinds), np.inf)
        if lvar_row is not None:
            for j in self.upper_leaves:
                t[j] = lvar_row[j]
        return t

    def _cuts_from(self, idx: np.ndarray, lvar: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """Cuts from the evaluated lineups ``idx``: at most _N_CUTS of them, spread evenly over
        their value ranking (diverse worst-alpha sets prune more than near-copies of the best).
        ``lvar`` (len(idx), leaves): their VaRs from the evaluation, which saves a selection."""
        idx = np.asarray(idx, np.int64)
        pick = np.arange(len(idx))
        if len(idx) > _N_CUTS:
            order = np.argsort(-self.value[idx], kind="stable")
            pick = order[np.linspace(0, len(idx) - 1, _N_CUTS).astype(np.int64)]
        out = {}
        for j in self.lower_leaves:
            v = np.full(len(pick), np.nan) if lvar is None else np.ascontiguousarray(lvar[pick, j])
            out[j] = K.lower_cuts(self.P, self._ps_t(), self.lineups, idx[pick], int(self.k0s[j]), float(self.fs[j]), v)
        return out

    def _apply_cuts(self, cuts: dict[int, np.ndarray], idx: np.ndarray, prune_at: float) -> None:
        """Tighten the lower-CVaR bounds of ``idx`` by ``cuts``; a lineup stops taking cuts once
        its total bound is at or below ``prune_at`` (it is pruned either way)."""
        if not cuts or len(idx) == 0:
            return
        for j, c in cuts.items():
            rest = self.static[idx].copy()
            for j2, arr in self.low.items():
                if j2 != j:
                    rest += self.weights[j2] * arr[idx]
            w = self.weights[j]
            thr = (prune_at - rest) / w if w > 0 else np.full(len(idx), -np.inf)
            K.apply_cuts(self.lineups, idx, c, self.low[j], thr)
        self._refresh_ub(idx)

    def _linearise(self, active: np.ndarray, best_m: int) -> None:
        """Successive linearisation for a single upper-CVaR leaf: fix the incumbent's top-beta
        scenarios, take the lineup best on them, repeat while it improves."""
        j = self.upper_leaves[0]
        neg_p, neg_ps = -self.P, -self._ps_t()  # top-beta of x = worst-beta of -x
        seen = set()
        cur = best_m
        for _ in range(12):
            c = -K.lower_cuts(neg_p, neg_ps, self.lineups, np.array([cur], np.int64), int(self.k0s[j]),
                              float(self.fs[j]), np.full(1, np.nan))[0]
            vals = K.additive_values(self.lineups, active, c)
            m = int(active[int(np.argmax(vals))])
            if m in seen or not np.isnan(self.value[m]):
                break
            seen.add(m)
            out, exact, _, _ = self._evaluate(np.array([m], np.int64), -np.inf)
            cur = m

    def _leaf_stats(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Lineup m's exact leaf values and VaRs."""
        x = np.zeros(self.S)
        K._sum_rows(self.P, self.lineups[m].astype(np.int64), x)
        return K.leaf_values(x, self.kinds, self.k0s, self.fs, self.targets)

    def _incumbent_t(self, m: int) -> np.ndarray:
        return self._screen_t(self._leaf_stats(m)[1])

    def solve(self, active: np.ndarray, time_limit: float | None = None, t0: float | None = None) -> dict:
        """Best lineup among ``active`` (indices into the enumeration), with its certificate."""
        t0 = time.perf_counter() if t0 is None else t0
        deadline = None if time_limit is None else t0 + time_limit
        active = np.asarray(active, np.int64)
        if len(active) == 0:
            raise ValueError("no active lineups")
        batch = 64
        # incumbent: best exact among active, else evaluate the top bounds
        known = active[~np.isnan(self.value[active])]
        first = len(known) == 0
        if first:
            if len(active) > batch:
                top = active[np.argpartition(-self.ub[active], batch - 1)[:batch]]
            else:
                top = active
            self._evaluate(top, -np.inf)
            if self.lower_leaves:
                # the incumbent's own cut first (on the lineups its value does not already
                # prune), then the other cuts on what survives
                b0 = float(np.nanmax(self.value[top]))
                live = active[self.ub[active] > b0 + self._tol(b0)]
                ordered = top[np.argsort(-self.value[top], kind="stable")]
                self._apply_cuts(self._cuts_from(ordered[:1]), live, b0 + self._tol(b0))
                live = live[self.ub[live] > b0 + self._tol(b0)]
                self._apply_cuts(self._cuts_from(ordered[1:]), live, b0 + self._tol(b0))
            known = active[~np.isnan(self.value[active])]
            best_m = int(known[np.argmax(self.value[known])])
            if len(self.kinds) == 1 and self.upper_leaves:
                self._linearise(active, best_m)
                known = active[~np.isnan(self.value[active])]
        best_m = int(known[np.argmax(self.value[known])])
        best = float(self.value[best_m])

        incumbent_t = self._incumbent_t

        tscreen = incumbent_t(best_m)
        status = "optimal"
        alive = active[self.ub[active] > best + self._tol(best)]
        alive = alive[np.isnan(self.value[alive])]
        dynamic = bool(self.lower_leaves)
        if not first and len(alive) > max(_EXCESS_MIN, batch):
            # many lineups alive behind a known incumbent: in a portfolio's later solves the
            # best known lineup still allowed can be a poor one, and the screens are only as
            # good as the incumbent they start from, so the best bounds are evaluated first
            top = alive[np.argpartition(-self.ub[alive], batch - 1)[:batch]]
            out, exact, _, _ = self._evaluate(top, best)
            i = int(np.argmax(np.where(exact, out, -np.inf)))
            if exact[i] and out[i] > best:
                best, best_m = float(out[i]), int(top[i])
                tscreen = incumbent_t(best_m)
            alive = alive[(self.ub[alive] > best + self._tol(best)) & np.isnan(self.value[alive])]
        if self._excess_available():
            # with few lineups alive, evaluating them beats any screen
            if len(alive) > max(_EXCESS_MIN, 0) and self._excess_screen(alive, best_m, best):
                alive = alive[self.ub[alive] > best + self._tol(best)]
        elif self.upper_leaves and len(alive) and np.all(np.isfinite(tscreen[self.upper_leaves])):
            alive = self._screen(alive, tscreen, best)
            known = alive[~np.isnan(self.value[alive])]
            alive = alive[self.ub[alive] > best + self._tol(best)]
            alive = alive[np.isnan(self.value[alive])]
            scr_known = active[~np.isnan(self.value[active])]
            bi = int(scr_known[np.argmax(self.value[scr_known])])
            if self.value[bi] > best:
                best, best_m = float(self.value[bi]), bi
                tscreen = incumbent_t(best_m)
        order = None if dynamic else alive[np.argsort(-self.ub[alive], kind="stable")]
        pos = 0
        qsize = 16 if dynamic else 256
        while True:
            if dynamic:
                alive = alive[self.ub[alive] > best + self._tol(best)]
                if len(alive) == 0:
                    break
                q = min(qsize, len(alive))
                sel = alive[np.argpartition(-self.ub[alive], q - 1)[:q]] if q < len(alive) else alive
            else:
                if pos >= len(order) or self.ub[order[pos]] <= best + self._tol(best):
                    break
                sel = order[pos : pos + qsize]
                pos += qsize
                sel = sel[self.ub[sel] > best + self._tol(best)]
                if len(sel) == 0:
                    continue
            if deadline is not None and time.perf_counter() > deadline:
                status = "time_limit"
                break
            out, exact, lv, lvar = self._evaluate(sel, best)
            if exact.any():
                e = np.flatnonzero(exact)
                i = int(e[np.argmax(out[e])])
                if out[i] > best:
                    best = float(out[i])
                    best_m = int(sel[i])
                    tscreen = self._screen_t(lvar[i])
                if dynamic:
                    self._apply_cuts(self._cuts_from(sel[e], lvar[e]), alive, best + self._tol(best))
                    alive = alive[np.isnan(self.value[alive])]
            if dynamic:
                qsize = min(qsize * 2, 256)
        if status == "optimal":
            bound = best
        else:
            rest = active[np.isnan(self.value[active])]
            bound = max(best, float(self.ub[rest].max()) if len(rest) else best)
        return {"index": best_m, "kernel_value": best, "bound": bound, "status": status}

    def top_k(self, active: np.ndarray, k: int, deadline: float | None = None) -> np.ndarray:
        """The ``k`` best lineups of ``active`` by exact value (best first), proven by bounds.

        Past ``deadline`` (a perf_counter time) it stops and returns the best ``k`` found so
        far; ``self.top_k_proven`` says whether the last answer is proven.
        """
        active = np.asarray(active, np.int64)
        k = min(k, len(active))
        self.top_k_proven = True

        def late() -> bool:
            if deadline is not None and time.perf_counter() > deadline:
                self.top_k_proven = False
                return True
            return False

        if self.lower_leaves:
            return self._top_k_cuts(active, k, late)
        res = self.solve(active, time_limit=None if deadline is None else max(0.0, deadline - time.perf_counter()))
        if res["status"] != "optimal":
            self.top_k_proven = False
        # k exact values first (the best bounds), so the k-th value is a finite threshold
        known = active[~np.isnan(self.value[active])]
        if len(known) < k:
            rest = active[np.isnan(self.value[active])]
            q = k - len(known)
            sel = rest[np.argpartition(-self.ub[rest], q - 1)[:q]] if q < len(rest) else rest
            self._evaluate(sel, -np.inf)
            known = active[~np.isnan(self.value[active])]
        kth = float(np.partition(self.value[known], len(known) - k)[len(known) - k])
        rest = active[np.isnan(self.value[active])]
        rest = rest[self.ub[rest] > kth]
        excess = self._excess_available()
        for _ in range(3 if excess else 0):
            # excess passes at the k-th lineup's tail (a larger pair budget: the k-th value sits
            # lower than a single solve's best), each followed by the k best bounds evaluated,
            # which raises the k-th value
            if len(rest) <= max(_EXCESS_MIN, 2 * k) or late():
                break
            kth_m = int(known[np.argsort(-self.value[known], kind="stable")[k - 1]])
            if not self._excess_screen(rest, kth_m, kth, _PAIRS_PER_LINEUP * 4):
                break
            rest = rest[self.ub[rest] > kth]
            q = min(k, len(rest))
            if q:
                self._evaluate(rest[np.argpartition(-self.ub[rest], q - 1)[:q]] if q < len(rest) else rest, -np.inf)
            known = active[~np.isnan(self.value[active])]
            kth = float(np.partition(self.value[known], len(known) - k)[len(known) - k])
            rest = rest[np.isnan(self.value[rest])]
            rest = rest[self.ub[rest] > kth]
        if len(rest) and self.upper_leaves and not excess:
            # screen at the k-th lineup's VaR: lineups near the threshold get exact values
            # from the listed scenarios instead of a full pass
            kth_m = int(known[np.argsort(-self.value[known], kind="stable")[k - 1]])
            self._screen(rest, self._incumbent_t(kth_m), kth)
            known = active[~np.isnan(self.value[active])]
            kth = float(np.partition(self.value[known], len(known) - k)[len(known) - k])
            rest = rest[np.isnan(self.value[rest])]
            rest = rest[self.ub[rest] > kth]
        # evaluate the rest in bound order; the threshold rises as better values appear
        order = rest[np.argsort(-self.ub[rest], kind="stable")]
        vals = self.value[known]
        pos = 0
        while pos < len(order) and self.ub[order[pos]] > kth and not late():
            sel = order[pos : pos + 1024]
            pos += len(sel)
            out, _, _, _ = self._evaluate(sel, -np.inf)
            vals = np.concatenate([vals, out])
            kth = float(np.partition(vals, len(vals) - k)[len(vals) - k])
        del res
        known = active[~np.isnan(self.value[active])]
        return known[np.argsort(-self.value[known], kind="stable")[:k]]

    def _top_k_cuts(self, active: np.ndarray, k: int, late) -> np.ndarray:
        """top_k with lower-CVaR leaves: bounds tighten by cutting planes as lineups are evaluated."""
        res = self.solve(active)
        known = active[~np.isnan(self.value[active])]
        while True:
            vals = self.value[known]
            if len(known) >= k:
                kth = np.partition(vals, len(vals) - k)[len(vals) - k]
            else:
                kth = -np.inf
            rest = active[np.isnan(self.value[active])]
            rest = rest[self.ub[rest] > kth]
            if len(rest) == 0 or late():
                break
            q = min(len(rest), max(256, k - len(known)))
            sel = rest[np.argpartition(-self.ub[rest], q - 1)[:q]] if q < len(rest) else rest
            self._evaluate(sel, -np.inf)
            self._apply_cuts(self._cuts_from(sel), rest, float(kth))
            known = np.concatenate([known, sel])
        del res
        return known[np.argsort(-self.value[known], kind="stable")[:k]]
