"""The optimiser's internal problem description: plain frozen dataclasses over driver indices.

``ConstraintSpec`` (constraints.py) is the user-facing pydantic model; it converts into these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupRule:
    """At least ``min_count`` and at most ``max_count`` drivers of ``members`` in a lineup."""

    members: frozenset[int]
    min_count: int = 0
    max_count: int | None = None
    name: str = ""


@dataclass(frozen=True)
class LineupRules:
    """Everything a single lineup must satisfy.

    ``differ_from`` lists earlier lineups; the new lineup must differ from each in at least
    ``min_differ`` drivers (i.e. share at most ``roster_size - min_differ`` with it).
    """

    roster_size: int
    salary_cap: int
    min_salary: int = 0
    locks: frozenset[int] = frozenset()
    excludes: frozenset[int] = frozenset()
    groups: tuple[GroupRule, ...] = ()
    differ_from: tuple[tuple[int, ...], ...] = ()
    min_differ: int = 1

    def admits(self, lineup: tuple[int, ...] | list[int], salaries) -> bool:
        """True if ``lineup`` (driver indices) satisfies every rule; the reference check."""
        s = set(int(i) for i in lineup)
        if len(s) != self.roster_size or len(s) != len(lineup):
            return False
        total = int(sum(int(salaries[i]) for i in s))
        if total > self.salary_cap or total < self.min_salary:
            return False
        if not self.locks <= s or self.excludes & s:
            return False
        for g in self.groups:
            c = len(g.members & s)
            if c < g.min_count or (g.max_count is not None and c > g.max_count):
                return False
        max_shared = self.roster_size - self.min_differ
        return all(len(s & set(prev)) <= max_shared for prev in self.differ_from)
