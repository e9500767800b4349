"""Relation rules of a ConstraintSpec: limits by team, manufacturer, teammates and start band.

People state these through relations ("at most 2 of any one team", "Hamlin and Bell apart",
"at most 2 of the top-5 starters") rather than as lists of drivers. Each resolves, for one
slate, to ordinary :class:`~tailrace.optimize.problem.GroupRule` s, so every optimiser mode
(independent, marginal, contest), the brute-force reference ``LineupRules.admits``, the
explanations (``constraint_binding``) and the conflict finder treat them exactly like
hand-written groups:

``team_max``
    ``{max: k}`` → one group "at most k" per team on the slate with more than k drivers;
    ``{team: T, max: k}`` → one group for team T (it replaces the any-team limit for T).
``manufacturer_max``
    the same by manufacturer (``{manufacturer: M, max: k}`` for one make).
``teammates``
    ``{drivers: [A, B, ...], rule: apart}`` → at most one of them;
    ``{..., rule: together}`` → all of them or none (``GroupRule.all_or_none``).
``max_from_start_band``
    ``{first: 1, last: 5, max: 2}`` → at most 2 of the drivers starting 1st to 5th.

Team and manufacturer are read from the slate's drivers (``Driver.team`` /
``Driver.manufacturer``); :func:`fill_affiliations` fills the blanks from a history or the
graph before resolving. A rule naming a team or make absent from the slate, or needing a team
that some non-excluded driver lacks, is an input problem naming the value and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tailrace.errors import Problem
from tailrace.optimize.problem import GroupRule
from tailrace.slate import Slate

__all__ = ["TeamLimit", "MakeLimit", "Teammates", "StartBand", "relation_groups", "fill_affiliations",
           "as_list"]


def as_list(v: Any) -> Any:
    """Accept ``2`` (any-team limit), one mapping, or a list of mappings for a limit field."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return [{"max": v}]
    if isinstance(v, dict):
        return [v]
    return v


class TeamLimit(BaseModel):
    """At most ``max`` drivers of one team per lineup: of ``team``, or of each team when None."""

    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(default=None, description="team name; leave out for 'any one team'")
    max: int = Field(ge=0, description="drivers of that team a lineup may hold")


class MakeLimit(BaseModel):
    """At most ``max`` drivers of one manufacturer per lineup (of ``manufacturer``, or of each)."""

    model_config = ConfigDict(extra="forbid")

    manufacturer: str | None = Field(default=None, description="make; leave out for 'any one make'")
    max: int = Field(ge=0, description="drivers of that make a lineup may hold")


class Teammates(BaseModel):
    """A named pair or set of drivers kept ``together`` (all or none) or ``apart`` (at most one)."""

    model_config = ConfigDict(extra="forbid")

    drivers: list[str] = Field(min_length=2)
    rule: Literal["together", "apart"]
    name: str = ""


class StartBand(BaseModel):
    """At most ``max`` drivers starting ``first``..``last`` (1-based, inclusive) per lineup."""

    model_config = ConfigDict(extra="forbid")

    first: int = Field(default=1, ge=1)
    last: int = Field(ge=1)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _check(self) -> StartBand:
        if self.last < self.first:
            raise ValueError(f"last ({self.last}) is before first ({self.first})")
        return self


def _key(s: str) -> str:
    return " ".join(s.casefold().split())


def _closest(value: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(_key(value), [_key(k) for k in known], n=3, cutoff=0.5)
    by_key = {_key(k): k for k in known}
    if close:
        return "did you mean " + ", ".join(f"'{by_key[c]}'" for c in close) + "?"
    shown = ", ".join(sorted(known)[:12]) or "none"
    return f"{what}s on this slate: {shown}"


def relation_groups(
    *,
    team_max: list[TeamLimit],
    manufacturer_max: list[MakeLimit],
    teammates: list[Teammates],
    start_bands: list[StartBand],
    slate: Slate,
    look: Callable[[str, str], int | None],
    excludes: set[int],
    source: str | None = None,
) -> tuple[list[GroupRule], list[Problem]]:
    """The group rules the relation rules stand for on ``slate``, and the problems found.

    Parameters
    ----------
    team_max, manufacturer_max, teammates, start_bands
        The spec's relation rules.
    slate
        The slate; its drivers' ``team``, ``manufacturer`` and ``start`` are what the rules read.
    look
        ``look(ref, field)`` → driver index, or None after recording a problem (the spec's matcher).
    excludes
        Indices the spec excludes: they need no team or start, since they are in no lineup.
    source
        The spec's file, for problems.

    Returns
    -------
    groups : list of GroupRule
        In the order team, manufacturer, teammates, start band.
    problems : list of Problem
        Teams or makes absent from the slate, drivers lacking the attribute a rule reads.
    """
    groups: list[GroupRule] = []
    problems: list[Problem] = []
    n = slate.n
    for attr, rules, label, fld in (("team", team_max, "team", "team_max"),
                                    ("manufacturer", manufacturer_max, "manufacturer", "manufacturer_max")):
        if not rules:
            continue
        values = [getattr(d, attr) for d in slate.drivers]
        lacking = [slate.drivers[i].name for i in range(n) if not values[i] and i not in excludes]
        if lacking:
            more = f" and {len(lacking) - 6} more" if len(lacking) > 6 else ""
            problems.append(Problem(
                f"{fld} counts drivers by {label}, but no {label} is known for {', '.join(lacking[:6])}{more}",
                file=source, field=fld,
                fix=f"add a '{label}' column to the projections file, give a race history with a {label} "
                    f"column (CLI --history, API history_id), or load the history into the graph"))
            continue
        members: dict[str, set[int]] = {}
        shown: dict[str, str] = {}
        for i, v in enumerate(values):
            if v and i not in excludes:
                members.setdefault(_key(v), set()).add(i)
                shown.setdefault(_key(v), v)
        named = {_key(getattr(r, attr)) for r in rules if getattr(r, attr)}
        for k_r, r in enumerate(rules):
            which = getattr(r, attr)
            if which is None:
                for key in sorted(members):
                    if key not in named and len(members[key]) > r.max:
                        groups.append(GroupRule(frozenset(members[key]), 0, r.max, f"{label} {shown[key]}"))
                continue
            key = _key(which)
            if key not in members:
                problems.append(Problem(f"{label} '{which}' has no driver on this slate", file=source,
                                        field=f"{fld}[{k_r}].{attr}",
                                        fix=_closest(which, list(shown.values()), label)))
                continue
            groups.append(GroupRule(frozenset(members[key]), 0, r.max, f"{label} {shown[key]}"))
    for k_t, t in enumerate(teammates):
        idx = [look(v, f"teammates[{k_t}].drivers[{k}]") for k, v in enumerate(t.drivers)]
        if any(i is None for i in idx):
            continue
        mem = frozenset(int(i) for i in idx if i is not None)
        if len(mem) < 2:  # e.g. [A, A], or two spellings of one driver: the rule would do nothing
            problems.append(Problem(f"teammates[{k_t}] names one driver ({slate.drivers[min(mem)].name}) "
                                    f"{len(idx)} times: the rule needs at least two drivers",
                                    file=source, field=f"teammates[{k_t}].drivers",
                                    fix="list two or more different drivers"))
            continue
        who = " + ".join(slate.drivers[i].name for i in sorted(mem))
        name = t.name or f"teammates {who} {t.rule}"
        if t.rule == "apart":
            groups.append(GroupRule(mem, 0, 1, name))
        else:
            groups.append(GroupRule(mem, 0, None, name, all_or_none=True))
    for k_b, b in enumerate(start_bands):
        lacking = [d.name for i, d in enumerate(slate.drivers) if d.start is None and i not in excludes]
        if lacking:
            problems.append(Problem(f"max_from_start_band reads start positions, but {', '.join(lacking[:6])} "
                                    "have none", file=source, field=f"max_from_start_band[{k_b}]",
                                    fix="give start positions in the projections file (column 'start')"))
            continue
        mem = frozenset(i for i, d in enumerate(slate.drivers)
                        if d.start is not None and b.first <= d.start <= b.last and i not in excludes)
        if len(mem) > b.max:
            groups.append(GroupRule(mem, 0, b.max, f"start {b.first}-{b.last}"))
    return groups, problems


def fill_affiliations(slate: Slate, known: Sequence[tuple[str | None, str | None]]) -> Slate:
    """A copy of ``slate`` whose missing team / manufacturer are taken from ``known``.

    ``known`` holds one ``(team, manufacturer)`` per slate driver, in slate order, as a history
    or the graph knows them (``HistoryModel.affiliations(slate.names)``: the driver's latest
    race; None where unknown). Values the slate already has (the projections file's) win.
    """
    drivers = []
    changed = False
    for d, (team, make) in zip(slate.drivers, known, strict=True):
        new = replace(d, team=d.team or team, manufacturer=d.manufacturer or make)
        changed |= new != d
        drivers.append(new)
    return replace(slate, drivers=tuple(drivers)) if changed else slate
