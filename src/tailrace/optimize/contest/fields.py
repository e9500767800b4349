"""The fields contest mode selects against and validates against (it cannot know the real one).

A user's ownership projection is never exact and a real field is not tailrace's sampler: part
of a large field is built by optimisers (near-optimal lineups by mean, the popular ones
duplicated many times). Contest mode therefore uses the measure layer's field models
(``tailrace.contest``: ``sample_field``, ``sample_field_rejection``, ``field_ensemble``,
``perturb_ownership``, the optimiser entries of ``contest/sharp.py``) twice:

* it **selects** against a *mixture field* of the contest's size (costs what one field costs):
  equal shares of the contest's field and its other field models — the contest's
  ``alternatives`` when it was built with ``field_sharpness="auto"``, else
  ``field_ensemble`` members 1.. drawn at the share's size (perturbed ownership, the rejection
  sampler, sharpness 0.2 and 0.35; the contest's own sharpness when it was given one);
* it **validates** (the cross-validation's held-out halves, and so the honest estimate)
  against ``HELD_OUT``: fields from models the selection did not see, spanning what a real
  field plausibly is — tailrace's calibrated sampler, an *uncalibrated* ownership sampler with
  one salary floor at 92 % of the cap (drivers drawn by the ownership weights as they are), and
  sharp fields with 20–35 % optimiser-built entries — each on the ownership perturbed by its
  own draw of ``exp(N(0, 0.3^2))`` per driver. The hardest of these decide the interval's low
  end (``optimize.contest.estimate``).

A field given as a file (real entries) is used as it is for both: it is the data.

Seeds: the selection's ensemble draws from ``[seed, 0xF1E1D]``, held-out field ``j`` from
``[seed, 0x4E1D, j]``; same inputs and seed, same fields.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tailrace.contest import Contest, Field, field_ensemble, perturb_ownership, sample_field, sample_field_rejection
from tailrace.contest.ensemble import ALT_MIN_SALARY_SHARE, DEFAULT_SHARPNESS, DEFAULT_SIGMA
from tailrace.contest.field import DEFAULT_STRICT_SHARE
from tailrace.errors import InputError
from tailrace.optimize.problem import LineupRules

SIGMA = DEFAULT_SIGMA  # log-normal error of a user's ownership projection (issue 23)
SELECTION_MEMBERS = 3  # the contest's field and two other field models, equal shares
# held-out fields (sampler, sharpness): "calibrated" = tailrace's sampler; "uncalibrated" = drivers
# drawn by the ownership weights as they are, one floor at ALT_MIN_SALARY_SHARE of the cap
# (``sample_field_rejection`` without calibration rounds). Each on its own perturbed ownership.
HELD_OUT = (
    ("calibrated", 0.0),
    ("uncalibrated", 0.0),
    ("calibrated", 0.35),
    ("uncalibrated", 0.2),
    ("calibrated", 0.2),
    ("uncalibrated", 0.35),
)


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


def selection_members(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                      seed: int, n_entries: int) -> list[np.ndarray]:
    """The selection's field models other than the contest's own, ``n_entries`` lineups each.

    The contest's ``alternatives`` (their first ``n_entries``) when it has them, else
    ``field_ensemble`` members 1..``SELECTION_MEMBERS - 1`` drawn at ``n_entries``, on the
    contest's ownership, with the contest's sharpness when it was given a number.

    Returns
    -------
    list of ndarray of shape (n_entries, roster), int32
    """
    alts = contest.alternatives
    if alts:
        return [np.resize(a.field.lineups, (n_entries, rules.roster_size)) for a in alts]
    levels = (contest.field_sharpness,) if not isinstance(contest.field_sharpness, str) else DEFAULT_SHARPNESS
    lo, _ = _floors(contest, salaries)
    ens = field_ensemble(contest.ownership, salaries, rules.roster_size, rules.salary_cap, n_entries,
                         projections=projections, sharpness=levels, members=SELECTION_MEMBERS,
                         rng=np.random.default_rng([int(seed), 0xF1E1D]), min_salary=lo,
                         base=Field(contest.field.lineups[:n_entries]))
    return [f.lineups for f in ens[1:]]


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


def held_out_field(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                   seed: int, j: int) -> Field:
    """Held-out field ``j`` (``HELD_OUT[j]``) of the contest's size: its own perturbed ownership,
    sampler and sharpness, seeded by ``[seed, 0x4E1D, j]``."""
    sampler, sh = HELD_OUT[j]
    g = np.random.default_rng([int(seed), 0x4E1D, j])
    own = perturb_ownership(contest.ownership, SIGMA, g)
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
    return Field(f.lineups, "sampled", f"{sampler}, sharpness {sh:g}, ownership x exp(N(0, {SIGMA:g}^2))")


def held_out_contests(contest: Contest, salaries: np.ndarray, rules: LineupRules, projections: np.ndarray,
                      seed: int) -> list[Contest]:
    """The cross-validation's held-out fields (module docstring): other models than the selection's.

    A field given as a file is the only one (returned as given).
    """
    if not robust(contest):
        return [contest]
    return [replace(contest, field=held_out_field(contest, salaries, rules, projections, seed, j))
            for j in range(len(HELD_OUT))]
