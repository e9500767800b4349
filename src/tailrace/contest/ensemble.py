"""Field models beyond the calibrated sampler: perturbed ownership, a rejection sampler, and
the seeded ensemble of fields contest mode hedges across.

A user's ownership projection is never exact and a real field is not tailrace's sampler, so a
portfolio chosen against one sampled field may be betting on that sampler's quirks.
:func:`field_ensemble` draws several fields that differ in what cannot be known: the
ownership (each member's projection multiplied by ``exp(N(0, sigma^2))`` per driver,
:func:`perturb_ownership`), the sampler's salary and duplicate rules
(:func:`sample_field_rejection` beside :func:`tailrace.contest.field.sample_field`) and the
share of optimiser-built entries (``sharpness``, :mod:`tailrace.contest.sharp`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from tailrace.contest.field import Field, check_sharpness, gumbel, residual_ownership, sample_field
from tailrace.contest.ownership import _cap_and_fill
from tailrace.contest.sharp import optimiser_entries
from tailrace.errors import InputError, Problem
from tailrace.rng import as_generator
from tailrace.sites import DEFAULT_OWNERSHIP_ERROR

T = TypeVar("T")

ALT_MIN_SALARY_SHARE = 0.92  # the rejection sampler's one salary floor (share of the cap)
DEFAULT_SIGMA = DEFAULT_OWNERSHIP_ERROR  # log-sd of the ownership error the ensemble assumes (0.3)
MAX_SIGMA = 1.5  # exp(N(0, 1.5^2)): a file off by a factor of 4.5 or more one time in three


def check_ownership_error(sigma: float) -> float:
    """``sigma``, the log-sd of the user's ownership error, as a float in [0, ``MAX_SIGMA``]; else
    InputError naming ``ownership_error`` (0: the file is the real field's ownership; 0.3, the
    default: each driver off by about 30 %)."""
    try:
        s = float(sigma)
    except (TypeError, ValueError):
        s = float("nan")
    if not (isinstance(sigma, (int, float, np.floating, np.integer)) and not isinstance(sigma, bool)
            and math.isfinite(s) and 0.0 <= s <= MAX_SIGMA):
        raise InputError(Problem(f"ownership error {sigma!r} must be a number in [0, {MAX_SIGMA:g}] (the log-sd of "
                                 "your ownership projection's error)", param="ownership_error",
                                 fix="e.g. {ownership_error=0.3} (each driver off by about 30 %, the default), "
                                     "0.15 for a sharp projection, 0 if the file is the field's real ownership"))
    return s
DEFAULT_SHARPNESS = (0.0, 0.2, 0.35)


def perturb_ownership(ownership: np.ndarray, sigma: float, rng: np.random.Generator | int | None) -> np.ndarray:
    """Ownership with a log-normal error: each driver's share times ``exp(N(0, sigma^2))``, renormalised.

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        Percent per driver.
    sigma : float
        Log-sd of the error (0 returns a copy).
    rng : Generator, int or None
        Seed or generator.

    Returns
    -------
    ndarray of shape (n,)
        Percent, summing to ``ownership.sum()``, no driver above 100 (the excess spread pro
        rata over the others); a driver at 0 stays at 0.
    """
    own = np.asarray(ownership, dtype=np.float64)
    if not sigma >= 0:
        raise ValueError(f"sigma {sigma!r} must be >= 0")
    g = as_generator(rng)
    w = own * np.exp(g.normal(0.0, float(sigma), size=own.shape[0]))
    if sigma == 0:
        return own.copy()
    return _cap_and_fill(w, float(own.sum()), 100.0)


def _features(salaries: np.ndarray, projections: np.ndarray) -> np.ndarray:
    """Design matrix (n, 4): intercept, projected points, value (points per $1k), salary, each standardised."""
    sal = np.asarray(salaries, dtype=np.float64)
    proj = np.asarray(projections, dtype=np.float64)

    def z(x: np.ndarray) -> np.ndarray:
        sd = x.std()
        return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)

    return np.column_stack([np.ones_like(sal), z(proj), z(proj / (sal / 1000.0)), z(sal)])


@dataclass(frozen=True)
class OwnershipPosterior:
    """What the ownership file says about the true ownership, given a log-normal error (empirical Bayes).

    The model: ``log truth = X b + e`` (``X``: standardised points, value and salary; ``e`` a
    driver's popularity beyond them, variance ``tau^2``) and ``log file = log truth + N(0, sigma^2)``.
    The residual variance of the file around its regression on ``X`` estimates
    ``tau^2 + sigma^2``, so the posterior keeps a share ``k = tau^2 / (tau^2 + sigma^2)`` of each
    driver's residual (``k = 0``: the file's departures from points, value and salary are all
    taken as error) and draws the rest with variance ``k sigma^2``.

    ``mean``: the posterior median ownership (percent, shape (n,), same total as the file);
    ``shrink``: ``k``; ``residual_var``: the file's residual variance on the log scale.
    """

    mean: np.ndarray
    shrink: float
    residual_var: float
    sigma: float
    _fit: np.ndarray
    _keep: np.ndarray
    _total: float

    def draw(self, rng: np.random.Generator | int | None) -> np.ndarray:
        """One draw of the true ownership (percent, shape (n,), the file's total, none above 100)."""
        g = as_generator(rng)
        noise = g.normal(0.0, 1.0, size=self._fit.shape[0]) * math.sqrt(self.shrink) * self.sigma
        w = np.where(self._keep, np.exp(self._fit + noise - self._fit.max()), 0.0)
        return _cap_and_fill(w, self._total, 100.0)


def posterior_ownership(ownership: np.ndarray, salaries: np.ndarray, projections: np.ndarray,
                        sigma: float = DEFAULT_SIGMA) -> OwnershipPosterior:
    """The true ownership the file implies when the file is the truth times ``exp(N(0, sigma^2))`` per driver.

    Why: an ownership file with errors looks like a field full of mistakes. Judged against a
    field drawn from the file itself, a portfolio that bets on those mistakes looks rich; the
    real field does not make them. Shrinking each driver's departure from what points, value
    and salary explain (the regression of ``log ownership`` on them, :class:`OwnershipPosterior`)
    removes the part that is likely error and keeps real popularity.

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        Percent per driver (drivers at 0 stay at 0 and are left out of the fit).
    salaries, projections : ndarray of shape (n,)
        Salary and projected points per driver.
    sigma : float
        Log-sd of the file's error (0: the file is the truth).

    Returns
    -------
    OwnershipPosterior
    """
    own = np.asarray(ownership, dtype=np.float64)
    if not sigma >= 0:
        raise ValueError(f"sigma {sigma!r} must be >= 0")
    keep = own > 0
    y = np.log(np.where(keep, own, 1.0))
    X = _features(salaries, projections)
    total = float(own.sum())
    m = int(keep.sum())
    if sigma == 0 or m <= X.shape[1] + 1:
        return OwnershipPosterior(own.copy(), 1.0, float("nan"), float(sigma), y, keep, total)
    b, *_ = np.linalg.lstsq(X[keep], y[keep], rcond=None)
    r = y - X @ b
    rv = float((r[keep] ** 2).sum() / (m - X.shape[1]))
    k = max(0.0, 1.0 - sigma * sigma / rv) if rv > 0 else 0.0
    fit = X @ b + k * r
    mean = _cap_and_fill(np.where(keep, np.exp(fit - fit[keep].max()), 0.0), total, 100.0)
    return OwnershipPosterior(mean, k, rv, float(sigma), fit, keep, total)


def _reject_draw(logw: np.ndarray, sal: np.ndarray, roster: int, lo: int, hi: int, k: int,
                 g: np.random.Generator) -> np.ndarray:
    """``k`` lineups: all ``roster`` drivers drawn at once (Gumbel top-k), kept when the salary lies in [lo, hi]."""
    n = logw.shape[0]
    out, got, tries, batch = [], 0, 0, max(1024, 2 * k)
    while got < k:
        keys = logw[None, :] + gumbel(g, (batch, n))
        pick = np.argpartition(-keys, roster - 1, axis=1)[:, :roster]
        s = sal[pick].sum(axis=1)
        ok = (s >= lo) & (s <= hi) & np.isfinite(np.take_along_axis(keys, pick, axis=1)).all(axis=1)
        acc = pick[ok][: k - got]
        out.append(acc)
        got += acc.shape[0]
        tries += 1
        if tries > 200 and got < k:
            raise InputError(Problem(
                f"could not draw a field of lineups with salary in [{lo:,}, {hi:,}] from this ownership by rejection "
                f"({got:,} of {k:,} after {tries} batches)", param="ownership",
                fix="give ownership that sums to roster x 100 with the popular drivers' real shares"))
        rate = max(int(ok.sum()), 1) / batch
        batch = int(min(max(1024, 1_000_000 // max(n, 1)), max(1024, 1.2 * (k - got) / rate)))
    res = np.concatenate(out, axis=0) if out else np.zeros((0, roster), dtype=np.int64)
    return np.sort(res, axis=1).astype(np.int32)


MIN_ACCEPT = 0.05  # the rejection sampler keeps its weights where at least this share of draws fits the salary rule


def _acceptance(logw: np.ndarray, sal: np.ndarray, roster: int, lo: int, hi: int, g: np.random.Generator,
                m: int = 2_000) -> tuple[float, float]:
    """(share of ``m`` weighted draws with salary in [lo, hi], their mean salary)."""
    keys = logw[None, :] + gumbel(g, (m, logw.shape[0]))
    pick = np.argpartition(-keys, roster - 1, axis=1)[:, :roster]
    s = sal[pick].sum(axis=1)
    return float(((s >= lo) & (s <= hi)).mean()), float(s.mean())


def _tilt_to_fit(logw: np.ndarray, sal: np.ndarray, roster: int, lo: int, hi: int,
                 g: np.random.Generator) -> np.ndarray:
    """``logw`` tilted by salary (``- t * z(salary)``, t in steps of 0.25, toward the side the draws
    miss) until at least ``MIN_ACCEPT`` of draws fit [lo, hi]: the rejection sampler's own repair of
    an ownership that puts too much weight on lineups over the cap (or under the floor)."""
    rate, mean = _acceptance(logw, sal, roster, lo, hi, g)
    if rate >= MIN_ACCEPT:
        return logw
    sd = float(sal.std()) or 1.0
    z = (sal - sal.mean()) / sd
    sign = 1.0 if mean > hi else -1.0
    out = logw
    for step in range(1, 33):
        out = logw - sign * 0.25 * step * z
        if _acceptance(out, sal, roster, lo, hi, g)[0] >= MIN_ACCEPT:
            break
    return out


def sample_field_rejection(
    ownership: np.ndarray,
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    n_entries: int,
    *,
    min_salary: int | None = None,
    max_dup: int | None = None,
    rng: np.random.Generator | int | None = 0,
    calibration_rounds: int = 4,
    pilot: int = 8_000,
    sharpness: float = 0.0,
    projections: np.ndarray | None = None,
) -> Field:
    """An ownership-weighted field with other salary and duplicate rules than ``sample_field``'s.

    Each lineup's drivers are drawn together, without replacement, with weights calibrated in
    a few rounds toward ``ownership``; a lineup is kept when its salary lies in
    ``[min_salary, salary_cap]`` (one floor for every entry, default 92 % of the cap, where
    ``sample_field`` holds 90 % of entries to 96 % and fills the last slot to fit). No lineup
    is entered more than ``max_dup`` times (default ``1 + n_entries // 2000``): the surplus is
    redrawn. ``sharpness`` and ``projections`` as in ``sample_field``. An ownership whose draws
    mostly miss the salary rule (a file over the cap) is first tilted by salary until at least
    ``MIN_ACCEPT`` of draws fit, and calibration stops where it would pull back below that: this
    sampler's repair differs from ``sample_field``'s on purpose.

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        Target ownership, percent.
    salaries : ndarray of shape (n,)
        Salary per driver.

    Returns
    -------
    Field
        ``lineups`` of shape (n_entries, roster_size), random entry order, ``model``
        ``"rejection"`` (with the sharpness when > 0).
    """
    g = as_generator(rng)
    own = np.asarray(ownership, dtype=np.float64)
    sal = np.asarray(salaries, dtype=np.int64)
    s = check_sharpness(sharpness, projections, own.shape[0])
    lo = int(round(ALT_MIN_SALARY_SHARE * salary_cap)) if min_salary is None else int(min_salary)
    cap_dup = 1 + n_entries // 2000 if max_dup is None else int(max_dup)
    opt = np.zeros((0, roster_size), dtype=np.int32)
    target_own = own
    if s > 0:
        opt = optimiser_entries(np.asarray(projections, dtype=np.float64), sal, roster_size, salary_cap,
                                int(round(s * n_entries)), g).astype(np.int32)
        target_own = residual_ownership(own, opt, s)
    k = n_entries - opt.shape[0]
    target = np.clip(target_own / 100.0, 0.0, 1.0)
    pos = target > 0
    logw = np.where(pos, np.log(np.maximum(target, 1e-12)), -np.inf)
    logw = _tilt_to_fit(logw, sal, roster_size, lo, salary_cap, g)
    for _ in range(calibration_rounds):
        try:
            lu = _reject_draw(logw, sal, roster_size, lo, salary_cap, pilot, g)
        except InputError:
            break
        got = np.bincount(lu.ravel(), minlength=own.shape[0]) / lu.shape[0]
        step = np.log(np.maximum(target[pos], 1e-9)) - np.log(np.maximum(got[pos], 0.5 / pilot))
        new = logw.copy()
        new[pos] += np.clip(0.8 * step, -1.0, 1.0)
        new[pos] -= new[pos].max()
        new[pos] = np.maximum(new[pos], -12.0)
        if _acceptance(new, sal, roster_size, lo, salary_cap, g)[0] < MIN_ACCEPT:
            break  # the target pulls toward lineups the salary rule rejects: keep the last weights that fit
        logw = new
    rest = _reject_draw(logw, sal, roster_size, lo, salary_cap, k, g)
    for _ in range(20):  # the duplicate rule: entries past max_dup of a lineup are redrawn
        _, inv, cnt = np.unique(rest, axis=0, return_inverse=True, return_counts=True)
        inv = inv.ravel()
        if cnt.max(initial=0) <= cap_dup:
            break
        order = np.argsort(inv, kind="stable")
        first = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        rank = np.empty_like(inv)
        rank[order] = np.arange(inv.shape[0]) - first[inv[order]]
        over = rank >= cap_dup
        rest[over] = _reject_draw(logw, sal, roster_size, lo, salary_cap, int(over.sum()), g)
    lineups = np.concatenate([opt, rest], axis=0)
    lineups = lineups[g.permutation(lineups.shape[0])]
    return Field(lineups, source="sampled", model="rejection" + (f", sharpness {s:g}" if s > 0 else ""))


def field_ensemble(
    ownership: np.ndarray,
    salaries: np.ndarray,
    roster_size: int,
    salary_cap: int,
    n_entries: int,
    *,
    projections: np.ndarray | None = None,
    sharpness: Sequence[float] = DEFAULT_SHARPNESS,
    sigma: float = DEFAULT_SIGMA,
    members: int = 3,
    rng: np.random.Generator | int | None = 0,
    min_salary: int | None = None,
    base: Field | None = None,
) -> list[Field]:
    """Seeded fields that differ in what the user cannot know: ownership error, sampler, sharpness.

    Member 0 is the plain calibrated sampler on the given ownership (``base`` when given, so a
    contest's field is reused). Member ``i >= 1`` draws its ownership by
    :func:`perturb_ownership` with ``sigma``, its sharpness is ``sharpness[i % len(sharpness)]``
    and its sampler alternates: odd members :func:`sample_field_rejection`, even members
    ``sample_field``. Each member has its own child seed of ``rng``, drawn before any member
    is sampled, so member ``i`` is the same whatever ``members`` is.

    Parameters
    ----------
    ownership : ndarray of shape (n,)
        The user's ownership, percent.
    salaries : ndarray of shape (n,)
        Salary per driver.
    roster_size, salary_cap, n_entries : int
        The site's roster and cap; entries per field.
    projections : ndarray of shape (n,), optional
        Mean points per driver; needed when a member's sharpness is > 0.
    sharpness : sequence of float, default=(0.0, 0.2, 0.35)
        Sharpness levels the members cycle through.
    sigma : float, default=0.3
        Log-sd of the ownership error.
    members : int, default=3
        Fields to draw (at least 1).
    rng : Generator, int or None, default=0
        Seed or generator: same seed, same fields.
    min_salary : int, optional
        The calibrated sampler's salary floor (``sample_field``).
    base : Field, optional
        Member 0, already drawn.

    Returns
    -------
    list of Field
        ``members`` fields of ``n_entries`` lineups each; ``Field.model`` says how each was drawn.
    """
    if members < 1:
        raise ValueError(f"members {members} must be at least 1")
    levels = tuple(float(x) for x in sharpness) or (0.0,)
    own = np.asarray(ownership, dtype=np.float64)
    for s in levels:
        check_sharpness(s, projections, own.shape[0])
    g = as_generator(rng)
    seeds = g.integers(0, 2**63 - 1, size=64 if members <= 64 else members)

    def member(i: int) -> Field:
        gi = np.random.default_rng(int(seeds[i]))
        if i == 0:
            f = base if base is not None else sample_field(own, salaries, roster_size, salary_cap, n_entries,
                                                           min_salary=min_salary, rng=gi)
            return Field(f.lineups, "sampled", f.model)
        s = levels[i % len(levels)]
        own_i = perturb_ownership(own, sigma, gi)
        if i % 2 == 1:
            f = sample_field_rejection(own_i, salaries, roster_size, salary_cap, n_entries, rng=gi, sharpness=s,
                                       projections=projections)
        else:
            f = sample_field(own_i, salaries, roster_size, salary_cap, n_entries, min_salary=min_salary, rng=gi,
                             sharpness=s, projections=projections, pilot=8_000, calibration_rounds=6)
        return Field(f.lineups, "sampled", f"{f.model}, ownership x exp(N(0, {sigma:g}^2))")

    return map_members(member, range(members))


def map_members(fn: Callable[[int], T], items: Iterable[int]) -> list[T]:
    """``[fn(i) for i in items]``, the items side by side on up to one thread per core.

    For independent, seeded members (each its own generator; the sampler's numba kernels are
    serial and release the GIL, numpy's generators and most of its loops too): the results are
    equal, item by item and in item order, to running them one after the other. In turn when
    there is one core, one item, or ``TAILRACE_SERIAL`` is set; the first error in item order
    is raised either way.
    """
    todo = list(items)
    workers = min(len(todo), os.cpu_count() or 1)
    if workers < 2 or os.environ.get("TAILRACE_SERIAL"):
        return [fn(i) for i in todo]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tailrace-field") as pool:
        return list(pool.map(fn, todo))
