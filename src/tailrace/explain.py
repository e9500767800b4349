"""Explanations of a lineup: what carries its upper tail, which constraints bind, what the tail cost.

Each function returns a JSON-serialisable dict (plain floats, ints, strings, lists) with the
numbers and a one-line ``text``.

The top-beta scenario set follows ``tail.py``: with ``k = beta * S = k0 + f``, the ``k0`` best
scenarios count fully and the next one with weight ``f`` (ties broken by scenario order, which
changes no total). So the drivers' mean points in the tail add up to the lineup's upper CVaR.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from tailrace import tail
from tailrace.errors import InfeasibleError
from tailrace.optimize.problem import GroupRule, LineupRules
from tailrace.optimize.lineup import solve_lineup
from tailrace.optimize.objectives import Objective

__all__ = [
    "BINDING_CELLS",
    "BINDING_MIN",
    "BINDING_WORK",
    "binding_work",
    "why_high_tail",
    "PortfolioContext",
    "constraint_binding",
    "tail_vs_mean",
    "tail_weights",
]

GAINED_PLACES = 10  # "gained at least 10 places" (start - finish >= 10)

BINDING_CELLS = 1_000_000_000
"""Work budget of each of the explanations' re-solves, in lineup x scenario cells evaluated:
:func:`binding_work` turns it into lineups for a scenario count (100,000 at 10,000 scenarios).

The explanations are part of a result that must be the same bytes for the same inputs and seed,
so their re-solves stop on a count of the search's own work (``Engine.solve``'s
``max_evaluated``, the count ``SolveResult.n_evaluated`` reports), never on the clock: whether a
re-solve finishes, and the bounds it reports when it does not, depend on the inputs alone. The
count is scaled by the scenario count because evaluating one lineup costs time in proportion to
it: a fixed count of lineups let a target-probability re-solve on 100,000 scenarios run 31 s
(10x its time on 10,000), past the API's 60 s synchronous limit across a lineup's 9 re-solves.

Why 10^9 (measured with ``benchmarks/explain_work.py`` at 10,000 scenarios, i.e. 100,000
lineups): the demo's re-solves (Kansas, 38 drivers, its 20 lineups each explained: 110) evaluate
83-272 lineups each; those of upper-CVaR 5 %, mean, lower-CVaR 20 %, blend and marginal-mode
portfolios on that slate at most 1,638, of the 40-driver slate of ``whole_process.py`` 216, and of
a portfolio with a lock, an exclude, a min salary and a group at most 15,051 (297 re-solves in
all: median 261, 90th percentile 1,444): every one finishes exactly, with 6.6x headroom over the
largest. Spending the budget took 2.9-6.6 s (the 18 target-probability re-solves that spent it
on this project's shared 2-core machine at 10,000 scenarios), within the 10 s wall-clock limit
it replaced, and about as long at any other scenario count. The exception is that objective,
whose bound is weak: its re-solves on the demo slate (target 300) need 49,000-169,000 lineups,
and those past the budget report bounds (under the clock they finished or not with the
machine's load; now the same bounds on every machine). With cutting planes (lower-CVaR leaves)
each batch also tightens the bounds of the live lineups, so a lineup costs more there.
"""

BINDING_MIN = 1_000
"""The fewest lineups a re-solve may evaluate, however many scenarios (the budget's floor)."""

BINDING_WORK = 100_000
""":func:`binding_work` at 10,000 scenarios (the default scenario count): the figure measured above."""


def binding_work(n_scenarios: int) -> int:
    """Lineups one explanation re-solve may evaluate on ``n_scenarios`` scenarios:
    ``BINDING_CELLS // n_scenarios``, at least ``BINDING_MIN`` (a pure function of the input, so
    the explanations are the same bytes on any machine)."""
    return max(BINDING_MIN, BINDING_CELLS // max(int(n_scenarios), 1))


def _f(x: Any) -> float:
    return float(x)


def _names(names: Sequence[str] | None, n: int) -> list[str]:
    return list(names) if names is not None else [f"driver {i}" for i in range(n)]


def tail_weights(x: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Scenario indices of the best ``beta`` share of ``x``, their weights (1, last one f) and total k."""
    a = np.asarray(x, dtype=np.float64)
    k0, f = tail.tail_size(beta, a.shape[0])
    m = k0 + (1 if f > 0 else 0)
    order = np.argsort(-a, kind="stable")[:m]
    w = np.ones(m)
    if f > 0:
        w[-1] = f
    return order, w, k0 + f


def _get(outcomes: Any, key: str) -> np.ndarray | None:
    if outcomes is None:
        return None
    v = outcomes.get(key) if isinstance(outcomes, Mapping) else getattr(outcomes, key, None)
    return None if v is None else np.asarray(v)


def _most(a: np.ndarray, cols: list[int]) -> np.ndarray:
    """Per scenario: True where one of ``cols`` has the row maximum and that maximum is positive."""
    mx = a.max(axis=1)
    return (a[:, cols] == mx[:, None]).any(axis=1) & (mx > 0)


def why_high_tail(
    points: np.ndarray,
    lineup: Sequence[int],
    beta: float,
    outcomes: Any = None,
    names: Sequence[str] | None = None,
    *,
    starts: Sequence[int] | np.ndarray | None = None,
) -> dict[str, Any]:
    """What carries the lineup in its best ``beta`` share of scenarios, in numbers and words.

    ``points``: scenario matrix of shape (S, n). ``outcomes``: Scenarios (or a mapping) with
    ``finish``, ``laps_led``, ``fastest_laps`` of shape (S, n), optional; ``starts`` (n,) start
    positions, needed for "gained >= 10 places". Returns per driver its mean points in the tail
    against overall (and its share of the tail score); with outcomes, the share of tail
    scenarios (weighted as in CVaR) where a lineup driver led the most laps, ran the most fastest
    laps, won, or gained >= 10 places, against the same share over all scenarios.
    """
    pts = np.asarray(points, dtype=np.float64)
    lu = [int(i) for i in lineup]
    nm = _names(names, pts.shape[1])
    x = pts[:, lu].sum(axis=1)
    idx, w, k = tail_weights(x, beta)
    tail_score = _f(w @ x[idx] / k)
    mean_score = _f(x.mean())
    drivers = []
    for j in lu:
        m_all = _f(pts[:, j].mean())
        m_tail = _f(w @ pts[idx, j] / k)
        drivers.append({
            "index": j,
            "name": nm[j],
            "mean_points": m_all,
            "tail_mean_points": m_tail,
            "lift": m_tail - m_all,
            "share_of_tail_score": (m_tail / tail_score) if tail_score != 0 else None,
        })
    events: dict[str, dict[str, float]] = {}
    finish, led, fast = (_get(outcomes, k_) for k_ in ("finish", "laps_led", "fastest_laps"))
    per_driver_events: dict[str, np.ndarray] = {}
    if led is not None:
        per_driver_events["led_most_laps"] = led == led.max(axis=1, keepdims=True)
        per_driver_events["led_most_laps"] &= led.max(axis=1, keepdims=True) > 0
        events["led_most_laps"] = _share(_most(led, lu), idx, w, k)
    if fast is not None:
        per_driver_events["most_fastest_laps"] = (fast == fast.max(axis=1, keepdims=True)) & (
            fast.max(axis=1, keepdims=True) > 0
        )
        events["most_fastest_laps"] = _share(_most(fast, lu), idx, w, k)
    if finish is not None:
        won = finish == 1
        per_driver_events["won"] = won
        events["won"] = _share(won[:, lu].any(axis=1), idx, w, k)
        if starts is not None:
            gained = (np.asarray(starts)[None, :] - finish) >= GAINED_PLACES
            per_driver_events[f"gained_{GAINED_PLACES}_places"] = gained
            events[f"gained_{GAINED_PLACES}_places"] = _share(gained[:, lu].any(axis=1), idx, w, k)
    for d in drivers:
        d["events"] = {
            name: _share(ev[:, d["index"]], idx, w, k) for name, ev in per_driver_events.items()
        }
    top = max(drivers, key=lambda d: d["lift"])
    pct = f"{100 * beta:g} %"
    text = (
        f"In its best {pct} of races ({k:g} scenarios) the lineup scores {tail_score:.1f} on average "
        f"(overall {mean_score:.1f}); {top['name']} lifts it most: {top['tail_mean_points']:.1f} points "
        f"there vs {top['mean_points']:.1f} overall."
    )
    phrases = {
        "led_most_laps": "led the most laps",
        "most_fastest_laps": "ran the most fastest laps",
        "won": "won",
        f"gained_{GAINED_PLACES}_places": f"gained {GAINED_PLACES}+ places",
    }
    said = [
        f"{phrases[e]} in {100 * v['tail']:.0f} % of them (vs {100 * v['overall']:.0f} % of all races)"
        for e, v in events.items()
    ]
    if said:
        text += " A lineup driver " + ", ".join(said) + "."
    return {
        "beta": float(beta),
        "n_tail_scenarios": float(k),
        "tail_score": tail_score,
        "mean_score": mean_score,
        "drivers": drivers,
        "events": events,
        "text": text,
    }


def _share(ev: np.ndarray, idx: np.ndarray, w: np.ndarray, k: float) -> dict[str, float]:
    e = np.asarray(ev, dtype=np.float64)
    return {"tail": _f(w @ e[idx] / k), "overall": _f(e.mean())}


# ---------------------------------------------------------------------------- binding constraints


@dataclass(frozen=True)
class PortfolioContext:
    """Where a lineup sits in a portfolio: the other lineups and the portfolio-level limits."""

    lineups: tuple[tuple[int, ...], ...]
    position: int
    max_exposure: dict[int, float] = field(default_factory=dict)
    max_overlap: int | None = None

    @property
    def n_lineups(self) -> int:
        """Lineups in the portfolio."""
        return len(self.lineups)

    def others(self) -> tuple[tuple[int, ...], ...]:
        """Every lineup but this one."""
        return tuple(lu for k, lu in enumerate(self.lineups) if k != self.position)


def _default_solver():

    return solve_lineup


def constraint_binding(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    objective: Any,
    lineup_result: Any,
    *,
    context: PortfolioContext | None = None,
    names: Sequence[str] | None = None,
    salary_step: int = 500,
    max_relaxations: int = 8,
    max_evaluated: int | None | Literal["auto"] = "auto",
    solver: Callable[..., Any] | None = None,
) -> list[dict[str, Any]]:
    """Which constraints are tight for this lineup, and what relaxing each by one step would gain.

    ``rules`` are the user's single-lineup rules; with ``context`` the rest of the portfolio is
    held fixed: drivers at their exposure cap are unavailable and every other lineup must share at
    most ``max_overlap`` drivers with this one (lineups distinct in any case). "Now" is the best
    objective value under all of that (re-solved exactly); each relaxation re-solves with one
    constraint eased by one step: salary cap +``salary_step``, min salary -``salary_step``, a lock
    dropped, an exclude lifted, a group limit moved by one driver, max overlap +1, one capped
    driver's cap raised by one lineup. Up to ``max_relaxations`` re-solves beyond "now".

    Each item: ``kind``, ``constraint``, ``tight``, the numbers behind it, ``step`` (the
    relaxation in words), ``value_now``, ``value_relaxed``, ``gain``, and ``exact`` (both solves
    proven optimal). Every solve runs under a work budget of ``max_evaluated`` lineups evaluated
    (default ``"auto"``: :func:`binding_work` of the scenario count; None: none), not a time
    limit, so the items are the same bytes on any machine. A solve that spends it stops early;
    then ``gain_low`` / ``gain_high`` bound the true gain from the solvers' values and bounds, and
    the text says "work budget".
    """
    solve = solver or _default_solver()
    pts = np.asarray(points)
    sal = np.asarray(salaries, dtype=np.int64)
    if max_evaluated == "auto":
        max_evaluated = binding_work(pts.shape[0])
    nm = _names(names, pts.shape[1])
    lu = tuple(int(i) for i in lineup_result.lineup)
    s_lu = set(lu)
    r = rules.roster_size
    used = int(sal[list(lu)].sum())

    capped: list[int] = []
    base = rules
    if context is not None:
        others = context.others()
        counts = np.zeros(pts.shape[1], dtype=np.int64)
        for o in others:
            counts[list(o)] += 1
        n = context.n_lineups
        for i, share in context.max_exposure.items():
            hi = int(np.floor(share * n + 1e-9))
            if i not in s_lu and counts[i] + 1 > hi and i not in rules.excludes:
                capped.append(int(i))
        capped.sort(key=lambda i: -float(pts[:, i].mean()))
        min_differ = r - context.max_overlap if context.max_overlap is not None else 1
        base = replace(
            rules,
            excludes=rules.excludes | frozenset(capped),
            differ_from=tuple(rules.differ_from) + others,
            min_differ=max(rules.min_differ, min_differ),
        )

    def value(rl: LineupRules) -> tuple[float, float, bool] | None:
        """(value, bound, proven optimal) of the best lineup under ``rl``; None if none fits."""
        try:
            res = solve(pts, sal, rl, objective, max_evaluated=max_evaluated)
        except InfeasibleError:
            return None
        v = float(res.value)
        return v, float(getattr(res, "bound", v)), bool(getattr(res, "optimal", True))

    now_sol = value(base)
    now = now_sol[0] if now_sol else None
    out: list[dict[str, Any]] = []
    budget = [max_relaxations]

    def add(kind: str, name: str, tight: bool, detail: dict[str, Any], step: str | None,
            relaxed_rules: LineupRules | None, text: str) -> None:
        item: dict[str, Any] = {"kind": kind, "constraint": name, "tight": bool(tight), **detail,
                                "step": step, "value_now": now, "value_relaxed": None, "gain": None,
                                "gain_low": None, "gain_high": None, "exact": None}
        resolved = False
        if relaxed_rules is not None and budget[0] > 0:
            budget[0] -= 1
            resolved = True
            sol = value(relaxed_rules)
            if sol is not None and now_sol is not None:
                v, b, opt = sol
                item["value_relaxed"] = v
                item["gain"] = v - now
                item["gain_low"] = v - now_sol[1]
                item["gain_high"] = b - now
                item["exact"] = opt and now_sol[2]
        gain = item["gain"]
        if gain is not None:
            text += f"; {step}: objective {'+' if gain >= 0 else ''}{gain:.3g}"
            if not item["exact"]:
                text += f" (work budget: between {item['gain_low']:.3g} and {item['gain_high']:.3g})"
        elif relaxed_rules is not None and not resolved:
            text += f"; {step}: not re-solved (relaxation budget used)"
        item["text"] = text
        out.append(item)

    cap = rules.salary_cap
    left = cap - used
    add("salary_cap", "salary cap", left < salary_step, {"salary": used, "cap": cap, "left": left},
        f"cap ${cap:,} -> ${cap + salary_step:,}", replace(base, salary_cap=cap + salary_step),
        f"salary ${used:,} of ${cap:,} (${left:,} left)")
    if rules.min_salary > 0:
        ms = rules.min_salary
        add("min_salary", "min salary", used - ms < salary_step, {"salary": used, "min_salary": ms},
            f"min salary ${ms:,} -> ${max(ms - salary_step, 0):,}", replace(base, min_salary=max(ms - salary_step, 0)),
            f"salary ${used:,}, min ${ms:,}")
    for i in sorted(rules.locks):
        add("lock", f"lock {nm[i]}", True, {"driver": nm[i], "index": i}, f"unlock {nm[i]}",
            replace(base, locks=base.locks - {i}), f"{nm[i]} is locked")
    for i in sorted(rules.excludes):
        add("exclude", f"exclude {nm[i]}", True, {"driver": nm[i], "index": i}, f"allow {nm[i]}",
            replace(base, excludes=base.excludes - {i}), f"{nm[i]} is excluded")
    for g_i, g in enumerate(rules.groups):
        c = len(g.members & s_lu)
        groups = list(base.groups)
        if g.all_or_none:
            # teammates together: always a candidate; relaxing lets one go without the others
            groups[g_i] = GroupRule(g.members, g.min_count, g.max_count, g.name)
            step = f"'{g.name}' all or none -> any"
            add("group", f"group {g.name}", True, {"group": g.name, "count": c, "at_least": g.min_count,
                                                   "at_most": g.max_count, "all_or_none": True}, step,
                replace(base, groups=tuple(groups)),
                f"group '{g.name}' has {c} of {len(g.members)} (all or none)")
            continue
        at_max = g.max_count is not None and c >= g.max_count
        at_min = g.min_count > 0 and c <= g.min_count
        if not (at_max or at_min):
            continue
        if at_max:
            groups[g_i] = GroupRule(g.members, g.min_count, g.max_count + 1, g.name)
            step = f"'{g.name}' at most {g.max_count} -> {g.max_count + 1}"
        else:
            groups[g_i] = GroupRule(g.members, g.min_count - 1, g.max_count, g.name)
            step = f"'{g.name}' at least {g.min_count} -> {g.min_count - 1}"
        add("group", f"group {g.name}", True, {"group": g.name, "count": c, "at_least": g.min_count,
                                               "at_most": g.max_count}, step,
            replace(base, groups=tuple(groups)), f"group '{g.name}' has {c} (limit reached)")
    if context is not None and context.max_overlap is not None:
        mo = context.max_overlap
        shares = [len(s_lu & set(o)) for o in context.others()]
        hits = sum(1 for s in shares if s >= mo)
        relaxed = None
        step = None
        if mo < r - 1:
            relaxed = replace(base, min_differ=max(1, r - (mo + 1)))
            step = f"max overlap {mo} -> {mo + 1}"
        add("overlap", "max overlap", hits > 0, {"max_overlap": mo, "lineups_at_limit": hits}, step, relaxed,
            f"shares {mo} drivers (the limit) with {hits} other lineup{'s' if hits != 1 else ''}")
    if context is not None:
        n = context.n_lineups
        for i in capped:
            hi = int(np.floor(context.max_exposure[i] * n + 1e-9))
            add("exposure_cap", f"max exposure {nm[i]}", True,
                {"driver": nm[i], "index": i, "max_exposure": context.max_exposure[i], "max_lineups": hi},
                f"{nm[i]} cap {hi} -> {hi + 1} lineups", replace(base, excludes=base.excludes - {i}),
                f"{nm[i]} is at its cap ({hi} of {n} lineups)")
    return out


# ---------------------------------------------------------------------------- tail vs mean


def _profile(x: np.ndarray, objective: Any, alpha: float, betas: Sequence[float]) -> dict[str, Any]:
    return {
        "mean": _f(x.mean()),
        "sd": _f(x.std(ddof=1)) if x.shape[0] > 1 else 0.0,
        "objective": _f(objective.evaluate(x)),
        "cvar_lower": {f"{alpha:g}": _f(tail.cvar_lower(x, alpha))},
        "cvar_upper": {f"{b:g}": _f(tail.cvar_upper(x, b)) for b in betas},
    }


def tail_vs_mean(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    objective: Any,
    lineup: Sequence[int],
    *,
    mean_lineup: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    alpha: float = 0.2,
    betas: Sequence[float] = (0.01, 0.05),
    max_evaluated: int | None | Literal["auto"] = "auto",
    solver: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """The lineup against the mean-optimal lineup under the same rules: what was given up for what.

    ``mean_lineup`` skips the solve when the caller already has it (e.g. once per portfolio);
    the solve runs under the work budget ``max_evaluated`` (as ``constraint_binding``'s), never
    a time limit, and a mean solve finishes within its first batch anyway (a lineup's mean is
    its own bound).
    Returns both profiles (mean, sd, objective, lower CVaR at alpha, upper CVaR at each beta),
    their differences (lineup minus mean-optimal) and the drivers swapped in and out.
    """
    pts = np.asarray(points, dtype=np.float64)
    nm = _names(names, pts.shape[1])
    lu = tuple(sorted(int(i) for i in lineup))
    if mean_lineup is None:
        solve = solver or _default_solver()
        budget = binding_work(pts.shape[0]) if max_evaluated == "auto" else max_evaluated
        mean_lineup = solve(pts, np.asarray(salaries), rules, Objective.mean(), max_evaluated=budget).lineup
    ml = tuple(sorted(int(i) for i in mean_lineup))
    a = _profile(pts[:, list(lu)].sum(axis=1), objective, alpha, betas)
    b = _profile(pts[:, list(ml)].sum(axis=1), objective, alpha, betas)
    diff = {
        "mean": a["mean"] - b["mean"],
        "sd": a["sd"] - b["sd"],
        "objective": a["objective"] - b["objective"],
        "cvar_lower": {k: a["cvar_lower"][k] - b["cvar_lower"][k] for k in a["cvar_lower"]},
        "cvar_upper": {k: a["cvar_upper"][k] - b["cvar_upper"][k] for k in a["cvar_upper"]},
    }
    swapped_in = [nm[i] for i in lu if i not in ml]
    swapped_out = [nm[i] for i in ml if i not in lu]
    name = getattr(objective, "name", "objective")
    if lu == ml:
        text = f"This is also the mean-optimal lineup: nothing given up ({name} {a['objective']:.4g})."
    else:
        rel = (diff["mean"] / abs(b["mean"]) * 100) if b["mean"] else 0.0
        text = (
            f"Gives up {-diff['mean']:.1f} mean points ({rel:+.1f} %) against the mean-optimal lineup "
            f"for {name} {diff['objective']:+.4g} ({a['objective']:.4g} vs {b['objective']:.4g}): "
            f"in {', '.join(swapped_in)}; out {', '.join(swapped_out)}."
        )
    return {
        "lineup": list(lu),
        "mean_lineup": list(ml),
        "lineup_profile": a,
        "mean_lineup_profile": b,
        "difference": diff,
        "swapped_in": swapped_in,
        "swapped_out": swapped_out,
        "text": text,
    }
