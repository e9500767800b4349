"""Which races a contest judges a portfolio on, and whether they are the races it was optimised on.

A tail portfolio is chosen because its lineups score well on the optimisation scenarios' lucky
draws; judged on those same scenarios its ROI is in-sample and optimistic (on the demo, 20
lineups, a fixed field: +15.8 +- 2.4 ROI points above fresh races; README, "What tailrace contest
judges a portfolio on"). Every figure tailrace shows is meant to be an honest estimate, so:

* When ``tailrace contest`` (or the API's /contest) simulates the races itself, it draws them
  from the **judge stream** of its ``--seed``: :func:`judge_seed`, an integer in
  ``[2**63 + 1, 2**64)``. Every seed ``optimize`` / ``simulate`` / ``demo`` / the API accept is
  in ``[0, 2**63 - 1]`` and their fresh-validation sets use ``seed + 1 <= 2**63``, so a judge set
  is never an optimisation or validation set of any seed. The contest field keeps its own
  seed (``[seed, 7]`` on the CLI, the request's seed in the API), unchanged.
* The optimiser's JSON records :func:`points_digest` of the scenario points it optimised on
  (``scenario_meta.points_sha256``; the API's stored portfolio keeps it as ``points_sha256``).
  A contest compares that with the digest of the points it judges on (:func:`judged_on`) and,
  when they are the same, says the ROI is in-sample (:func:`in_sample_warning`).

The scenario cache keys and the ``.npz`` files are untouched: the judge set is an ordinary set
with another integer seed, and the digest is computed from the points, never stored in them.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

import numpy as np

from tailrace.seeds import JUDGE_LOW, MAX_SEED

__all__ = ["JUDGE_STREAM", "POINTS_DIGEST_KEY", "FRESH", "IN_SAMPLE", "GIVEN_FILE", "JudgedOn",
           "judge_seed", "points_digest", "with_points_digest", "judged_on", "judging_facts", "in_sample_warning",
           "check_digest"]

#: The spawn-key word of the judge stream: ASCII "JUDG". Fixed forever: changing it changes every
#: contest's figures.
JUDGE_STREAM = 0x4A554447
#: Where the optimiser's JSON keeps the digest (in ``scenario_meta``) and the API's stored portfolio.
POINTS_DIGEST_KEY = "points_sha256"

FRESH = "fresh"
IN_SAMPLE = "optimisation scenarios"
GIVEN_FILE = "given file"
JudgedOn = Literal["fresh", "optimisation scenarios", "given file"]

_LOW = JUDGE_LOW  # the judge seeds: [2**63 + 1, 2**64), above every accepted seed and its seed + 1
_SPAN = 2**64 - _LOW
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def judge_seed(seed: int) -> int:
    """The scenario seed ``tailrace contest --seed SEED`` simulates with: SEED's judge stream.

    Parameters
    ----------
    seed : int
        The contest's seed, ``0 <= seed <= 2**63 - 1``.

    Returns
    -------
    int
        ``2**63 + 1 + (h mod (2**64 - 2**63 - 1))`` with ``h`` the 64-bit state of
        ``SeedSequence(seed, spawn_key=(JUDGE_STREAM,))``: deterministic, in ``[2**63 + 1, 2**64)``,
        so no accepted ``optimize`` / ``simulate`` seed (nor its ``seed + 1`` validation set)
        simulates the same races.
    """
    seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed {seed} is outside 0 .. {MAX_SEED}")
    lo, hi = np.random.SeedSequence(seed, spawn_key=(JUDGE_STREAM,)).generate_state(2, np.uint32)
    return _LOW + ((int(hi) << 32) | int(lo)) % _SPAN


def points_digest(points: np.ndarray) -> str:
    """The content digest of a scenario matrix: sha256 of ``"float32 RxC\\n"`` then its bytes.

    Parameters
    ----------
    points : ndarray of shape (n_scenarios, n_drivers)
        Site points per scenario and driver, in the slate's driver order (as optimised on or
        judged on); taken as little-endian float32, C order.

    Returns
    -------
    str
        64 hex digits. Equal digests mean the same scenarios in the same driver order.
    """
    a = np.ascontiguousarray(points, dtype="<f4")
    if a.ndim != 2:
        raise ValueError(f"points must be 2-d (scenarios x drivers), got shape {a.shape}")
    h = hashlib.sha256(f"float32 {a.shape[0]}x{a.shape[1]}\n".encode("ascii"))
    h.update(a.tobytes())
    return h.hexdigest()


def with_points_digest(meta: dict[str, Any], points: np.ndarray) -> dict[str, Any]:
    """A copy of an optimisation's ``scenario_meta`` with ``points_sha256``, the digest of the points
    it optimised on, so a later contest can tell when it judges on the same scenarios."""
    return {**meta, POINTS_DIGEST_KEY: points_digest(points)}


def check_digest(value: object) -> str | None:
    """``value`` when it is a digest :func:`points_digest` could have written (64 lower-case hex
    digits), None when it is None; ValueError otherwise (the caller names the field)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _HEX64.match(value):
        raise ValueError(f"{value!r} is not 64 lower-case hex digits")
    return value


def judged_on(judged_digest: str, optimised_on: str | None, simulated: bool) -> JudgedOn:
    """What a contest's ROI was judged on.

    Parameters
    ----------
    judged_digest : str
        :func:`points_digest` of the points the contest ran on.
    optimised_on : str or None
        The portfolio's recorded digest of its optimisation scenarios (None: not recorded, e.g.
        an upload CSV).
    simulated : bool
        True when the contest simulated its races (the judge stream), False for a given file.

    Returns
    -------
    {"fresh", "optimisation scenarios", "given file"}
        "optimisation scenarios" whenever the digests are equal (an in-sample, optimistic ROI);
        else "fresh" for a simulated set, "given file" for a file whose origin is unknown.
    """
    if optimised_on is not None and optimised_on == judged_digest:
        return IN_SAMPLE
    return FRESH if simulated else GIVEN_FILE


def judging_facts(points: np.ndarray, optimised_on: str | None, *, scenario_seed: int | None,
                  contest_seed: int | None, same_set: bool = False) -> dict[str, Any]:
    """What a contest's figures were judged on, for its report (the CLI's, the demo's, the API's).

    Parameters
    ----------
    points : ndarray
        The judged scenario points.
    optimised_on : str or None
        The portfolio's recorded digest of its optimisation points (None: an upload CSV, an old JSON).
    scenario_seed : int or None
        The seed the judged set was simulated with (None: a given file).
    contest_seed : int or None
        The contest's seed (the field's).
    same_set : bool
        True when the caller knows by other means that the judged set is the portfolio's own
        (the API's stored scenario set id, for a portfolio stored before the digest existed).

    Returns
    -------
    dict
        ``judged_on`` ("fresh", "optimisation scenarios" or "given file") and ``judge_scenarios``
        {``seed``, ``contest_seed``, ``points_sha256`` (the judged points' digest),
        ``optimised_on_sha256``}.
    """
    digest = points_digest(points)
    own = digest if same_set else optimised_on
    return {"judged_on": judged_on(digest, own, simulated=scenario_seed is not None),
            "judge_scenarios": {"seed": scenario_seed, "contest_seed": contest_seed, "points_sha256": digest,
                                "optimised_on_sha256": optimised_on}}


def in_sample_warning(how_to_fresh: str) -> str:
    """The warning a contest judged on its portfolio's optimisation scenarios gives.

    Parameters
    ----------
    how_to_fresh : str
        The face's own way to judge on fresh races (a CLI flag, an API field).
    """
    return ("judged on the very scenarios the portfolio was optimised on (same points digest): this ROI is "
            "in-sample and optimistic, since the optimiser picked lineups for these scenarios' lucky draws. "
            f"To judge it on fresh races, {how_to_fresh}")
