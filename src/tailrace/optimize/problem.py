"""The optimiser's internal problem description: plain frozen dataclasses over driver indices.

``ConstraintSpec`` (constraints.py) is the user-facing pydantic model; it converts into these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupRule:
    """At least ``min_count`` and at most ``max_count`` drivers of ``members`` in a lineup.

    ``all_or_none`` adds that the count is 0 or ``len(members)``: the members go together
    (teammates stacked) or not at all. No interval of counts says that, so it is a flag of
    its own, checked by the same enumeration kernel as the bounds.
    """

    members: frozenset[int]
    min_count: int = 0
    max_count: int | None = None
    name: str = ""
    all_or_none: bool = False

    def holds(self, count: int) -> bool:
        """True if ``count`` members in a lineup satisfy this rule."""
        if count < self.min_count or (self.max_count is not None and count > self.max_count):
            return False
        return not (self.all_or_none and 0 < count < len(self.members))

    def describe(self) -> str:
        """The rule in words, for conflict messages: "'team X': at most 2"."""
        parts = []
        if self.all_or_none:
            parts.append("all or none")
        if self.min_count:
            parts.append(f"at least {self.min_count}")
        if self.max_count is not None:
            parts.append(f"at most {self.max_count}")
        return f"{self.name or 'group'}: {', '.join(parts) or 'no limit'}"


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
            if not g.holds(len(g.members & s)):
                return False
        max_shared = self.roster_size - self.min_differ
        return all(len(s & set(prev)) <= max_shared for prev in self.differ_from)
