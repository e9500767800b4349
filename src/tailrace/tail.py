"""Tail metrics on a scenario sample: VaR, lower/upper CVaR, hit rates, with Monte Carlo error.

Definitions (used everywhere in tailrace, the optimiser included):

Let ``x`` hold S equally likely outcomes and let ``k = level * S`` (rounded to the nearest
integer when within 1e-9 of it, so ``0.07 * 100`` is 7, not 7.000000000000001).
Write ``k0 = floor(k)`` and ``f = k - k0``.

* **upper CVaR at beta** = mean of the best ``beta`` share of outcomes:
  ``(sum of the k0 largest + f * the (k0+1)-th largest) / k``. A fractional tail takes that
  fraction of the next outcome, so the value is continuous in beta. ``beta = 1`` gives the mean.
* **lower CVaR at alpha** = mean of the worst ``alpha`` share, the mirror image.
* **upper VaR at beta** = the ``ceil(k)``-th largest outcome; **lower VaR at alpha** = the
  ``ceil(k)``-th smallest (the usual left-continuous quantile).
* Ties need no rule: the values above depend only on the sorted outcomes, so which of
  several equal outcomes is "in" the tail does not change the number.
* **hit rate** (probability of reaching a target) = share of outcomes ``>= target``.

Shapes: every metric takes ``x`` of shape ``(n_scenarios,)`` and returns a float, or
``(n_scenarios, n_columns)`` and returns an array of shape ``(n_columns,)``. Computation is
in float64 whatever the input dtype. NaNs are rejected (ValueError), never skipped.

Monte Carlo error (method: asymptotic, i.i.d. scenarios). For CVaR the standard error is
``sd(IF) / sqrt(S)`` with the influence function ``IF = v + (x - v)^+ / beta`` (upper) or
``v - (v - x)^+ / alpha`` (lower), v the VaR (Hong & Liu 2009; Trindade et al. 2007).
For VaR it comes from the distribution-free order-statistic interval (binomial), and for a
hit rate from ``sqrt(p (1 - p) / S)`` with a Wilson interval. ``method="bootstrap"``
resamples scenarios instead (percentile interval, seeded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np

from tailrace.rng import as_generator

Tail = Literal["upper", "lower"]

__all__ = [
    "tail_size",
    "cvar_upper",
    "cvar_lower",
    "cvar",
    "var_upper",
    "var_lower",
    "hit_rate",
    "Estimate",
    "TailSummary",
    "cvar_estimate",
    "var_estimate",
    "hit_rate_estimate",
    "mean_estimate",
    "tail_summary",
    "adaptive_scenario_count",
]


def tail_size(level: float, n: int) -> tuple[int, float]:
    """Split a tail of ``level * n`` outcomes into whole outcomes and a fraction of the next.

    Every VaR and CVaR in tailrace (the optimiser's included) sizes its tail here, so they
    all agree on which outcomes a tail holds.

    Parameters
    ----------
    level : float
        Tail share: beta for the upper tail, alpha for the lower one. Must lie in (0, 1].
    n : int
        Number of equally likely scenarios. Must be at least 1.

    Returns
    -------
    k0 : int
        Whole outcomes in the tail, ``floor(k)`` with ``k = level * n``.
    f : float
        Share of the next, ``(k0 + 1)``-th, outcome that the tail takes, in [0, 1).

    Raises
    ------
    ValueError
        If ``level`` is not a finite number in (0, 1], or if ``n < 1``.

    Notes
    -----
    ``k`` is snapped to the nearest integer when it lies within ``1e-9 * max(1, k)`` of it
    and that integer is at least 1, so float noise does not add a sliver of an extra
    outcome: ``0.07 * 100`` is ``7.000000000000001`` but ``tail_size(0.07, 100)`` is
    ``(7, 0.0)``. A tail of less than one outcome is never snapped to 0:
    ``tail_size(0.001, 100)`` is ``(0, 0.1)``.
    """
    if not (0.0 < level <= 1.0) or not math.isfinite(level):
        raise ValueError(f"tail level must lie in (0, 1], got {level}")
    if n < 1:
        raise ValueError("need at least one scenario")
    k = level * n
    kr = round(k)
    if kr >= 1 and abs(k - kr) <= 1e-9 * max(1.0, k):  # never snap a tiny tail down to 0
        k = float(kr)
    k0 = int(math.floor(k))
    return k0, k - k0


def _as_2d(x: np.ndarray) -> tuple[np.ndarray, bool]:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim not in (1, 2):
        raise ValueError(f"expected shape (n_scenarios,) or (n_scenarios, n_columns), got {a.shape}")
    if a.shape[0] == 0:
        raise ValueError("need at least one scenario")
    if np.isnan(a).any():
        raise ValueError("outcomes contain NaN")
    return (a[:, None] if a.ndim == 1 else a), a.ndim == 1


def _out(v: np.ndarray, was_1d: bool) -> float | np.ndarray:
    return float(v[0]) if was_1d else v


def _top_sorted(a: np.ndarray, m: int) -> np.ndarray:
    """The m largest values of each column, in descending order; shape (m, n_columns)."""
    n = a.shape[0]
    m = min(m, n)
    if m == n:
        part = a
    else:
        part = np.partition(a, n - m, axis=0)[n - m :]
    return -np.sort(-part, axis=0)


def _upper_cvar_2d(a: np.ndarray, level: float) -> np.ndarray:
    n = a.shape[0]
    k0, f = tail_size(level, n)
    top = _top_sorted(a, min(n, k0 + 1))
    total = top[:k0].sum(axis=0)
    if f > 0.0:
        total = total + f * top[k0]
    return total / (k0 + f)


def cvar_upper(x: np.ndarray, beta: float) -> float | np.ndarray:
    """Compute the upper CVaR: the mean of the best ``beta`` share of outcomes.

    The upper CVaR (upper-tail conditional value at risk) is what a tournament lineup is
    chosen on: its average score over its best ``beta`` share of scenarios.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,) or (n_scenarios, n_columns)
        Outcomes (e.g. lineup points), one row per equally likely scenario, one column per
        lineup or portfolio. Any real dtype; computed in float64.
    beta : float
        Tail share, in (0, 1]. ``beta = 1`` gives the mean.

    Returns
    -------
    value : float or ndarray of shape (n_columns,)
        Upper CVaR.
        If ``x`` is a 1D-array, the result is a float.
        If ``x`` is a 2D-array, the result is a float64 ndarray of shape (n_columns,).

    Raises
    ------
    ValueError
        If ``x`` is not 1D or 2D, has no rows or contains NaN, or if ``beta`` is not in
        (0, 1].

    See Also
    --------
    cvar_lower, var_upper, tail_size

    Notes
    -----
    With ``S`` scenarios and ``(k0, f) = tail_size(beta, S)``, ``k = k0 + f``::

        cvar_upper = (sum of the k0 largest outcomes + f * the (k0 + 1)-th largest) / k

    A fractional tail takes that share of the next outcome, so the value is continuous in
    ``beta`` (e.g. 100 scenarios, ``beta = 0.015``: the best outcome plus half the second
    best, divided by 1.5). Ties need no rule: the value depends only on the sorted outcomes.
    """
    a, one = _as_2d(x)
    return _out(_upper_cvar_2d(a, beta), one)


def cvar_lower(x: np.ndarray, alpha: float) -> float | np.ndarray:
    """Compute the lower CVaR: the mean of the worst ``alpha`` share of outcomes.

    The lower CVaR is the cash-game (and bankroll) figure: the average over the worst
    ``alpha`` share of scenarios. It is the mirror image of :func:`cvar_upper`,
    ``cvar_lower(x, alpha) == -cvar_upper(-x, alpha)``.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,) or (n_scenarios, n_columns)
        Outcomes, one row per equally likely scenario. Any real dtype; computed in float64.
    alpha : float
        Tail share, in (0, 1]. ``alpha = 1`` gives the mean.

    Returns
    -------
    value : float or ndarray of shape (n_columns,)
        Lower CVaR.
        If ``x`` is a 1D-array, the result is a float.
        If ``x`` is a 2D-array, the result is a float64 ndarray of shape (n_columns,).

    Raises
    ------
    ValueError
        If ``x`` is not 1D or 2D, has no rows or contains NaN, or if ``alpha`` is not in
        (0, 1].

    See Also
    --------
    cvar_upper, var_lower, tail_size

    Notes
    -----
    With ``(k0, f) = tail_size(alpha, S)`` and ``k = k0 + f``::

        cvar_lower = (sum of the k0 smallest outcomes + f * the (k0 + 1)-th smallest) / k

    so a fractional tail takes that share of the next outcome and the value is continuous
    in ``alpha``.
    """
    a, one = _as_2d(x)
    return _out(-_upper_cvar_2d(-a, alpha), one)


def cvar(x: np.ndarray, level: float, tail: Tail = "upper") -> float | np.ndarray:
    """Compute the upper or lower CVaR, the tail chosen by name.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,) or (n_scenarios, n_columns)
        Outcomes, one row per equally likely scenario.
    level : float
        Tail share in (0, 1]: beta for the upper tail, alpha for the lower one.
    tail : {"upper", "lower"}, default="upper"
        Which tail: :func:`cvar_upper` or :func:`cvar_lower`.

    Returns
    -------
    value : float or ndarray of shape (n_columns,)
        CVaR; a float for a 1D ``x``, an ndarray of shape (n_columns,) for a 2D one.

    Raises
    ------
    ValueError
        If ``tail`` is neither ``"upper"`` nor ``"lower"``, or as :func:`cvar_upper` /
        :func:`cvar_lower` do (bad shape, NaN, ``level`` not in (0, 1]).
    """
    if tail == "upper":
        return cvar_upper(x, level)
    if tail == "lower":
        return cvar_lower(x, level)
    raise ValueError(f"tail must be 'upper' or 'lower', got {tail!r}")


def _upper_var_2d(a: np.ndarray, level: float) -> np.ndarray:
    n = a.shape[0]
    k0, f = tail_size(level, n)
    j = k0 if f > 0 else k0 - 1  # 0-based index of the ceil(k)-th largest
    j = max(j, 0)
    return _top_sorted(a, j + 1)[j]


def var_upper(x: np.ndarray, beta: float) -> float | np.ndarray:
    """Compute the upper VaR: the ``ceil(beta * S)``-th largest outcome.

    The score a lineup reaches in its best ``beta`` share of scenarios: the threshold of the
    tail :func:`cvar_upper` averages.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,) or (n_scenarios, n_columns)
        Outcomes, one row per equally likely scenario. Any real dtype; computed in float64.
    beta : float
        Tail share, in (0, 1].

    Returns
    -------
    value : float or ndarray of shape (n_columns,)
        Upper VaR.
        If ``x`` is a 1D-array, the result is a float.
        If ``x`` is a 2D-array, the result is a float64 ndarray of shape (n_columns,).

    Raises
    ------
    ValueError
        If ``x`` is not 1D or 2D, has no rows or contains NaN, or if ``beta`` is not in
        (0, 1].

    Notes
    -----
    ``k = beta * S`` is sized by :func:`tail_size` (snapped when within float noise of an
    integer), and the VaR is the ``ceil(k)``-th largest outcome, the largest when
    ``k < 1``. With 100 scenarios, ``beta = 0.05`` gives the 5th largest and
    ``beta = 0.055`` the 6th. The upper CVaR at the same ``beta`` is never below it.
    """
    a, one = _as_2d(x)
    return _out(_upper_var_2d(a, beta), one)


def var_lower(x: np.ndarray, alpha: float) -> float | np.ndarray:
    """Compute the lower VaR: the ``ceil(alpha * S)``-th smallest outcome.

    The usual left-continuous empirical ``alpha``-quantile: the score a lineup falls to in
    its worst ``alpha`` share of scenarios.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,) or (n_scenarios, n_columns)
        Outcomes, one row per equally likely scenario. Any real dtype; computed in float64.
    alpha : float
        Tail share, in (0, 1].

    Returns
    -------
    value : float or ndarray of shape (n_columns,)
        Lower VaR.
        If ``x`` is a 1D-array, the result is a float.
        If ``x`` is a 2D-array, the result is a float64 ndarray of shape (n_columns,).

    Raises
    ------
    ValueError
        If ``x`` is not 1D or 2D, has no rows or contains NaN, or if ``alpha`` is not in
        (0, 1].

    Notes
    -----
    ``k = alpha * S`` is sized by :func:`tail_size`; the VaR is the ``ceil(k)``-th smallest
    outcome, the smallest when ``k < 1``. With 100 scenarios, ``alpha = 0.2`` gives the 20th
    smallest. The lower CVaR at the same ``alpha`` is never above it.
    """
    a, one = _as_2d(x)
    return _out(-_upper_var_2d(-a, alpha), one)


def hit_rate(x: np.ndarray, target: float) -> float | np.ndarray:
    """Compute the hit rate: the share of outcomes at or above ``target``.

    The probability, under the scenario sample, that a lineup reaches a score (e.g. the
    score that usually wins a tournament).

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,) or (n_scenarios, n_columns)
        Outcomes, one row per equally likely scenario. Any real dtype; computed in float64.
    target : float
        Score to reach; an outcome equal to ``target`` counts as a hit.

    Returns
    -------
    value : float or ndarray of shape (n_columns,)
        Share of scenarios with an outcome ``>= target``, in [0, 1].
        If ``x`` is a 1D-array, the result is a float.
        If ``x`` is a 2D-array, the result is a float64 ndarray of shape (n_columns,).

    Raises
    ------
    ValueError
        If ``x`` is not 1D or 2D, has no rows or contains NaN.
    """
    a, one = _as_2d(x)
    return _out((a >= target).mean(axis=0), one)


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """A metric's value with its Monte Carlo standard error and confidence interval.

    Returned by :func:`cvar_estimate`, :func:`var_estimate`, :func:`hit_rate_estimate` and
    :func:`mean_estimate`. Frozen.

    Attributes
    ----------
    value : float
        The metric on the whole sample (the number the plain metric function gives).
    se : float
        Monte Carlo standard error of ``value``; ``inf`` where one scenario leaves it
        undefined (asymptotic CVaR and mean).
    ci_low, ci_high : float
        Confidence interval at ``confidence``.
    method : {"asymptotic", "order-statistic", "wilson", "bootstrap"}
        How ``se`` and the interval were found (see the function that made the estimate).
    confidence : float, default=0.95
        Nominal coverage of the interval.
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    method: str  # "asymptotic" | "order-statistic" | "wilson" | "bootstrap"
    confidence: float = 0.95

    def to_dict(self) -> dict[str, float | str]:
        """The attributes as a JSON-ready dict, keyed by attribute name."""
        return {
            "value": self.value,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "method": self.method,
            "confidence": self.confidence,
        }


def _z(confidence: float) -> float:
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def _vector(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"estimates take one column of outcomes, shape (n_scenarios,), got {a.shape}")
    _as_2d(a)
    return a


def _check_tail(tail: str) -> None:
    if tail not in ("upper", "lower"):
        raise ValueError(f"tail must be 'upper' or 'lower', got {tail!r}")


def _influence(a: np.ndarray, level: float, tail: Tail) -> tuple[float, np.ndarray]:
    _check_tail(tail)
    if tail == "upper":
        v = float(var_upper(a, level))
        c = float(cvar_upper(a, level))
        return c, v + np.maximum(a - v, 0.0) / level - c
    v = float(var_lower(a, level))
    c = float(cvar_lower(a, level))
    return c, v - np.maximum(v - a, 0.0) / level - c


def _bootstrap(
    a: np.ndarray, stat, confidence: float, n_boot: int, rng: np.random.Generator | int | None
) -> tuple[float, float, float]:
    g = as_generator(rng)
    n = a.shape[0]
    vals = np.empty(n_boot)
    for b in range(n_boot):
        vals[b] = stat(a[g.integers(0, n, n)])
    q = (1.0 - confidence) / 2.0
    return float(vals.std(ddof=1)), float(np.quantile(vals, q)), float(np.quantile(vals, 1 - q))


def cvar_estimate(
    x: np.ndarray,
    level: float,
    tail: Tail = "upper",
    *,
    confidence: float = 0.95,
    method: Literal["asymptotic", "bootstrap"] = "asymptotic",
    n_boot: int = 1000,
    rng: np.random.Generator | int | None = 0,
) -> Estimate:
    """Estimate a CVaR with its Monte Carlo standard error and confidence interval.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,)
        Outcomes of one lineup or portfolio, one per equally likely scenario.
    level : float
        Tail share in (0, 1]: beta for the upper tail, alpha for the lower one.
    tail : {"upper", "lower"}, default="upper"
        Which tail (see :func:`cvar`).
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    method : {"asymptotic", "bootstrap"}, default="asymptotic"
        ``"asymptotic"``: influence-function standard error and a normal interval.
        ``"bootstrap"``: resampled scenarios, percentile interval.
    n_boot : int, default=1000
        Bootstrap resamples (bootstrap only).
    rng : Generator, int or None, default=0
        Seed or generator for the bootstrap (``tailrace.rng.as_generator``; bootstrap
        only). The default seed makes the bootstrap reproducible; a Generator passed in is
        advanced.

    Returns
    -------
    Estimate
        ``value`` is ``cvar(x, level, tail)`` whichever the method; ``method`` is
        ``"asymptotic"`` or ``"bootstrap"``.

    Raises
    ------
    ValueError
        If ``x`` is not 1D, is empty or contains NaN; if ``tail`` is neither ``"upper"`` nor
        ``"lower"``; if ``level`` is not in (0, 1]; if ``confidence`` is not in (0, 1)
        (asymptotic method); if ``method`` is neither ``"asymptotic"`` nor ``"bootstrap"``.

    Notes
    -----
    Asymptotic (i.i.d. scenarios; Hong & Liu 2009, Trindade et al. 2007): with ``v`` the VaR
    at the same level, the influence function is ``IF = v + (x - v)^+ / beta`` (upper) or
    ``IF = v - (v - x)^+ / alpha`` (lower), ``se = sd(IF) / sqrt(S)`` (``ddof=1``;
    ``inf`` for a single scenario) and the interval is ``value +/- z se`` with ``z`` the
    normal quantile of ``(1 + confidence) / 2``.

    Bootstrap: ``n_boot`` resamples of ``S`` scenarios drawn with replacement; ``se`` is the
    standard deviation (``ddof=1``) of their CVaRs and the interval their
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles.
    """
    if method not in ("asymptotic", "bootstrap"):
        raise ValueError(f"method must be 'asymptotic' or 'bootstrap', got {method!r}")
    a = _vector(x)
    c, inf = _influence(a, level, tail)
    if method == "bootstrap":
        se, lo, hi = _bootstrap(a, lambda s: float(cvar(s, level, tail)), confidence, n_boot, rng)
        return Estimate(c, se, lo, hi, "bootstrap", confidence)
    n = a.shape[0]
    se = float(inf.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    z = _z(confidence)
    return Estimate(c, se, c - z * se, c + z * se, "asymptotic", confidence)


def var_estimate(
    x: np.ndarray, level: float, tail: Tail = "upper", *, confidence: float = 0.95
) -> Estimate:
    """Estimate a VaR with a distribution-free order-statistic confidence interval.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,)
        Outcomes of one lineup or portfolio, one per equally likely scenario.
    level : float
        Tail share in (0, 1]: beta for the upper tail, alpha for the lower one.
    tail : {"upper", "lower"}, default="upper"
        Upper VaR (:func:`var_upper`) or lower VaR (:func:`var_lower`).
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    Estimate
        ``value`` is the VaR, ``method`` is ``"order-statistic"``, and ``se`` is the
        interval's width divided by ``2 z``, so ``se`` and interval tell the same story.

    Raises
    ------
    ValueError
        If ``tail`` is neither ``"upper"`` nor ``"lower"``; if ``x`` is not 1D, is empty or
        contains NaN; if ``level`` is not in (0, 1]; if ``confidence`` is not in (0, 1).

    Notes
    -----
    The number of scenarios below the ``p``-quantile is Binomial(S, p), with ``p = alpha``
    (lower) or ``p = 1 - beta`` (upper), whatever the distribution of ``x``. With the normal
    approximation ``h = z sqrt(S p (1 - p))``, the interval runs from the sorted sample's
    entry at 0-based position ``floor(S p - h)`` to the one at ``ceil(S p + h)``, both
    clipped to ``[0, S - 1]``.
    """
    _check_tail(tail)
    a = _vector(x)
    n = a.shape[0]
    srt = np.sort(a)
    # quantile position p (share of outcomes below the VaR)
    p = level if tail == "lower" else 1.0 - level
    value = float(var_lower(a, level) if tail == "lower" else var_upper(a, level))
    z = _z(confidence)
    half = z * math.sqrt(n * p * (1.0 - p))
    lo_i = int(min(max(math.floor(n * p - half), 0), n - 1))
    hi_i = int(min(max(math.ceil(n * p + half), 0), n - 1))
    lo, hi = float(srt[lo_i]), float(srt[hi_i])
    return Estimate(value, (hi - lo) / (2.0 * z), lo, hi, "order-statistic", confidence)


def hit_rate_estimate(x: np.ndarray, target: float, *, confidence: float = 0.95) -> Estimate:
    """Estimate a hit rate with its binomial standard error and a Wilson interval.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,)
        Outcomes of one lineup or portfolio, one per equally likely scenario.
    target : float
        Score to reach; an outcome equal to ``target`` counts as a hit.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    Estimate
        ``value`` is ``p``, the share of outcomes ``>= target``; ``se`` is
        ``sqrt(p (1 - p) / S)``; ``method`` is ``"wilson"``.

    Raises
    ------
    ValueError
        If ``x`` is not 1D, is empty or contains NaN, or if ``confidence`` is not in (0, 1).

    Notes
    -----
    The Wilson score interval, clipped to [0, 1], stays informative where the normal one
    collapses: at ``p = 0`` or ``p = 1`` the ``se`` is 0 but the interval still has width.
    """
    a = _vector(x)
    n = a.shape[0]
    p = float((a >= target).mean())
    z = _z(confidence)
    se = math.sqrt(p * (1.0 - p) / n)
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return Estimate(p, se, max(0.0, centre - half), min(1.0, centre + half), "wilson", confidence)


def mean_estimate(x: np.ndarray, *, confidence: float = 0.95) -> Estimate:
    """Estimate the mean with its standard error and a normal interval.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,)
        Outcomes of one lineup or portfolio, one per equally likely scenario.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    Estimate
        ``value`` is the sample mean, ``se = sd / sqrt(S)`` (``ddof=1``; ``inf`` for a
        single scenario), the interval ``value +/- z se``; ``method`` is ``"asymptotic"``.

    Raises
    ------
    ValueError
        If ``x`` is not 1D, is empty or contains NaN, or if ``confidence`` is not in (0, 1).
    """
    a = _vector(x)
    n = a.shape[0]
    m = float(a.mean())
    se = float(a.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    z = _z(confidence)
    return Estimate(m, se, m - z * se, m + z * se, "asymptotic", confidence)


@dataclass(frozen=True)
class TailSummary:
    """Everything tailrace reports about one outcome distribution (see :func:`tail_summary`).

    Attributes
    ----------
    n_scenarios : int
        Sample size ``S``.
    mean : Estimate
        Mean with its standard error (:func:`mean_estimate`).
    sd : float
        Sample standard deviation (``ddof=1``; 0 for a single scenario).
    var_lower, cvar_lower : dict of float to Estimate
        Lower VaR and CVaR, keyed by alpha.
    var_upper, cvar_upper : dict of float to Estimate
        Upper VaR and CVaR, keyed by beta.
    hit_rate : dict of float to Estimate
        Hit rate, keyed by target.
    """

    n_scenarios: int
    mean: Estimate
    sd: float
    var_lower: dict[float, Estimate] = field(default_factory=dict)
    cvar_lower: dict[float, Estimate] = field(default_factory=dict)
    var_upper: dict[float, Estimate] = field(default_factory=dict)
    cvar_upper: dict[float, Estimate] = field(default_factory=dict)
    hit_rate: dict[float, Estimate] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict; level and target keys become strings formatted with ``:g``."""

        def d(m: dict[float, Estimate]) -> dict[str, dict]:
            return {f"{k:g}": v.to_dict() for k, v in m.items()}

        return {
            "n_scenarios": self.n_scenarios,
            "mean": self.mean.to_dict(),
            "sd": self.sd,
            "var_lower": d(self.var_lower),
            "cvar_lower": d(self.cvar_lower),
            "var_upper": d(self.var_upper),
            "cvar_upper": d(self.cvar_upper),
            "hit_rate": d(self.hit_rate),
        }


def tail_summary(
    x: np.ndarray,
    *,
    alphas: tuple[float, ...] = (0.2,),
    betas: tuple[float, ...] = (0.01, 0.05),
    targets: tuple[float, ...] = (),
    confidence: float = 0.95,
) -> TailSummary:
    """Summarise one outcome distribution: mean, sd, VaR and CVaR in both tails, hit rates.

    Parameters
    ----------
    x : ndarray of shape (n_scenarios,)
        Outcomes of one lineup or portfolio, one per equally likely scenario.
    alphas : tuple of float, default=(0.2,)
        Lower-tail levels, each in (0, 1].
    betas : tuple of float, default=(0.01, 0.05)
        Upper-tail levels, each in (0, 1].
    targets : tuple of float, default=()
        Scores for hit rates.
    confidence : float, default=0.95
        Coverage of every interval, in (0, 1).

    Returns
    -------
    TailSummary
        CVaRs by :func:`cvar_estimate` (asymptotic), VaRs by :func:`var_estimate`, hit
        rates by :func:`hit_rate_estimate`, the mean by :func:`mean_estimate`.

    Raises
    ------
    ValueError
        If ``x`` is not 1D, is empty or contains NaN, if a level is not in (0, 1], or if
        ``confidence`` is not in (0, 1).
    """
    a = _vector(x)
    return TailSummary(
        n_scenarios=int(a.shape[0]),
        mean=mean_estimate(a, confidence=confidence),
        sd=float(a.std(ddof=1)) if a.shape[0] > 1 else 0.0,
        var_lower={al: var_estimate(a, al, "lower", confidence=confidence) for al in alphas},
        cvar_lower={al: cvar_estimate(a, al, "lower", confidence=confidence) for al in alphas},
        var_upper={b: var_estimate(a, b, "upper", confidence=confidence) for b in betas},
        cvar_upper={b: cvar_estimate(a, b, "upper", confidence=confidence) for b in betas},
        hit_rate={t: hit_rate_estimate(a, t, confidence=confidence) for t in targets},
    )


def adaptive_scenario_count(
    pilot: np.ndarray,
    level: float,
    tail: Tail = "upper",
    *,
    rel_error: float = 0.01,
    confidence: float = 0.95,
    min_count: int = 1000,
) -> int:
    """Scenarios needed for a CVaR's confidence half-width to be ``rel_error`` of its value.

    Parameters
    ----------
    pilot : ndarray of shape (n_pilot,)
        Outcomes of one lineup or portfolio on a pilot sample; at least 100 scenarios.
    level : float
        Tail share in (0, 1]: beta for the upper tail, alpha for the lower one.
    tail : {"upper", "lower"}, default="upper"
        Which tail.
    rel_error : float, default=0.01
        Wanted half-width of the interval as a share of ``|CVaR|``; positive.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    min_count : int, default=1000
        Smallest count returned.

    Returns
    -------
    int
        ``S`` rounded up to a multiple of 1,000, or ``min_count`` if that is larger.

    Raises
    ------
    ValueError
        If ``rel_error <= 0``; if ``pilot`` is not 1D, contains NaN or has fewer than 100
        scenarios; if ``tail`` or ``level`` is invalid; if the pilot's CVaR is exactly 0
        (a relative error is then undefined); if ``confidence`` is not in (0, 1).

    Notes
    -----
    The asymptotic half-width is ``z sd(IF) / sqrt(S)`` with the influence function of
    :func:`cvar_estimate`, so ``S = (z sd(IF) / (rel_error |CVaR|))^2``, with ``sd(IF)``
    and the CVaR taken from the pilot. The count is only as good as the pilot's estimate
    of them.
    """
    if rel_error <= 0:
        raise ValueError("rel_error must be positive")
    a = _vector(pilot)
    if a.shape[0] < 100:
        raise ValueError("pilot sample needs at least 100 scenarios")
    c, inf = _influence(a, level, tail)
    if c == 0.0:
        raise ValueError("CVaR of the pilot is 0: relative error is undefined")
    z = _z(confidence)
    s = (z * float(inf.std(ddof=1)) / (rel_error * abs(c))) ** 2
    return int(max(min_count, math.ceil(s / 1000.0) * 1000))
