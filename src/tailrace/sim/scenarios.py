"""Scenarios: the scenario matrix plus the simulated outcomes behind it.

The two orientations of the scenario matrix (one name each, everywhere)
-------------------------------------------------------------------------
``points`` (and its short local form ``pts``) is always scenario rows: shape
(n_scenarios, n_drivers), ``points[s, i]`` the points of driver ``i`` in scenario ``s``. This
is ``Scenarios.points``, what every Python function takes and returns, what the contest
kernels read and what is cached and written to ``.npz``. ``driver_points`` is always the
transpose, driver rows: shape (n_drivers, n_scenarios), float64, C-contiguous, so a lineup's
scores are a sum of contiguous rows; it is made once by the exact search
(``optimize.search``: ``driver_points = points.T``, copied) and read by its kernels, where
it is the argument ``P`` (``optimize._kernels``; their ``PS`` is the same engine's scenario-row
copy, ``scenario_points()``). Outside those kernels no array named ``P`` holds points.
"""

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
