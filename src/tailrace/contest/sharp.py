"""Optimiser-built entries: the sharp part of a real field.

A large tournament field is not only lineups drawn by ownership. A share of its entries comes
from optimisers: people who feed a set of projections to a lineup optimiser and enter one of
its top lineups. Their entries are near-optimal by mean, and because many of them use the same
few projection sources, the same handful of lineups is entered again and again.

The model (:func:`optimiser_entries`):

1. **The near-optimal pool**: the ``pool`` best lineups by mean projection under the cap
   (:func:`top_lineups`, an exact branch-and-bound search).
2. **Optimiser users**: ``n_users`` projection sources, each the projections times
   ``exp(N(0, noise^2))`` per driver; each ranks the pool by its own projections and keeps its
   ``top`` best.
3. **Entries**: each optimiser entry picks a user with weight ``1 / (u + 1)^zipf`` (a few
   sources are popular) and one of that user's lineups with weight ``decay^rank``. Popular
   lineups (the top of many users' lists) are entered many times.

The defaults make the 7,000 optimiser entries of a 20,000-entry field with sharpness 0.35
fall on about 300 distinct lineups of the demo slate, the most popular held by about 180 of
them (0.9 % of the field), the ten most popular by a fifth; nearly every optimiser entry shares
its lineup with another (``tests/test_field_models.py`` counts them). Real large NASCAR
fields' chalkiest lineups are entered tens to hundreds of times; this is a model of that,
not a fit to any contest.
"""

from __future__ import annotations

import threading

import numba as nb
import numpy as np

SHARP_POOL = 2000  # near-optimal lineups the optimiser users rank
SHARP_USERS = 40  # projection sources
SHARP_NOISE = 0.15  # log-sd of a source's projection against the consensus, per driver
SHARP_TOP = 10  # lineups a source's users enter
SHARP_DECAY = 0.7  # weight of a source's rank-k lineup: decay**k
SHARP_ZIPF = 0.5  # popularity of source u: 1 / (u + 1)**zipf


@nb.njit(cache=True, nogil=True)
def _sift_down(hs: np.ndarray, hl: np.ndarray, size: int, i: int) -> None:
    while True:
        a = 2 * i + 1
        if a >= size:
            return
        b = a + 1
        m = a if (b >= size or hs[a] <= hs[b]) else b
        if hs[m] >= hs[i]:
            return
        hs[i], hs[m] = hs[m], hs[i]
        for j in range(hl.shape[1]):
            hl[i, j], hl[m, j] = hl[m, j], hl[i, j]
        i = m


@nb.njit(cache=True, nogil=True)
def _sift_up(hs: np.ndarray, hl: np.ndarray, i: int) -> None:
    while i > 0:
        p = (i - 1) // 2
        if hs[p] <= hs[i]:
            return
        hs[i], hs[p] = hs[p], hs[i]
        for j in range(hl.shape[1]):
            hl[i, j], hl[p, j] = hl[p, j], hl[i, j]
        i = p


@nb.njit(cache=True, nogil=True)
def _top_k_sorted(proj: np.ndarray, sal: np.ndarray, r: int, lo: int, hi: int, k: int):
    """Top ``k`` lineups by ``proj`` sum with salary in [lo, hi]; ``proj`` sorted descending.

    Depth-first over increasing index tuples with two prunings: the score bound (the next
    drivers in order are the best left, so once the bound falls to the k-th best score the
    rest of that level is worse) and the salary bounds (the cheapest / dearest completion).
    Returns (scores (m,), lineups (m, r)) in heap order, m <= k.
    """
    n = proj.shape[0]
    pre = np.zeros(n + 1)
    for j in range(n):
        pre[j + 1] = pre[j] + proj[j]
    big = np.int64(1) << 60
    mins = np.full((n + 2, r + 1), big, dtype=np.int64)
    maxs = np.full((n + 2, r + 1), -big, dtype=np.int64)
    for j in range(n + 1):
        s = np.sort(sal[j:])
        for m in range(r + 1):
            if m <= n - j:
                mins[j, m] = s[:m].sum()
                maxs[j, m] = s[n - j - m:].sum()
    hs = np.empty(k)
    hl = np.zeros((k, r), dtype=np.int64)
    size = 0
    idx = np.empty(r, dtype=np.int64)
    cs = np.zeros(r + 1)
    ss = np.zeros(r + 1, dtype=np.int64)
    d = 0
    idx[0] = -1
    while d >= 0:
        idx[d] += 1
        j = idx[d]
        m = r - d
        if j > n - m:
            d -= 1
            continue
        if size == k and cs[d] + pre[j + m] - pre[j] <= hs[0]:
            d -= 1
            continue
        s2 = ss[d] + sal[j]
        if s2 + mins[j + 1, m - 1] > hi or s2 + maxs[j + 1, m - 1] < lo:
            continue
        cs[d + 1] = cs[d] + proj[j]
        ss[d + 1] = s2
        if m == 1:
            v = cs[d + 1]
            if size < k:
                hs[size] = v
                for q in range(r - 1):
                    hl[size, q] = idx[q]
                hl[size, r - 1] = j
                _sift_up(hs, hl, size)
                size += 1
            elif v > hs[0]:
                hs[0] = v
                for q in range(r - 1):
                    hl[0, q] = idx[q]
                hl[0, r - 1] = j
                _sift_down(hs, hl, size, 0)
            continue
        d += 1
        idx[d] = j
    return hs[:size].copy(), hl[:size].copy()


_TOP_CACHE: dict[tuple, np.ndarray] = {}  # top_lineups' answers by exact inputs (deterministic), oldest out first
_TOP_CACHE_SIZE = 8
_TOP_LOCK = threading.Lock()


def top_lineups(
    projections: np.ndarray, salaries: np.ndarray, roster_size: int, salary_cap: int, k: int, *, min_salary: int = 0
) -> np.ndarray:
    """The ``k`` best lineups by mean projection with salary in [min_salary, salary_cap].

    Parameters
    ----------
    projections : ndarray of shape (n,)
        Mean points per driver.
    salaries : ndarray of shape (n,)
        Salary per driver.
    roster_size, salary_cap : int
        The site's roster and cap.
    k : int
        Lineups wanted (fewer come back when fewer are legal).
    min_salary : int, default=0
        Lowest lineup salary.

    Returns
    -------
    ndarray of shape (m, roster_size), int32
        Rows sorted, best lineup first; ties in score keep the search's order. ``m = min(k,
        legal lineups)``. Read-only: the answer is kept for the same inputs (a slate's sharp
        fields all rank the same near-optimal pool).
    """
    proj = np.asarray(projections, dtype=np.float64)
    sal0 = np.asarray(salaries, dtype=np.int64)
    key = (proj.tobytes(), sal0.tobytes(), int(roster_size), int(salary_cap), int(k), int(min_salary))
    with _TOP_LOCK:  # fields drawn side by side (ensemble.map_members) search once, the other waits and reads
        hit = _TOP_CACHE.get(key)
        if hit is not None:  # the same search again (several sharp fields of one slate): its answer, read-only
            return hit
        order = np.argsort(-proj, kind="stable")
        sal = sal0[order]
        scores, lu = _top_k_sorted(proj[order], sal, int(roster_size), int(min_salary), int(salary_cap), int(k))
        rank = np.argsort(-scores, kind="stable")
        out = np.sort(order[lu[rank]], axis=1).astype(np.int32)
        out.flags.writeable = False
        if len(_TOP_CACHE) >= _TOP_CACHE_SIZE:
            _TOP_CACHE.pop(next(iter(_TOP_CACHE)))
        _TOP_CACHE[key] = out
        return out


def _near_optimal_pool(projections: np.ndarray, salaries: np.ndarray, roster_size: int, salary_cap: int,
                       pool: int) -> tuple[np.ndarray, np.ndarray]:
    """What both optimiser-entry models rank: the projections as float64, shape (n,), and the
    ``pool`` best lineups by them under the cap, shape (m, roster_size) (:func:`top_lineups`).
    ValueError when no lineup fits the cap."""
    proj = np.asarray(projections, dtype=np.float64)
    cand = top_lineups(proj, salaries, roster_size, salary_cap, pool)
    if cand.shape[0] == 0:
        raise ValueError("no lineup fits the salary cap")
    return proj, cand


def independent_optimiser_entries(
    projections: np.ndarray,
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    n_entries: int,
    rng: np.random.Generator,
    *,
    pool: int = SHARP_POOL,
    noise: float = SHARP_NOISE,
    chunk: int = 256,
) -> np.ndarray:
    """``n_entries`` optimiser-built lineups, each from its own user's projection.

    The diffuse end of what optimisers enter: every entry ranks the ``pool`` best lineups by
    mean with its own projection (the consensus times ``exp(N(0, noise^2))`` per driver) and
    enters its best. Lineups near the top by mean come up often, but far less concentrated than
    :func:`optimiser_entries`' few popular sources.

    Parameters
    ----------
    projections : ndarray of shape (n,)
        Consensus mean points per driver.
    salaries : ndarray of shape (n,)
        Salary per driver.
    roster_size, salary_cap : int
        The site's roster and cap.
    n_entries : int
        Entries to build.
    rng : Generator
        Draws each entry's projection.

    Returns
    -------
    ndarray of shape (n_entries, roster_size), int32
        Rows sorted, in draw order.
    """
    if n_entries <= 0:
        return np.zeros((0, roster_size), dtype=np.int32)
    proj, cand = _near_optimal_pool(projections, salaries, roster_size, salary_cap, pool)
    member = np.zeros((cand.shape[0], proj.shape[0]))  # (pool, n) 0/1: a lineup's score is member @ projection
    member[np.arange(cand.shape[0])[:, None], cand] = 1.0
    out = np.empty(n_entries, dtype=np.int64)
    for s in range(0, n_entries, chunk):  # chunks of users, not scenarios
        e = min(n_entries, s + chunk)
        noisy = proj[None, :] * np.exp(rng.normal(0.0, noise, size=(e - s, proj.shape[0])))
        out[s:e] = np.argmax(noisy @ member.T, axis=1)
    return cand[out]


def optimiser_entries(
    projections: np.ndarray,
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    n_entries: int,
    rng: np.random.Generator,
    *,
    pool: int = SHARP_POOL,
    n_users: int = SHARP_USERS,
    noise: float = SHARP_NOISE,
    top: int = SHARP_TOP,
    decay: float = SHARP_DECAY,
    zipf: float = SHARP_ZIPF,
) -> np.ndarray:
    """``n_entries`` optimiser-built lineups (see the module docstring).

    Parameters
    ----------
    projections : ndarray of shape (n,)
        Consensus mean points per driver.
    salaries : ndarray of shape (n,)
        Salary per driver.
    roster_size, salary_cap : int
        The site's roster and cap.
    n_entries : int
        Entries to build.
    rng : Generator
        Draws the sources' projections and the entries.

    Returns
    -------
    ndarray of shape (n_entries, roster_size), int32
        Rows sorted, in draw order.
    """
    if n_entries <= 0:
        return np.zeros((0, roster_size), dtype=np.int32)
    proj, cand = _near_optimal_pool(projections, salaries, roster_size, salary_cap, pool)
    noisy = proj[None, :] * np.exp(rng.normal(0.0, noise, size=(n_users, proj.shape[0])))
    score = noisy[:, cand].sum(axis=2)  # (users, pool)
    t = min(top, cand.shape[0])
    best = np.argsort(-score, axis=1, kind="stable")[:, :t]  # (users, t)
    wu = 1.0 / np.arange(1, n_users + 1) ** zipf
    wr = decay ** np.arange(t)
    u = rng.choice(n_users, size=n_entries, p=wu / wu.sum())
    k = rng.choice(t, size=n_entries, p=wr / wr.sum())
    return cand[best[u, k]]
