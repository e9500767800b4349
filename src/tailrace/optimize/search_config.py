"""The exact search's knobs (``SearchConfig``, ``DEFAULT_CONFIG``) and its results (``SolveResult``,
``TopK``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np


@dataclass(frozen=True)
class SearchConfig:
    """Tuning knobs of the exact search. None of them changes the answer, only the work done.

    Parameters
    ----------
    max_splits : int
        Splits of a lineup into parts tried by the subadditivity bound (best of them kept).
    target_grid : int
        Grid points t of the two-part bound on a target probability.
    excess_lambda : float
        Excess pass: each upper leaf's threshold sits this share of the way from the
        incumbent's VaR to its CVaR (tighter prunes more, higher enumerates fewer pairs).
    pairs_per_lineup : float
        Excess pass: thresholds are raised so that the expected (scenario, lineup) pair count
        stays under this many per feasible lineup.
    excess_min : int
        The excess pass runs only when more than this many lineups are alive (below that,
        evaluating them is cheaper). Tests set -1 to run it at every solve.
    excess_chunks : int
        Scenario chunks of the excess pass, each with its own accumulators. Fixed (not the
        thread count) so the bounds, and with them evaluation order and tie-breaks, are the
        same bytes on every machine.
    sample_lineups : int
        Evenly spaced lineups that estimate the excess pass's pair floor.
    n_cuts : int
        Lower CVaR: cutting planes taken from each batch of evaluated lineups.
    upper_strategy : {"auto", "lists"}
        How upper-CVaR leaves are bounded: ``"auto"`` takes the excess pass where its
        accumulators fit the slate and the list screen otherwise; ``"lists"`` always takes the
        list screen (the path of slates too large for the excess pass).
    """

    max_splits: int = 20
    target_grid: int = 17
    excess_lambda: float = 0.4
    pairs_per_lineup: float = 8.0
    excess_min: int = 20_000
    excess_chunks: int = 2
    sample_lineups: int = 128
    n_cuts: int = 256
    upper_strategy: Literal["auto", "lists"] = "auto"


DEFAULT_CONFIG = SearchConfig()


@dataclass(frozen=True)
class SolveResult:
    """The best lineup of one solve and its certificate.

    ``index`` points into the engine's enumeration; ``kernel_value`` is its exact value in
    kernel arithmetic; ``bound`` is at least the value of every active lineup (equal to
    ``kernel_value`` when ``status`` is ``"optimal"``); ``n_evaluated`` counts the lineups
    this solve evaluated exactly. ``status`` says why the search stopped: ``"optimal"``
    (proven), ``"time_limit"`` (the clock) or ``"work_budget"`` (``max_evaluated`` lineups).
    """

    index: int
    kernel_value: float
    bound: float
    status: Literal["optimal", "time_limit", "work_budget"]
    n_evaluated: int


class TopK(NamedTuple):
    """The k best lineups (indices into the enumeration, best first) and whether that is
    proven by bounds (False when a deadline cut the search short)."""

    indices: np.ndarray
    proven: bool
