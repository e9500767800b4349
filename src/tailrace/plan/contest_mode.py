"""Contest mode for one of the day's contests on the build scenarios, under the day's overlap rule.

``ContestMode.run`` builds a contest's lineups (``pipeline.run_optimize`` with mode ``contest``)
admitting only lineups that keep ``max_overlap_day`` against the lineups already fixed for other
contests (``plan.overlap.overlap_admission``). When the rule leaves the contest too few lineups
it is blamed only if the same build without it is full: that is an InputError naming the contest
and ``max_overlap_day``, never a shorter build (``plan.run``'s module docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tailrace.errors import InfeasibleError, InputError, Problem, as_text
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.pipeline import run_optimize
from tailrace.plan.contests import DayContest
from tailrace.plan.overlap import overlap_admission
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import Slate

__all__ = ["ContestMode"]


@dataclass(frozen=True)
class ContestMode:
    """Contest mode for the day's contests on the build set.

    Attributes
    ----------
    slate : Slate
    scenarios : Scenarios
        The build set (the plan's first).
    contests : sequence of DayContest
    fields : sequence of Contest
        Per contest, its field for the build (``plan.fields.BUILD``).
    executor, contest_cap, max_duplicates
        As ``pipeline.run_optimize`` takes them.
    max_overlap_day : int or None
        Drivers two lineups of different contests may share at most (None: no rule).
    """

    slate: Slate
    scenarios: Scenarios
    contests: Sequence[DayContest]
    fields: Sequence[Any]
    executor: Any = None
    contest_cap: int | None = None
    max_duplicates: float | None = None
    max_overlap_day: int | None = None

    @property
    def overlap_rule(self) -> bool:
        """Whether the day's overlap rule can turn a lineup away (it is below the roster size)."""
        return self.max_overlap_day is not None and int(self.max_overlap_day) < self.slate.site.roster_size

    def rule_warnings(self) -> list[str]:
        """A rule given at or above the roster size is accepted, never silently: it cannot bind."""
        if self.max_overlap_day is None or self.overlap_rule:
            return []
        roster = self.slate.site.roster_size
        return [f"max_overlap_day {int(self.max_overlap_day)} is not below the roster's {roster} drivers: "
                f"no lineup is turned away (give at most {roster - 1} for the rule to act)"]

    def run(self, i: int, n: int, spec: ConstraintSpec, fixed: list[int], lineups: Sequence[np.ndarray],
            what: str) -> Any:
        """Contest mode for contest ``i`` at ``n`` lineups, admitting (with the day's overlap rule)
        only lineups that keep it against ``lineups[j]`` for every ``j`` in ``fixed``.

        Parameters
        ----------
        i : int
            The contest's place in the file.
        n : int
            Lineups it is built for.
        spec : ConstraintSpec
            Contest mode's constraints for it.
        fixed : list of int
            Contests whose lineups are fixed at this point.
        lineups : sequence of ndarray
            Per contest, its lineups as they stand (shape (m_c, roster)).
        what : str
            Words for the error ("it is built for", ...).

        Returns
        -------
        The ``run_optimize`` result.

        Raises
        ------
        InputError
            When the rule leaves it fewer than ``n`` lineups and the build without it is full.
        InfeasibleError
            From contest mode, with or without the rule.
        """
        admit = None
        against = [j for j in fixed if j != i and lineups[j].shape[0]]
        if self.overlap_rule and against:
            admit = overlap_admission(np.concatenate([lineups[j] for j in against]), self.slate.n,
                                      int(self.max_overlap_day))
        run, exc = self._attempt(i, spec, admit)
        if admit is None or (exc is None and len(run.lineups) >= n):
            if exc is not None:
                raise exc
            return run
        # short under the rule: blame it only when the same build without it is not short
        free, free_exc = self._attempt(i, spec, None)
        if free_exc is not None:
            raise free_exc
        if len(free.lineups) < n and run is not None:
            return run  # short either way: what it was before the rule (run_optimize's warning says so)
        raise self._too_few(i, n, against, lineups, run, exc, what)

    def _attempt(self, i: int, spec: ConstraintSpec, rule: Any) -> tuple[Any, InfeasibleError | None]:
        try:
            return run_optimize(self.slate, self.scenarios, spec, explain=False, timings=False,
                                contest=self.fields[i], executor=self.executor, contest_cap=self.contest_cap,
                                max_duplicates=self.max_duplicates, admit=rule), None
        except InfeasibleError as exc:
            return None, exc

    def _too_few(self, i: int, n: int, against: list[int], lineups: Sequence[np.ndarray], run: Any,
                 exc: InfeasibleError | None, what: str) -> InputError:
        """The error naming contest ``i``, the contests it was held against and the fix."""
        short = (f"only {len(run.lineups)} of the {n} lineups {what} keep it" if exc is None else
                 f"contest mode cannot find the {n} lineups {what} under it ({as_text(exc)})")
        names = ", ".join(f"'{as_text(self.contests[j].name)}'" for j in against)
        n_against = sum(lineups[j].shape[0] for j in against)
        name = as_text(self.contests[i].name)
        k = self.max_overlap_day
        return InputError(Problem(
            f"contest '{name}': the day's overlap rule (lineups of different contests share at "
            f"most {k} drivers) leaves it too few lineups against the {n_against} of {names}: {short}",
            param="max_overlap_day", fix=f"raise {{max_overlap_day={int(k) + 1}}} or more, or lower "
                                         f"max_entries of '{name}' (or of {names})"))
