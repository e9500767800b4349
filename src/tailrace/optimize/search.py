"""The exact search engine behind solve_lineup and generate_portfolio.

Every feasible lineup is enumerated once (numba). Each lineup carries an upper bound on its
objective that is valid for that lineup alone; the engine evaluates lineups exactly in bound
order and stops when no remaining bound beats the best exact value (up to ``rel_tol``).

Bounds per leaf objective (a blend's bound is the weighted sum of its leaves' bounds):
* mean: the lineup's mean itself (sum of driver means);
* upper CVaR: subadditivity, CVaR(A + B) <= CVaR(A) + CVaR(B), with the lineup split into
  parts of at most three drivers, the best of up to 20 splits (part values precomputed);
  then the Rockafellar–Uryasev screen t + sum_s (x_s - t)^+ / (beta S) at (just below) the
  incumbent's VaR t, summed only over the scenarios where some part of the split scores above
  its share of t (per-part scenario lists: any scenario with x_s > t is on one of them). When
  the screen does not prune, the listed scenarios above t give the exact top tail directly
  (a full pass over all S scenarios only when fewer than beta S of them lie above t);
* lower CVaR: concave, the minimum of w.x over capped-simplex weights w; every evaluated
  lineup's worst-alpha weights give all lineups an additive bound (Kelley cutting planes),
  starting from the mean;
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
from tailrace.optimize import _kernels as K
from tailrace.optimize.objectives import Objective

_MAX_SPLITS = 20
_TARGET_GRID = 17


def set_partitions(r: int) -> list[list[list[int]]]:
    """Partitions of positions 0..r-1 into ceil(r/3) blocks of at most three (first 20)."""
    nb = max(1, math.ceil(r / 3))
    out: list[list[list[int]]] = []

    def rec(pos: int, blocks: list[list[int]]) -> None:
        if len(out) >= _MAX_SPLITS:
            return
        if pos == r:
            if len(blocks) == nb:
                out.append([list(b) for b in blocks])
            return
        for b in blocks:
            if len(b) < 3:
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
        self.n_evaluated = 0
        self.value = np.full(self.M, np.nan)  # exact values (kernel arithmetic)
        self._build_bounds(np.asarray(drivers, np.int64))

    # ------------------------------------------------------------------ bounds
    def _build_bounds(self, drivers: np.ndarray) -> None:
        all_idx = np.arange(self.M, dtype=np.int64)
        means = self.P.mean(axis=1)
        mean_sum = K.additive_values(self.lineups, all_idx, means)
        static = np.zeros(self.M)
        self.low = {}
        self.leaf_static: dict[int, np.ndarray] = {}
        splits = set_partitions(self.r)
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

    def _target_bound(self, T: float, all_idx: np.ndarray) -> np.ndarray:
        if not (4 <= self.r <= 6):
            return np.ones(self.M)
        two = [sp for sp in set_partitions(self.r) if len(sp) == 2]
        if not two:
            return np.ones(self.M)
        split2 = _split_array(two)
        sizes = sorted({len(b) for sp in two for b in sp})
        drivers = np.flatnonzero(np.bitwise_or.reduce(self.masks) >> np.arange(64, dtype=np.uint64) & np.uint64(1))
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
                tot = self.static[sub].copy()
                for j, arr in self.low.items():
                    tot += self.weights[j] * arr[sub]
                self.ub[sub] = np.minimum(self.ub[sub], tot)
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

    def _cuts_from(self, idx: np.ndarray) -> dict[int, np.ndarray]:
        """Cuts from the best (by exact value) of the evaluated lineups ``idx`` (at most 32)."""
        idx = np.asarray(idx, np.int64)
        if len(idx) > 32:
            idx = idx[np.argsort(-self.value[idx], kind="stable")[:32]]
        return {j: K.lower_cuts(self.P, self.lineups, idx, int(self.k0s[j]), float(self.fs[j]))
                for j in self.lower_leaves}

    def _apply_cuts(self, cuts: dict[int, np.ndarray], idx: np.ndarray) -> None:
        if not cuts or len(idx) == 0:
            return
        for j, c in cuts.items():
            K.apply_cuts(self.lineups, idx, c, self.low[j])
        tot = self.static[idx].copy()
        for j, arr in self.low.items():
            tot += self.weights[j] * arr[idx]
        self.ub[idx] = np.minimum(self.ub[idx], tot)

    def _linearise(self, active: np.ndarray, best_m: int) -> None:
        """Successive linearisation for a single upper-CVaR leaf: fix the incumbent's top-beta
        scenarios, take the lineup best on them, repeat while it improves."""
        j = self.upper_leaves[0]
        seen = set()
        cur = best_m
        for _ in range(12):
            row = self.lineups[cur].astype(np.int64)
            c = -K.lower_cut(-self.P, row, int(self.k0s[j]), float(self.fs[j]))
            vals = K.additive_values(self.lineups, active, c)
            m = int(active[int(np.argmax(vals))])
            if m in seen or not np.isnan(self.value[m]):
                break
            seen.add(m)
            out, exact, _, _ = self._evaluate(np.array([m], np.int64), -np.inf)
            cur = m

    def _incumbent_t(self, m: int) -> np.ndarray:
        x = np.zeros(self.S)
        K._sum_rows(self.P, self.lineups[m].astype(np.int64), x)
        _, var = K.leaf_values(x, self.kinds, self.k0s, self.fs, self.targets)
        return self._screen_t(var)

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
        if len(known) == 0:
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
                self._apply_cuts(self._cuts_from(ordered[:1]), live)
                live = live[self.ub[live] > b0 + self._tol(b0)]
                self._apply_cuts(self._cuts_from(ordered[1:]), live)
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
        if self.upper_leaves and len(alive) and np.all(np.isfinite(tscreen[self.upper_leaves])):
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
                    self._apply_cuts(self._cuts_from(sel[e]), alive)
                    alive = alive[np.isnan(self.value[alive])]
            if dynamic:
                qsize = min(qsize * 2, 256)
        if status == "optimal":
            bound = best
        else:
            rest = active[np.isnan(self.value[active])]
            bound = max(best, float(self.ub[rest].max()) if len(rest) else best)
        return {"index": best_m, "kernel_value": best, "bound": bound, "status": status}

    def top_k(self, active: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` best lineups of ``active`` by exact value (best first), proven by bounds."""
        active = np.asarray(active, np.int64)
        k = min(k, len(active))
        if self.lower_leaves:
            return self._top_k_cuts(active, k)
        res = self.solve(active)
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
        if len(rest) and self.upper_leaves:
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
        while pos < len(order) and self.ub[order[pos]] > kth:
            sel = order[pos : pos + 1024]
            pos += len(sel)
            out, _, _, _ = self._evaluate(sel, -np.inf)
            vals = np.concatenate([vals, out])
            kth = float(np.partition(vals, len(vals) - k)[len(vals) - k])
        del res
        known = active[~np.isnan(self.value[active])]
        return known[np.argsort(-self.value[known], kind="stable")[:k]]

    def _top_k_cuts(self, active: np.ndarray, k: int) -> np.ndarray:
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
            if len(rest) == 0:
                break
            q = min(len(rest), max(256, k - len(known)))
            sel = rest[np.argpartition(-self.ub[rest], q - 1)[:q]] if q < len(rest) else rest
            self._evaluate(sel, -np.inf)
            self._apply_cuts(self._cuts_from(sel), rest)
            known = np.concatenate([known, sel])
        del res
        return known[np.argsort(-self.value[known], kind="stable")[:k]]
