"""Lineup objectives: mean, lower/upper CVaR, hit rate and positive blends of them.

An :class:`Objective` is a small frozen value; ``evaluate`` scores lineup outcomes with
``tailrace.tail`` exactly (same tail sizes, ties and float64 arithmetic), so the optimiser's
reported value is the number the tail-metrics module gives for the chosen lineup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tailrace import tail

__all__ = ["Objective"]

_KINDS = ("mean", "upper_cvar", "lower_cvar", "blend", "target_prob")


def _fmt(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Objective:
    """What a lineup maximises.

    ``kind`` is one of ``mean``, ``upper_cvar`` (``level`` = beta), ``lower_cvar``
    (``level`` = alpha), ``target_prob`` (share of scenarios scoring ``>= target``) or
    ``blend`` (``terms`` = positive weights times components; nested blends are allowed).
    Build them with the static constructors, which validate their arguments.
    """

    kind: str
    level: float | None = None
    target: float | None = None
    terms: tuple[tuple[float, "Objective"], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"objective kind must be one of {_KINDS}, got {self.kind!r}")
        if self.kind in ("upper_cvar", "lower_cvar"):
            if self.level is None or not (0.0 < float(self.level) <= 1.0) or not math.isfinite(self.level):
                raise ValueError(f"{self.kind} needs a level in (0, 1], got {self.level}")
        if self.kind == "target_prob" and (self.target is None or not math.isfinite(self.target)):
            raise ValueError(f"target_prob needs a finite target, got {self.target}")
        if self.kind == "blend":
            if not self.terms:
                raise ValueError("a blend needs at least one (weight, objective) term")
            for w, o in self.terms:
                if not isinstance(o, Objective):
                    raise ValueError(f"blend term must be an Objective, got {type(o).__name__}")
                if not (math.isfinite(w) and w > 0):
                    raise ValueError(f"blend weights must be positive and finite, got {w}")

    # ------------------------------------------------------------------ constructors
    @staticmethod
    def mean() -> "Objective":
        """Expected points."""
        return Objective("mean")

    @staticmethod
    def upper_cvar(beta: float) -> "Objective":
        """Mean of the best ``beta`` share of scenarios (tournaments)."""
        return Objective("upper_cvar", level=float(beta))

    @staticmethod
    def lower_cvar(alpha: float) -> "Objective":
        """Mean of the worst ``alpha`` share of scenarios (cash games)."""
        return Objective("lower_cvar", level=float(alpha))

    @staticmethod
    def target_prob(target: float) -> "Objective":
        """Share of scenarios in which the lineup scores at least ``target``."""
        return Objective("target_prob", target=float(target))

    @staticmethod
    def blend(terms: list[tuple[float, "Objective"]]) -> "Objective":
        """Positive weighted sum of objectives, e.g. 0.7 upper CVaR 1 % + 0.3 upper CVaR 5 %."""
        return Objective("blend", terms=tuple((float(w), o) for w, o in terms))

    # ------------------------------------------------------------------ helpers
    @property
    def name(self) -> str:
        """Readable name, e.g. ``upper_cvar(0.01)`` or ``0.7*upper_cvar(0.01)+0.3*mean``."""
        if self.kind == "mean":
            return "mean"
        if self.kind in ("upper_cvar", "lower_cvar"):
            return f"{self.kind}({_fmt(self.level)})"
        if self.kind == "target_prob":
            return f"target_prob({_fmt(self.target)})"
        return "+".join(f"{_fmt(w)}*{o.name}" for w, o in self.terms)

    def leaves(self) -> list[tuple[float, "Objective"]]:
        """The blend flattened into (weight, non-blend objective) pairs; a leaf gives [(1, self)]."""
        if self.kind != "blend":
            return [(1.0, self)]
        out: list[tuple[float, Objective]] = []
        for w, o in self.terms:
            out.extend((w * w2, o2) for w2, o2 in o.leaves())
        return out

    def evaluate(self, x: np.ndarray) -> float | np.ndarray:
        """Objective of lineup scores ``x`` of shape (S,) -> float or (S, m) -> (m,), via tail.py."""
        a = np.asarray(x, dtype=np.float64)
        if self.kind == "mean":
            if a.ndim not in (1, 2) or a.shape[0] == 0:
                raise ValueError(f"expected shape (n_scenarios,) or (n_scenarios, m), got {a.shape}")
            m = a.mean(axis=0)
            return float(m) if a.ndim == 1 else m
        if self.kind == "upper_cvar":
            return tail.cvar_upper(a, self.level)
        if self.kind == "lower_cvar":
            return tail.cvar_lower(a, self.level)
        if self.kind == "target_prob":
            return tail.hit_rate(a, self.target)
        total = None
        for w, o in self.terms:
            v = w * np.asarray(o.evaluate(a), dtype=np.float64)
            total = v if total is None else total + v
        return float(total) if a.ndim == 1 else total
