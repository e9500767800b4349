"""The exact search's bounds: building them per leaf objective, screens at the incumbent's
thresholds (excess pass or per-part scenario lists), exact evaluation, and the cutting planes of
lower-CVaR leaves. Methods of ``Engine`` (``search.py``), which holds the state they read and
tighten; the method is described there."""

from __future__ import annotations

import itertools
import math
from typing import Literal

import numpy as np

from tailrace.optimize import _excess, _kernels
from tailrace.optimize.problem import LineupRules
from tailrace.optimize.scenario_optimal import scenario_optima
from tailrace.optimize.splits import _part_code, _split_array, drivers_in, set_partitions


class EngineBounds:
    """Bound, screen and cut steps of ``search.Engine`` (a mixin: the state is the engine's)."""

    # ------------------------------------------------------------------ bounds
    def _build_bounds(self, drivers: np.ndarray) -> None:
        all_idx = np.arange(self.n_lineups, dtype=np.int64)
        mean_sum = None  # each lineup's mean: only mean and lower-CVaR leaves read it
        if any(kd in (_kernels.MEAN, _kernels.LOWER) for kd in self.kinds.tolist()):
            mean_sum = _kernels.additive_values(self.lineups, all_idx, self.driver_points.mean(axis=1))
        static = np.zeros(self.n_lineups)
        self.lower_bound = {}
        self.leaf_static: dict[int, np.ndarray] = {}
        # with the excess pass available the split bound only orders the first evaluations, so
        # single drivers (cheap) suffice; otherwise triples feed the list screen
        part_size = 1 if self.upper_strategy == "excess" else 3
        splits = set_partitions(self.roster, part_size, self.config.max_splits)
        split_arr = _split_array(splits)
        sizes = sorted({len(b) for sp in splits for b in sp})
        parts: list[tuple[int, ...]] = []
        for size in sizes:
            parts.extend(itertools.combinations(drivers.tolist(), size))
        part_arr = -np.ones((len(parts), 3), np.int64)
        for p, t in enumerate(parts):
            part_arr[p, : len(t)] = t
        codes = np.array([_part_code(t, self.n_slate) for t in parts], np.int64)
        ncodes = (self.n_slate + 1) ** 3
        for j in range(len(self.kinds)):
            w = self.weights[j]
            kd = self.kinds[j]
            if kd == _kernels.MEAN:
                static += w * mean_sum
                self.leaf_static[j] = mean_sum
            elif kd == _kernels.LOWER:
                self.lower_bound[j] = mean_sum.copy()
                self._pair_cuts(j, drivers, all_idx)
            elif kd == _kernels.UPPER:
                continue
            else:
                tb = self._target_bound(float(self.targets[j]), all_idx)
                static += w * tb
                self.leaf_static[j] = tb
        up = [j for j in range(len(self.kinds)) if self.kinds[j] == _kernels.UPPER]
        self.split_arr = split_arr
        self.part_arr = part_arr
        self._part_codes = codes
        # One upper-CVaR leaf bounded by the excess pass: the split bound only orders the first
        # evaluations, and a first solve over every lineup takes its first incumbents from the
        # scenario optima instead; its excess pass then bounds every lineup. So the split bound
        # waits until a step needs it (_ensure_split_bound): a one-lineup solve never does.
        self._split_pending = (len(self.kinds) == 1 and bool(up) and self.upper_strategy == "excess"
                               and self.site_cap is not None)
        if up and not self._split_pending:
            static += self._split_bound()
        elif self._split_pending:
            static[:] = np.inf
        self.static_bound = static
        self.code_part = -np.ones(ncodes, np.int64)
        self.code_part[codes] = np.arange(len(parts))
        self.part_sizes = (part_arr >= 0).sum(axis=1)
        self.part_lists = None  # (t_build, thetas, offsets, flat, need)
        self.bound = static.copy()
        for j, arr in self.lower_bound.items():
            self.bound += self.weights[j] * arr

    def _split_bound(self) -> np.ndarray:
        """Every lineup's subadditivity bound on its upper-CVaR leaves: the least, over the
        splits, of the sum over its parts of sum_j w_j CVaR_j(part). Shape (n_lineups,)."""
        up = [j for j in range(len(self.kinds)) if self.kinds[j] == _kernels.UPPER]
        # one table of sum_j w_j CVaR_j(part): min over splits of its sum bounds the blend
        table = np.full((self.n_slate + 1) ** 3, np.inf)
        table[self._part_codes] = _kernels.part_upper_cvar(self.driver_points, self.part_arr, self.k0s[up],
                                                           self.fs[up], self.weights[up])
        return _kernels.split_cvar_bound(self.lineups, np.arange(self.n_lineups, dtype=np.int64), self.split_arr,
                                         table, self.n_slate)

    def _ensure_split_bound(self) -> None:
        """Take the deferred split bound (``_build_bounds``) into the bounds: every bound
        becomes what it would have been with the split bound from the start (evaluated lineups
        keep their exact values)."""
        if not self._split_pending:
            return
        self._split_pending = False
        np.minimum(self.static_bound, self._split_bound(), out=self.static_bound)
        done = ~np.isnan(self.exact)
        bound = np.minimum(self.bound, self.static_bound)
        bound[done] = self.exact[done]
        self.bound = bound

    def _refresh_ub(self, idx: np.ndarray) -> None:
        """ub[idx] = min(ub[idx], static + weighted lower-CVaR bounds) after either tightened."""
        tot = self.static_bound[idx].copy()
        for j, arr in self.lower_bound.items():
            tot += self.weights[j] * arr[idx]
        self.bound[idx] = np.minimum(self.bound[idx], tot)

    def _pair_cuts(self, j: int, drivers: np.ndarray, idx: np.ndarray) -> None:
        """Lower-CVaR leaf j: each lineup's bound becomes the best cut from the worst-alpha
        scenarios of one of its driver pairs (one cut per pair of the slate, applied only to
        the lineups holding that pair, whose own bad races it tracks)."""
        if self.roster < 2 or len(drivers) < 2:
            return
        pairs = np.array(list(itertools.combinations(drivers.tolist(), 2)), np.int64)
        table = _kernels.lower_cuts(self.driver_points, self.scenario_points(), pairs,
                                    np.arange(len(pairs), dtype=np.int64), int(self.k0s[j]), float(self.fs[j]),
                                    np.full(len(pairs), np.nan))
        pair_row = np.zeros((self.n_slate, self.n_slate), np.int64)
        pair_row[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
        pair_row[pairs[:, 1], pairs[:, 0]] = np.arange(len(pairs))
        _kernels.apply_pair_cuts(self.lineups, idx, table, pair_row, self.lower_bound[j])

    def _target_bound(self, T: float, all_idx: np.ndarray) -> np.ndarray:
        if not (4 <= self.roster <= 6):
            return np.ones(self.n_lineups)
        two = [sp for sp in set_partitions(self.roster, 3, self.config.max_splits) if len(sp) == 2]
        if not two:
            return np.ones(self.n_lineups)
        split2 = _split_array(two)
        sizes = sorted({len(b) for sp in two for b in sp})
        drivers = drivers_in(self.masks)
        parts = [t for size in sizes for t in itertools.combinations(drivers.tolist(), size)]
        part_arr = -np.ones((len(parts), 3), np.int64)
        for p, t in enumerate(parts):
            part_arr[p, : len(t)] = t
        mx = float(_kernels.part_max(self.driver_points, part_arr).max())
        G = self.config.target_grid
        g = np.arange(G)
        grid = T - mx + g * (2 * mx - T) / (G - 1)
        grid = np.minimum(grid, T - grid[::-1])  # make pairs sum to at most T exactly
        delta = 1e-9 * (1.0 + abs(mx) + abs(T))
        surv = np.ones(((self.n_slate + 1) ** 3, G))
        codes = np.array([_part_code(t, self.n_slate) for t in parts], np.int64)
        surv[codes] = _kernels.part_survival(self.driver_points, part_arr, grid - delta)
        return _kernels.split_target_bound(self.lineups, all_idx, split2, surv, self.n_slate)

    # ------------------------------------------------------------------ search
    def _top_bounds(self, idx: np.ndarray, q: int) -> np.ndarray:
        """The ``q`` lineups of ``idx`` with the largest bounds (1 <= q < len(idx)): the set
        ``argpartition`` gives. Over millions of lineups, a threshold from a strided sample
        leaves a few thousand candidates to partition instead (~10x less work); when that
        threshold keeps too few, or the q-th bound is tied just outside the set, the full
        ``argpartition`` decides, as before."""
        b = self.bound[idx]
        step = 64
        if len(b) >= 64 * step * q:
            sample = b[::step]
            # about 4 q of the lineups lie above the sample's 4 q / step-th largest value
            j = len(sample) - 1 - 4 * q // step
            tau = float(np.partition(sample, j)[j])
            cand = np.flatnonzero(b >= tau)
            if len(cand) > q:
                sub = b[cand]
                sel = np.argpartition(-sub, q - 1)[:q]
                kth = float(sub[sel].min())
                if int(np.count_nonzero(sub == kth)) == int(np.count_nonzero(sub[sel] == kth)):
                    return idx[cand[sel]]
        return idx[np.argpartition(-b, q - 1)[:q]]

    def _tol(self, best: float) -> float:
        return self.rel_tol * (1.0 + abs(best))

    def _other(self, idx: np.ndarray) -> np.ndarray:
        other = np.zeros((len(idx), len(self.kinds)))
        for j, arr in self.lower_bound.items():
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
        _kernels.mark_parts(self.lineups, idx, self.split_arr, self.code_part, self.n_slate, need)
        if self.part_lists is not None:
            tb, _, _, _, have = self.part_lists
            if tb <= t_inc <= tb + 0.08 * (abs(tb) + 1.0):
                if not (need & ~have).any():
                    return
                t_min = tb
                need |= have
        delta = 1e-9 * (1.0 + abs(t_min))
        thetas = t_min * self.part_sizes / self.roster - delta
        offsets = np.zeros(len(need) + 1, np.int64)
        cnt = _kernels.part_lists(self.driver_points, self.part_arr, thetas, need, offsets, np.empty(0, np.int32),
                                  False)
        np.cumsum(cnt, out=offsets[1:])
        flat = np.empty(int(offsets[-1]), np.int32)
        _kernels.part_lists(self.driver_points, self.part_arr, thetas, need, offsets, flat, True)
        self.part_lists = (t_min, thetas, offsets, flat, need)

    def _excess_fits(self, nd: int, n_upper: int) -> bool:
        """Whether the excess pass's accumulators fit for ``nd`` candidate drivers."""
        cells = self.config.excess_chunks * n_upper * (self.excess_steps + 1) * math.comb(nd, self.roster)
        return nd >= self.roster and cells <= _excess.MAX_CELLS

    def _choose_upper_strategy(self) -> Literal["excess", "lists"] | None:
        """The one place that picks how upper-CVaR leaves are bounded (see the module
        docstring): the excess pass when its accumulators fit this slate and the config allows
        it, else the list screen; None without upper leaves."""
        if not self.upper_leaves:
            return None
        if self.config.upper_strategy == "auto" and self._excess_fits(self.n_drivers, len(self.upper_leaves)):
            return "excess"
        return "lists"

    def _pair_floor(self, per_lineup: float) -> float:
        """Threshold above which about ``per_lineup`` scenarios per lineup lie, estimated
        from evenly spaced sample lineups (deterministic)."""
        if per_lineup not in self._pair_floors:
            m = min(self.config.sample_lineups, self.n_lineups)
            pick = np.linspace(0, self.n_lineups - 1, m).astype(np.int64)
            rows = self.lineups[pick].astype(np.int64)
            xs = self.driver_points[rows[:, 0]].copy()
            for a in range(1, self.roster):
                xs += self.driver_points[rows[:, a]]
            flat = xs.ravel()
            q = int(min(len(flat) - 1, per_lineup * m))
            self._pair_floors[per_lineup] = float(np.partition(flat, len(flat) - 1 - q)[len(flat) - 1 - q])
        return self._pair_floors[per_lineup]

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
            t0 = float(var[j]) + self.config.excess_lambda * spread
            for q in range(self.excess_steps + 1):
                t = max(t0 - q * spread, floor)
                if q == 0 or t < t_list[-1]:
                    t_list.append(t)
                    l_list.append(li)
        return np.array(t_list), np.array(l_list, np.int64)

    def _excess_screen(self, idx: np.ndarray, m_inc: int, best: float,
                       per_lineup: float | None = None) -> bool:
        """Tighten the bounds of lineups ``idx`` by the scenario-major excess pass (see
        _excess.py) at thresholds set from lineup ``m_inc``; False when it does not apply
        (accumulators too large, or thresholds too high to prune anything)."""
        per_lineup = self.config.pairs_per_lineup if per_lineup is None else per_lineup
        cand = drivers_in(self.masks[idx])
        nd, up = len(cand), self.upper_leaves
        if not self._excess_fits(nd, len(up)):
            return False
        binom = _excess.binomials(nd, self.roster)
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
        acc, _ = _excess.excess_sums(self.scenario_points(), cand[::-1].astype(np.int64), sal, int(self.cap),
                                     int(sal[cand].min()), self.roster, taus, binom, self.config.excess_chunks)
        pos_of = np.full(self.n_slate, -1, np.int64)
        pos_of[cand] = np.arange(nd)[::-1]
        ks = self.k0s[up] + self.fs[up]
        # static_bound (and, without lower-CVaR leaves, bound) tightened in place, in one pass
        direct = not self.lower_bound
        _excess.tighten_bounds(self.lineups, idx, pos_of, binom, acc, taus, tleaf, ks, w_up, other,
                               self.static_bound, self.bound, direct)
        if not direct:
            self._refresh_ub(idx)
        return True

    def _screen(self, idx: np.ndarray, tscreen: np.ndarray, best: float) -> np.ndarray:
        """R–U screen of lineups ``idx``; exact values where the listed scenarios suffice.

        Tightens bounds, records exact values, and returns the lineups that still need a full
        exact evaluation (their screen bound beats ``best``).
        """
        self._ensure_lists(tscreen, idx)
        t_build, thetas, offsets, flat, _ = self.part_lists
        tv = tscreen.copy()
        for j in self.upper_leaves:
            tv[j] = max(tv[j], t_build)
        exact_ok = bool(np.all((self.kinds == _kernels.UPPER) | (self.kinds == _kernels.MEAN)))
        tol = self._tol(best)
        lists = (self.split_arr, self.code_part, offsets, flat, thetas, float(t_build), int(self.n_slate))
        leaves = (self.kinds, self.k0s, self.fs, self.weights, tv)
        pending = []
        for a in range(0, len(idx), 1 << 20):
            sub = idx[a : a + (1 << 20)]
            other = self._other(sub)
            for j in self.lower_leaves:
                other[:, j] = 0.0
            out, st = _kernels.screen_exact(self.driver_points, self.lineups, sub, lists, leaves,
                                     other, best if not self.lower_leaves else -np.inf, tol, exact_ok)
            ex = st == 1
            if self.lower_leaves:
                # the screen bounds the non-lower leaves only
                self.static_bound[sub] = np.minimum(self.static_bound[sub], out)
                self._refresh_ub(sub)
                pending.append(sub)
                continue
            self.static_bound[sub[~ex]] = np.minimum(self.static_bound[sub[~ex]], out[~ex])
            self.bound[sub[~ex]] = np.minimum(self.bound[sub[~ex]], out[~ex])
            self.exact[sub[ex]] = out[ex]
            self.bound[sub[ex]] = out[ex]
            self.n_evaluated += int(ex.sum())
            pending.append(sub[st == 2])
        return np.concatenate(pending) if pending else np.empty(0, np.int64)

    def _evaluate(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact values of lineups ``idx`` (kernel arithmetic); their bounds become the values.

        Returns the values (len(idx),) and each leaf's value and VaR (len(idx), n_leaves).
        """
        idx = np.asarray(idx, np.int64)
        out, lv, lvar = _kernels.evaluate_batch(self.driver_points, self.lineups, idx, self.kinds, self.k0s, self.fs,
                                         self.targets, self.weights)
        self.n_evaluated += len(idx)
        self.exact[idx] = out
        self.bound[idx] = out
        if len(idx):
            # the batch's best is the lineup the search may take as its incumbent next: keep its
            # leaf values and VaRs (the very numbers leaf_values gives: same kernels inside)
            i = int(np.argmax(out))
            self._leaf_memo[int(idx[i])] = (lv[i].copy(), lvar[i].copy())
            while len(self._leaf_memo) > 64:
                del self._leaf_memo[next(iter(self._leaf_memo))]
        return out, lv, lvar

    def _screen_t(self, lvar_row: np.ndarray | None) -> np.ndarray:
        t = np.full(len(self.kinds), np.inf)
        if lvar_row is not None:
            for j in self.upper_leaves:
                t[j] = lvar_row[j]
        return t

    def _cuts_from(self, idx: np.ndarray, lvar: np.ndarray | None = None) -> dict[int, np.ndarray]:
        """Cuts from the evaluated lineups ``idx``: at most ``config.n_cuts`` of them, spread evenly over
        their value ranking (diverse worst-alpha sets prune more than near-copies of the best).
        ``lvar`` (len(idx), leaves): their VaRs from the evaluation, which saves a selection."""
        idx = np.asarray(idx, np.int64)
        pick = np.arange(len(idx))
        if len(idx) > self.config.n_cuts:
            order = np.argsort(-self.exact[idx], kind="stable")
            pick = order[np.linspace(0, len(idx) - 1, self.config.n_cuts).astype(np.int64)]
        out = {}
        for j in self.lower_leaves:
            v = np.full(len(pick), np.nan) if lvar is None else np.ascontiguousarray(lvar[pick, j])
            out[j] = _kernels.lower_cuts(self.driver_points, self.scenario_points(), self.lineups, idx[pick],
                                         int(self.k0s[j]), float(self.fs[j]), v)
        return out

    def _apply_cuts(self, cuts: dict[int, np.ndarray], idx: np.ndarray, prune_at: float) -> None:
        """Tighten the lower-CVaR bounds of ``idx`` by ``cuts``; a lineup stops taking cuts once
        its total bound is at or below ``prune_at`` (it is pruned either way)."""
        if not cuts or len(idx) == 0:
            return
        for j, c in cuts.items():
            rest = self.static_bound[idx].copy()
            for j2, arr in self.lower_bound.items():
                if j2 != j:
                    rest += self.weights[j2] * arr[idx]
            w = self.weights[j]
            thr = (prune_at - rest) / w if w > 0 else np.full(len(idx), -np.inf)
            _kernels.apply_cuts(self.lineups, idx, c, self.lower_bound[j], thr)
        self._refresh_ub(idx)

    def _scenario_starts(self, active: np.ndarray, q: int = 16) -> np.ndarray:
        """Up to ``q`` lineups of ``active`` not yet evaluated: the site's per-scenario optimal
        lineups (``scenario_optimal``, under the roster and cap alone) that are optimal in the
        most scenarios (ties: the smaller bit set first). A start for an upper-tail search: a
        lineup that tops many races tends to have a high upper tail. Only when ``active`` is
        every lineup (a first solve) and the salaries are known; else empty. Shape (<= q,)."""
        if self.site_cap is None or len(active) != self.n_lineups:
            return np.empty(0, np.int64)
        lus, ok = scenario_optima(self.points, self.salaries, LineupRules(roster_size=self.roster,
                                                                           salary_cap=self.site_cap))
        lus = lus[ok]
        if len(lus) == 0:
            return np.empty(0, np.int64)
        bits = np.bitwise_or.reduce(np.left_shift(np.uint64(1), lus.astype(np.uint64)), axis=1)
        _, first, counts = np.unique(bits, return_index=True, return_counts=True)
        pick = first[np.argsort(-counts, kind="stable")[:q]]
        out = [m for m in (self._find_lineup(lus[i]) for i in pick) if m >= 0 and np.isnan(self.exact[m])]
        return np.array(out, np.int64)

    def _find_lineup(self, row: np.ndarray) -> int:
        """Index of the lineup with drivers ``row`` (ascending) in the enumeration, -1 if none.
        Binary search: the enumeration lists rows in lexicographic order (without locks; with
        them a miss only means -1, the row found is checked)."""
        t = tuple(int(d) for d in row)
        lo, hi = 0, self.n_lineups
        while lo < hi:
            mid = (lo + hi) // 2
            if tuple(self.lineups[mid].tolist()) < t:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < self.n_lineups and tuple(self.lineups[lo].tolist()) == t else -1

    def _linearise(self, active: np.ndarray, best_m: int) -> None:
        """Successive linearisation for a single upper-CVaR leaf: fix the incumbent's top-beta
        scenarios, take the lineup best on them, repeat while it improves."""
        j = self.upper_leaves[0]
        seen = set()
        cur = best_m
        for _ in range(12):
            c = self._top_weights(cur, j)
            vals = _kernels.additive_values(self.lineups, active, c)
            m = int(active[int(np.argmax(vals))])
            if m in seen or not np.isnan(self.exact[m]):
                break
            seen.add(m)
            self._evaluate(np.array([m], np.int64))
            cur = m

    def _top_weights(self, m: int, j: int) -> np.ndarray:
        """Per driver, its points averaged over lineup m's top-beta scenarios of upper leaf j
        (scenarios above the VaR weigh 1, ties at the VaR share what is left of k = k0 + f):
        the linear objective that equals lineup m's upper CVaR at m. Shape (n_slate,)."""
        rows = self.lineups[m]
        x = self.driver_points[int(rows[0])].copy()
        for d in rows[1:]:
            x += self.driver_points[int(d)]
        var = float(self._leaf_stats(m)[1][j])
        k = float(self.k0s[j]) + float(self.fs[j])
        above, ties = x > var, x == var
        n_ties = int(ties.sum())
        wt = (k - int(above.sum())) / n_ties if n_ties else 0.0
        c = self.driver_points[:, above].sum(axis=1)
        if wt > 0.0:
            c += wt * self.driver_points[:, ties].sum(axis=1)
        return c / k

    def _leaf_stats(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Lineup m's exact leaf values and VaRs (from its evaluation when it was a batch's best:
        the same numbers, without loading two more kernels)."""
        hit = self._leaf_memo.get(int(m))
        if hit is not None:
            return hit[0].copy(), hit[1].copy()
        x = np.zeros(self.n_scenarios)
        _kernels.sum_rows(self.driver_points, self.lineups[m].astype(np.int64), x)
        return _kernels.leaf_values(x, self.kinds, self.k0s, self.fs, self.targets)

    def _incumbent_t(self, m: int) -> np.ndarray:
        return self._screen_t(self._leaf_stats(m)[1])
