"""Scenarios: the scenario matrix plus the simulated outcomes behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Scenarios:
    """A set of simulated races for one slate.

    ``points`` is the scenario matrix: float32, shape (n_scenarios, n_drivers), the fantasy
    points of each driver in each scenario, columns in the order of ``driver_ids`` (the
    site's IDs, as strings). Outcome arrays, when present, have the same shape:
    ``finish`` (1-based, int16), ``laps_led``, ``fastest_laps``, ``laps_completed`` (int16)
    and ``dnf`` (bool). A user's external matrix has points only (outcomes None).
    ``meta`` holds how it was made (seed, count, track, model parameters, seconds) and, from the
    scenario cache, ``cache_key`` (the entry's name; whether a lookup hit is not in ``meta``).
    """

    points: np.ndarray
    driver_ids: tuple[str, ...]
    finish: np.ndarray | None = None
    laps_led: np.ndarray | None = None
    fastest_laps: np.ndarray | None = None
    laps_completed: np.ndarray | None = None
    dnf: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_scenarios(self) -> int:
        return int(self.points.shape[0])

    @property
    def n_drivers(self) -> int:
        return int(self.points.shape[1])

    @property
    def has_outcomes(self) -> bool:
        return self.finish is not None

    def stage_warnings(self) -> list[str]:
        """The simulation's warnings (``meta["warnings"]``), each prefixed ``simulation:`` as every
        face reports them (CLI output, JSON results, API responses)."""
        return [f"simulation: {w}" for w in (self.meta or {}).get("warnings", [])]
