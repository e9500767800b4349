"""The honest estimate of a contest-mode portfolio's ROI, from its cross-validation.

The in-sample ROI (the portfolio scored on the scenarios and the field it was chosen on) is
optimistic twice: the greedy fits the scenarios' noise, and it fits the field it was shown.
The estimate is the chosen cap's *held-out* figure instead: portfolios selected on one half of
the optimisation scenarios, scored on the other half against fields the selection never saw
(``fields.HELD_OUT``: tailrace's calibrated sampler, an uncalibrated ownership sampler with a
92 % salary floor, and sharp fields with 20–35 % optimiser-built entries, each on the ownership
perturbed by its own draw), each scenario held out once. The estimate is the **mean over the
held-out fields**.

The interval (90 %) is meant to cover what the portfolio earns on fresh races against a field
from any of those models with another ownership error, so it holds three things:

* the spread across the held-out fields: it always contains their range ``[min_j m_j,
  max_j m_j]``, and the prediction interval for one more field of the family,
  ``mean ± t(0.95, J-1) s_m sqrt(1 + 1/J)`` (``m_j`` the ROI against field ``j``, ``s_m``
  their standard deviation, ``J`` fields), whichever reaches further — each field is its own
  ownership draw and seed, so this is the field-model and field-seed noise;
* the scenario noise of the estimate, ``se`` (root mean square of the fields' scenario
  standard errors),
* and the noise of the fresh races it is compared with, taken as large as the estimate's
  (as many fresh races as optimisation scenarios): both ends move out by ``z sqrt(2) se``,
  ``z = 1.645``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tailrace.optimize.contest.fields import HELD_OUT, SIGMA

Z90 = 1.6448536269514722  # two-sided 90 % normal quantile
# two-sided 90 % Student t quantiles by degrees of freedom (1..10); beyond, the normal's
_T90 = (6.3138, 2.9200, 2.3534, 2.1318, 2.0150, 1.9432, 1.8946, 1.8595, 1.8331, 1.8125)


@dataclass(frozen=True)
class Estimate:
    """ROI as a share of fees, its 90 % interval, and one sentence on what it assumes."""

    estimate: float
    interval: tuple[float, float]
    note: str


def honest_estimate(roi: np.ndarray, *, given_field: bool = False, robust: bool = True) -> Estimate:
    """The estimate and its interval from held-out per-scenario ROIs (module docstring).

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
        ``estimate``: the mean over fields of the mean over scenarios; ``interval``: (low, high).

    Notes
    -----
    A scenario where a fold's selection failed (``-inf``) makes the estimate ``-inf``. With one
    field the interval is the scenario part only.
    """
    r = np.atleast_2d(np.asarray(roi, dtype=np.float64))
    J, S = r.shape
    m = r.mean(axis=1)
    se = math.sqrt(float(np.mean(r.var(axis=1, ddof=1)))) / math.sqrt(S) if S > 1 else float("inf")
    est = float(m.mean())
    lo, hi = float(m.min()), float(m.max())
    if J > 1 and np.isfinite(m).all():
        t = _T90[J - 2] if J - 1 <= len(_T90) else Z90
        half = t * float(m.std(ddof=1)) * math.sqrt(1.0 + 1.0 / J)
        lo, hi = min(lo, est - half), max(hi, est + half)
    w = Z90 * math.sqrt(2.0) * se
    lo, hi = lo - w, hi + w
    if given_field:
        what = "against the field you gave"
    elif robust:
        what = (f"against {len(HELD_OUT)} fields the selection did not see (each on your ownership with its own "
                f"{100 * SIGMA:.0f} % log-normal error: tailrace's sampler, an uncalibrated ownership sampler with a "
                "92 % salary floor, and 20 to 35 % of entries from optimisers); the estimate is their mean")
    else:
        what = "against a fresh sample of your ownership"
    note = (f"Held-out ROI of the chosen setting: picked on half the simulated races, scored on the other half "
            f"{what}. The 90 % interval covers the spread across those fields, race noise, and the noise of as "
            "many fresh races. It assumes the race model is right and the real field is like one of those: a "
            "sharper field or a worse ownership projection earns less.")
    return Estimate(est, (lo, hi), note)
