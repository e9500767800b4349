"""Contest simulation: per scenario, score our lineups and the field, rank, pay out (ties split).

Method. The field is collapsed to distinct lineups with counts. In each scenario a numba
kernel scores every distinct field lineup once and counts, for each of our lineups, the
field entries strictly above it and tied with it; our own lineups are counted the same way
among themselves (entries = field + ours). The prize then has a closed form from the
cumulative prize array (``payouts.split_payout``). Memory is set by the per-chunk outputs
only: see ``chunk_size``.

Scores are compared after rounding to 1e-4 points, so equal totals built from float32
points in a different order tie exactly, as they do on the site.

Two kernels behind ``standings_kernel``, identical results where both apply:

* **grid** (``standings_grid``): site points are multiples of 0.05 (DraftKings and FanDuel
  NASCAR scoring), so when the matrix is on that grid (``grid_points``, checked once per
  call) totals are int32 grid units, a 6-driver total is 3 lookups in a per-scenario table
  of pair sums, and a histogram by total over our lineups' range plus a suffix sum gives
  every count in O(1). Cost per scenario O(u h + m + range), h = ceil(roster / 2).
* **exact** (``standings_exact``): any other matrix; 1e-4 keys and binary search among our
  sorted keys, O(u (roster + log m) + m log m) per scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numba as nb
import numpy as np

from tailrace.contest.field import Field
from tailrace.contest.payouts import PayoutTable, split_payout
from tailrace.distributed import Executor, LocalExecutor
from tailrace.tail import cvar_lower

SCORE_SCALE = 10_000.0  # scores compared as integers of 1e-4 points
DEFAULT_MEMORY = 256 * 2**20  # bytes for one chunk's outputs
BYTES_PER_CELL = 48  # per (scenario, our lineup) cell in a chunk: keys, counts, payouts, flags
# Per-lineup payout sums are summed over pieces of REDUCE_BLOCK scenarios (a chunk is cut at its
# multiples) and the pieces folded in scenario order: the figures are the same bytes for every
# chunk size that is a multiple of it, on any executor and worker count.
REDUCE_BLOCK = 1024


@nb.njit(cache=True, nogil=True)
def bisect_left(xs: np.ndarray, v: np.int64) -> int:
    """Count the entries of an ascending array strictly below a value (numba-compiled).

    Parameters
    ----------
    xs : ndarray of shape (n,)
        Ascending integer keys.
    v : int64
        Key to place.

    Returns
    -------
    int
        Number of entries ``< v``, in [0, n]: the insertion point left of equal keys, as
        ``bisect.bisect_left``.
    """
    lo, hi = 0, xs.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if xs[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True, nogil=True)
def bisect_right(xs: np.ndarray, v: np.int64) -> int:
    """Count the entries of an ascending array at or below a value (numba-compiled).

    Parameters
    ----------
    xs : ndarray of shape (n,)
        Ascending integer keys.
    v : int64
        Key to place.

    Returns
    -------
    int
        Number of entries ``<= v``, in [0, n]: the insertion point right of equal keys, as
        ``bisect.bisect_right``. On integer keys, ``<= v`` is ``< v + 1``: the left bisection
        of the next key (score keys lie far inside int64, so ``v + 1`` cannot overflow).
    """
    return bisect_left(xs, v + np.int64(1))


@nb.njit(cache=True, nogil=True)
def score_key(row: np.ndarray, lineup: np.ndarray) -> np.int64:
    """A lineup's score key in one scenario: the float64 sum of its drivers' float32 points in
    roster order, rounded to integers of 1 / ``SCORE_SCALE`` points. The one key every standings
    routine ranks by (this module's and contest mode's ``optimize.contest.paid``), so their ties
    are the same ties.

    Parameters
    ----------
    row : ndarray of shape (n_drivers,), float32
        One scenario's points.
    lineup : ndarray of shape (roster,), int
        Driver indices.
    """
    s = 0.0
    for k in range(lineup.shape[0]):
        s += np.float64(row[lineup[k]])
    return np.int64(np.round(s * SCORE_SCALE))


@nb.njit(cache=True, parallel=True, nogil=True)
def standings_exact(
    points: np.ndarray,  # (S, n) float32
    ours: np.ndarray,  # (m, r) int32, rows sorted
    field_u: np.ndarray,  # (u, r) int32
    field_c: np.ndarray,  # (u,) int64
    include_ours: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standings for any float32 points: 1e-4 keys, binary search among our sorted keys.

    The general path of :func:`standings_kernel` (same parameters and returns); numba,
    parallel over scenarios.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers), float32
        Driver points per scenario.
    ours : ndarray of shape (m, roster), int32
        Our lineups as driver indices, rows sorted.
    field_u : ndarray of shape (u, roster), int32
        Distinct field lineups.
    field_c : ndarray of shape (u,), int64
        Entries holding each distinct field lineup.
    include_ours : bool
        Whether our lineups are entries too (counted against one another).

    Returns
    -------
    above, tied : ndarray of shape (n_scenarios, m), int32
        Entries strictly above each of our lineups, and entries on its score (itself
        included).
    keys : ndarray of shape (n_scenarios, m), int64
        Each of our lineups' total as an integer of 1e-4 points.

    Notes
    -----
    A lineup's key is ``round(sum of its drivers' points in float64 * SCORE_SCALE)``. Per
    scenario our keys are sorted (stably) and each distinct field lineup is placed among
    them by :func:`bisect_left`; a suffix sum over those positions gives the field entries
    strictly above each of ours. Cost per scenario O(u (roster + log m) + m log m).
    """
    S = points.shape[0]
    m = ours.shape[0]
    u = field_u.shape[0]
    above = np.empty((S, m), dtype=np.int32)
    tied = np.empty((S, m), dtype=np.int32)
    keys = np.empty((S, m), dtype=np.int64)
    for s in nb.prange(S):
        row = points[s]
        x = np.empty(m, dtype=np.int64)
        for j in range(m):
            x[j] = score_key(row, ours[j])
        order = np.argsort(x, kind="mergesort")
        xs = x[order]
        hist = np.zeros(m + 1, dtype=np.int64)
        tie_at = np.zeros(m + 1, dtype=np.int64)
        for i in range(u):
            f = score_key(row, field_u[i])
            k = bisect_left(xs, f)
            hist[k] += field_c[i]
            if k < m and xs[k] == f:
                tie_at[k] += field_c[i]
        # suffix[p] = field entries strictly above sorted position p = sum_{k > p} hist[k]
        suffix = np.zeros(m + 1, dtype=np.int64)
        acc = 0
        for p in range(m, -1, -1):
            suffix[p] = acc
            acc += hist[p]
        for p in range(m):
            j = order[p]
            lo = bisect_left(xs, xs[p])
            a = suffix[p]
            t = tie_at[lo]
            if include_ours:
                hi = bisect_right(xs, xs[p])
                a += m - hi
                t += hi - lo
            else:
                t += 1
            above[s, j] = a
            tied[s, j] = t
            keys[s, j] = xs[p]
    return above, tied, keys


GRID = 20  # DraftKings / FanDuel NASCAR points are multiples of 1 / GRID = 0.05
KEY_BOUND = 0.99e-3  # on the grid: every entry of points * GRID within KEY_BOUND / roster of an integer
KEY_PER_GRID = 500  # SCORE_SCALE / GRID: 1e-4 keys per grid unit
BLOCK = 32  # scenarios per parallel task of the grid kernel (scratch allocated once per block)
MAX_BINS = 1 << 20  # grid kernel's histogram bound (4 MB a thread); wider score ranges take the exact path


def grid_points(points: np.ndarray, roster: int) -> np.ndarray | None:
    """Convert ``points`` to int32 grid units (multiples of 0.05 points) when they are on the grid.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Driver points per scenario, a floating dtype.
    roster : int
        Drivers per lineup (sets the tolerance and the size bound).

    Returns
    -------
    ndarray of shape (n_scenarios, n_drivers), int32, or None
        ``rint(points * GRID)``; None when ``points`` is empty, not 2D or not floating, or
        any entry is off the grid, NaN or too large.

    Notes
    -----
    On the grid = every entry of ``points * 20`` within ``KEY_BOUND / roster`` of an integer,
    and ``|points * 20| < 2**30 / roster``, so a lineup's total fits int32. Then a lineup's
    total is within ``roster x 0.99e-3 / 20`` < 5e-5 points of its grid value, so its 1e-4
    key (the exact path's rounding) is exactly 500 x its grid total. (A flat 1e-4 would
    refuse the demo slate: float32 holds 148.9 only to 1.5e-4 grid units.)
    """
    p = np.ascontiguousarray(points)
    if p.size == 0 or p.ndim != 2 or p.dtype.kind != "f":
        return None
    out = np.empty(p.shape, dtype=np.int32)
    ok = _to_grid(p, KEY_BOUND / max(roster, 1), 2**30 / max(roster, 1), out)
    return out if ok else None


@nb.njit(cache=True, nogil=True)
def _to_grid(p: np.ndarray, tol: float, lim: float, out: np.ndarray) -> bool:
    """Fill ``out`` with ``rint(p * GRID)``; False as soon as an entry is off the grid (or NaN) or too big."""
    S, n = p.shape
    for s in range(S):
        for i in range(n):
            v = np.float64(p[s, i]) * GRID
            r = np.rint(v)
            if not (abs(v - r) <= tol and abs(r) < lim):
                return False
            out[s, i] = np.int32(r)
    return True


def pair_slots(lineups: np.ndarray, n: int) -> np.ndarray:
    """Encode each lineup as indices into a per-scenario pair-sum table of (n + 1)^2 cells.

    Parameters
    ----------
    lineups : ndarray of shape (u, roster)
        Driver indices in [0, n).
    n : int
        Number of drivers; index ``n`` is the zero driver that pads an odd roster.

    Returns
    -------
    ndarray of shape (u, ceil(roster / 2)), uint16 or uint32
        Drivers ``(a, b)`` in columns ``(2k, 2k + 1)`` become ``a * (n + 1) + b``; an odd
        last driver ``a`` becomes ``a * (n + 1) + n``. uint16 when ``(n + 1)^2`` fits it,
        else uint32; C-contiguous.
    """
    lu = np.asarray(lineups, dtype=np.int64)
    u, r = lu.shape
    h = (r + 1) // 2
    a = lu[:, 0::2]
    b = np.full((u, h), n, dtype=np.int64)
    b[:, : r // 2] = lu[:, 1::2]
    dt = np.uint16 if (n + 1) ** 2 <= np.iinfo(np.uint16).max else np.uint32  # unsigned: no wraparound check
    return np.ascontiguousarray(a * (n + 1) + b, dtype=dt)


@nb.njit(cache=True, inline="always")
def _fill_pairs(g: np.ndarray, tab: np.ndarray) -> None:
    n = g.shape[0]
    n1 = n + 1
    for i in range(n):
        gi = g[i]
        base = i * n1
        for j in range(n):
            tab[base + j] = gi + g[j]
        tab[base + n] = gi
    for j in range(n1):
        tab[n * n1 + j] = tab[j * n1 + n]


@nb.njit(cache=True, inline="always")
def _score(tab: np.ndarray, flat: np.ndarray, i: int, h: int) -> np.int32:
    """Total of lineup ``i`` from its ``h`` pair slots (``flat`` = pair_slots raveled)."""
    o = i * h
    if h == 3:
        return np.int32(tab[flat[o]] + tab[flat[o + 1]] + tab[flat[o + 2]])
    t = np.int32(0)
    for k in range(h):
        t += tab[flat[o + k]]
    return t


@nb.njit(cache=True, parallel=True, nogil=True)
def standings_grid(
    g: np.ndarray,  # (S, n) int32 grid units
    ours_slots: np.ndarray,  # (m, h) from pair_slots
    field_slots: np.ndarray,  # (u, h) from pair_slots
    field_c: np.ndarray,  # (u,) int32
    include_ours: bool,
    block: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standings on grid points: integer totals from pair sums, counting by a histogram.

    The fast path of :func:`standings_kernel` for site-scored points; numba, parallel over
    blocks of scenarios. Gives the same results as :func:`standings_exact` on grid points.

    Parameters
    ----------
    g : ndarray of shape (n_scenarios, n_drivers), int32
        Points in grid units, from :func:`grid_points`.
    ours_slots : ndarray of shape (m, h)
        Our lineups from :func:`pair_slots`, ``h = ceil(roster / 2)``.
    field_slots : ndarray of shape (u, h)
        Distinct field lineups from :func:`pair_slots`.
    field_c : ndarray of shape (u,), int32
        Entries holding each distinct field lineup.
    include_ours : bool
        Whether our lineups are entries too (counted against one another).
    block : int
        Scenarios per parallel task (scratch is allocated once per block).

    Returns
    -------
    above, tied : ndarray of shape (n_scenarios, m), int32
        Entries strictly above each of our lineups, and entries on its score (itself
        included).
    keys : ndarray of shape (n_scenarios, m), int64
        Each of our lineups' total in 1e-4 points (grid total x ``KEY_PER_GRID``).

    Notes
    -----
    Per scenario the field's counts go into bins by total, clamped to our lineups' range
    [min, max] (bin 0 below it, the last bin above it); a suffix sum then gives each of ours
    the entries strictly above in O(1) and its bin the entries tied. Cost per scenario
    O(u h + m + range).
    """
    S, n = g.shape
    m, h = ours_slots.shape
    u = field_slots.shape[0]
    n1 = n + 1
    ours_flat = ours_slots.reshape(-1)  # flat, unsigned: the hot loop indexes without wraparound checks
    field_flat = field_slots.reshape(-1)
    above = np.empty((S, m), dtype=np.int32)
    tied = np.empty((S, m), dtype=np.int32)
    keys = np.empty((S, m), dtype=np.int64)
    if S == 0 or m == 0:
        return above, tied, keys
    x = np.empty((S, m), dtype=np.int32)
    lo = np.empty(S, dtype=np.int32)
    span = np.empty(S, dtype=np.int32)
    nblk = (S + block - 1) // block
    for b in nb.prange(nblk):
        tab = np.empty(n1 * n1, dtype=np.int32)
        for s in range(b * block, min(S, (b + 1) * block)):
            _fill_pairs(g[s], tab)
            mn = np.int32(2**31 - 1)
            mx = np.int32(-(2**31))
            for j in range(m):
                v = _score(tab, ours_flat, j, h)
                x[s, j] = v
                keys[s, j] = np.int64(v) * KEY_PER_GRID
                mn = min(mn, v)
                mx = max(mx, v)
            lo[s] = mn
            span[s] = mx - mn + 1
    R = 0
    for s in range(S):
        R = max(R, span[s])
    for b in nb.prange(nblk):
        tab = np.empty(n1 * n1, dtype=np.int32)
        hist = np.zeros(R + 2, dtype=np.int32)
        sfx = np.empty(R + 2, dtype=np.int32)
        for s in range(b * block, min(S, (b + 1) * block)):
            _fill_pairs(g[s], tab)
            base = np.int32(lo[s] - 1)  # our lowest total sits in bin 1
            top = np.int32(span[s] + 1)  # bin for totals above our highest
            if h == 3:  # 6-driver rosters, the hot loop spelled out
                for i in range(u):
                    f = np.int32(tab[field_flat[3 * i]] + tab[field_flat[3 * i + 1]] + tab[field_flat[3 * i + 2]] - base)
                    f = min(max(f, np.int32(0)), top)
                    hist[np.uint32(f)] += field_c[i]
            else:
                for i in range(u):
                    f = np.int32(_score(tab, field_flat, i, h) - base)
                    f = min(max(f, np.int32(0)), top)
                    hist[np.uint32(f)] += field_c[i]
            if include_ours:
                for j in range(m):
                    hist[x[s, j] - base] += 1
            acc = np.int32(0)
            for k in range(top, -1, -1):
                sfx[k] = acc
                acc += hist[k]
            extra = 0 if include_ours else 1
            for j in range(m):
                k = x[s, j] - base
                above[s, j] = sfx[k]
                tied[s, j] = hist[k] + extra
            for k in range(top + 1):
                hist[k] = 0
    return above, tied, keys


def standings_kernel(
    points: np.ndarray,  # (S, n) float32
    ours: np.ndarray,  # (m, r) int32, rows sorted
    field_u: np.ndarray,  # (u, r) int32
    field_c: np.ndarray,  # (u,) int64
    include_ours: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank our lineups in every scenario: entries strictly above, entries tied, score key.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers), float32
        Driver points per scenario.
    ours : ndarray of shape (m, roster), int32
        Our lineups as driver indices, rows sorted.
    field_u : ndarray of shape (u, roster), int32
        Distinct field lineups (``Field.unique``).
    field_c : ndarray of shape (u,), int64
        Entries holding each distinct field lineup.
    include_ours : bool
        True: our ``m`` lineups are entries too, each counted against the others.
        False: only the field counts, and ``tied`` is the field's ties plus 1 (itself).

    Returns
    -------
    above, tied : ndarray of shape (n_scenarios, m), int32
        Entries strictly above each of our lineups, and entries on its score (itself
        included).
    keys : ndarray of shape (n_scenarios, m), int64
        Each of our lineups' total as an integer of 1e-4 points (``SCORE_SCALE``).

    Notes
    -----
    Points on the 0.05 grid (site scoring; checked once per call by :func:`grid_points`)
    take the integer kernel :func:`standings_grid`, unless the field's roster differs from
    ours or a scenario's spread of driver points times the roster reaches ``MAX_BINS``
    histogram bins; any other matrix takes :func:`standings_exact`. Both give identical
    results on grid points.
    """
    r = ours.shape[1]
    g = grid_points(points, r) if field_u.shape[0] == 0 or field_u.shape[1] == r else None
    if g is not None and g.size and int((g.max(axis=1).astype(np.int64) - g.min(axis=1)).max()) * r >= MAX_BINS:
        g = None  # a lineup's score range could need too many histogram bins
    if g is None:
        return standings_exact(points, ours, field_u, field_c, include_ours)
    n = g.shape[1]
    os_ = pair_slots(ours, n)
    fs = pair_slots(field_u.reshape(-1, r), n)
    fc = np.ascontiguousarray(field_c, dtype=np.int32)
    return standings_grid(g, os_, fs, fc, bool(include_ours), BLOCK)


def chunk_size(n_lineups: int, memory_bytes: int = DEFAULT_MEMORY) -> int:
    """Scenarios per chunk so that one chunk's per-(scenario, lineup) outputs fit in memory.

    Parameters
    ----------
    n_lineups : int
        Our lineups (columns of the chunk outputs).
    memory_bytes : int, default=DEFAULT_MEMORY
        Bytes for one chunk's outputs (``BYTES_PER_CELL`` per scenario and lineup).

    Returns
    -------
    int
        ``memory_bytes // (max(1, n_lineups) * BYTES_PER_CELL)`` clipped to [16, 65536],
        rounded down to a multiple of ``REDUCE_BLOCK`` once it is at least
        ``REDUCE_BLOCK``, so the figures do not depend on it.
    """
    per = max(1, n_lineups) * BYTES_PER_CELL
    c = int(max(16, min(65_536, memory_bytes // per)))
    return c if c < REDUCE_BLOCK else (c // REDUCE_BLOCK) * REDUCE_BLOCK


def task_chunk(n_scenarios: int, chunk: int, workers: int, tasks_per_worker: int = 4) -> int:
    """Scenarios per task on a cluster, so that each worker gets about ``tasks_per_worker`` tasks.

    Parameters
    ----------
    n_scenarios : int
        Scenarios to simulate.
    chunk : int
        The memory bound (:func:`chunk_size`).
    workers : int
        Workers of the executor.
    tasks_per_worker : int, default=4
        Tasks wanted per worker (spreads the load).

    Returns
    -------
    int
        ``max(REDUCE_BLOCK, min(chunk, want))`` with ``want =
        ceil(n_scenarios / (workers * tasks_per_worker))`` rounded up to a multiple of
        ``REDUCE_BLOCK``. A multiple of ``REDUCE_BLOCK`` (same bytes) whenever ``chunk`` is
        one, and never below ``REDUCE_BLOCK``, even when ``chunk`` is.
    """
    want = -(-n_scenarios // max(1, workers * tasks_per_worker))
    want = -(-want // REDUCE_BLOCK) * REDUCE_BLOCK
    return int(max(REDUCE_BLOCK, min(chunk, want)))


def memory_estimate(n_scenarios: int, n_drivers: int, n_lineups: int, n_unique_field: int,
                    roster: int, chunk: int) -> int:
    """Estimate the peak bytes a contest simulation holds besides the caller's points.

    Parameters
    ----------
    n_scenarios : int
        Scenarios ``S``.
    n_drivers : int
        Drivers (columns of the points matrix); not used by the estimate.
    n_lineups : int
        Our lineups ``m``.
    n_unique_field : int
        Distinct field lineups ``u``.
    roster : int
        Drivers per lineup.
    chunk : int
        Scenarios per chunk.

    Returns
    -------
    int
        ``chunk * m * BYTES_PER_CELL`` (chunk outputs) + ``u * (4 roster + 8)`` (collapsed
        field) + ``32 S`` (per-scenario portfolio profit and flags) + ``64 m`` (per-lineup
        accumulators).
    """
    return int(
        chunk * n_lineups * BYTES_PER_CELL  # chunk outputs
        + n_unique_field * (roster * 4 + 8)  # collapsed field
        + n_scenarios * 8 * 4  # per-scenario portfolio profit and flags
        + n_lineups * 8 * 8  # per-lineup accumulators
    )


@dataclass(frozen=True)
class Figures:
    """Contest figures for one lineup or a portfolio, each with its Monte Carlo standard error.

    Rates are shares in [0, 1]; ROI is expected profit / fees paid. See
    :func:`simulate_contest` for how each figure and its ``*_se`` are computed.

    Attributes
    ----------
    entries : int
        Entries: 1 for a lineup, our lineup count for the portfolio.
    cost : float
        Fees paid, ``entry_fee * entries``.
    expected_profit, expected_profit_se : float
        Mean over scenarios of payout minus ``cost``.
    roi, roi_se : float
        ``expected_profit / cost``.
    cash_rate, cash_rate_se : float
        Lineup: share of scenarios it cashes. Portfolio: mean share of our entries that cash.
    top1_rate, top1_rate_se : float
        The same for finishing in the top 1 % (:func:`top1_places`).
    win_rate, win_rate_se : float
        Lineup: share of scenarios it takes 1st (alone or tied). Portfolio: share of
        scenarios one of our entries does.
    """

    entries: int
    cost: float
    expected_profit: float
    expected_profit_se: float
    roi: float
    roi_se: float
    cash_rate: float
    cash_rate_se: float
    top1_rate: float
    top1_rate_se: float
    win_rate: float
    win_rate_se: float

    def to_dict(self) -> dict:
        """The attributes as a JSON-ready dict (numpy floats made Python floats)."""
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ContestResult:
    """Outcome of a simulated contest for one portfolio (from :func:`simulate_contest`).

    Attributes
    ----------
    portfolio : Figures
        All our entries together: cash_rate and top1_rate are the shares of our entries that
        cash / finish in the top 1 %; win_rate is the share of scenarios where one of our
        entries takes 1st (alone or tied).
    lineups : tuple of Figures
        One per lineup, in the order given (``n_lineups`` items).
    profit : ndarray of shape (n_scenarios,), float64
        The portfolio's profit per scenario (payouts minus fees).
    profit_cvar : float
        Lower CVaR of ``profit`` at ``cvar_alpha`` (a bankroll figure).
    cvar_alpha : float
        Level of ``profit_cvar``.
    n_scenarios : int
        Scenarios simulated.
    n_entries : int
        Contest entries: the field's plus ours.
    entry_fee : float
        Fee per entry.
    prize_pool : float
        Sum of the payout table's prizes.
    """

    portfolio: Figures
    lineups: tuple[Figures, ...]
    profit: np.ndarray = field(repr=False)
    profit_cvar: float
    cvar_alpha: float
    n_scenarios: int
    n_entries: int
    entry_fee: float
    prize_pool: float

    def to_dict(self) -> dict:
        """A JSON-ready dict; ``profit`` is left out, ``profit_cvar`` and ``cvar_alpha`` go
        into the ``portfolio`` entry."""
        p = self.portfolio.to_dict()
        p["profit_cvar"] = self.profit_cvar
        p["cvar_alpha"] = self.cvar_alpha
        return {
            "n_scenarios": self.n_scenarios,
            "n_entries": self.n_entries,
            "entry_fee": self.entry_fee,
            "prize_pool": self.prize_pool,
            "portfolio": p,
            "lineups": [f.to_dict() for f in self.lineups],
        }


def _rate(p: np.ndarray, s: int) -> np.ndarray:
    return np.sqrt(np.maximum(p * (1.0 - p), 0.0) / s)


def top1_places(n_entries: int) -> int:
    """Places counted as 'top 1 %' in a contest.

    Parameters
    ----------
    n_entries : int
        Contest entries, ours included.

    Returns
    -------
    int
        ``floor(0.01 * n_entries)``, at least 1.
    """
    return max(1, int(math.floor(0.01 * n_entries)))


def contest_chunk(
    bounds: tuple[int, int],
    *,
    points: np.ndarray,
    ours: np.ndarray,
    field_u: np.ndarray,
    field_c: np.ndarray,
    cum: np.ndarray,
    n_paid: int,
    n_top: int,
    entry_fee: float,
) -> tuple[np.ndarray, ...]:
    """Simulate scenarios ``bounds[0] .. bounds[1] - 1`` of a contest (one executor task; pure).

    Parameters
    ----------
    bounds : tuple of (int, int)
        First scenario and one past the last.
    points : ndarray of shape (n_scenarios, n_drivers), float32
        The whole scenario matrix; only the rows of ``bounds`` are read.
    ours : ndarray of shape (m, roster), int32
        Our lineups, rows sorted.
    field_u : ndarray of shape (u, roster), int32
        Distinct field lineups.
    field_c : ndarray of shape (u,), int64
        Entries holding each distinct field lineup.
    cum : ndarray of shape (n_paid + 1,)
        The payout table's cumulative prizes (``PayoutTable.cumulative``).
    n_paid : int
        Paid places: an entry cashes with fewer than ``n_paid`` entries strictly above.
    n_top : int
        Top-1 % places (:func:`top1_places`).
    entry_fee : float
        Fee per entry.

    Returns
    -------
    pay_sum, pay_sq : ndarray of shape (k, m), float64
        per lineup, payout and squared-payout sums over each piece of the chunk cut at the
        multiples of ``REDUCE_BLOCK`` (k pieces); the caller folds them in scenario order.
    cash, top, win : ndarray of shape (m,), int64
        per lineup over the chunk: cash, top-1 % and win counts.
    profit, p_cash, p_top : ndarray of shape (s,), float64, and p_win (s,) bool
        per scenario of the chunk: portfolio profit, share of our entries cashing / in the top 1 %,
        one of ours first.
    """
    start, stop = bounds
    a, t, _ = standings_kernel(points[start:stop], ours, field_u, field_c, True)
    pay = split_payout(cum, a, t)
    m = ours.shape[0]
    is_cash = a < n_paid
    is_top = a < n_top
    is_win = a == 0
    cuts = [start] + list(range((start // REDUCE_BLOCK + 1) * REDUCE_BLOCK, stop, REDUCE_BLOCK)) + [stop]
    pieces = [(lo - start, hi - start) for lo, hi in zip(cuts[:-1], cuts[1:])]
    pay_sum = np.stack([pay[lo:hi].sum(axis=0) for lo, hi in pieces])
    pay_sq = np.stack([(pay[lo:hi] * pay[lo:hi]).sum(axis=0) for lo, hi in pieces])
    return (pay_sum, pay_sq, is_cash.sum(axis=0), is_top.sum(axis=0),
            is_win.sum(axis=0), pay.sum(axis=1) - entry_fee * m, is_cash.mean(axis=1), is_top.mean(axis=1),
            is_win.any(axis=1))


def simulate_contest(
    points: np.ndarray,
    our_lineups: np.ndarray,
    field: Field,
    payouts: PayoutTable,
    entry_fee: float,
    *,
    cvar_alpha: float = 0.05,
    chunk: int | None = None,
    memory_bytes: int = DEFAULT_MEMORY,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> ContestResult:
    """Simulate a contest: expected profit, ROI and cash / top-1 % / win rates of our lineups.

    Each scenario is one race: every entry (ours and the field's) scores the sum of its
    drivers' points, entries are ranked, and each of ours is paid its place, tied entries
    splitting the prizes of the places they share. Averages over the scenarios give the
    figures, each with its Monte Carlo standard error.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Driver points in each equally likely scenario. Converted to float32 (a float64
        matrix is rounded first).
    our_lineups : ndarray of shape (n_lineups, roster)
        Our entries as driver indices (columns of ``points``); order within a row does not
        matter.
    field : Field
        The opponents, used whole: entries = ``field.n_entries + n_lineups``
        (``tailrace.contest.run_contest`` trims a sampled field to the contest's size first).
    payouts : PayoutTable
        Prize per place; places past the table pay 0.
    entry_fee : float
        Fee per entry; profit and ROI are net of it.
    cvar_alpha : float, default=0.05
        Level of ``ContestResult.profit_cvar``, the lower CVaR of portfolio profit, in (0, 1].
    chunk : int, optional
        Scenarios per chunk (one executor task each). Default: ``chunk_size(n_lineups,
        memory_bytes)``, cut further by :func:`task_chunk` on a distributed executor.
    memory_bytes : int, default=DEFAULT_MEMORY
        Memory for one chunk's per-(scenario, lineup) outputs when ``chunk`` is not given.
    progress : callable, optional
        ``progress(done, total)``, called after each chunk with the scenarios done so far and
        ``n_scenarios``.
    executor : Executor, optional
        Runs the chunks (:func:`contest_chunk`); default ``LocalExecutor()``, in this process.
        The points, our lineups, the collapsed field and the cumulative prizes are shared
        once.

    Returns
    -------
    ContestResult
        ``portfolio``: figures for all our entries together; ``lineups``: figures for each of
        ours in the order of ``our_lineups``; ``profit``: the portfolio's profit per
        scenario, shape (n_scenarios,), and its lower CVaR.

    Raises
    ------
    ValueError
        If ``our_lineups`` is not 2D with at least one row; if ``points`` is not 2D with at
        least one row, or contains NaN; if a driver index of ours is negative or
        ``>= n_drivers``, or one of the field's is ``>= n_drivers``; if ``cvar_alpha`` is not
        in (0, 1] (checked before the simulation runs).

    Notes
    -----
    Ranking: totals are compared after rounding to 1e-4 points (``SCORE_SCALE``), so equal
    totals summed in a different order tie exactly. With ``a`` entries strictly above and
    ``t`` on its score (itself included), an entry is paid the mean prize of places
    ``a + 1 .. a + t`` (``payouts.split_payout``). Our lineups compete with one another as
    well as with the field, so a lineup's figures are its figures within this portfolio.

    Counting: an entry cashes when ``a < payouts.n_paid``, is in the top 1 % when
    ``a < top1_places(n_entries)``, and wins when ``a == 0`` (a tie for 1st is a win).

    Figures: per lineup, expected profit = mean payout - ``entry_fee`` and ROI = expected
    profit / ``entry_fee``, with the payout's sample standard deviation (``ddof=1``) over
    ``sqrt(S)`` as standard error, and the binomial ``sqrt(p (1 - p) / S)`` for the rates.
    For the portfolio, profit per scenario is our payouts minus ``n_lineups * entry_fee``;
    profit and the cash and top-1 % shares of our entries get ``sd / sqrt(S)`` (``ddof=1``;
    ``inf`` for one scenario), the win rate the binomial one.

    Deterministic (no randomness). Per-lineup sums are added in pieces of ``REDUCE_BLOCK``
    scenarios folded in scenario order, so the figures are the same bytes on any executor
    and worker count, and for every ``chunk`` that is a multiple of ``REDUCE_BLOCK``.
    Memory: see :func:`memory_estimate`.
    """
    pts = np.ascontiguousarray(points, dtype=np.float32)
    ours = np.sort(np.asarray(our_lineups, dtype=np.int32), axis=1)
    ours = np.ascontiguousarray(ours)
    if ours.ndim != 2 or ours.shape[0] == 0:
        raise ValueError("our_lineups must have shape (m, roster) with m >= 1")
    if not (0.0 < float(cvar_alpha) <= 1.0):  # checked before the work, not after it
        raise ValueError(f"cvar_alpha must lie in (0, 1], got {cvar_alpha}")
    if pts.ndim != 2 or pts.shape[0] == 0:
        raise ValueError("points must have shape (n_scenarios, n_drivers)")
    if np.isnan(pts).any():
        raise ValueError("points contain NaN")
    S, n = pts.shape
    m = ours.shape[0]
    fu, fc = field.unique()
    fu = np.ascontiguousarray(fu, dtype=np.int32)
    if (ours.size and (ours.min() < 0 or ours.max() >= n)) or (fu.size and fu.max() >= n):
        raise ValueError("lineup driver index out of range of the scenario matrix")
    n_entries = field.n_entries + m
    cum = payouts.cumulative()
    n_paid = payouts.n_paid
    n_top = top1_places(n_entries)
    c = chunk or chunk_size(m, memory_bytes)
    if executor is not None and executor.distributed and chunk is None:
        c = task_chunk(S, c, executor.workers)
    pay_sum = np.zeros(m)
    pay_sq = np.zeros(m)
    cash = np.zeros(m)
    top = np.zeros(m)
    win = np.zeros(m)
    profit = np.empty(S)
    p_cash = np.empty(S)
    p_top = np.empty(S)
    p_win = np.empty(S, dtype=bool)
    bounds = [(start, min(S, start + c)) for start in range(0, S, c)]
    task = partial(contest_chunk, n_paid=int(n_paid), n_top=int(n_top), entry_fee=float(entry_fee))
    shared = {"points": pts, "ours": ours, "field_u": fu, "field_c": fc, "cum": cum}
    parts: list[tuple[np.ndarray, ...] | None] = [None] * len(bounds)
    ran = 0
    for i, r in (executor or LocalExecutor()).imap(task, bounds, shared=shared):
        start, stop = bounds[i]
        parts[i] = r[:5]
        profit[start:stop], p_cash[start:stop], p_top[start:stop], p_win[start:stop] = r[5:]
        ran += stop - start
        if progress is not None:
            progress(ran, S)
    for part in parts:  # per-lineup sums folded in scenario order, piece by piece (see REDUCE_BLOCK)
        for row in part[0]:
            pay_sum += row
        for row in part[1]:
            pay_sq += row
        cash += part[2]
        top += part[3]
        win += part[4]
    mean_pay = pay_sum / S
    var_pay = np.maximum(pay_sq / S - mean_pay**2, 0.0) * (S / max(S - 1, 1))
    se_pay = np.sqrt(var_pay / S)
    rates = [cash / S, top / S, win / S]
    lineups = tuple(
        Figures(
            entries=1,
            cost=float(entry_fee),
            expected_profit=float(mean_pay[j] - entry_fee),
            expected_profit_se=float(se_pay[j]),
            roi=float((mean_pay[j] - entry_fee) / entry_fee),
            roi_se=float(se_pay[j] / entry_fee),
            cash_rate=float(rates[0][j]),
            cash_rate_se=float(_rate(rates[0][j], S)),
            top1_rate=float(rates[1][j]),
            top1_rate_se=float(_rate(rates[1][j], S)),
            win_rate=float(rates[2][j]),
            win_rate_se=float(_rate(rates[2][j], S)),
        )
        for j in range(m)
    )

    def se(x: np.ndarray) -> float:
        return float(x.std(ddof=1) / math.sqrt(S)) if S > 1 else float("inf")

    cost = entry_fee * m
    ep = float(profit.mean())
    win_p = float(p_win.mean())
    port = Figures(
        entries=m,
        cost=float(cost),
        expected_profit=ep,
        expected_profit_se=se(profit),
        roi=ep / cost,
        roi_se=se(profit) / cost,
        cash_rate=float(p_cash.mean()),
        cash_rate_se=se(p_cash),
        top1_rate=float(p_top.mean()),
        top1_rate_se=se(p_top),
        win_rate=win_p,
        win_rate_se=float(_rate(np.array(win_p), S)),
    )
    return ContestResult(
        portfolio=port,
        lineups=lineups,
        profit=profit,
        profit_cvar=float(cvar_lower(profit, cvar_alpha)),
        cvar_alpha=float(cvar_alpha),
        n_scenarios=S,
        n_entries=n_entries,
        entry_fee=float(entry_fee),
        prize_pool=payouts.total,
    )
