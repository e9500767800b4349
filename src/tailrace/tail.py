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
    """Split ``level * n`` into whole outcomes ``k0`` and the fraction ``f`` of the next one.

    Raises ValueError unless ``0 < level <= 1`` and ``n >= 1``.
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
    """Upper CVaR: mean of the best ``beta`` share of outcomes (see module docstring)."""
    a, one = _as_2d(x)
    return _out(_upper_cvar_2d(a, beta), one)


def cvar_lower(x: np.ndarray, alpha: float) -> float | np.ndarray:
    """Lower CVaR: mean of the worst ``alpha`` share of outcomes (see module docstring)."""
    a, one = _as_2d(x)
    return _out(-_upper_cvar_2d(-a, alpha), one)


def cvar(x: np.ndarray, level: float, tail: Tail = "upper") -> float | np.ndarray:
    """Upper or lower CVaR by name."""
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
    """Upper VaR: the ``ceil(beta * S)``-th largest outcome."""
    a, one = _as_2d(x)
    return _out(_upper_var_2d(a, beta), one)


def var_lower(x: np.ndarray, alpha: float) -> float | np.ndarray:
    """Lower VaR: the ``ceil(alpha * S)``-th smallest outcome."""
    a, one = _as_2d(x)
    return _out(-_upper_var_2d(-a, alpha), one)


def hit_rate(x: np.ndarray, target: float) -> float | np.ndarray:
    """Share of outcomes at or above ``target``."""
    a, one = _as_2d(x)
    return _out((a >= target).mean(axis=0), one)


# --------------------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """A metric's value with its Monte Carlo standard error and confidence interval."""

    value: float
    se: float
    ci_low: float
    ci_high: float
    method: str  # "asymptotic" | "order-statistic" | "wilson" | "bootstrap"
    confidence: float = 0.95

    def to_dict(self) -> dict[str, float | str]:
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
    """CVaR with its standard error and interval (asymptotic influence function or bootstrap)."""
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
    """VaR with a distribution-free order-statistic interval; se = interval width / (2 z)."""
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
    """Share of outcomes >= target, binomial standard error, Wilson interval."""
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
    """Sample mean with the usual standard error sd / sqrt(S)."""
    a = _vector(x)
    n = a.shape[0]
    m = float(a.mean())
    se = float(a.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    z = _z(confidence)
    return Estimate(m, se, m - z * se, m + z * se, "asymptotic", confidence)


@dataclass(frozen=True)
class TailSummary:
    """Everything tailrace reports about one outcome distribution."""

    n_scenarios: int
    mean: Estimate
    sd: float
    var_lower: dict[float, Estimate] = field(default_factory=dict)
    cvar_lower: dict[float, Estimate] = field(default_factory=dict)
    var_upper: dict[float, Estimate] = field(default_factory=dict)
    cvar_upper: dict[float, Estimate] = field(default_factory=dict)
    hit_rate: dict[float, Estimate] = field(default_factory=dict)

    def to_dict(self) -> dict:
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
    """Mean, sd, lower VaR/CVaR at each alpha, upper VaR/CVaR at each beta, hit rates."""
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
    """Scenarios needed so the CVaR's confidence half-width is ``rel_error`` of its value.

    Uses the pilot sample's influence-function variance: ``S = (z sd(IF) / (rel_error |CVaR|))^2``,
    rounded up to a multiple of 1,000 and at least ``min_count``. A CVaR of zero has no
    relative error; ValueError then says to give an absolute target instead.
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
