"""Judging fields written independently of tailrace's field code (decision_quality.py).

A benchmark must not share the method's assumptions, so nothing here imports
``tailrace.contest.field`` (or any tailrace module): the generators take plain arrays and
return plain arrays of lineups, int32 of shape (n_entries, roster), rows sorted.

``weighted_field`` — an ownership-weighted sampler with other salary and duplicate rules:

* each lineup's drivers are drawn one after another, each with probability proportional to
  its weight among the drivers not yet drawn (done as a Gumbel top-k, which is the same
  distribution);
* a lineup is legal when its salary is in [``floor``, cap] (default $46,000, against
  tailrace's 96 % / 90 % of the cap with the last driver chosen to fit); an illegal lineup is
  thrown away whole and drawn again (rejection, not repair);
* the weights start at the ownership and get ``rounds`` multiplicative corrections
  (weight x (target / got)^0.7, the factor kept in [0.5, 2]) from a pilot sample, so the field's
  ownership follows the file where the file can be realised; where it cannot, the field
  shows what this rule makes of it;
* no lineup may be entered more than ``max_dup`` times: surplus copies are drawn again.

``sharp_field`` — a field in which a share (default a third) of the entries come from
optimisers, the rest from ``weighted_field`` on the true ownership:

* optimiser users each hold their own projection: the public projection x exp(N(0, s^2)) per
  driver (s = ``user_noise``, 0.12);
* a user enters k lineups, k drawn from {1, 1, 1, 2, 3, 5, 10, 20} (most users one lineup,
  a few mass-entrants), the top k lineups by their own projection among the ``n_top``
  lineups best by the public projection (near-optimal lineups by mean);
* users with similar projections pick the same lineups, so the popular near-optimal
  lineups recur many times, as they do in real large fields.

``perturb_ownership`` — the ownership projection a user actually holds: each driver's
ownership x exp(N(0, sigma^2)), renormalised to the same total.
"""

from __future__ import annotations

import numpy as np


def perturb_ownership(ownership: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Ownership with log-normal error: ``own x exp(N(0, sigma^2))`` renormalised to the same total.

    Parameters
    ----------
    ownership : ndarray of shape (n_drivers,)
        Percent per driver.
    sigma : float
        Log-sd of the error (0 returns a copy).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_drivers,)
        Same total as ``ownership``; zero stays zero.
    """
    own = np.asarray(ownership, dtype=np.float64)
    if sigma <= 0:
        return own.copy()
    out = own * np.exp(sigma * rng.standard_normal(own.shape[0]))
    return out * (own.sum() / out.sum())


def implied_avg_salary(ownership: np.ndarray, salaries: np.ndarray) -> float:
    """Average lineup salary the ownership file implies: ``sum(own_i / 100 x salary_i)``."""
    return float(np.dot(np.asarray(ownership, np.float64) / 100.0, np.asarray(salaries, np.float64)))


def _draw_legal(logw: np.ndarray, sal: np.ndarray, roster: int, floor: int, cap: int, k: int,
                rng: np.random.Generator, max_batches: int = 400) -> np.ndarray:
    """``k`` lineups drawn by weight without replacement, illegal ones (salary outside [floor, cap]) redrawn."""
    n = logw.shape[0]
    out: list[np.ndarray] = []
    got = 0
    batch = max(2048, 2 * k)
    for _ in range(max_batches):
        if got >= k:
            break
        keys = logw[None, :] + rng.gumbel(size=(batch, n))
        pick = np.argpartition(-keys, roster - 1, axis=1)[:, :roster]
        s = sal[pick].sum(axis=1)
        ok = (s >= floor) & (s <= cap) & np.isfinite(np.take_along_axis(keys, pick, axis=1)).all(axis=1)
        acc = pick[ok][: k - got]
        out.append(acc)
        got += acc.shape[0]
        rate = max(int(ok.sum()), 1) / batch
        batch = int(min(2_000_000 // max(n, 1), max(2048, 1.3 * (k - got) / rate)))
    if got < k:
        raise ValueError(f"weighted_field: only {got:,} of {k:,} legal lineups (salary in [{floor:,}, {cap:,}]) "
                         "could be drawn from this ownership")
    return np.sort(np.concatenate(out, axis=0), axis=1).astype(np.int32)


def weighted_field(ownership: np.ndarray, salaries: np.ndarray, roster: int, cap: int, n_entries: int,
                   rng: np.random.Generator, *, floor: int = 46_000, max_dup: int = 3, rounds: int = 4,
                   pilot: int = 20_000) -> np.ndarray:
    """Ownership-weighted field, rejection on salary, at most ``max_dup`` copies of a lineup (module docstring).

    Parameters
    ----------
    ownership : ndarray of shape (n_drivers,)
        Percent per driver (the true ownership).
    salaries : ndarray of shape (n_drivers,)
    roster, cap : int
        Drivers per lineup, salary cap.
    n_entries : int
        Entries to draw.
    rng : numpy.random.Generator
    floor : int
        Minimum lineup salary.
    max_dup : int
        Copies of one lineup allowed.
    rounds : int
        Calibration rounds of the weights against the target ownership.
    pilot : int
        Lineups per calibration round.

    Returns
    -------
    ndarray of shape (n_entries, roster), int32
        Rows sorted, in random order.
    """
    own = np.asarray(ownership, np.float64)
    sal = np.asarray(salaries, np.int64)
    n = own.shape[0]
    target = np.clip(own / 100.0, 0.0, 1.0)
    pos = target > 0
    w = np.where(pos, np.maximum(target, 1e-9), 1.0)

    def logw() -> np.ndarray:
        return np.where(pos, np.log(w), -np.inf)

    for _ in range(rounds):
        lu = _draw_legal(logw(), sal, roster, floor, cap, min(pilot, max(4_000, n_entries)), rng)
        got = np.bincount(lu.ravel(), minlength=n) / lu.shape[0]
        f = np.clip((target[pos] / np.maximum(got[pos], 0.5 / lu.shape[0])) ** 0.7, 0.5, 2.0)
        w[pos] *= f
        w[pos] /= w[pos].max()
    lw = logw()
    lu = _draw_legal(lw, sal, roster, floor, cap, n_entries, rng)
    for _ in range(50):  # duplicate rule: surplus copies drawn again
        _, inv, cnt = np.unique(lu, axis=0, return_inverse=True, return_counts=True)
        inv = inv.ravel()
        order = np.argsort(inv, kind="stable")
        rank = np.empty_like(order)
        first = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        rank[order] = np.arange(lu.shape[0]) - first[inv[order]]
        surplus = rank >= max_dup
        if not surplus.any():
            break
        lu[surplus] = _draw_legal(lw, sal, roster, floor, cap, int(surplus.sum()), rng)
    else:
        raise ValueError(f"weighted_field: {n_entries:,} entries cannot be drawn with at most {max_dup} copies of "
                         "a lineup from this ownership (too few likely legal lineups)")
    return lu[rng.permutation(lu.shape[0])]


ENTRIES_PER_USER = np.array([1, 1, 1, 2, 3, 5, 10, 20])


def sharp_field(ownership: np.ndarray, salaries: np.ndarray, roster: int, cap: int, n_entries: int,
                rng: np.random.Generator, *, projections: np.ndarray, lineups: np.ndarray,
                share: float = 1.0 / 3.0, user_noise: float = 0.12, n_top: int = 3000, **weighted) -> np.ndarray:
    """A field with ``share`` of entries from optimisers, the rest ``weighted_field`` (module docstring).

    Parameters
    ----------
    ownership : ndarray of shape (n_drivers,)
        The true ownership (percent) for the non-optimiser entries.
    salaries : ndarray of shape (n_drivers,)
    roster, cap, n_entries : int
    rng : numpy.random.Generator
    projections : ndarray of shape (n_drivers,)
        The public projection (mean points) the optimisers start from.
    lineups : ndarray of shape (m, roster)
        Every legal lineup.
    share : float
        Share of entries built by optimisers.
    user_noise : float
        Log-sd of each user's projection error per driver.
    n_top : int
        Optimisers choose among the ``n_top`` lineups best by the public projection.
    **weighted
        Passed to ``weighted_field``.

    Returns
    -------
    ndarray of shape (n_entries, roster), int32
        Rows sorted, in random order.
    """
    proj = np.asarray(projections, np.float64)
    lu = np.asarray(lineups, np.int64)
    k_opt = int(round(share * n_entries))
    v = proj[lu].sum(axis=1)
    top = lu[np.argsort(-v, kind="stable")[: min(n_top, lu.shape[0])]]
    kmax = int(min(ENTRIES_PER_USER.max(), top.shape[0]))  # a user enters each candidate once at most
    sizes = []
    total = 0
    while total < k_opt:
        k = int(ENTRIES_PER_USER[rng.integers(ENTRIES_PER_USER.shape[0])])
        k = min(k, k_opt - total, kmax)
        sizes.append(k)
        total += k
    sizes_a = np.asarray(sizes, dtype=np.int64)
    chosen = []
    for b in range(0, sizes_a.shape[0], 256):  # users in blocks (memory), not a loop over scenarios
        ks = sizes_a[b:b + 256]
        noisy = proj[None, :] * np.exp(user_noise * rng.standard_normal((ks.shape[0], proj.shape[0])))
        vals = noisy[:, top].sum(axis=2)  # (users, n_top)
        best = np.argsort(-vals, axis=1, kind="stable")[:, :kmax]
        mask = np.arange(kmax)[None, :] < ks[:, None]
        chosen.append(best[mask])
    opt = top[np.concatenate(chosen)].astype(np.int32) if chosen else np.zeros((0, roster), np.int32)
    rest = weighted_field(ownership, salaries, roster, cap, n_entries - opt.shape[0], rng, **weighted)
    out = np.concatenate([np.sort(opt, axis=1), rest], axis=0)
    return out[rng.permutation(out.shape[0])]


def describe(field: np.ndarray, ownership: np.ndarray) -> dict:
    """Figures of a field against the file: max |field - file| ownership (points), entries in
    duplicated lineups, the most copies of one lineup, distinct lineups."""
    n = ownership.shape[0]
    got = np.bincount(np.asarray(field).ravel(), minlength=n) * 100.0 / field.shape[0]
    _, cnt = np.unique(field, axis=0, return_counts=True)
    return {"max_own_gap": float(np.abs(got - ownership).max()), "dup_entries": int(cnt[cnt > 1].sum()),
            "max_dup": int(cnt.max()), "n_unique": int(cnt.shape[0]), "field_own": got}
