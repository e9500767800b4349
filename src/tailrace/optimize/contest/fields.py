"""The fields contest mode selects against and validates against (it cannot know the real one).

A user's ownership projection is never exact and a real field is not tailrace's sampler: part
of a large field is built by optimisers (near-optimal lineups by mean, the popular ones
duplicated many times). Contest mode therefore

* **selects** against a *mixture field* of the contest's size (costs no more than one field):
  equal shares of the ensemble members — the contest's own sampled field (the given
  ownership), and fields sampled from perturbed ownership with a share of optimiser-built
  entries (``SELECTION_SHARPNESS``);
* **validates** (the cross-validation's held-out half) against ``HELD_OUT`` fields from other
  models than the selection's: ownership perturbed with other draws, another sampler (drivers
  by ownership without calibration, a lower salary floor) and other sharpness levels, so the
  CV's score is not the selection's own field seen again.

A field given as a file (real entries) is used as it is for both: it is the data.

Seeds: member ``k`` of the selection draws from ``[seed, 0xF1E1D, k]``, held-out field ``j``
from ``[seed, 0x4E1D, j]``; same inputs and seed, same fields.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tailrace.contest import Contest, Field, sample_field
from tailrace.contest.field import DEFAULT_STRICT_SHARE
from tailrace.optimize.problem import LineupRules

SIGMA = 0.3  # log-normal error of a user's ownership projection (issue 23)
SELECTION_SHARPNESS = (0.0, 0.2, 0.35)  # members of the selection's mixture (member 0: the given ownership)
# held-out fields: (sharpness, sampler): "calibrated" = tailrace's sampler on perturbed ownership,
# "plain" = drivers drawn by perturbed ownership without calibration, any salary from the
# field's lowest to the cap (another sampler than the selection's)
HELD_OUT = ((0.1, "plain"), (0.3, "calibrated"))
OPTIMISER_NOISE = 0.15  # an optimiser user's projection error (multiplicative, per driver)
OPTIMISER_TOP = 2000  # optimiser-built entries come from the best lineups by mean


def perturb_ownership(ownership: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Each driver's ownership times exp(N(0, sigma^2)), renormalised to the same total.

    Parameters
    ----------
    ownership : ndarray of shape (n_drivers,)
        Percent per driver.
    sigma : float
        Log-normal error.
    rng : Generator

    Returns
    -------
    ndarray of shape (n_drivers,)
        Percent, summing to ``ownership.sum()``; zeros stay zero.
    """
    own = np.asarray(ownership, dtype=np.float64)
    out = own * np.exp(sigma * rng.standard_normal(own.shape[0]))
    tot = out.sum()
    return out * (own.sum() / tot) if tot > 0 else out


def optimiser_entries(mean: np.ndarray, lineups: np.ndarray, k: int, rng: np.random.Generator, *,
                      top: int = OPTIMISER_TOP, noise: float = OPTIMISER_NOISE) -> np.ndarray:
    """``k`` entries built by optimisers: each the best lineup by its user's noisy projection.

    Parameters
    ----------
    mean : ndarray of shape (n_drivers,)
        Projected points per driver.
    lineups : ndarray of shape (M, roster)
        Feasible lineups (rows sorted).
    k : int
        Entries to build.
    rng : Generator
    top, noise : int, float
        Each user scores the ``top`` lineups by ``mean`` with driver projections times
        (1 + ``noise`` N(0, 1)) and enters the best: popular lineups come up many times.

    Returns
    -------
    ndarray of shape (k, roster), int32, rows sorted
    """
    lu = np.asarray(lineups, dtype=np.int64)
    mu = np.asarray(mean, dtype=np.float64)
    score = mu[lu].sum(axis=1)
    t = min(top, lu.shape[0])
    best = lu[np.argsort(-score, kind="stable")[:t]]
    out = np.empty(k, dtype=np.int64)
    for s in range(0, k, 512):  # chunks of users, not scenarios
        e = min(k, s + 512)
        proj = mu[None, :] * (1.0 + noise * rng.standard_normal((e - s, mu.shape[0])))
        out[s:e] = np.argmax(proj[:, best].sum(axis=2), axis=1)
    return np.sort(best[out], axis=1).astype(np.int32)


def _floors(contest: Contest, salaries: np.ndarray) -> tuple[int, int]:
    """The contest's field's salary floors, as ``sample_field`` takes them: the salary most entries
    reach (10th percentile: ``sample_field`` holds 90 % to its minimum) and the lowest."""
    spent = np.asarray(salaries, dtype=np.int64)[contest.field.lineups].sum(axis=1)
    return int(np.quantile(spent, 1.0 - DEFAULT_STRICT_SHARE, method="lower")), int(spent.min())


def plain_sample(ownership: np.ndarray, salaries: np.ndarray, roster_size: int, salary_cap: int, floor: int, n: int,
                 rng: np.random.Generator) -> np.ndarray:
    """``n`` lineups, drivers drawn without replacement with weights ``ownership`` (Gumbel top-k,
    no calibration), kept when the salary is in [floor, cap]: shape (n, roster), int32, rows sorted."""
    sal = np.asarray(salaries, dtype=np.int64)
    logw = np.log(np.maximum(np.asarray(ownership, dtype=np.float64), 1e-300))
    out, got, tries = [], 0, 0
    while got < n:
        keys = logw[None, :] + rng.gumbel(size=(max(1024, 2 * (n - got)), sal.shape[0]))
        lu = np.argpartition(-keys, roster_size - 1, axis=1)[:, :roster_size]
        s = sal[lu].sum(axis=1)
        lu = lu[(s <= salary_cap) & (s >= floor)][: n - got]
        out.append(lu)
        got += lu.shape[0]
        tries += 1
        if tries > 200 and got < n:  # this ownership rarely fills the floor: fall back to the cap alone
            floor = 0
    return np.sort(np.concatenate(out, axis=0), axis=1).astype(np.int32)


def _member(contest: Contest, salaries: np.ndarray, rules: LineupRules, mean: np.ndarray, lineups: np.ndarray,
            n: int, sharpness: float, sampler: str | bool, rng: np.random.Generator) -> np.ndarray:
    """``n`` entries of one ensemble member: ownership (perturbed unless ``sampler`` is False) drawn
    by ``sampler`` ("plain" or tailrace's calibrated one), plus optimiser-built entries."""
    own = perturb_ownership(contest.ownership, SIGMA, rng) if sampler else np.asarray(contest.ownership)
    k = int(round(sharpness * n))
    parts = []
    lo, lo2 = _floors(contest, salaries)
    if n - k > 0 and sampler == "plain":
        parts.append(plain_sample(own, salaries, rules.roster_size, rules.salary_cap, lo2, n - k, rng))
    elif n - k > 0:
        parts.append(sample_field(own, salaries, rules.roster_size, rules.salary_cap, n - k, min_salary=lo,
                                  loose_floor=lo2, rng=rng).lineups)
    if k > 0:
        parts.append(optimiser_entries(mean, lineups, k, rng))
    lu = np.concatenate(parts, axis=0)
    return lu[rng.permutation(lu.shape[0])]


def robust(contest: Contest) -> bool:
    """True when the field is a sample from ownership (so other fields can be drawn)."""
    return contest.field.source == "sampled" and contest.ownership is not None


def selection_contest(contest: Contest, salaries: np.ndarray, rules: LineupRules, mean: np.ndarray,
                      lineups: np.ndarray, seed: int, extra: tuple[Contest, ...] = ()) -> Contest:
    """The contest with the selection's mixture field (same size; see module docstring).

    ``extra``: contests given by the caller (same payouts, other fields): their fields join
    the mixture as further equal shares. A field given as a file is kept as it is.
    """
    if not robust(contest) and not extra:
        return contest
    N = contest.field.n_entries
    shares: list[np.ndarray] = []
    if robust(contest):
        K = len(SELECTION_SHARPNESS) + len(extra)
        sizes = np.diff(np.linspace(0, N, K + 1).round().astype(np.int64))
        shares.append(contest.field.lineups[: sizes[0]])
        for k, sh in enumerate(SELECTION_SHARPNESS[1:], start=1):
            g = np.random.default_rng([int(seed), 0xF1E1D, k])
            shares.append(_member(contest, salaries, rules, mean, lineups, int(sizes[k]), sh, "calibrated", g))
        rest = sizes[len(SELECTION_SHARPNESS):]
    else:
        K = 1 + len(extra)
        sizes = np.diff(np.linspace(0, N, K + 1).round().astype(np.int64))
        shares.append(contest.field.lineups[: sizes[0]])
        rest = sizes[1:]
    for c, m in zip(extra, rest):
        f = c.field.lineups
        shares.append(f[np.resize(np.arange(f.shape[0]), int(m))])
    lu = np.concatenate(shares, axis=0).astype(np.int32)
    lu = lu[np.random.default_rng([int(seed), 0xF1E1D, 0]).permutation(lu.shape[0])]
    return replace(contest, field=Field(np.sort(lu, axis=1), source="sampled"))


def held_out_contests(contest: Contest, salaries: np.ndarray, rules: LineupRules, mean: np.ndarray,
                      lineups: np.ndarray, seed: int) -> list[Contest]:
    """The cross-validation's held-out fields (module docstring): other models than the selection's.

    A field given as a file is the only one (returned as given).
    """
    if not robust(contest):
        return [contest]
    N = contest.field.n_entries
    out = []
    for j, (sh, pert) in enumerate(HELD_OUT):
        g = np.random.default_rng([int(seed), 0x4E1D, j])
        lu = _member(contest, salaries, rules, mean, lineups, N, sh, pert, g)
        out.append(replace(contest, field=Field(np.sort(lu, axis=1).astype(np.int32), source="sampled")))
    return out
