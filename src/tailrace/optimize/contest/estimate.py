"""The honest estimate of a contest-mode portfolio's ROI, from its cross-validation.

The in-sample ROI (the portfolio scored on the scenarios and the field it was chosen on) is
optimistic twice: the greedy fits the scenarios' noise, and it fits the field it was shown.
The estimate is the chosen cap's *held-out* figure instead: portfolios selected on one half of
the optimisation scenarios, scored on the other half against fields the selection never saw
(``fields.HELD_OUT``: ownership perturbed by another draw, other shares of optimiser-built
entries), each scenario held out once.

The interval (90 %) is the range of the held-out fields' ROIs widened by scenario noise:
``[min_j m_j - z se, max_j m_j + z se]`` with ``m_j`` the ROI against held-out field ``j``,
``se`` the root mean square of their scenario standard errors and ``z = 1.645``. The spread
across fields carries both the field model's and the field seed's noise (every held-out field
is its own draw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tailrace.optimize.contest.fields import HELD_OUT, SIGMA

Z90 = 1.6448536269514722  # two-sided 90 % normal quantile


@dataclass(frozen=True)
class Estimate:
    """ROI as a share of fees, its 90 % interval, and one sentence on what it assumes."""

    estimate: float
    interval: tuple[float, float]
    note: str


def honest_estimate(roi: np.ndarray, *, given_field: bool = False, robust: bool = True) -> Estimate:
    """The estimate and its interval from held-out per-scenario ROIs.

    Parameters
    ----------
    roi : ndarray of shape (n_fields, n_scenarios)
        Held-out ROI (profit over fees) of the chosen setting in each optimisation scenario
        (each held out once), against each held-out field.
    given_field : bool
        The contest's field was given (real entries): the held-out field is that field.
    robust : bool
        The held-out fields are ``fields.HELD_OUT`` (else one fresh sample of the contest's
        ownership).

    Returns
    -------
    Estimate

    Notes
    -----
    A scenario where a fold's selection failed (``-inf``) makes the estimate ``-inf``.
    """
    r = np.atleast_2d(np.asarray(roi, dtype=np.float64))
    S = r.shape[1]
    m = r.mean(axis=1)
    se = math.sqrt(float(np.mean(r.var(axis=1, ddof=1)))) / math.sqrt(S) if S > 1 else float("inf")
    est = float(m.mean())
    lo, hi = float(m.min()) - Z90 * se, float(m.max()) + Z90 * se
    if given_field:
        what = "against the field you gave"
    elif robust:
        shares = " and ".join(f"{100 * s:.0f} %" for s, _ in HELD_OUT)
        what = (f"against {len(HELD_OUT)} fields the selection did not see (your ownership with "
                f"{100 * SIGMA:.0f} % log-normal error, two samplers, {shares} of entries from optimisers)")
    else:
        what = "against a fresh sample of your ownership"
    note = (f"Held-out ROI of the chosen setting: picked on half the simulated races, scored on the other half "
            f"{what}; the 90 % interval covers race noise and the spread across those fields. It assumes the "
            "race model is right and the real field lies within that range: a sharper field or a worse "
            "ownership projection earns less.")
    return Estimate(est, (lo, hi), note)
