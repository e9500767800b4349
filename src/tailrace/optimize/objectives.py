"""Lineup objectives: mean, lower/upper CVaR, hit rate and positive blends of them.

An :class:`Objective` is a small frozen value; ``evaluate`` scores lineup outcomes with
``tailrace.tail`` exactly (same tail sizes, ties and float64 arithmetic), so the optimiser's
reported value is the number the tail-metrics module gives for the chosen lineup.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from tailrace import tail

__all__ = ["Objective", "ObjectiveKind"]


class ObjectiveKind(StrEnum):
    """The one list of objective kinds.

    The value (``"upper_cvar"``) is the library's spelling, used in ``Objective.kind`` and in
    ``Objective.name``; :attr:`spec_name` (``"upper-cvar"``) is the spelling of constraint
    specs, the CLI and the REST API. :meth:`parse` reads either, and the aliases users type.
    """

    MEAN = "mean"
    UPPER_CVAR = "upper_cvar"
    LOWER_CVAR = "lower_cvar"
    TARGET_PROB = "target_prob"
    BLEND = "blend"

    @property
    def spec_name(self) -> str:
        """The kind as constraint specs, the CLI and the API spell it (``"upper-cvar"``)."""
        return self.value.replace("_", "-")

    @property
    def is_cvar(self) -> bool:
        """Whether the kind is a CVaR (it then needs a tail ``level``)."""
        return self in (ObjectiveKind.UPPER_CVAR, ObjectiveKind.LOWER_CVAR)

    @classmethod
    def parse(cls, text: str) -> ObjectiveKind:
        """The kind named by ``text``: either spelling, any case, spaces or dashes or
        underscores, and the aliases ``cvar-upper``, ``upper``, ``cvar-lower``, ``lower``,
        ``target``, ``hit-rate``, ``expected``, ``ev``, ``multi-cvar``. Raises ValueError
        for anything else."""
        key = re.sub(r"[\s_-]+", "_", str(text).strip().lower())
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"objective kind must be one of {[k.spec_name for k in cls]}, got {text!r}") from None


_ALIASES = {"cvar_upper": "upper_cvar", "upper": "upper_cvar", "cvar_lower": "lower_cvar", "lower": "lower_cvar",
            "target": "target_prob", "hit_rate": "target_prob", "expected": "mean", "ev": "mean",
            "multi_cvar": "blend"}
_KINDS = tuple(k.value for k in ObjectiveKind)


def _fmt(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Objective:
    """What a lineup maximises: the mean, a CVaR, a hit rate, or a positive blend of them.

    A small frozen (hashable) value. Build it with the static constructors
    (:meth:`mean`, :meth:`upper_cvar`, :meth:`lower_cvar`, :meth:`target_prob`,
    :meth:`blend`); the dataclass constructor takes the same fields and validates them
    the same way.

    Parameters
    ----------
    kind : {"mean", "upper_cvar", "lower_cvar", "target_prob", "blend"}
        What is measured: expected points, the mean of the best ``level`` share of
        scenarios (tournaments), of the worst ``level`` share (cash games), the share of
        scenarios scoring ``>= target``, or a weighted sum of ``terms``.
    level : float, optional
        Tail share in (0, 1]: beta for ``upper_cvar``, alpha for ``lower_cvar``. Required by
        those kinds, ignored by the others.
    target : float, optional
        Score to reach for ``target_prob`` (finite). Required by that kind, ignored by the
        others.
    terms : tuple of (float, Objective), default=()
        For ``blend``: positive, finite weights and their components, which may themselves
        be blends. Required (non-empty) by that kind, ignored by the others.

    Raises
    ------
    ValueError
        If ``kind`` is unknown; if a CVaR kind has no ``level`` in (0, 1]; if
        ``target_prob`` has no finite ``target``; if a blend has no terms, a term that is
        not an Objective, or a weight that is not positive and finite.

    Notes
    -----
    :meth:`evaluate` scores with :mod:`tailrace.tail` (same tail sizes, ties and float64
    arithmetic), so the optimiser's value for a lineup is the tail-metrics figure for it.
    A blend is a weighted sum, not an average: weights are not normalised.
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
        """Expected points: the mean over scenarios.

        Returns
        -------
        Objective
            ``Objective("mean")``.
        """
        return Objective("mean")

    @staticmethod
    def upper_cvar(beta: float) -> "Objective":
        """Upper CVaR: the mean of the best ``beta`` share of scenarios (tournaments).

        Parameters
        ----------
        beta : float
            Tail share, in (0, 1] (see :func:`tailrace.tail.cvar_upper`).

        Returns
        -------
        Objective
            Kind ``"upper_cvar"`` with ``level = float(beta)``.

        Raises
        ------
        ValueError
            If ``beta`` is not a finite number in (0, 1].
        """
        return Objective("upper_cvar", level=float(beta))

    @staticmethod
    def lower_cvar(alpha: float) -> "Objective":
        """Lower CVaR: the mean of the worst ``alpha`` share of scenarios (cash games).

        Parameters
        ----------
        alpha : float
            Tail share, in (0, 1] (see :func:`tailrace.tail.cvar_lower`).

        Returns
        -------
        Objective
            Kind ``"lower_cvar"`` with ``level = float(alpha)``.

        Raises
        ------
        ValueError
            If ``alpha`` is not a finite number in (0, 1].
        """
        return Objective("lower_cvar", level=float(alpha))

    @staticmethod
    def target_prob(target: float) -> "Objective":
        """Hit rate: the share of scenarios in which the lineup scores at least ``target``.

        Parameters
        ----------
        target : float
            Score to reach (see :func:`tailrace.tail.hit_rate`).

        Returns
        -------
        Objective
            Kind ``"target_prob"`` with ``target = float(target)``.

        Raises
        ------
        ValueError
            If ``target`` is not finite.
        """
        return Objective("target_prob", target=float(target))

    @staticmethod
    def blend(terms: list[tuple[float, "Objective"]]) -> "Objective":
        """Positive weighted sum of objectives, e.g. 0.7 upper CVaR 1 % + 0.3 upper CVaR 5 %.

        Parameters
        ----------
        terms : list of (float, Objective)
            Weights and components, e.g.
            ``[(0.7, Objective.upper_cvar(0.01)), (0.3, Objective.upper_cvar(0.05))]``.
            Weights must be positive and finite and are not normalised; components may be
            blends.

        Returns
        -------
        Objective
            Kind ``"blend"`` with ``terms`` as a tuple of ``(float(weight), objective)``.

        Raises
        ------
        ValueError
            If ``terms`` is empty, a component is not an Objective, or a weight is not
            positive and finite.
        """
        return Objective("blend", terms=tuple((float(w), o) for w, o in terms))

    # ------------------------------------------------------------------ helpers
    @property
    def name(self) -> str:
        """Readable name, e.g. ``upper_cvar(0.01)`` or ``0.7*upper_cvar(0.01)+0.3*mean``.

        Levels, targets and weights are formatted with ``:g``; a blend joins its terms'
        ``weight*name`` with ``+``.
        """
        if self.kind == "mean":
            return "mean"
        if self.kind in ("upper_cvar", "lower_cvar"):
            return f"{self.kind}({_fmt(self.level)})"
        if self.kind == "target_prob":
            return f"target_prob({_fmt(self.target)})"
        return "+".join(f"{_fmt(w)}*{o.name}" for w, o in self.terms)

    def leaves(self) -> list[tuple[float, "Objective"]]:
        """The objective flattened into (weight, non-blend objective) pairs.

        Returns
        -------
        list of (float, Objective)
            For a blend, every non-blend component with the product of the weights on its
            path, depth first in term order (a component that occurs twice is listed twice).
            For any other kind, ``[(1.0, self)]``.
        """
        if self.kind != "blend":
            return [(1.0, self)]
        out: list[tuple[float, Objective]] = []
        for w, o in self.terms:
            out.extend((w * w2, o2) for w2, o2 in o.leaves())
        return out

    def evaluate(self, x: np.ndarray) -> float | np.ndarray:
        """Score lineups on this objective.

        Parameters
        ----------
        x : ndarray of shape (n_scenarios,) or (n_scenarios, n_lineups)
            Lineup points, one row per equally likely scenario, one column per lineup.
            Computed in float64.

        Returns
        -------
        value : float or ndarray of shape (n_lineups,)
            The objective: the mean, :func:`tailrace.tail.cvar_upper`,
            :func:`tailrace.tail.cvar_lower` or :func:`tailrace.tail.hit_rate` of each
            column, or for a blend the weighted sum of its terms' values.
            If ``x`` is a 1D-array, the result is a float.
            If ``x`` is a 2D-array, the result is a float64 ndarray of shape (n_lineups,).

        Raises
        ------
        ValueError
            If ``x`` is not 1D or 2D or has no rows; for the CVaR and hit-rate kinds also if
            it contains NaN (the ``mean`` kind does not check for NaN).
        """
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
