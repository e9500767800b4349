"""The fields contest mode selects against and validates against (it cannot know the real one).

A user's ownership projection is never exact and a real field is not tailrace's sampler: part
of a large field is built by optimisers (near-optimal lineups by mean, the popular ones
duplicated many times). Contest mode therefore uses the measure layer's field models
(``tailrace.contest``: ``sample_field``, ``sample_field_rejection``, ``field_ensemble``,
``perturb_ownership``, the optimiser entries of ``contest/sharp.py``) twice:

* it **selects** against a *mixture field* of the contest's size (costs what one field costs):
  equal shares of the contest's field and its other field models — the contest's
  ``alternatives`` when it was built with ``field_sharpness="auto"``, else two members, each on
  its own perturbed ownership (tailrace's sampler) with 20 % and 35 % of entries from
  optimisers that each rank the near-optimal lineups by their own noisy projection
  (``independent_optimiser_entries``: diffuse, not the few popular sources of the sharp
  field). On the independent-field benchmark (BENCHMARKS.md; together with the posterior
  estimate below, which also moves the cap the cross-validation picks) the goal rows went from
  21 to 23 of 42: Kansas gained 1 to 9 points on every row, Watkins Glen lost 2 to 8;
* it **validates** (the cross-validation, and so the honest estimate) in a *pretend world*
  that mirrors the real one. In reality the selection sees the user's ownership, which is the
  true one times an unknown error, and the real field is drawn from the truth by an unknown
  model. So each fold selects against the mixture built on the user's ownership times its own
  draw of ``exp(N(0, 0.3^2))`` per driver (``fold_selection_contest``: the selection never sees
  the ownership it is judged on), and is scored on the other half against ``HELD_OUT``: fields
  drawn by models spanning what a real field plausibly is — tailrace's calibrated sampler, an
  *uncalibrated* ownership sampler with one salary floor at 92 % of the cap (drivers drawn by
  the ownership weights as they are), and sharp fields with 20–35 % optimiser-built entries —
  each from two pretend truths (``PRETEND_TRUTH``): the *posterior mean of the true ownership*
  (``contest.posterior_ownership``: the file's departures from what points, value and salary
  explain are shrunk by the share that a 30 % error would make, empirical Bayes) and the file
  itself. Both are guesses that depart from the real ownership, and a field drawn from an
  ownership that departs is *easier* than the real one (it makes the guess's mistakes): the
  file's errors look like the field's mistakes (with 30 % ownership error, judging against the
  file alone put the estimate 90–120 points above the realised ROI on four of seven benchmark
  slates), and the posterior mean loses the crowd's real tastes where the shrinkage misses them
  (on the Martinsville benchmark slate it halves a 72 % driver); posterior *draws*, with
  independent noise per driver, were easier still, the more so the noisier the file. So the cap
  is picked on the posterior-mean fields (``HELD_OUT_WEIGHTS``), and the estimate is read from
  the harder of the two pretend truths, less that truth's own optimism (``optimize.contest.estimate``:
  ``noise_gain``, how much easier its fields get when it is moved by a further error). A portfolio that bets on
  the errors of the ownership it was shown is caught here. The hardest fields decide the
  interval's low end.

A field given as a file (real entries) is used as it is for both: it is the data.

Seeds: the selection's ensemble draws from ``[seed, 0xF1E1D]``, fold ``f``'s pretend ownership
and mixture from ``[seed, 0xF01D, f]``, held-out field ``j`` from ``[seed, 0x4E1D, j - j % 2]``; same
inputs and seed, same fields.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tailrace.contest import (
    Contest,
    Field,
    perturb_ownership,
    posterior_ownership,
    sample_field,
    sample_field_rejection,
)
from tailrace.contest.ensemble import ALT_MIN_SALARY_SHARE, DEFAULT_SIGMA
from tailrace.contest.field import DEFAULT_STRICT_SHARE
from tailrace.contest.sharp import independent_optimiser_entries
from tailrace.errors import InputError
from tailrace.optimize.problem import LineupRules

SIGMA = DEFAULT_SIGMA  # log-normal error of a user's ownership projection (issue 23)
SELECTION_SHARPNESS = (0.2, 0.35)  # the selection's members 1.. (member 0: the contest's field)
SELECTION_MEMBERS = 1 + len(SELECTION_SHARPNESS)  # the contest's field and the others, equal shares
# held-out fields (sampler, sharpness): "calibrated" = tailrace's sampler; "uncalibrated" = drivers
# drawn by the ownership weights as they are, one floor at ALT_MIN_SALARY_SHARE of the cap
# (``sample_field_rejection`` without calibration rounds). Each model twice (``PRETEND_TRUTH``): on
# the posterior mean of the true ownership, then on the user's file itself; the estimate is read
# from the harder of the two (``optimize.contest.estimate.sharper_truth``), the cap picked on the
# posterior-mean fields (``HELD_OUT_WEIGHTS``).
HELD_OUT = (
    ("calibrated", 0.0),
    ("calibrated", 0.0),
    ("uncalibrated", 0.2),
    ("uncalibrated", 0.2),
    ("calibrated", 0.35),
    ("calibrated", 0.35),
)
PRETEND_TRUTH = ("mean", "file") * (len(HELD_OUT) // 2)  # held-out field j's pretend truth
HELD_OUT_WEIGHTS = tuple(1.0 if t == "mean" else 0.0 for t in PRETEND_TRUTH)  # the cap pick's weights


def _floors(contest: Contest, salaries: np.ndarray) -> tuple[int, int]:
    """The contest's field's salary floors, as ``sample_field`` takes them: the salary most entries
    reach (10th percentile: ``sample_field`` holds 90 % to its minimum) and the lowest."""
    spent = np.asarray(salaries, dtype=np.int64)[contest.field.lineups].sum(axis=1)
    return int(np.quantile(spent, 1.0 - DEFAULT_STRICT_SHARE, method="lower")), int(spent.min())


def robust(contest: Contest) -> bool:
    """True when the field is a sample from ownership (so other fields can be drawn)."""
    return contest.field.source == "sampled" and contest.ownership is not None


def _shares(N: int, K: int) -> np.ndarray:
    """``K`` near-equal sizes summing to ``N``, shape (K,)."""
    return np.diff(np.linspace(0, N, K + 1).round().astype(np.int64))


def _diverse_members(contest: Contest, ownership: np.ndarray, salaries: np.ndarray, rules: LineupRules,
                     projections: np.ndarray, rng: np.random.Generator, n_entries: int) -> list[np.ndarray]:
    """Members 1.. of the selection's mixture: each on its own perturbed ``ownership`` (tailrace's
    sampler) with a ``SELECTION_SHARPNESS`` share of optimiser entries, each from its own user's
    projection (``independent_optimiser_entries``); ``n_entries`` lineups each, shuffled."""
    lo, lo2 = _floors(contest, salaries)
    out = []
    for sh in SELECTION_SHARPNESS:
        own = perturb_ownership(ownership, contest.ownership_error, rng)
        k = int(round(sh * n_entries))
        parts = [sample_field(own, salaries, rules.roster_size, rules.salary_cap, n_entries - k, min_salary=lo,
                              loose_floor=lo2, rng=rng).lineups,
                 independent_optimiser_entries(projections, salaries, rules.roster_size, rules.salary_cap, k, rng)]
        lu = np.concatenate(parts, axis=0)
        out.append(lu[rng.permutation(lu.shape[0])])
    return out


def selection_members(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                      seed: int, n_entries: int) -> list[np.ndarray]:
    """The selection's field models other than the contest's own, ``n_entries`` lineups each.

    The contest's ``alternatives`` (their first ``n_entries``) when it has them, else the
    ``_diverse_members`` on the contest's ownership (module docstring).

    Returns
    -------
    list of ndarray of shape (n_entries, roster), int32
    """
    alts = contest.alternatives
    if alts:
        return [np.resize(a.field.lineups, (n_entries, rules.roster_size)) for a in alts]
    return _diverse_members(contest, contest.ownership, salaries, rules, projections,
                            np.random.default_rng([int(seed), 0xF1E1D]), n_entries)


def selection_contest(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                      seed: int, extra: tuple[Contest, ...] = ()) -> Contest:
    """The contest with the selection's mixture field (same size; see module docstring).

    ``extra``: contests given by the caller (same payouts, other fields): their fields join
    the mixture as further equal shares. A field given as a file is kept as it is.
    """
    if not robust(contest) and not extra:
        return contest
    N = contest.field.n_entries
    K = (1 + max(len(contest.alternatives), SELECTION_MEMBERS - 1) if robust(contest) else 1) + len(extra)
    sizes = _shares(N, K)
    shares: list[np.ndarray] = [contest.field.lineups[: sizes[0]]]
    if robust(contest):
        members = selection_members(contest, salaries, rules, projections, seed, int(sizes[1:K - len(extra)].max()))
        shares += [m[: int(s)] for m, s in zip(members, sizes[1:])]
    for c, m in zip(extra, sizes[K - len(extra):]):
        f = c.field.lineups
        shares.append(f[np.resize(np.arange(f.shape[0]), int(m))])
    lu = np.concatenate(shares, axis=0).astype(np.int32)
    lu = lu[np.random.default_rng([int(seed), 0xF1E1D, 0]).permutation(lu.shape[0])]
    return replace(contest, field=Field(np.sort(lu, axis=1), source="sampled", model="mixture"))


def _mix(shares: list[np.ndarray], contest: Contest, rng: np.random.Generator) -> Contest:
    lu = np.concatenate(shares, axis=0).astype(np.int32)
    lu = lu[rng.permutation(lu.shape[0])]
    return replace(contest, field=Field(np.sort(lu, axis=1), source="sampled", model="mixture"))


def fold_selection_contest(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                           seed: int, fold: int, extra: tuple[Contest, ...] = ()) -> Contest:
    """Fold ``fold``'s selection contest in the pretend world (module docstring): the mixture built
    as ``selection_contest`` builds it, but on the user's ownership times a fresh
    ``exp(N(0, sigma^2))`` per driver, sigma the contest's ``ownership_error`` (default ``SIGMA``;
    member 0: tailrace's sampler on that ownership). A field
    given as a file, or a contest without ownership, is returned as ``selection_contest`` gives it.
    """
    if not robust(contest):
        return selection_contest(contest, salaries, rules, projections, seed, extra)
    g = np.random.default_rng([int(seed), 0xF01D, int(fold)])
    own = perturb_ownership(contest.ownership, contest.ownership_error, g)
    N = contest.field.n_entries
    K = 1 + max(len(contest.alternatives), SELECTION_MEMBERS - 1) + len(extra)
    sizes = _shares(N, K)
    lo, lo2 = _floors(contest, salaries)
    sh0 = contest.field_sharpness if not isinstance(contest.field_sharpness, str) else 0.0
    base = sample_field(own, salaries, rules.roster_size, rules.salary_cap, int(sizes[0]), min_salary=lo,
                        loose_floor=lo2, rng=g, sharpness=sh0, projections=projections if sh0 > 0 else None,
                        pilot=8_000, calibration_rounds=6)
    members = _diverse_members(contest, own, salaries, rules, projections, g, int(sizes[1:K - len(extra)].max()))
    shares = [base.lineups] + [m[: int(s)] for m, s in zip(members, sizes[1:])]
    for c, m in zip(extra, sizes[K - len(extra):]):
        f = c.field.lineups
        shares.append(f[np.resize(np.arange(f.shape[0]), int(m))])
    return _mix(shares, contest, g)


def held_out_field(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                   seed: int, j: int) -> Field:
    """Held-out field ``j`` (``HELD_OUT[j]``) of the contest's size: the pretend truth
    (``PRETEND_TRUTH[j]``: the posterior mean of the true ownership given the user's,
    ``contest.posterior_ownership``, or the user's file itself) drawn by that sampler with that
    sharpness, seeded by ``[seed, 0x4E1D, j - j % 2]`` (a model's two fields share the sampler's draws)."""
    sampler, sh = HELD_OUT[j]
    # the pretend truth: what the user's ownership implies about the real one (its posterior mean),
    # or the file itself. A model's two fields are drawn with one generator (common random numbers):
    # they differ by the pretend truth alone
    if PRETEND_TRUTH[j] == "mean":
        own = posterior_ownership(contest.ownership, salaries, projections, contest.ownership_error).mean
    else:
        own = np.asarray(contest.ownership, dtype=np.float64)
    g = np.random.default_rng([int(seed), 0x4E1D, j - (j % 2)])
    N = contest.field.n_entries
    proj = np.asarray(projections, dtype=np.float64) if sh > 0 else None
    if sampler == "calibrated":
        lo, lo2 = _floors(contest, salaries)
        f = sample_field(own, salaries, rules.roster_size, rules.salary_cap, N, min_salary=lo, loose_floor=lo2, rng=g,
                         sharpness=sh, projections=proj, pilot=8_000, calibration_rounds=6)
    else:
        try:
            f = sample_field_rejection(own, salaries, rules.roster_size, rules.salary_cap, N,
                                       min_salary=int(round(ALT_MIN_SALARY_SHARE * rules.salary_cap)), rng=g,
                                       calibration_rounds=0, sharpness=sh, projections=proj)
        except InputError:  # this ownership rarely reaches the floor: the contest field's lowest salary instead
            f = sample_field_rejection(own, salaries, rules.roster_size, rules.salary_cap, N,
                                       min_salary=_floors(contest, salaries)[1], rng=g, calibration_rounds=0,
                                       sharpness=sh, projections=proj)
    truth = "posterior mean" if PRETEND_TRUTH[j] == "mean" else "your file"
    return Field(f.lineups, "sampled", f"{sampler}, sharpness {sh:g}, ownership: {truth}")


def held_out_contests(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                      seed: int) -> list[Contest]:
    """The cross-validation's held-out fields (module docstring): other models than the selection's.

    A field given as a file is the only one (returned as given).
    """
    if not robust(contest):
        return [contest]
    return [replace(contest, field=held_out_field(contest, salaries, rules, projections, seed, j))
            for j in range(len(HELD_OUT))]
