"""Contest-aware portfolios: lineups picked one by one for their marginal expected profit.

This module runs the stages (``generate_contest_portfolio``) and re-exports the engine's public
names; the engine itself is the package ``tailrace.optimize.contest``:

* ``contest.pool``: the candidates (``structural_pool``, ``pool_context``, ``PoolContext``,
  ``scenario_optimal_rows``, the older ``candidate_pool``) and their kernels;
* ``contest.paid``: candidates' paid standings against a field (``_standings``, ``_FieldTops``,
  ``_Paid``, ``_PaidStore``, the score key and the tie split ``_split``);
* ``contest.selection``: the greedy (``select_contest_portfolio``, ``_Selection``,
  ``_LazySelection`` and their kernels);
* ``contest.cv``: the cross-validated cap (``cross_validate_cap``, ``CVResult``);
* ``contest.result``: ``ContestPortfolio`` and the shared constants (``DEFAULT_CAP_PLACE``,
  ``CV_CAPS``, ``MIN_LIVE``, ``N_SCENARIO_OPTIMAL``, ``GRID_BATCH``, ``GRID_SMALL_BATCHES``);
* ``contest.fields``, ``contest.estimate``, ``contest.standings``, ``contest.duplicates``: the
  fields, the honest estimate, the grid paid-standings kernel, the duplicate admission.

The constants re-exported here are for reading: the code reads its own module's copy, so a
caller that changes one (a benchmark) sets it where it is read (``contest.pool.N_SCENARIO_OPTIMAL``).

The stages.

1. **Candidates** (``structural_pool``). Every lineup that satisfies the rules is enumerated
   (as the exact search does) and scored on four criteria: mean, and upper CVaR at 1 %, 5 %
   and 10 % (the mean of a lineup's top-beta share of scenarios). Upper CVaR is ranked by a
   lower bound first — the best mean over a family of scenario sets (each driver's big days,
   then the strong lineups' own top scenarios: one round of successive linearisation, whose
   fixed point is a local optimum of upper CVaR) — and made exact for the best ``2 n_top``.
   The pool holds the top ``n_top`` by each criterion and, for every subset of the
   ``n_protect`` drivers the top lineups use most, the best ``per_subset`` lineups avoiding
   that subset (split over the criteria), so the greedy keeps strong options whichever
   drivers' exposure caps bind. Added to these: the optimal lineup of each of
   ``N_SCENARIO_OPTIMAL`` evenly spaced optimisation scenarios (``scenario_optimal``), the
   high-ceiling lineups a sim-ROI workflow starts from. When the caps leave fewer than ``min_live`` admissible
   candidates, more are drawn from the enumeration (the best avoiding the capped drivers).
   The older ``candidate_pool`` (per-driver themes) is kept for comparison.
2. **Selection** (``select_contest_portfolio``). Greedy: each step adds the admissible
   candidate with the largest *exact* marginal expected payout given the lineups already
   chosen — our entries compete with each other and with the field, ties split as the site
   splits them, and an added lineup pushes ours below it down a place. Admissible = distinct,
   within every driver's exposure cap over the finished portfolio, and sharing at most
   ``max_overlap`` drivers with each chosen lineup. By default the greedy is *lazy*: a
   candidate's value from an earlier step is used as a bound and only the leaders are
   re-evaluated exactly (marginal values shrink as the portfolio grows in almost every
   scenario; when one would grow, the lazy pick can differ from the strict argmax). Every
   recorded marginal value is exact. ``lazy=False`` updates every candidate at every step.
3. **The cap** (``cap_place="cv"``, the default). The selection objective caps the top prizes
   at place ``cap`` (places 1..cap-1 paid the cap's prize; ``1`` = uncapped): the top prizes
   are won in a handful of scenarios, so their estimate is mostly noise and the greedy
   over-fits to it. The cap is chosen per run by 2-fold cross-validation over the
   optimisation scenarios only: halves A and B; on A, the structural pool of A alone (no
   optimum of a held-out scenario in it) and a selection with each cap of ``cv_caps`` against
   fold A's pretend-world field (below), scored by true-table ROI on B against the held-out
   fields, and vice versa; the cap with the best mean wins, and the final selection runs on
   all scenarios with it, from the union of the two folds' pools (refills ranked by the folds'
   criteria averaged). A fixed cap builds the structural pool on all scenarios instead.
   One more setting competes in the same cross-validation (issue 23, item 6: choose between
   variants by validation on the optimisation scenarios only): ``ALONE`` (0), each candidate
   ranked by its own expected payout against the field on the true table, ours not competing
   with each other (the sim-ROI workflow's rule), taken best first under the same exposure and
   overlap rules. The decision benchmark found no single rule best everywhere (the greedy wins
   most slates; ranking alone won at a superspeedway with ownership error and against the
   sharpest fields), so the held-out figures decide per run.
4. **The fields** (``optimize.contest.fields``, built from ``tailrace.contest``'s field
   models). The real field is unknown: the final selection runs against a *mixture field* of
   the contest's size (the contest's field and its other field models). The CV mirrors the
   real situation in a pretend world: each fold selects against the mixture built on the
   user's ownership times a further 30 % log-normal error, and is scored against held-out
   fields drawn by other models (calibrated and uncalibrated samplers, 0-35 % optimiser-built
   entries) from two pretend truths: the posterior mean of the true ownership (the cap is picked
   on these) and the file itself. A field given as a file is used as it is.
5. **The honest estimate** (``optimize.contest.estimate``): the chosen cap's held-out ROI against
   the harder of the two pretend truths' fields (a field from a guess that departs from the real
   ownership is easier than the real one), less that truth's own optimism (how much the final
   portfolio gains when the truth is moved by a further stated error: ``estimate.noise_gain``),
   with a 90 % interval spanning the (model, fold) figures, that gain's spread and race noise,
   on ``ContestPortfolio`` (``roi_estimate``, ``roi_interval``, ``estimate_note``, ``cv_by_field``). The true table is used for every reported figure.

Cost. Candidates' paid standings are computed once per lineup over all scenarios (the final
store, ``contest.paid._PaidStore``) and handed to the selection by scenario window; on site-scored points
large batches go through ``optimize.contest.standings.paid_standings_grid`` (one pass over the
field per batch for its paid region in grid units, then only the paid cells written, straight
into the per-candidate arrays), small refill batches through the field's paid region
(``contest.paid._FieldTops``: its distinct score keys in the paid places, best first; a lineup's standings
are then a binary search), built once when refills become frequent. The greedy's first values
(nothing chosen yet) come from a streaming pass over those arrays; each pick recomputes a
scenario's loss prefixes only from the new entry's place down. Each fold ranks its own pool on its own half against
its pretend-world field; each held-out field is one grid pass over the scenarios, judged one
at a time. The folds' pools share the enumeration and the scenario optima (each scenario's
optimum is computed once, for its own half); there is no third pool on all scenarios.
Stages that do not depend on each other run side by side (``optimize.contest.overlap``, under
numba's ``omp`` or ``tbb`` threading layer; ``TAILRACE_SERIAL`` turns it off): the fields are
drawn while the pools are built, the final pool's standings computed while the cross-validation
runs, fold B beside fold A, every other held-out judge on the helper thread; each stage has its
own inputs and seeded generators, so the bytes are those of one stage after the other.

Approximations, said exactly: (a) the search is over the candidate pool, not every lineup;
(b) greedy selection of a set function (not a proven optimum over all portfolios of the
pool), lazily evaluated unless ``lazy=False``; (c) the selection objective's capped table;
(d) the cross-validation has two folds (its choice is noisy where caps score within a few
points). The fields are fixed per seed. Scores are compared as integers
(``tailrace.contest.simulate.SCORE_SCALE``: 1e-4 points, finer than DK's 0.05), so ties are
exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from tailrace.contest import Contest
from tailrace.errors import InfeasibleError
from tailrace.optimize.contest import estimate as _est
from tailrace.optimize.contest import fields as _fields
from tailrace.optimize.contest.cv import CVResult, _cv_field, _distinct, cross_validate_cap
from tailrace.optimize.contest.overlap import in_background, runs_here
from tailrace.optimize.contest.paid import _Paid, _PaidStore
from tailrace.optimize.contest.pool import (
    PoolContext,
    candidate_pool,
    pool_context,
    scenario_optimal_rows,
    structural_pool,
)
from tailrace.optimize.contest.result import (
    ALONE,
    CV_CAPS,
    DEFAULT_CAP_PLACE,
    MIN_LIVE,
    N_SCENARIO_OPTIMAL,
    ContestPortfolio,
)
from tailrace.optimize.contest.selection import select_contest_portfolio
from tailrace.optimize.lineup import enumerate_feasible
from tailrace.optimize.problem import LineupRules
from tailrace.optimize.scenario_optimal import scenario_optimal_lineups

__all__ = [
    "ALONE",
    "CV_CAPS",
    "DEFAULT_CAP_PLACE",
    "MIN_LIVE",
    "N_SCENARIO_OPTIMAL",
    "CVResult",
    "ContestPortfolio",
    "PoolContext",
    "candidate_pool",
    "cross_validate_cap",
    "generate_contest_portfolio",
    "pool_context",
    "scenario_optimal_rows",
    "select_contest_portfolio",
    "structural_pool",
]


def _admitted(admit: Callable[[np.ndarray], np.ndarray], cands: np.ndarray, refill: Callable | None,
              fold_pool: Callable | None) -> tuple[np.ndarray, Callable | None, Callable | None]:
    """``cands``, ``refill`` and ``fold_pool`` with only the lineups ``admit`` passes."""
    def keep(x: np.ndarray) -> np.ndarray:
        return x[admit(x)] if len(x) else x

    rf = None if refill is None else (lambda full, chosen: keep(refill(full, chosen)))

    def fp(a0: int, a1: int) -> tuple[np.ndarray, Callable]:
        c, r = fold_pool(a0, a1)
        return keep(c), (lambda full, chosen: keep(r(full, chosen)))
    return keep(cands), rf, (None if fold_pool is None else fp)


def _admitted_rows(admit: Callable[[np.ndarray], np.ndarray],
                   enumerated: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The enumeration's lineups (M, roster) and bit sets (M,) that ``admit`` passes."""
    lu, bits = enumerated
    ok = admit(lu)
    return lu[ok], bits[ok]


def generate_contest_portfolio(
    points: np.ndarray,
    salaries: np.ndarray,
    rules: LineupRules,
    n_lineups: int,
    contest: Contest,
    *,
    max_exposure: float | np.ndarray = 1.0,
    max_overlap: int | None = None,
    cap_place: int | str | None = "cv",
    candidates: np.ndarray | None = None,
    progress: Callable[[int, int], None] | None = None,
    seed: int = 0,
    cv_caps: tuple[int, ...] = CV_CAPS,
    lazy: bool = True,
    executor=None,
    fields: Sequence[Contest] | None = None,
    robust_fields: bool = True,
    admit: Callable[[np.ndarray], np.ndarray] | None = None,
) -> ContestPortfolio:
    """A portfolio of ``n_lineups`` chosen for the contest's expected profit (see module docstring).

    ``cap_place``: an int fixes the selection's cap (1 = uncapped); ``"cv"`` or ``None``
    cross-validates it over ``cv_caps`` on the optimisation scenarios (pools built per fold,
    held-out fields from other models than the selection's; ``optimize.contest.fields``) and
    gives the honest estimate (``roi_estimate``, ``roi_interval``, ``estimate_note``).
    ``candidates``: a given pool (then refills come from the older ``candidate_pool``); else
    the structural pool. ``fields``: extra contests (same payouts, other fields) whose fields
    join the selection's mixture field. ``robust_fields=False``: select against the contest's
    field alone and validate against one fresh sample of its ownership (the earlier recipe).
    Deterministic: the same points, rules, contest and seed give the same lineups.
    ``admit`` (lineups (k, roster) -> bool (k,)): only lineups it passes enter any pool, refill
    or fold pool (``optimize.contest.duplicates.admission``: ``max_duplicates``; the plan's day
    overlap rule); the structural pools are built from the admitted lineups of the enumeration,
    so a refill reaches past rejected ones.
    ``executor`` (``tailrace.distributed``, default local) runs the field passes
    (``_FieldTops``) by scenario chunk; the lineups are the same on any executor.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    p = np.ascontiguousarray(points, dtype=np.float32)
    S = p.shape[0]
    cv = cap_place is None or cap_place == "cv"
    # stages that do not depend on each other run side by side (``optimize.contest.overlap``: same bytes);
    # not when a Dask executor runs the field passes
    side_by_side = runs_here(executor)

    def draw_fields() -> tuple[Contest, list[Contest] | None, list[Contest] | None]:
        """The selection's field (a mixture of the ensemble's members) and the CV's held-out and fold ones."""
        if not (robust_fields and (_fields.robust(contest) or fields)):
            return contest, None, None
        mean = p.mean(axis=0, dtype=np.float64)  # the projections optimiser-built entries start from
        sel = _fields.selection_contest(contest, salaries, rules, mean, seed, tuple(fields or ()))
        if not cv:
            return sel, None, None
        held_out = _fields.held_out_contests(contest, salaries, rules, mean, seed)
        folds = [_fields.fold_selection_contest(contest, salaries, rules, mean, seed, f, tuple(fields or ()))
                 for f in (0, 1)]
        return sel, held_out, folds

    pending_fields = in_background(draw_fields, allowed=side_by_side)
    fold_pool = None
    ctx = None
    if candidates is None and cv and S >= 2:
        # the folds' structural pools (each from its own half: no held-out scenario's optimum in
        # it) over one enumeration; the final pool is their union, its refills ranked by the
        # folds' criteria averaged (the mean exactly, upper CVaR as the halves' average)
        h = S // 2
        rows = scenario_optimal_rows(S)
        t1 = time.perf_counter()
        opt_parts = (scenario_optimal_lineups(p, salaries, rules, rows[rows < h]),
                     scenario_optimal_lineups(p, salaries, rules, rows[rows >= h])) if rows.size else (None, None)
        timings["scenario_optimal_folds"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        enumerated = enumerate_feasible(rules, np.asarray(salaries, dtype=np.int64), p.shape[1])
        if admit is not None:  # the pools and their refills hold admitted lineups only
            enumerated = _admitted_rows(admit, enumerated)
        timings["enumerate"] = time.perf_counter() - t1
        folds_built: dict[int, tuple[np.ndarray, PoolContext]] = {}
        for f, (a0, a1) in enumerate(((0, h), (h, S))):
            t1 = time.perf_counter()
            fctx = pool_context(p[a0:a1], salaries, rules, enumerated=enumerated)
            part = opt_parts[f]
            folds_built[a0] = structural_pool(p[a0:a1], salaries, rules, context=fctx, scenario_optimal=part,
                                              n_scenario_optimal=None if part is not None else 0)
            timings["fold_pools"] = timings.get("fold_pools", 0.0) + time.perf_counter() - t1
        (pa, ca), (pb, cb) = folds_built[0], folds_built[h]
        wa = h / S
        ctx = PoolContext(ca.lineups, ca.bits, {k: wa * ca.criteria[k] + (1.0 - wa) * cb.criteria[k] for k in ca.criteria},
                          timings={})
        cands = _distinct(np.concatenate([pa, pb], axis=0)).astype(np.int64)

        def refill(full: np.ndarray, chosen: np.ndarray) -> np.ndarray:
            return ctx.refill(full, chosen, max_overlap=max_overlap)
        live = MIN_LIVE

        def fold_pool(a0: int, a1: int) -> tuple[np.ndarray, Callable]:
            """The structural pool of scenarios a0..a1-1 only, and its refill."""
            fc, fctx = folds_built[a0]
            return fc, lambda full, chosen: fctx.refill(full, chosen, max_overlap=max_overlap)
    elif candidates is None:
        ctx0 = None if admit is None else pool_context(p, salaries, rules, enumerated=_admitted_rows(
            admit, enumerate_feasible(rules, np.asarray(salaries, dtype=np.int64), p.shape[1])))
        cands, ctx = structural_pool(p, salaries, rules, context=ctx0)
        timings.update(ctx.timings or {})

        def refill(full: np.ndarray, chosen: np.ndarray) -> np.ndarray:
            return ctx.refill(full, chosen, max_overlap=max_overlap)
        live = MIN_LIVE
    else:
        cands = np.asarray(candidates)
        live = 0

        def refill(full: np.ndarray, chosen: np.ndarray) -> np.ndarray:
            # more candidates among lineups that avoid the drivers whose exposure is used up
            r2 = replace(rules, excludes=rules.excludes | frozenset(int(i) for i in full))
            try:
                more = candidate_pool(points, salaries, r2, exact_levels=())
            except InfeasibleError:
                return np.zeros((0, rules.roster_size), dtype=np.int64)
            if max_overlap is not None and chosen.shape[0]:
                n = np.asarray(points).shape[1]
                a = np.zeros((more.shape[0], n), dtype=np.int64)
                a[np.arange(more.shape[0])[:, None], more] = 1
                b = np.zeros((chosen.shape[0], n), dtype=np.int64)
                b[np.arange(chosen.shape[0])[:, None], chosen] = 1
                more = more[(a @ b.T).max(axis=1) <= max_overlap]
            return more
    if admit is not None:  # an admission rule (max duplicates): filter every road into the selection
        cands, refill, fold_pool = _admitted(admit, cands, refill, fold_pool)
    timings["candidates"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    # the fields (drawn on the helper thread meanwhile): the selection's and the CV's held-out ones
    sel_contest, held, fold_contests = pending_fields.result()
    timings["fields"] = pending_fields.seconds
    timings["fields_wait"] = time.perf_counter() - t1
    paid = None
    pending_paid = None
    if lazy:
        def final_paid() -> _Paid:
            return _PaidStore(p, sel_contest, n_lineups, executor).get(_distinct(cands), 0, S)
        # the CV's folds select against their own fields and never read the final pool's standings:
        # those are computed on the helper thread while the folds run (else now, the folds share them)
        pending_paid = in_background(final_paid, allowed=side_by_side and fold_contests is not None)
        if fold_contests is None:
            paid = pending_paid.result()
            timings["standings"] = pending_paid.seconds
    res = None
    # the held-out fields come in (posterior mean, file) pairs: the cap is picked on the posterior-mean
    # fields; with an ownership error the estimate is read from the harder pretend truth
    # (``optimize.contest.estimate``); without one the two are the file (same fields): the first alone
    paired = held is not None and len(held) == len(_fields.HELD_OUT) and _fields.robust(contest)
    if cv:
        t1 = time.perf_counter()
        res = cross_validate_cap(
            p, salaries, rules, cands, n_lineups, sel_contest, caps=tuple(cv_caps), seed=seed,
            max_exposure=max_exposure, max_overlap=max_overlap, refill=refill, lazy=lazy, min_live=live, paid=paid,
            executor=executor, fold_pool=fold_pool,
            held_out=held if held is not None else [_cv_field(contest, salaries, rules, seed)],
            fold_contests=fold_contests, weights=_fields.HELD_OUT_WEIGHTS if paired else None)
        cap = res.cap
        timings["cross_validation"] = time.perf_counter() - t1
        timings.update(res.timings or {})
    else:
        cap = int(cap_place)
    t1 = time.perf_counter()
    if pending_paid is not None and paid is None:
        paid = pending_paid.result()
        timings["standings"] = pending_paid.seconds
        timings["standings_wait"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    port = select_contest_portfolio(p, cands, n_lineups, sel_contest, max_exposure=max_exposure,
                                    max_overlap=max_overlap, cap_place=cap, progress=progress,
                                    refill=refill, lazy=lazy, min_live=live, _paid=paid)
    timings["selection"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    if res is None:
        return replace(port, timings=timings)
    rows = res.roi[cap]
    gain = (0.0, 0.0)
    if paired:
        side = _est.sharper_side(rows) if contest.ownership_error > 0 else 0
        rows = rows[side::2]
        if contest.ownership_error > 0:  # the harder pretend truth's own optimism (``contest.estimate``)
            t1 = time.perf_counter()
            gain = _est.noise_gain(p, port.lineups, held[side::2], n_lineups, contest.ownership_error, seed)
            timings["noise_gain"] = time.perf_counter() - t1
            timings["total"] = time.perf_counter() - t0
    est = _est.honest_estimate(rows, given_field=not _fields.robust(contest), robust=held is not None,
                               folds=((0, S // 2), (S // 2, S)) if fold_contests is not None else None,
                               sigma=contest.ownership_error, gain=gain)
    return replace(port, cv_scores=res.scores, cv_folds=res.folds, timings=timings, roi_estimate=est.estimate,
                   roi_interval=est.interval, estimate_note=est.note, cv_by_field=res.by_field[cap],
                   cv_field_models=tuple(h.field.model for h in held) if held is not None else None)
