"""The contest-day plan as one library call: build every contest's lineups, decide the entries
per contest by log-growth, and report the day on scenarios nothing was chosen on.

Three scenario sets of the same race (one simulation road, shared by every contest):

* ``build`` (seed s): each contest's lineups are chosen on it, at the most entries it could
  get (its ``max_entries``, the entries a DKEntries file holds for it, and what the stake cap
  leaves), by contest mode (``pipeline.run_optimize`` with mode ``contest``; a cash game is
  contest mode against its flat table, the cash objective the README advises). Contest mode's
  greedy adds lineups by marginal expected profit, so its first ``k`` lineups are its
  ``k``-lineup portfolio.
* ``allocate`` (seed s + 1), with each contest's field drawn again (another field seed): every
  prefix's profit per scenario (``plan.allocate.prefix_profits``; each lineup judged alone
  against the field, so a prefix's profit is the sum of its lineups'), then
  ``plan.allocate.allocate``. The chosen entries are re-scored exactly here as well (our
  entries against one another), as ``allocation.exact``.
* ``report`` (seed s + 2, fields drawn a third time): every figure shown for the day and per
  contest: expected profit, ROI with SE, P(loss), lower CVaR of profit, the chance of a
  top-1 % finish, log-growth.

Exposure. A contest's own ``max_exposure`` (or the day's) caps its lineups at its built size;
when the chosen prefix breaks that cap at its own size, or the day's lineups together break
the day's ``max_exposure``, the contests are rebuilt at their chosen entries in order of stake
(largest first), each given what the earlier ones left of the day's per-driver count as a
tighter per-driver cap; ``lineups_source`` says which. A cap always allows a driver in one
lineup (at least ``1 / entries``).

Overlap. A contest's own ``max_overlap`` holds between its own lineups. The day's
``max_overlap_day`` k holds between lineups entered in *different* contests: any two share at
most k drivers (so no lineup is entered in two contests when k < roster size). The contests are
built in order of the most they could stake (``limit x entry_fee``, largest first; ties in file
order), each through contest mode's admission rule (``plan.overlap.overlap_admission``, applied
together with ``max_duplicates``'s) against every lineup built for the contests before it, at
their full builds. Every build then keeps the rule against every other, so any prefixes the
allocation picks keep it too. A rebuild for the exposure rules (above) re-applies it against
every lineup fixed at that point: the contests not rebuilt and those rebuilt before it. A contest
the rule leaves with fewer lineups than it is built or rebuilt for is an InputError naming the
contest and ``max_overlap_day``, never a shorter build (the rule is blamed only when the same
build without it is full; one that fails or runs short without it too fails or runs short as
before). Cash games take the same road (contest
mode against their flat table), so the rule holds for them too. The result reports the rule
(``max_overlap_day``) and the most drivers two entered lineups of different contests share
(``overlap_across_contests``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tailrace import tail
from tailrace.outputs import jsonable
from tailrace.plan.allocate import Allocation, allocate, growth, prefix_profits
from tailrace.plan.contests import DayContest
from tailrace.plan.overlap import cross_contest_overlap, overlap_admission
from tailrace.sim.scenarios import Scenarios
from tailrace.contest_options import CONTEST_DEFAULTS
from tailrace.slate import Slate
from tailrace.contest import scenario_payouts
from tailrace.contest.simulate import top1_places
from tailrace.errors import InfeasibleError, InputError, Problem, as_text
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.pipeline import contest_facts, contest_from_options, race_summary, run_optimize

__all__ = ["PlanRun", "check_day_options", "run_plan", "CVAR_ALPHA", "QUANTILES"]

CVAR_ALPHA = 0.05  # the lower CVaR level of profit, as `tailrace contest` reports it
QUANTILES = (0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99)
_EPS = 1e-9


@dataclass(frozen=True)
class PlanRun:
    """A finished plan: per contest the lineups entered and the lineups built (driver indices, in
    contest mode's order), and the JSON result."""

    lineups: list[np.ndarray]  # per contest, shape (k_c, roster)
    result: dict[str, Any]
    built: list[np.ndarray]  # per contest, shape (m_c, roster): the build at the most entries it could get


def check_day_options(bankroll: float, max_stake: float, kelly: float = 1.0, max_exposure: float | None = None,
                      max_overlap_day: int | None = None) -> None:
    """Check the day's options before any work.

    Parameters
    ----------
    bankroll : float
        Dollars: finite, > 0.
    max_stake : float
        Share of the bankroll, in (0, 1).
    kelly : float, default=1.0
        In (0, 1].
    max_exposure : float, optional
        In (0, 1].
    max_overlap_day : int, optional
        A whole number >= 0.

    Raises
    ------
    InputError
        Every problem found, each with ``param`` the library's name of the option (each face
        words it: the CLI as its flag, the API as its field).
    """

    problems = []
    if not (bankroll > 0 and math.isfinite(bankroll)):
        problems.append(Problem(f"bankroll {bankroll} must be a positive number of dollars", param="bankroll",
                                fix="e.g. {bankroll=500}"))
    if not (0 < max_stake < 1):
        problems.append(Problem(f"max stake {max_stake} must lie in (0, 1) (a share of the bankroll)",
                                param="max_stake", fix="e.g. {max_stake=0.3}"))
    if not (0 < kelly <= 1):
        problems.append(Problem(f"Kelly fraction {kelly} must lie in (0, 1]", param="kelly",
                                fix="1 for full Kelly, 0.5 for half"))
    if max_exposure is not None and not (0 < max_exposure <= 1):
        problems.append(Problem(f"max exposure {max_exposure} must lie in (0, 1]", param="max_exposure",
                                fix="e.g. {max_exposure=0.5}"))
    whole = isinstance(max_overlap_day, (int, np.integer)) and not isinstance(max_overlap_day, bool)
    if max_overlap_day is not None and not (whole and max_overlap_day >= 0):
        problems.append(Problem(f"max overlap day {max_overlap_day!r} must be a whole number >= 0 (drivers two "
                                "lineups of different contests may share)", param="max_overlap_day",
                                fix="e.g. {max_overlap_day=4}"))
    if problems:
        raise InputError(problems)


def _cap_share(share: float | None, n: int) -> float | None:
    """A share cap that lets every driver into at least one of ``n`` lineups."""
    if share is None or n <= 0:
        return None
    return min(1.0, max(float(share), 1.0 / n))


def _counts(lineups: Sequence[np.ndarray], n: int) -> np.ndarray:
    c = np.zeros(n, dtype=np.int64)
    for lu in lineups:
        if len(lu):
            c += np.bincount(np.asarray(lu).ravel(), minlength=n)
    return c


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(x.shape[0])) if x.shape[0] > 1 else float("inf")


def _figures(profit: np.ndarray, stake: float, top1: np.ndarray, bankroll: float, kelly: float) -> dict[str, Any]:
    """Profit figures over scenarios: ``profit`` (S,), ``top1`` (S,) bool (an entry in the top 1 %)."""
    ep = float(profit.mean())
    se = _se(profit)
    lg = np.log1p(profit / bankroll)
    return {
        "stake": stake,
        "expected_profit": ep,
        "expected_profit_se": se,
        "roi": ep / stake if stake else None,
        "roi_se": se / stake if stake else None,
        "p_loss": float((profit < -_EPS).mean()),
        "profit_cvar": float(tail.cvar_lower(profit, CVAR_ALPHA)),
        "cvar_alpha": CVAR_ALPHA,
        "p_top1": float(top1.mean()),
        "log_growth": float(lg.mean()),
        "log_growth_se": _se(lg),
        "growth_objective": float(growth(profit, bankroll, kelly)),
    }


def _zero_figures(S: int, bankroll: float, kelly: float) -> dict[str, Any]:
    return _figures(np.zeros(S), 0.0, np.zeros(S, dtype=bool), bankroll, kelly)


def run_plan(
    slate: Slate,
    contests: Sequence[DayContest],
    scenarios: Scenarios,
    allocate_on: Scenarios,
    report_on: Scenarios,
    *,
    bankroll: float,
    max_stake: float,
    kelly: float = 1.0,
    max_exposure: float | None = None,
    entry_limits: Sequence[int | None] | None = None,
    seed: int = 1,
    field_sharpness: Any = "auto",
    ownership_error: float | None = None,
    contest_cap: int | None = None,
    max_duplicates: float | None = None,
    max_overlap_day: int | None = None,
    executor: Any = None,
    say: Callable[[str], None] | None = None,
    make_contest: Callable[[int, DayContest, np.ndarray, np.random.Generator], Any] | None = None,
) -> PlanRun:
    """Plan a race day (module docstring).

    Parameters
    ----------
    slate : Slate
    contests : sequence of DayContest
        The day's contests (``plan.contests.read_contests``).
    scenarios, allocate_on, report_on : Scenarios
        Three independent scenario sets of ``slate``: lineups are chosen on the first, entries
        decided on the second, every reported figure computed on the third.
    bankroll : float
        Dollars, > 0.
    max_stake : float
        Cap on the day's total entry fees, as a share of the bankroll, in (0, 1).
    kelly : float, default=1.0
        Kelly fraction in (0, 1] (``plan.allocate``).
    max_exposure : float, optional
        The day's cap on any driver's share of all the day's lineups together, and each
        contest's cap when it has none of its own.
    entry_limits : sequence of int or None, optional
        Per contest, the entries a DKEntries file holds for it (None: no limit beyond its own).
    seed : int, default=1
        Seed of the sampled fields (one per contest and role).
    field_sharpness, ownership_error, contest_cap, max_duplicates
        As ``pipeline.contest_from_options`` / ``pipeline.run_optimize`` take them
        (``max_duplicates``: no lineup of any contest expects more field copies than this).
    max_overlap_day : int, optional
        Drivers two lineups entered in different contests may share at most (module docstring);
        None: no rule across contests.
    executor : optional
        ``tailrace.distributed`` executor for contest mode and the contest passes.
    say : callable, optional
        Called with a line of progress text.
    make_contest : callable, optional
        ``make_contest(i, contest, points, rng) -> Contest``; default
        ``pipeline.contest_from_options`` from the contest's fields (a benchmark may draw its
        own fields).

    Returns
    -------
    PlanRun

    Raises
    ------
    InputError, InfeasibleError
        From the options (``check_day_options``), the contests' files, a contest the day's
        overlap rule leaves too few lineups, or a rebuild the exposure rules make impossible.
    """

    say = say or (lambda _m: None)
    check_day_options(bankroll, max_stake, kelly, max_exposure, max_overlap_day)
    C = len(contests)
    limits = list(entry_limits) if entry_limits is not None else [None] * C
    budget = max_stake * bankroll
    warnings: list[str] = [f"slate: {n}" for n in slate.notes] + scenarios.stage_warnings()

    def build_contest(i: int, dc: DayContest, points: np.ndarray, role: int) -> Any:
        rng = np.random.default_rng([seed, role, i])
        if make_contest is not None:
            return make_contest(i, dc, points, rng)
        w: list[str] = []
        c = contest_from_options(slate, points, payouts=dc.payouts, ownership=dc.ownership, entry_fee=dc.entry_fee,
                                 field_size=dc.field_size, rake=dc.rake, seed=rng, warnings=w,
                                 field_sharpness=field_sharpness, ownership_error=ownership_error)
        if role == 7:  # the ownership report's problems come with the build's warnings (run_optimize)
            warnings.extend(f"{dc.name}: {m}" for m in w)
        return c

    roster = slate.site.roster_size
    overlap_rule = max_overlap_day is not None and int(max_overlap_day) < roster
    if max_overlap_day is not None and not overlap_rule:  # accepted, never silent: it cannot bind
        warnings.append(f"max_overlap_day {int(max_overlap_day)} is not below the roster's {roster} drivers: "
                        f"no lineup is turned away (give at most {roster - 1} for the rule to act)")

    def contest_run(i: int, n: int, spec: Any, fixed: list[int], lineups: list[np.ndarray], what: str) -> Any:
        """Contest mode for contest ``i`` at ``n`` lineups, admitting (with the day's overlap rule)
        only lineups that keep it against ``lineups[j]`` for every ``j`` in ``fixed``."""
        admit = None
        against = [j for j in fixed if j != i and lineups[j].shape[0]]
        if overlap_rule and against:
            admit = overlap_admission(np.concatenate([lineups[j] for j in against]), slate.n, int(max_overlap_day))

        def attempt(rule: Any) -> tuple[Any, InfeasibleError | None]:
            try:
                return run_optimize(slate, scenarios, spec, explain=False, timings=False, contest=contests_b[i],
                                    executor=executor, contest_cap=contest_cap, max_duplicates=max_duplicates,
                                    admit=rule), None
            except InfeasibleError as exc:
                return None, exc

        run, exc = attempt(admit)
        if admit is None or (exc is None and len(run.lineups) >= n):
            if exc is not None:
                raise exc
            return run
        # short under the rule: blame it only when the same build without it is not short
        free, free_exc = attempt(None)
        if free_exc is not None:
            raise free_exc
        if len(free.lineups) < n and run is not None:
            return run  # short either way: what it was before the rule (run_optimize's warning says so)
        short = (f"only {len(run.lineups)} of the {n} lineups {what} keep it" if exc is None else
                 f"contest mode cannot find the {n} lineups {what} under it ({as_text(exc)})")
        names = ", ".join(f"'{as_text(contests[j].name)}'" for j in against)
        n_against = sum(lineups[j].shape[0] for j in against)
        raise InputError(Problem(
            f"contest '{as_text(contests[i].name)}': the day's overlap rule (lineups of different contests share at "
            f"most {max_overlap_day} drivers) leaves it too few lineups against the {n_against} of {names}: {short}",
            param="max_overlap_day", fix=f"raise {{max_overlap_day={int(max_overlap_day) + 1}}} or more, or lower "
                                         f"max_entries of '{as_text(contests[i].name)}' (or of {names})"))

    # ------------------------------------------------------------------ build (scenario set 1)
    built: list[np.ndarray] = [np.zeros((0, roster), dtype=np.int64)] * C
    dups: dict[tuple[int, tuple[int, ...]], float | None] = {}  # (contest, lineup) -> expected field copies
    build_info: list[dict[str, Any]] = [{} for _ in range(C)]
    contest_warnings: list[list[str]] = [[] for _ in range(C)]  # the field's, then the build's
    run_warnings: list[list[str]] = [[] for _ in range(C)]
    contests_b = []
    caps = []
    for i, dc in enumerate(contests):
        m = dc.max_entries
        why = "max_entries"
        if limits[i] is not None and limits[i] < m:
            m, why = int(limits[i]), "entries in the DKEntries file"
        by_stake = int(math.floor(budget / dc.entry_fee + _EPS))
        if by_stake < m:
            m, why = by_stake, "the stake cap"
        caps.append((m, why))
        at = len(warnings)
        contests_b.append(build_contest(i, dc, scenarios.points, 7))
        contest_warnings[i], warnings[at:] = warnings[at:], []
    # largest possible stake first: with the day's overlap rule the earlier builds are fixed for the later
    build_order = sorted(range(C), key=lambda i: (-caps[i][0] * contests[i].entry_fee, i))
    done: list[int] = []
    for i in build_order:
        dc = contests[i]
        m, why = caps[i]
        if m <= 0:
            build_info[i] = {"built": 0, "limited_by": why}
            continue
        say(f"{dc.name}: choosing up to {m} lineup(s) (contest mode, {dc.kind}) ...")
        spec = ConstraintSpec(mode="contest", n_lineups=m,
                              global_max_exposure=_cap_share(dc.max_exposure or max_exposure, m),
                              max_overlap=dc.max_overlap)
        run = contest_run(i, m, spec, done, built, "it is built for")
        lus = np.asarray(run.lineups, dtype=np.int64).reshape(-1, roster)
        built[i] = lus
        done.append(i)
        dups.update({(i, tuple(sorted(int(j) for j in lu))): r.expected_duplicates
                     for lu, r in zip(lus, run.result.lineups)})
        info = run.result.portfolio.contest or {}
        build_info[i] = {"built": int(lus.shape[0]), "limited_by": why,
                         "contest_mode_roi_estimate": info.get("roi_estimate"),
                         "contest_mode_roi_interval": info.get("roi_interval"),
                         "cap_place": info.get("cap_place")}
        if overlap_rule:
            build_info[i]["overlap_day_against"] = [contests[j].name for j in done[:-1] if built[j].shape[0]]
        run_warnings[i] = [f"{dc.name}: {w}" for w in run.result.warnings if not w.startswith(("slate:", "simulation:"))]
    for i in range(C):  # in the file's order, whatever the build's
        warnings.extend(contest_warnings[i] + run_warnings[i])

    # ------------------------------------------------------------------ allocate (scenario set 2)
    say("deciding the entries per contest on held-out scenarios and fresh fields ...")
    Pa = allocate_on.points
    Sa = Pa.shape[0]
    contests_a = [build_contest(i, dc, Pa, 8) for i, dc in enumerate(contests)]
    tables = []
    for i, dc in enumerate(contests):
        if built[i].shape[0]:
            pay, _, _ = scenario_payouts(contests_a[i], Pa, built[i], alone=True)
            tables.append(prefix_profits(pay, dc.entry_fee))
        else:
            tables.append(np.zeros((1, Sa)))
    alloc: Allocation = allocate(tables, [dc.entry_fee for dc in contests], bankroll, max_stake, kelly)
    k = list(alloc.entries)

    # ------------------------------------------------------------------ exposure rules at the chosen entries
    chosen = [built[i][:k[i]] for i in range(C)]
    sources = ["prefix of the build" if k[i] else "not entered" for i in range(C)]
    n_total = sum(k)

    def own_ok(i: int, lus: np.ndarray) -> bool:
        e = _cap_share(contests[i].max_exposure or max_exposure, lus.shape[0])
        if e is None or lus.shape[0] == 0:
            return True
        return int(_counts([lus], slate.n).max()) <= math.floor(e * lus.shape[0] + _EPS)

    day_cap = None if max_exposure is None or n_total == 0 else max(1, math.floor(max_exposure * n_total + _EPS))
    day_broken = day_cap is not None and int(_counts(chosen, slate.n).max()) > day_cap
    redo = [i for i in range(C) if k[i] and (day_broken or (k[i] < built[i].shape[0] and not own_ok(i, chosen[i])))]
    if redo:
        order = sorted(range(C), key=lambda i: (-k[i] * contests[i].entry_fee, i))
        fixed = [i for i in range(C) if k[i] and i not in redo]  # what a rebuild keeps the day's overlap rule against
        # every contest kept as it is counts against the day's cap before any rebuild, whatever its
        # place in the stake order (a kept contest later in the order used to be left out, and a
        # rebuild could then take the day past its cap)
        used = _counts([chosen[i] for i in fixed], slate.n)
        for i in order:
            if not k[i] or i not in redo:
                continue
            dc = contests[i]
            e = _cap_share(dc.max_exposure or max_exposure, k[i])
            per: dict[str, float] = {}
            if day_cap is not None:
                left = np.maximum(day_cap - used, 0)
                for j in range(slate.n):
                    share = min(e if e is not None else 1.0, left[j] / k[i])
                    if share < 1.0 - _EPS:
                        per[slate.ids[j]] = float(share)
            say(f"{dc.name}: rebuilding {k[i]} lineup(s) under the exposure rules ...")
            spec = ConstraintSpec(mode="contest", n_lineups=k[i], global_max_exposure=e, max_exposure=per,
                                  max_overlap=dc.max_overlap)
            run = contest_run(i, k[i], spec, fixed, chosen, "it is rebuilt for (the exposure rules)")
            chosen[i] = np.asarray(run.lineups, dtype=np.int64).reshape(-1, roster)
            fixed.append(i)
            dups.update({(i, tuple(sorted(int(j) for j in lu))): r.expected_duplicates
                         for lu, r in zip(chosen[i], run.result.lineups)})
            sources[i] = "rebuilt at its entries for the exposure rules"
            used += _counts([chosen[i]], slate.n)

    if day_cap is not None:
        over = np.nonzero(_counts(chosen, slate.n) > day_cap)[0]
        if over.size:  # never silent: a rebuild that could not hold the day's cap says so
            warnings.append("the day's exposure cap (" + f"{day_cap} of {n_total} lineups) is exceeded for "
                            + ", ".join(slate.names[j] for j in over) + ": the contests' own rules left no room")
    # exact day profit of what is entered, on the allocation set (our entries against one another)
    exact_a = np.zeros(Sa)
    for i, dc in enumerate(contests):
        if chosen[i].shape[0]:
            pay, _, _ = scenario_payouts(contests_a[i], Pa, chosen[i])
            exact_a += pay.sum(axis=1) - dc.entry_fee * chosen[i].shape[0]

    # ------------------------------------------------------------------ report (scenario set 3)
    say("reporting the day on fresh scenarios and fields ...")
    Pr = report_on.points
    Sr = Pr.shape[0]
    day_profit = np.zeros(Sr)
    day_top = np.zeros(Sr, dtype=bool)
    rows = []
    for i, dc in enumerate(contests):
        cr = build_contest(i, dc, Pr, 9)
        lus = chosen[i]
        row: dict[str, Any] = {"name": dc.name, "kind": dc.kind, "contest_id": dc.contest_id,
                               "entry_fee": dc.entry_fee, "field_size": dc.field_size,
                               "max_entries": dc.max_entries, "entries": int(lus.shape[0]),
                               "stake": float(lus.shape[0] * dc.entry_fee), "limit": caps[i][0],
                               "limited_by": caps[i][1], "lineups_source": sources[i],
                               "build": build_info[i], "field": contest_facts(contests_b[i], slate)["field_model"]}
        if lus.shape[0]:
            pay, above, n_entries = scenario_payouts(cr, Pr, lus)
            profit = pay.sum(axis=1) - dc.entry_fee * lus.shape[0]
            top = (above < top1_places(n_entries)).any(axis=1)
            day_profit += profit
            day_top |= top
            row["figures"] = _figures(profit, row["stake"], top, bankroll, kelly)
            row["figures"]["p_cash"] = float((pay > 0).any(axis=1).mean())
        else:
            row["figures"] = None
        row["lineups"] = [{"driver_ids": [slate.ids[j] for j in lu], "names": [slate.names[j] for j in lu],
                           "salary": int(slate.salaries()[list(lu)].sum()),
                           "expected_duplicates": dups.get((i, tuple(sorted(int(j) for j in lu))))} for lu in lus]
        rows.append(row)
    stake = float(sum(r["stake"] for r in rows))
    day = _figures(day_profit, stake, day_top, bankroll, kelly) if stake else _zero_figures(Sr, bankroll, kelly)
    day["profit_quantiles"] = {f"{q:g}": float(np.quantile(day_profit, q)) for q in QUANTILES}
    hist_edges = np.histogram_bin_edges(day_profit, bins=40) if stake else np.array([0.0, 1.0])
    counts, edges = np.histogram(day_profit, bins=hist_edges)
    day["profit_histogram"] = {"edges": [float(x) for x in edges], "counts": [int(x) for x in counts]}
    counts_day = _counts(chosen, slate.n)
    exposures = [{"driver_id": slate.ids[j], "name": slate.names[j], "count": int(counts_day[j]),
                  "exposure": float(counts_day[j] / max(n_total, 1))}
                 for j in np.argsort(-counts_day, kind="stable") if counts_day[j] > 0]

    def name_of(c: int) -> str:
        return contests[c].name

    steps = [{**s, "contest": name_of(s["contest"])} for s in alloc.steps]
    marginal = [{**m, "contest": name_of(m["contest"])} for m in alloc.marginal]
    def meta(sc: Scenarios) -> dict[str, Any]:
        return jsonable({k2: v for k2, v in sc.meta.items() if k2 in ("seed", "track", "track_type")})

    result = {
        "site": slate.site.key,
        "race": race_summary(slate, scenarios.meta),
        "bankroll": float(bankroll),
        "max_stake": float(max_stake),
        "stake_cap": float(budget),
        "kelly": float(kelly),
        "max_exposure": max_exposure,
        "stake": stake,
        "entries": int(n_total),
        "contests": rows,
        "day": day,
        "allocation": {
            "entries": {name_of(c): int(k[c]) for c in range(C)},
            "method": alloc.method,
            "n_evaluated": int(alloc.n_evaluated),
            "growth_objective": alloc.growth,
            "log_growth": alloc.log_growth,
            "greedy_entries": {name_of(c): int(x) for c, x in enumerate(alloc.greedy_entries)},
            "steps": steps,
            "marginal": marginal,
            "exact": {"log_growth": float(np.log1p(exact_a / bankroll).mean()),
                      "growth_objective": float(growth(exact_a, bankroll, kelly)),
                      "expected_profit": float(exact_a.mean()),
                      "note": "the entered lineups on the allocation set, our entries ranked against one another "
                              "(the search judged each lineup alone against the field)"},
        },
        "exposures": exposures,
        "day_max_exposure_count": day_cap,
        "max_overlap_day": max_overlap_day if max_overlap_day is None else int(max_overlap_day),
        "ownership_error": CONTEST_DEFAULTS.ownership_error if ownership_error is None else float(ownership_error),
        "overlap_across_contests": cross_contest_overlap(chosen, slate.n),
        "scenarios": {
            "build": {**meta(scenarios), "n": scenarios.n_scenarios, "field_seed": [seed, 7],
                      "used_for": "choosing each contest's lineups (contest mode and its own cross-validation)"},
            "allocate": {**meta(allocate_on), "n": allocate_on.n_scenarios, "field_seed": [seed, 8],
                         "used_for": "every prefix's profit and the entries decision (allocation.*)"},
            "report": {**meta(report_on), "n": report_on.n_scenarios, "field_seed": [seed, 9],
                       "used_for": "every figure in contests[].figures and day"},
        },
        "warnings": warnings,
    }
    return PlanRun(lineups=chosen, result=jsonable(result), built=built)
