"""ConstraintSpec: the user's constraints and objective as a pydantic model, and their resolution.

A spec names drivers the way people do (names, or site IDs); ``ConstraintSpec.resolve(slate)``
turns it into driver indices (``ResolvedSpec``: LineupRules, Objective, exposure limits), and
checks the obvious conflicts up front so the optimiser never starts on a hopeless problem.

Exposure shares become lineup counts as ``min: ceil(share * N)`` and ``max: floor(share * N)``
(with a 1e-9 tolerance, so 0.4 of 20 is 8). A per-driver max exposure overrides the global
max for that driver; ``ResolvedSpec.max_exposure`` holds the effective cap of every driver
the global cap touches, so the optimiser sees one unambiguous number per driver. A locked
driver is in every lineup, so the global max does not apply to it (a per-driver max does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from tailrace.errors import InfeasibleError, InputError, Problem
from tailrace.optimize.objectives import Objective, ObjectiveKind
from tailrace.optimize.problem import GroupRule, LineupRules
from tailrace.optimize.relations import MakeLimit, StartBand, TeamLimit, Teammates, as_list, relation_groups
from tailrace.slate import Slate, find_left_out, left_out_reason, match_names, ref_site_id
from tailrace.textfile import parse_json, parse_yaml, read_text_file

__all__ = [
    "BlendTerm",
    "ObjectiveSpec",
    "GroupSpec",
    "ConstraintSpec",
    "ResolvedSpec",
    "DriverMatcher",
    "exposure_counts",
    "parse_blend",
]

# the kinds in the spec spelling (ObjectiveKind.spec_name), as the OpenAPI schema lists them
SpecKind = Literal["mean", "lower-cvar", "upper-cvar", "blend", "target-prob"]
TermKind = Literal["mean", "lower-cvar", "upper-cvar", "target-prob"]
Mode = Literal["independent", "marginal", "contest"]

_EPS = 1e-9

DEFAULT_ALPHA = 0.2  # cash games: worst 20 %
DEFAULT_BETA = 0.01  # tournaments: best 1 %


def _canon_kind(v: Any) -> Any:
    """A kind in the spec spelling (``"upper-cvar"``) from any spelling or alias
    (``ObjectiveKind.parse``); unknown text is left for pydantic to refuse, listing the kinds."""
    if not isinstance(v, str):
        return v
    try:
        return ObjectiveKind.parse(v).spec_name
    except ValueError:
        return v


def _leaf_objective(kind: str, level: float | None) -> Objective:
    """One non-blend Objective from a spec kind and its level (CVaR defaults when unset)."""
    k = ObjectiveKind.parse(kind)
    if k is ObjectiveKind.UPPER_CVAR:
        return Objective.upper_cvar(DEFAULT_BETA if level is None else level)
    if k is ObjectiveKind.LOWER_CVAR:
        return Objective.lower_cvar(DEFAULT_ALPHA if level is None else level)
    if k is ObjectiveKind.TARGET_PROB:
        return Objective.target_prob(float(level))
    return Objective.mean()


class BlendTerm(BaseModel):
    """One weighted part of a blend: ``weight * kind(level)``; level is alpha/beta or the target."""

    model_config = ConfigDict(extra="forbid")

    weight: float = Field(gt=0, description="positive weight of this term")
    kind: TermKind
    level: float | None = Field(default=None, description="alpha or beta in (0, 1], or target points")

    @field_validator("kind", mode="before")
    @classmethod
    def _canon(cls, v: Any) -> Any:
        return _canon_kind(v)

    @model_validator(mode="after")
    def _check_level(self) -> BlendTerm:
        kind = ObjectiveKind.parse(self.kind)
        if kind.is_cvar:
            if self.level is None:
                self.level = DEFAULT_BETA if kind is ObjectiveKind.UPPER_CVAR else DEFAULT_ALPHA
            if not (0.0 < self.level <= 1.0):
                raise ValueError(f"level of a {self.kind} term must lie in (0, 1], got {self.level}")
        elif kind is ObjectiveKind.TARGET_PROB and self.level is None:
            raise ValueError("a target-prob term needs level = the target score in points")
        return self


def parse_blend(text: str) -> list[dict[str, Any]]:
    """Parse ``"0.7:upper-cvar:0.01,0.3:upper-cvar:0.05"`` into blend-term dicts (ValueError if malformed)."""
    terms: list[dict[str, Any]] = []
    for i, part in enumerate(p.strip() for p in text.split(",")):
        if not part:
            continue
        bits = [b.strip() for b in part.split(":")]
        if len(bits) not in (2, 3):
            raise ValueError(
                f"blend term {i + 1} '{part}' must look like WEIGHT:KIND:LEVEL, e.g. 0.7:upper-cvar:0.01"
            )
        try:
            weight = float(bits[0])
            level = float(bits[2]) if len(bits) == 3 and bits[2] else None
        except ValueError:
            raise ValueError(f"blend term {i + 1} '{part}': weight and level must be numbers") from None
        terms.append({"weight": weight, "kind": bits[1], "level": level})
    if not terms:
        raise ValueError("blend is empty: give terms like 0.7:upper-cvar:0.01,0.3:upper-cvar:0.05")
    return terms


class ObjectiveSpec(BaseModel):
    """What each lineup maximises: mean, lower/upper CVaR, a blend, or the chance of a target."""

    model_config = ConfigDict(extra="forbid")

    kind: SpecKind = "upper-cvar"
    alpha: float | None = Field(default=None, gt=0, le=1, description="lower-CVaR level (worst share)")
    beta: float | None = Field(default=None, gt=0, le=1, description="upper-CVaR level (best share)")
    target: float | None = Field(default=None, description="target score for target-prob")
    blend: list[BlendTerm] = Field(default_factory=list)

    @field_validator("kind", mode="before")
    @classmethod
    def _canon(cls, v: Any) -> Any:
        return _canon_kind(v)

    @field_validator("blend", mode="before")
    @classmethod
    def _blend_from_text(cls, v: Any) -> Any:
        return parse_blend(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _check(self) -> ObjectiveSpec:
        if self.kind == "blend" and not self.blend:
            raise ValueError("kind 'blend' needs blend terms, e.g. 0.7:upper-cvar:0.01,0.3:upper-cvar:0.05")
        if ObjectiveKind.parse(self.kind) is ObjectiveKind.TARGET_PROB and self.target is None:
            raise ValueError("kind 'target-prob' needs target (the score to reach, in points)")
        return self

    def to_objective(self) -> Objective:
        """The optimiser's Objective for this spec (defaults: alpha 0.2, beta 0.01)."""
        kind = ObjectiveKind.parse(self.kind)
        if kind is ObjectiveKind.BLEND:
            return Objective.blend([(t.weight, _leaf_objective(t.kind, t.level)) for t in self.blend])
        level = {ObjectiveKind.UPPER_CVAR: self.beta, ObjectiveKind.LOWER_CVAR: self.alpha,
                 ObjectiveKind.TARGET_PROB: self.target}.get(kind)
        return _leaf_objective(self.kind, level)

    def tail_beta(self) -> float:
        """The upper-tail level explanations and validation should look at (beta, or the blend's smallest)."""
        if ObjectiveKind.parse(self.kind) is ObjectiveKind.UPPER_CVAR and self.beta is not None:
            return self.beta
        levels = [t.level for t in self.blend if ObjectiveKind.parse(t.kind) is ObjectiveKind.UPPER_CVAR and t.level is not None]
        return min(levels) if levels else DEFAULT_BETA


class GroupSpec(BaseModel):
    """At least / at most so many drivers of a named set (a team, a manufacturer) per lineup."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    drivers: list[str] = Field(min_length=1)
    at_most: int | None = Field(default=None, ge=0)
    at_least: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> GroupSpec:
        if self.at_most is None and self.at_least is None:
            raise ValueError("a group needs at_most or at_least (or both)")
        if self.at_most is not None and self.at_least is not None and self.at_least > self.at_most:
            raise ValueError(f"at_least ({self.at_least}) is more than at_most ({self.at_most})")
        return self


Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]  # share of the portfolio's lineups


class ConstraintSpec(BaseModel):
    """Everything the user constrains: drivers, exposures, groups, salary, overlap, objective, count, mode.

    Drivers are named by site ID or by name (matched tolerantly: case, punctuation, accents, Jr.).
    Exposures are shares of the portfolio in [0, 1] (0.4 = 40 %). The relation rules
    (``team_max``, ``manufacturer_max``, ``teammates``, ``max_from_start_band``; see
    ``tailrace.optimize.relations``) become group rules when the spec is resolved.
    """

    model_config = ConfigDict(extra="forbid")

    locks: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)
    min_exposure: dict[str, Share] = Field(default_factory=dict)
    max_exposure: dict[str, Share] = Field(default_factory=dict)
    global_max_exposure: float | None = Field(default=None, gt=0, le=1)
    groups: list[GroupSpec] = Field(default_factory=list)
    team_max: list[TeamLimit] = Field(default_factory=list)
    manufacturer_max: list[MakeLimit] = Field(default_factory=list)
    teammates: list[Teammates] = Field(default_factory=list)
    max_from_start_band: list[StartBand] = Field(default_factory=list)
    min_salary: int | None = Field(default=None, ge=0)
    max_salary: int | None = Field(default=None, gt=0)
    max_overlap: int | None = Field(default=None, ge=0)
    min_unique: int | None = Field(default=None, ge=1)
    objective: ObjectiveSpec = Field(default_factory=ObjectiveSpec)
    n_lineups: int = Field(default=1, ge=1, le=150)
    mode: Mode = "independent"

    _source: str | None = PrivateAttr(default=None)  # the file it came from, for error messages

    @field_validator("locks", "excludes", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, (str, int)) else v

    @field_validator("team_max", "manufacturer_max", "max_from_start_band", mode="before")
    @classmethod
    def _limits(cls, v: Any) -> Any:
        return as_list(v)

    @field_validator("locks", "excludes", mode="after")
    @classmethod
    def _strip(cls, v: list[str]) -> list[str]:
        out = [s.strip() for s in v]
        if any(not s for s in out):
            raise ValueError("a driver name or site ID is empty; give one per entry, or leave the list out")
        return out

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _check(self) -> ConstraintSpec:
        if self.min_salary is not None and self.max_salary is not None and self.min_salary > self.max_salary:
            raise ValueError(f"min_salary ({self.min_salary}) is more than max_salary ({self.max_salary})")
        return self

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_data(cls, data: Any, source: str | None = None) -> ConstraintSpec:
        """Validate a parsed mapping; InputError lists every bad field by its path (e.g. objective.beta)."""
        if not isinstance(data, dict):
            raise InputError(
                Problem(
                    f"a constraint spec must be a mapping of fields, got {type(data).__name__}",
                    file=source,
                    fix="write it as a JSON object or a YAML mapping, e.g. {\"n_lineups\": 20}",
                )
            )
        try:
            spec = cls.model_validate(data)
        except ValidationError as exc:
            raise InputError([_problem_from_error(e, source) for e in exc.errors()]) from None
        spec._source = source
        return spec

    @classmethod
    def load(cls, path: str | Path) -> ConstraintSpec:
        """Read a spec from JSON (.json) or YAML (.yaml/.yml; other names: JSON, then YAML)."""
        p = Path(path)
        if not p.is_file():
            raise InputError(Problem("constraint spec file not found", file=str(p), fix="check the path"))
        text = read_text_file(p, param="spec")
        return cls.from_data(_parse_text(text, p.suffix.lower(), str(p)), source=str(p))

    def with_overrides(self, **changes: Any) -> ConstraintSpec:
        """A copy with some fields replaced (None values are ignored), validated again."""
        data = self.model_dump()
        given = {k: v for k, v in changes.items() if v is not None}
        if not given:
            return self
        for k, v in given.items():
            if k == "objective" and isinstance(v, dict):
                merged = dict(data["objective"])
                merged.update({a: b for a, b in v.items() if b is not None})
                v = merged
            data[k] = v
        src = f"{self._source} with overrides" if self._source else "overrides"
        return ConstraintSpec.from_data(data, source=src)

    # ------------------------------------------------------------------ resolving

    def resolve(self, slate: Slate) -> ResolvedSpec:
        """Turn names into driver indices for ``slate`` and check obvious conflicts.

        Raises InputError for unknown or ambiguous drivers (with the closest candidates) and
        for values outside the site's limits; InfeasibleError (with ``.conflicts``) when the
        constraints clearly cannot all hold.
        """
        site = slate.site
        r, cap = site.roster_size, site.salary_cap
        matcher = DriverMatcher(slate)
        problems: list[Problem] = []

        def look(ref: str, fld: str, holds_if_left_out: bool = False) -> int | None:
            # holds_if_left_out: an exclude or a cap names a driver the slate left out (not on the
            # starting grid; the reader said so): no lineup can hold him, so the rule holds as it is
            try:
                return matcher.index(ref)
            except LookupError as exc:
                if holds_if_left_out and isinstance(exc, LeftOutDriver):
                    return None
                problems.append(Problem(str(exc.args[0]), file=self._source, field=fld, fix=exc.args[1]))
                return None

        locks = {i for k, v in enumerate(self.locks) if (i := look(v, f"locks[{k}]")) is not None}
        excludes = {i for k, v in enumerate(self.excludes)
                    if (i := look(v, f"excludes[{k}]", holds_if_left_out=True)) is not None}
        min_exp: dict[int, float] = {}
        max_exp: dict[int, float] = {}
        for name, share in self.min_exposure.items():
            if (i := look(name, f"min_exposure.{name}")) is not None:
                min_exp[i] = max(share, min_exp.get(i, 0.0))
        for name, share in self.max_exposure.items():
            if (i := look(name, f"max_exposure.{name}", holds_if_left_out=True)) is not None:
                max_exp[i] = min(share, max_exp.get(i, 1.0))
        groups: list[GroupRule] = []
        for g_i, g in enumerate(self.groups):
            members = {
                i for k, v in enumerate(g.drivers) if (i := look(v, f"groups[{g_i}].drivers[{k}]")) is not None
            }
            groups.append(
                GroupRule(
                    members=frozenset(members),
                    min_count=g.at_least or 0,
                    max_count=g.at_most,
                    name=g.name or f"group {g_i + 1}",
                )
            )
        rel, rel_problems = relation_groups(
            team_max=self.team_max, manufacturer_max=self.manufacturer_max, teammates=self.teammates,
            start_bands=self.max_from_start_band, slate=slate, look=look, excludes=excludes, source=self._source)
        groups.extend(rel)
        problems.extend(rel_problems)
        if self.max_salary is not None and self.max_salary > cap:
            problems.append(
                Problem(
                    f"max_salary {self.max_salary} is above the {site.name} cap of {cap}",
                    field="max_salary",
                    fix=f"use at most {cap}, or leave it out",
                )
            )
        if self.max_overlap is not None and self.max_overlap > r - 1:
            problems.append(
                Problem(
                    f"max_overlap {self.max_overlap} must be below the roster size {r} "
                    "(lineups are always distinct)",
                    field="max_overlap",
                    fix=f"use 0..{r - 1}",
                )
            )
        if self.min_unique is not None and self.min_unique > r:
            problems.append(
                Problem(
                    f"min_unique {self.min_unique} is more than the roster size {r}",
                    field="min_unique",
                    fix=f"use 1..{r}",
                )
            )
        if self.max_overlap is not None and self.min_unique is not None and self.max_overlap != r - self.min_unique:
            problems.append(
                Problem(
                    f"max_overlap {self.max_overlap} and min_unique {self.min_unique} disagree "
                    f"(with {r} drivers, min_unique u means max_overlap {r} - u)",
                    field="max_overlap",
                    fix="give only one of them",
                )
            )
        if problems:
            raise InputError([dc_replace(p, file=p.file or self._source) for p in problems])

        max_overlap = self.max_overlap
        if max_overlap is None and self.min_unique is not None:
            max_overlap = r - self.min_unique
        eff_cap = self.max_salary if self.max_salary is not None else cap
        rules = LineupRules(
            roster_size=r,
            salary_cap=eff_cap,
            min_salary=self.min_salary or 0,
            locks=frozenset(locks),
            excludes=frozenset(excludes),
            groups=tuple(groups),
        )
        # effective per-driver caps: a per-driver max, or a lock, overrides the global max
        eff_max = dict(max_exp)
        if self.global_max_exposure is not None:
            for i in range(slate.n):
                if i not in locks:
                    eff_max.setdefault(i, self.global_max_exposure)
        resolved = ResolvedSpec(
            rules=rules,
            objective=self.objective.to_objective(),
            min_exposure=dict(sorted(min_exp.items())),
            max_exposure=dict(sorted(eff_max.items())),
            global_max_exposure=self.global_max_exposure,
            max_overlap=max_overlap,
            n_lineups=self.n_lineups,
            mode=self.mode,
            tail_beta=self.objective.tail_beta(),
        )
        conflicts = find_conflicts(resolved, slate)
        if conflicts:
            raise InfeasibleError(
                f"the constraints cannot all hold ({len(conflicts)} conflict{'s' if len(conflicts) > 1 else ''})",
                conflicts,
            )
        return resolved


@dataclass(frozen=True)
class ResolvedSpec:
    """A ConstraintSpec in driver indices for one slate: what the optimiser takes."""

    rules: LineupRules
    objective: Any  # tailrace.optimize.objectives.Objective
    min_exposure: dict[int, float] = field(default_factory=dict)
    max_exposure: dict[int, float] = field(default_factory=dict)  # effective cap of each capped driver
    global_max_exposure: float | None = None
    max_overlap: int | None = None
    n_lineups: int = 1
    mode: str = "independent"
    tail_beta: float = DEFAULT_BETA


# ---------------------------------------------------------------------------- conflicts


def exposure_counts(n_lineups: int, share_min: float = 0.0, share_max: float = 1.0) -> tuple[int, int]:
    """Lineup counts ``(ceil(min * N), floor(max * N))`` a driver must / may appear in."""
    lo = math.ceil(share_min * n_lineups - _EPS)
    hi = math.floor(share_max * n_lineups + _EPS)
    return max(lo, 0), min(hi, n_lineups)


def _pct(x: float) -> str:
    return f"{100 * x:g} %"


def find_conflicts(spec: ResolvedSpec, slate: Slate) -> list[str]:
    """Obvious contradictions among the resolved constraints, each said in words (empty if none seen).

    Checks: lock vs exclude; too many locks; too few drivers left; locked salaries over the
    cap or a cap/min-salary no lineup can meet; min vs max exposure (per driver and against
    locks/excludes); exposures that need more, or allow fewer, roster spots than N lineups
    have; groups that ask more than their members or the roster, or allow fewer than their
    locked drivers (team, manufacturer, start-band and teammates rules are groups too); an
    all-or-none group with a locked member and an excluded one, or too many to fit beside the
    locks; locks against max overlap.
    Anything subtler is left to the optimiser, which reports its own conflicts.
    """
    rules = spec.rules
    names = slate.names
    sal = [int(s) for s in slate.salaries()]
    r, cap, n_all = rules.roster_size, rules.salary_cap, slate.n
    N = spec.n_lineups
    out: list[str] = []

    def nm(i: int) -> str:
        return names[i]

    both = sorted(rules.locks & rules.excludes)
    for i in both:
        out.append(f"{nm(i)} is both locked and excluded")
    if len(rules.locks) > r:
        out.append(f"{len(rules.locks)} drivers are locked but a lineup holds only {r}")
    avail = [i for i in range(n_all) if i not in rules.excludes]
    if len(avail) < r:
        out.append(f"only {len(avail)} drivers are left after the excludes; a lineup needs {r}")
    if rules.min_salary > cap:
        out.append(f"min salary ${rules.min_salary:,} is above the salary cap ${cap:,}")

    if not both and len(rules.locks) <= r and len(avail) >= r:
        locked_cost = sum(sal[i] for i in rules.locks)
        free = sorted(sal[i] for i in avail if i not in rules.locks)
        need = r - len(rules.locks)
        cheapest = locked_cost + sum(free[:need])
        dearest = locked_cost + sum(free[len(free) - need :]) if need else locked_cost
        if cheapest > cap:
            if rules.locks:
                out.append(
                    f"the locked drivers cost ${locked_cost:,}; even with the cheapest {need} others "
                    f"a lineup costs ${cheapest:,}, over the cap ${cap:,}"
                )
            else:
                out.append(f"the cheapest possible lineup costs ${cheapest:,}, over the cap ${cap:,}")
        if dearest < rules.min_salary:
            out.append(
                f"the most expensive possible lineup costs ${dearest:,}, below the min salary ${rules.min_salary:,}"
            )

    # exposures
    lo = {i: exposure_counts(N, share_min=s)[0] for i, s in spec.min_exposure.items()}
    hi = {i: exposure_counts(N, share_max=s)[1] for i, s in spec.max_exposure.items()}
    for i, s in spec.min_exposure.items():
        if i in hi and lo[i] > hi[i]:
            out.append(
                f"{nm(i)}: min exposure {_pct(s)} ({lo[i]} of {N} lineups) is above its max exposure "
                f"{_pct(spec.max_exposure[i])} ({hi[i]} of {N})"
            )
        if lo[i] > 0 and i in rules.excludes:
            out.append(f"{nm(i)} is excluded but has min exposure {_pct(s)}")
    for i in sorted(rules.locks):
        if i in hi and hi[i] < N:
            out.append(
                f"{nm(i)} is locked (in all {N} lineups) but its max exposure {_pct(spec.max_exposure[i])} "
                f"allows only {hi[i]}"
            )
    slots_free = N * (r - len(rules.locks))
    need_min = sum(c for i, c in lo.items() if i not in rules.locks)
    if need_min > slots_free and len(rules.locks) <= r:
        out.append(
            f"the min exposures need {need_min} roster spots but {N} lineups have only {slots_free} "
            f"free spots ({r - len(rules.locks)} per lineup after locks)"
        )
    room = sum(hi.get(i, N) for i in avail)
    if room < N * r:
        out.append(
            f"the max exposures leave room for only {room} of the {N * r} roster spots {N} lineups need"
            + (f" (global max {_pct(spec.global_max_exposure)})" if spec.global_max_exposure is not None else "")
        )

    # groups
    for g in rules.groups:
        members = g.members - rules.excludes
        if g.min_count > len(members):
            out.append(
                f"group '{g.name}' needs at least {g.min_count} drivers but has only {len(members)} "
                "(after excludes)"
            )
        if g.min_count > r:
            out.append(f"group '{g.name}' needs at least {g.min_count} drivers; a lineup holds {r}")
        locked_in = len(g.members & rules.locks)
        if g.max_count is not None and locked_in > g.max_count:
            out.append(f"group '{g.name}' allows at most {g.max_count} but {locked_in} of its drivers are locked")
        if g.all_or_none and locked_in:
            out_of = sorted(g.members & rules.excludes)
            if out_of:
                out.append(f"group '{g.name}' goes all or none, but {', '.join(nm(i) for i in sorted(g.members & rules.locks))} "
                           f"is locked and {', '.join(nm(i) for i in out_of)} excluded")
            elif len(g.members | rules.locks) > r:
                out.append(f"group '{g.name}' goes all or none and has a locked driver, so its {len(g.members)} "
                           f"drivers and the {len(rules.locks)} locks need {len(g.members | rules.locks)} spots; "
                           f"a lineup holds {r}")

    # overlap
    if spec.max_overlap is not None and N > 1 and len(rules.locks) > spec.max_overlap:
        out.append(
            f"{len(rules.locks)} locked drivers are in every lineup, so any two lineups share them, "
            f"but max overlap is {spec.max_overlap}"
        )
    return out


# ---------------------------------------------------------------------------- names


class LeftOutDriver(LookupError):
    """A reference to a salary-file driver the slate left out (not on the starting grid)."""


class DriverMatcher:
    """Finds a driver index from a site ID, a ``Name (ID)`` cell, ``ID:Name``, or a name.

    Names are matched with the slate reader's tolerant matcher (``tailrace.slate.match_names``:
    case, accents, punctuation, Jr./Sr.), never by guesswork: ambiguous or unknown names fail
    with the closest candidates.
    """

    def __init__(self, slate: Slate):
        self.slate = slate
        self._by_id = {d.id: i for i, d in enumerate(slate.drivers)}

    def index(self, ref: str | int) -> int:
        """Driver index for ``ref``; LookupError(message, fix) naming the closest candidates
        (:class:`LeftOutDriver` when ``ref`` names a driver the slate left out)."""
        ref = str(ref).strip()
        if (sid := ref_site_id(ref, self._by_id)) is not None:
            return self._by_id[sid]
        hit = match_names([ref], self.slate.names)[0]
        if hit.index is not None:
            return hit.index
        if not hit.ambiguous and (gone := find_left_out(ref, self.slate)) is not None:
            # in the salary file, but not on the race's starting grid: no lineup can hold him
            raise LeftOutDriver(f"'{ref}': {left_out_reason(gone)}",
                              "remove it from the spec: a driver who does not start cannot be locked, "
                              "grouped or given a minimum exposure (an exclude or a cap naming him holds as "
                              "it is)")
        if hit.ambiguous:
            opts = ", ".join(
                f"{d.name} (ID {d.id})" for d in self.slate.drivers if d.name in set(hit.candidates)
            )
            raise LookupError(f"'{ref}' matches several drivers: {opts}", "name the driver by its site ID")
        fix = (
            "did you mean " + ", ".join(f"'{c}'" for c in hit.candidates) + "?"
            if hit.candidates
            else "use a driver name or site ID from the salary file"
        )
        raise LookupError(f"unknown driver '{ref}' (not a name or ID on this slate)", fix)


# ---------------------------------------------------------------------------- errors


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _problem_from_error(err: dict[str, Any], source: str | None) -> Problem:
    loc = tuple(p for p in err.get("loc", ()) if p not in ("function-after", "function-before"))
    path = _loc_path(loc) or None
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    fix = None
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_fields(loc))
        msg = "unknown field"
        fix = f"remove it or fix its spelling; allowed here: {allowed}"
    elif kind == "missing":
        fix = "add this field"
    else:
        val = err.get("input")
        if isinstance(val, (str, int, float, bool)) and kind not in ("model_type", "dict_type", "list_type"):
            msg = f"{msg} (got {val!r})"
        if path and "exposure" in path:
            fix = "give a share between 0 and 1 (0.4 for 40 %)"
        else:
            fix = _fix_for(kind, err.get("ctx") or {})
    return Problem(msg, file=source, field=path, fix=fix)


_BOUND_WORDS = {"gt": "above", "ge": "at least", "lt": "below", "le": "at most"}
_TYPE_FIXES = {
    "int_parsing": "give a whole number", "int_type": "give a whole number",
    "int_from_float": "give a whole number", "float_parsing": "give a number, e.g. 0.05",
    "float_type": "give a number, e.g. 0.05", "bool_parsing": "give true or false", "bool_type": "give true or false",
    "string_type": "give text in quotes", "list_type": "give a list, e.g. [\"Driver A\", \"Driver B\"]",
    "dict_type": "give a mapping of field: value", "model_type": "give a mapping of field: value",
    "finite_number": "give a finite number",
}


def _fix_for(kind: str, ctx: dict[str, Any]) -> str:
    """What to do about a pydantic type or range error, from its type and context."""
    bounds = [f"{_BOUND_WORDS[k]} {ctx[k]}" for k in ("gt", "ge", "lt", "le") if k in ctx]
    if bounds:
        return "use a value " + " and ".join(bounds)
    if kind == "literal_error" and "expected" in ctx:
        return f"use one of {ctx['expected']}"
    if kind in ("too_short", "too_long"):
        lo, hi = ctx.get("min_length"), ctx.get("max_length")
        return f"give {'at least ' + str(lo) if kind == 'too_short' else 'at most ' + str(hi)} item(s)"
    return _TYPE_FIXES.get(kind, "correct this value (the README's constraint-spec section lists every field)")


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = ConstraintSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        f = model.model_fields.get(str(part))
        if f is None:
            break
        ann = f.annotation
        for cand in (ObjectiveSpec, GroupSpec, BlendTerm, TeamLimit, MakeLimit, Teammates, StartBand):
            if ann is cand or cand.__name__ in str(ann):
                model = cand
                break
    return list(model.model_fields)


def _parse_text(text: str, suffix: str, source: str) -> Any:
    if suffix == ".json":
        return parse_json(text, source)
    if suffix in (".yaml", ".yml"):
        return parse_yaml(text, source)
    try:
        return parse_json(text, source)
    except InputError:
        return parse_yaml(text, source)


