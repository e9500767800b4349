"""Each contest's field, drawn once per role of the day's plan (build, allocate, report).

A contest's field for a role is sampled from the generator ``[seed, role, i]`` (``i`` the
contest's place in the file), so the three roles see three independent fields of the same
contest, and the same inputs and seed give the same fields on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tailrace.pipeline import contest_from_options
from tailrace.plan.contests import DayContest
from tailrace.slate import Slate

__all__ = ["BUILD", "ALLOCATE", "REPORT", "DayFields"]

BUILD, ALLOCATE, REPORT = 7, 8, 9  # the roles' field seeds (the result's ``scenarios.*.field_seed``)


@dataclass(frozen=True)
class DayFields:
    """Draws the day's contests (``run.run_plan``'s field options).

    Attributes
    ----------
    slate : Slate
    seed : int
        The plan's seed (the first word of every field's generator).
    field_sharpness, ownership_error
        As ``pipeline.contest_from_options`` takes them.
    make_contest : callable or None
        ``make_contest(i, contest, points, rng) -> Contest`` in place of
        ``pipeline.contest_from_options`` (a benchmark may draw its own fields).
    """

    slate: Slate
    seed: int
    field_sharpness: Any = "auto"
    ownership_error: float | None = None
    make_contest: Callable[[int, DayContest, np.ndarray, np.random.Generator], Any] | None = None

    def contest(self, i: int, dc: DayContest, points: np.ndarray, role: int) -> tuple[Any, list[str]]:
        """Contest ``i`` (``dc``) on ``points`` with its field for ``role``.

        Returns
        -------
        contest : Contest
        warnings : list of str
            The field's own warnings (its ownership report's problems), each prefixed with the
            contest's name; empty from ``make_contest``.
        """
        rng = np.random.default_rng([self.seed, role, i])
        if self.make_contest is not None:
            return self.make_contest(i, dc, points, rng), []
        w: list[str] = []
        c = contest_from_options(self.slate, points, payouts=dc.payouts, ownership=dc.ownership,
                                 entry_fee=dc.entry_fee, field_size=dc.field_size, rake=dc.rake, seed=rng,
                                 warnings=w, field_sharpness=self.field_sharpness,
                                 ownership_error=self.ownership_error)
        return c, [f"{dc.name}: {m}" for m in w]
