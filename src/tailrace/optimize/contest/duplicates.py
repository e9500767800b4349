"""The sample contest mode counts duplicates in, and the admission rule ``max_duplicates`` makes of it.

Expected duplicates are estimated by counting copies in a large sample of the contest's field
model (``tailrace.contest.duplicates``). For a sampled field the sample pools the contest's own
field (``field_size`` entries) and fresh entries drawn by the same model (``DUP_PER_ENTRY`` per
opponent, at least ``DUP_MIN`` and at most ``DUP_SAMPLE``): ``sample_field`` on the contest's
ownership called as ``make_contest`` calls it (its default salary floors and calibration; a
contest built with another ``min_salary`` is not reproduced), seeded ``[seed, 0xD0B5]``. A sharp
field (a numeric sharpness > 0; ``"auto"``'s own field is the plain calibrated one) is drawn as
whole independent fields of the contest's size (at least ``SHARP_FIELDS`` and at most
``MAX_SHARP_FIELDS`` with the contest's own, about as many entries in all), seeded
``[seed, 0xD0B5, j]``: its optimiser entries share one draw of the optimisers' projections per
field, so copies are counted per field. A field given as a file is counted as it is.

``max_duplicates`` X: a lineup whose expected duplicates exceed X is never admitted to the
candidate pool (``admission``), so every lineup contest mode picks is at or under X by the same
figures the result reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tailrace.contest import Contest, sample_field
from tailrace.contest.duplicates import DuplicateSample, field_sample, lineup_keys
from tailrace.errors import InputError, Problem
from tailrace.optimize.contest.fields import robust
from tailrace.optimize.problem import LineupRules

DUP_SAMPLE = 100_000  # fresh entries drawn on top of the contest's own field, at most
DUP_PER_ENTRY = 20  # ... and at most this many per opponent (a small contest needs a smaller sample)
DUP_MIN = 10_000  # ... but at least this many
DUP_SEED = 0xD0B5
SHARP_FIELDS = 8  # at least this many independent fields (the contest's included) for a sharp field
MAX_SHARP_FIELDS = 50  # and at most this many (small contests: about DUP_SAMPLE entries would be hundreds)


def check_max_duplicates(value: float | None, mode: str = "contest", param: str = "max_duplicates") -> float | None:
    """``value`` as a float >= 0, or None; InputError naming ``param`` otherwise, or when ``mode``
    (the run's) is not ``"contest"`` (expected duplicates come from its field)."""
    if value is None:
        return None
    if mode != "contest":
        raise InputError(Problem("max duplicates applies to mode 'contest' (expected duplicates come from its field)",
                                 param=param, fix="use mode 'contest', or drop {max_duplicates}"))
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if isinstance(value, bool) or not (x >= 0.0 and math.isfinite(x)):
        raise InputError(Problem(f"max duplicates {value!r} must be a number >= 0", param=param,
                                 fix="give the most field entries a lineup may expect to share all its drivers "
                                     "with, e.g. {max_duplicates=1}"))
    return x


def duplicate_sample(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                     seed: int, n_ours: int, size: int | None = None) -> DuplicateSample:
    """The sample to count copies in for ``contest`` when we enter ``n_ours`` lineups (module docstring).

    Parameters
    ----------
    contest : Contest
    salaries : ndarray of shape (n_drivers,)
    rules : LineupRules
        Roster size and cap.
    projections : ndarray of shape (n_drivers,)
        Mean points per driver (sharp fields' optimiser entries start from them).
    seed : int
    n_ours : int
        Our entries: the opponents are ``field_size - n_ours``.
    size : int, optional
        Fresh entries drawn. Default: ``DUP_PER_ENTRY`` per opponent, within
        [``DUP_MIN``, ``DUP_SAMPLE``] (the binomial standard error of ``E`` is then about
        ``sqrt(E / 20)`` or less for a contest of up to 5,000 entries, ``sqrt(E / 5)`` at 20,000).

    Returns
    -------
    DuplicateSample
    """
    n = int(np.asarray(salaries).shape[0])
    if not robust(contest):
        fld = contest.opponents(n_ours)
        return field_sample(fld, fld.n_entries, n)
    sh = contest.field_sharpness if not isinstance(contest.field_sharpness, str) else 0.0
    N = max(int(contest.field_size) - int(n_ours), 0)
    if size is None:
        size = int(min(DUP_SAMPLE, max(DUP_PER_ENTRY * N, DUP_MIN)))
    own = np.asarray(contest.field.lineups)
    if sh > 0:  # whole fields: a sharp field's optimiser entries are one draw per field, not independent
        F = int(contest.field.n_entries)
        k = max(SHARP_FIELDS - 1, min(int(np.ceil(size / max(F, 1))), MAX_SHARP_FIELDS - 1))
        drawn = [sample_field(contest.ownership, salaries, rules.roster_size, rules.salary_cap, F,
                              rng=np.random.default_rng([int(seed), DUP_SEED, j]), sharpness=sh,
                              projections=projections).lineups for j in range(k)]
        pooled = np.concatenate([own, *drawn], axis=0)
        return DuplicateSample(pooled, N, n, exact=False, fields=(F,) * (k + 1),
                               method=f"mean copies over {k + 1} independent fields of the field model "
                                      f"(calibrated, sharpness {sh:g}) of {F:,} entries: the contest's and {k} more")
    g = np.random.default_rng([int(seed), DUP_SEED])
    # the call make_contest draws the contest's field with (the pipeline gives no min_salary)
    fresh = sample_field(contest.ownership, salaries, rules.roster_size, rules.salary_cap, int(size), rng=g)
    pooled = np.concatenate([own, fresh.lineups], axis=0)
    return DuplicateSample(pooled, N, n, exact=False,
                           method=f"copies among {pooled.shape[0]:,} entries of the field model "
                                  f"({fresh.model}): the contest's field and {int(size):,} more")


def admission(sample: DuplicateSample, limit: float) -> Callable[[np.ndarray], np.ndarray]:
    """``admit(lineups (k, roster)) -> bool (k,)``: True where expected duplicates are at or under ``limit``."""
    banned = np.sort(lineup_keys(sample.over(limit), sample.n_drivers)) if sample.n_sampled else np.zeros(0, np.int64)

    def admit(lineups: np.ndarray) -> np.ndarray:
        lu = np.asarray(lineups)
        if lu.shape[0] == 0 or banned.size == 0:
            return np.ones(lu.shape[0], dtype=bool)
        return ~np.isin(lineup_keys(lu, sample.n_drivers), banned)

    return admit


__all__ = ["DUP_SAMPLE", "admission", "check_max_duplicates", "duplicate_sample"]
