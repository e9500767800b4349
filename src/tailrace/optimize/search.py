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
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Literal, NamedTuple

import numpy as np

from tailrace import tail
from tailrace.optimize import _excess, _kernels
from tailrace.optimize.objectives import Objective

@dataclass(frozen=True)
class SearchConfig:
    """Tuning knobs of the exact search. None of them changes the answer, only the work done.

    Parameters
    ----------
    max_splits : int
        Splits of a lineup into parts tried by the subadditivity bound (best of them kept).
    target_grid : int
        Grid points t of the two-part bound on a target probability.
    excess_lambda : float
        Excess pass: each upper leaf's threshold sits this share of the way from the
        incumbent's VaR to its CVaR (tighter prunes more, higher enumerates fewer pairs).
    pairs_per_lineup : float
        Excess pass: thresholds are raised so that the expected (scenario, lineup) pair count
        stays under this many per feasible lineup.
    excess_min : int
        The excess pass runs only when more than this many lineups are alive (below that,
        evaluating them is cheaper). Tests set -1 to run it at every solve.
    excess_chunks : int
        Scenario chunks of the excess pass, each with its own accumulators. Fixed (not the
        thread count) so the bounds, and with them evaluation order and tie-breaks, are the
        same bytes on every machine.
    sample_lineups : int
        Evenly spaced lineups that estimate the excess pass's pair floor.
    n_cuts : int
        Lower CVaR: cutting planes taken from each batch of evaluated lineups.
    upper_strategy : {"auto", "lists"}
        How upper-CVaR leaves are bounded: ``"auto"`` takes the excess pass where its
        accumulators fit the slate and the list screen otherwise; ``"lists"`` always takes the
        list screen (the path of slates too large for the excess pass).
    """

    max_splits: int = 20
    target_grid: int = 17
    excess_lambda: float = 0.4
    pairs_per_lineup: float = 8.0
    excess_min: int = 20_000
    excess_chunks: int = 2
    sample_lineups: int = 128
    n_cuts: int = 256
    upper_strategy: Literal["auto", "lists"] = "auto"


DEFAULT_CONFIG = SearchConfig()


@dataclass(frozen=True)
class SolveResult:
    """The best lineup of one solve and its certificate.

    ``index`` points into the engine's enumeration; ``kernel_value`` is its exact value in
    kernel arithmetic; ``bound`` is at least the value of every active lineup (equal to
    ``kernel_value`` when ``status`` is ``"optimal"``); ``n_evaluated`` counts the lineups
    this solve evaluated exactly.
    """

    index: int
    kernel_value: float
    bound: float
    status: Literal["optimal", "time_limit"]
    n_evaluated: int


class TopK(NamedTuple):
    """The k best lineups (indices into the enumeration, best first) and whether that is
    proven by bounds (False when a deadline cut the search short)."""

    indices: np.ndarray
    proven: bool


def drivers_in(masks: np.ndarray) -> np.ndarray:
    """Driver indices that appear in at least one of the lineups (bit sets)."""
    allbits = np.bitwise_or.reduce(masks) if len(masks) else np.uint64(0)
    return np.flatnonzero((allbits >> np.arange(64, dtype=np.uint64)) & np.uint64(1))


def set_partitions(r: int, size: int = 3, limit: int = DEFAULT_CONFIG.max_splits) -> list[list[list[int]]]:
    """Partitions of positions 0..r-1 into ceil(r/size) blocks of at most ``size`` (the first
    ``limit`` of them)."""
    nb = max(1, math.ceil(r / size))
    out: list[list[list[int]]] = []

    def rec(pos: int, blocks: list[list[int]]) -> None:
        if len(out) >= limit:
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


# ---------------------------------------------------------------- warm engines
# State that survives between requests in a long-lived process (the API): an engine's state right
# after it was built, and right after its first solve, keyed by the content of everything that
# decides them (scenario matrix, lineups, objective, knobs; the first solve's active set). A new
# engine with the same key takes the stored state instead of recomputing it: the same arrays, so
# every later step, and the answer, are the same bytes; only the time differs. Off by default
# (a one-shot command gains nothing and would pay the copies): ``with warm_engines():`` turns it
# on for the calls made inside the block, on that thread (the API wraps each optimisation in it);
# ``keep_warm(True)`` for the whole process. Holds at most _WARM_SIZE keys (each a few copies of
# the per-lineup bound arrays: ~120 MB on a 40-driver DraftKings slate), least recently used
# dropped first.
_WARM_SIZE = 2
_warm: OrderedDict[bytes, dict] = OrderedDict()
_warm_lock = threading.Lock()
_warm_on = False
_warm_here = threading.local()  # .on: this thread's switch inside warm_engines()
warm_hits = {"built": 0, "first_solve": 0}  # counters: how often stored state was taken (tests read them)
# attributes never written after construction: shared between an engine and its stored state
_SHARED = frozenset({"points", "driver_points", "lineups", "masks", "objective", "config", "_scenario_points"})


def keep_warm(on: bool = True) -> None:
    """Turn the warm-engine store on for the whole process, or off (and empty it)."""
    global _warm_on
    with _warm_lock:
        _warm_on = bool(on)
        if not on:
            _warm.clear()


@contextmanager
def warm_engines() -> Iterator[None]:
    """Use the warm-engine store for the engines built and searched inside the block, on this
    thread (a server's request); other threads and later calls are left as they were."""
    before = getattr(_warm_here, "on", False)
    _warm_here.on = True
    try:
        yield
    finally:
        _warm_here.on = before


def _warm_enabled() -> bool:
    return _warm_on or getattr(_warm_here, "on", False)


def _copy_state(x):
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, dict):
        return {k: _copy_state(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_copy_state(v) for v in x)
    return x


def _snapshot(engine: "Engine") -> dict:
    return {k: (v if k in _SHARED else _copy_state(v)) for k, v in engine.__dict__.items()}


def _snapshot_from(state: dict) -> dict:
    """A stored state, copied for an engine to own (the store's copy stays as it was)."""
    return {k: (v if k in _SHARED else _copy_state(v)) for k, v in state.items()}


def _array_key(h: "hashlib._Hash", a: np.ndarray) -> None:
    a = np.ascontiguousarray(a)
    h.update(str(a.shape).encode() + a.dtype.str.encode() + a.tobytes())


class Engine:
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
        self._pair_floors: dict[float, float] = {}
        self._scenario_points: np.ndarray | None = None
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

    # ------------------------------------------------------------------ bounds
    def _build_bounds(self, drivers: np.ndarray) -> None:
        all_idx = np.arange(self.n_lineups, dtype=np.int64)
        means = self.driver_points.mean(axis=1)
        mean_sum = _kernels.additive_values(self.lineups, all_idx, means)
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
        if up:
            # one table of sum_j w_j CVaR_j(part): min over splits of its sum bounds the blend
            table = np.full(ncodes, np.inf)
            table[codes] = _kernels.part_upper_cvar(self.driver_points, part_arr, self.k0s[up], self.fs[up],
                                                    self.weights[up])
            static += _kernels.split_cvar_bound(self.lineups, all_idx, split_arr, table, self.n_slate)
        self.static_bound = static
        self.split_arr = split_arr
        self.part_arr = part_arr
        self.code_part = -np.ones(ncodes, np.int64)
        self.code_part[codes] = np.arange(len(parts))
        self.part_sizes = (part_arr >= 0).sum(axis=1)
        self.part_lists = None  # (t_build, thetas, offsets, flat, need)
        self.bound = static.copy()
        for j, arr in self.lower_bound.items():
            self.bound += self.weights[j] * arr

    def _refresh_ub(self, idx: np.ndarray) -> None:
        """ub[idx] = min(ub[idx], static + weighted lower-CVaR bounds) after either tightened."""
        tot = self.static_bound[idx].copy()
        for j, arr in self.lower_bound.items():
            tot += self.weights[j] * arr[idx]
        self.bound[idx] = np.minimum(self.bound[idx], tot)

    def scenario_points(self) -> np.ndarray:
        """The scenario matrix as (S, n) float64 (scenario rows), made once."""
        if self._scenario_points is None:
            self._scenario_points = np.ascontiguousarray(self.driver_points.T)
        return self._scenario_points

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
        bound = _excess.gather_bounds(self.lineups, idx, pos_of, binom, acc, taus, tleaf, ks, w_up, other)
        self.static_bound[idx] = np.minimum(self.static_bound[idx], bound)
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

    def _linearise(self, active: np.ndarray, best_m: int) -> None:
        """Successive linearisation for a single upper-CVaR leaf: fix the incumbent's top-beta
        scenarios, take the lineup best on them, repeat while it improves."""
        j = self.upper_leaves[0]
        neg_p, neg_ps = -self.driver_points, -self.scenario_points()  # top-beta of x = worst-beta of -x
        seen = set()
        cur = best_m
        for _ in range(12):
            c = -_kernels.lower_cuts(neg_p, neg_ps, self.lineups, np.array([cur], np.int64), int(self.k0s[j]),
                              float(self.fs[j]), np.full(1, np.nan))[0]
            vals = _kernels.additive_values(self.lineups, active, c)
            m = int(active[int(np.argmax(vals))])
            if m in seen or not np.isnan(self.exact[m]):
                break
            seen.add(m)
            self._evaluate(np.array([m], np.int64))
            cur = m

    def _leaf_stats(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Lineup m's exact leaf values and VaRs."""
        x = np.zeros(self.n_scenarios)
        _kernels.sum_rows(self.driver_points, self.lineups[m].astype(np.int64), x)
        return _kernels.leaf_values(x, self.kinds, self.k0s, self.fs, self.targets)

    def _incumbent_t(self, m: int) -> np.ndarray:
        return self._screen_t(self._leaf_stats(m)[1])

    def solve(self, active: np.ndarray, time_limit: float | None = None, t0: float | None = None) -> SolveResult:
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

        Returns
        -------
        SolveResult
        """
        t0 = time.perf_counter() if t0 is None else t0
        active = np.asarray(active, np.int64)
        if len(active) == 0:
            raise ValueError("no active lineups")
        first_key = self._first_solve_key(active)
        if first_key is not None:
            with _warm_lock:
                entry = _warm.get(self._warm)
                hit = None if entry is None else entry["first"].get(first_key)
                if hit is not None:
                    warm_hits["first_solve"] += 1
                    self.__dict__.update(_snapshot_from(hit[0]))
                    return hit[1]
        res = self._solve(active, time_limit, t0)
        self._solves += 1
        if first_key is not None and res.status == "optimal":
            # a finished solve is a function of the engine's state and ``active`` alone (a
            # deadline that did not strike changed nothing), so its end state can stand in for it
            with _warm_lock:
                entry = _warm.get(self._warm)
                if entry is not None:
                    entry["first"] = {first_key: (_snapshot(self), res)}
        return res

    def _solve(self, active: np.ndarray, time_limit: float | None, t0: float) -> SolveResult:
        """``solve`` without the warm store."""
        evaluated_before = self.n_evaluated
        deadline = None if time_limit is None else t0 + time_limit
        batch = 64
        # incumbent: best exact among active, else evaluate the top bounds
        known = active[~np.isnan(self.exact[active])]
        first = len(known) == 0
        if first:
            if len(active) > batch:
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
            known = active[~np.isnan(self.exact[active])]
            best_m = int(known[np.argmax(self.exact[known])])
            if len(self.kinds) == 1 and self.upper_leaves:
                self._linearise(active, best_m)
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
