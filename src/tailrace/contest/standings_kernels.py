"""The contest's standings kernels: in every scenario, how many entries score strictly above and
level with each of our lineups (``standings_kernel``, and the two kernels behind it).

Scores are compared as integers of 1e-4 points (``score_key``, ``SCORE_SCALE``), so equal totals
built from float32 points in a different order tie exactly, as they do on the site.

* **grid** (``standings_grid``): site points are multiples of 0.05, so when the matrix is on
  that grid (``grid_points``) totals are int32 grid units from a per-scenario table of pair sums
  (``pair_slots``, ``_fill_pairs``, ``_score``), and a histogram over our lineups' range gives
  every count in O(1).
* **exact** (``standings_exact``): any other matrix; 1e-4 keys and binary search
  (``bisect_left``, ``bisect_right``) among our sorted keys.

Contest mode (``optimize.contest``) reuses the key, the searches and the grid helpers, so ties
are decided by one rule everywhere. ``tailrace.contest.simulate`` re-exports every name.
"""

from __future__ import annotations

import numba as nb
import numpy as np

SCORE_SCALE = 10_000.0  # scores compared as integers of 1e-4 points


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
