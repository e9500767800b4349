"""What contest mode returns (``ContestPortfolio``) and the constants its parts share.

Every module of the contest engine (``pool``, ``paid``, ``selection``, ``cv``) and
``optimize.contest_mode`` import these from here, so none imports another for a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_CAP_PLACE = 8  # the fixed cap when cross-validation is not asked for
ALONE = 0  # the setting "each lineup ranked alone": the sim-ROI workflow's rule (no competition among ours)
CV_CAPS = (3, 5, 8, 12, 20, 1, ALONE)  # settings tried by the cross-validation; 1 = uncapped
MIN_LIVE = 300  # draw more candidates when the caps leave fewer admissible ones than this
# structural pool: optimal lineups of this many evenly spaced scenarios (0 = none). 5,000 of
# 10,000 beat 2,000 on all six slates of benchmarks/decision_quality.py (Martinsville +10.6
# points over sim-ROI against +1.5; build times in BENCHMARKS.md)
N_SCENARIO_OPTIMAL = 5000
GRID_BATCH = 2000  # candidate batches at least this large are ranked by the grid kernel (site-scored points)
GRID_SMALL_BATCHES = 8  # smaller batches too, until this many: then the field's paid region is built once
# a lazily filled paid store writes at once the entries of this many candidates per lineup asked for,
# per table: the best by alone value (``paid._PaidStore._likely_read``)
PREFILL_PER_LINEUP = 3


@dataclass(frozen=True)
class ContestPortfolio:
    """Chosen lineups (rows of driver indices, in pick order) with the selection's own estimates.

    ``cap_place``: the cap the selection used (1 = uncapped; ``ALONE`` = 0: each lineup ranked
    alone, see ``optimize.contest_mode``); ``cv_scores``: when it was cross-validated, the mean
    held-out true-table ROI (a share of fees) per setting tried.
    ``roi_estimate`` (a share of fees), ``roi_interval`` (90 %) and ``estimate_note`` (what
    they assume): the honest estimate (``optimize.contest.estimate``), None without the CV.
    """

    lineups: np.ndarray  # (m, roster) int
    marginal_ev: np.ndarray  # (m,) marginal expected payout at pick time (selection table)
    exposures: np.ndarray  # (n,) share of lineups holding each driver
    n_candidates: int
    cap_place: int
    cv_scores: dict[int, float] | None = None
    cv_folds: dict[int, tuple[float, ...]] | None = None  # per cap, the ROI on each held-out half
    timings: dict[str, float] | None = None
    # the honest estimate (``optimize.contest.estimate``): the chosen cap's held-out ROI (a share
    # of fees) against held-out fields, its interval and what it assumes; None without the CV
    roi_estimate: float | None = None
    roi_interval: tuple[float, float] | None = None
    estimate_note: str = ""
    cv_by_field: tuple[float, ...] | None = None  # the chosen cap's held-out ROI against each held-out field
    cv_field_models: tuple[str, ...] | None = None  # how each held-out field was drawn (same order as cv_by_field)
