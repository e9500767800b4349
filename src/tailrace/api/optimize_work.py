"""POST /optimize: the seed's contract over ``tailrace.pipeline.run_optimize``.

Every requested part is present in the answer. A part that fails (explanations, calibration,
tail validation) becomes null with a warning that names it and says why; the portfolio still
answers 200. Bad input and infeasible constraints are errors (422 / 409), never warnings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

from tailrace.errors import InfeasibleError, InputError, Problem
from tailrace.judging import POINTS_DIGEST_KEY, points_digest
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.pipeline import contest_from_parts, fill_team_and_make, portfolio_scores, run_optimize

from tailrace.api.context import Context, Progress, check_limit, no_progress
from tailrace.api.contest_terms import ownership_from_mapping, payout_table
from tailrace.api.errors import ApiError, Cancelled, worded
from tailrace.api.records import history_from_store, load_slate, save_slate, slate_from_json
from tailrace.api.scenarios import get_scenarios
from tailrace.api.schemas import EXPOSURE, LINEUP, ContestSpecIn, OptimizeRequest
from tailrace.calibration import end_to_end_calibration
from tailrace.optimize.search import warm_engines
from tailrace.sim.history import parse_history, read_history
from tailrace.store.graph import open_graph
from tailrace.seeds import MAX_SEED
from tailrace.tracks import resolve_track

log = logging.getLogger("tailrace.api.optimize")


def resolve_spec(ctx: Context, req: OptimizeRequest) -> ConstraintSpec:
    """The request's ConstraintSpec: inline, stored (spec_id) or default, with the request's overrides."""
    if req.spec_id:
        stored = ctx.spec_store().get_spec(req.spec_id)  # NotFound -> 404
        spec = ConstraintSpec.from_data(stored["spec"], source=f"constraint spec {req.spec_id}")
    elif req.spec is not None:
        spec = req.spec.model_copy()
        spec._source = "spec"  # how its error messages name it
    else:
        spec = ConstraintSpec()
    # the objective overrides field by field (with_overrides merges a mapping's non-null values)
    overrides = {"objective": None if req.objective is None else req.objective.model_dump(mode="json"),
                 "n_lineups": req.n_lineups, "mode": req.mode}
    if any(v is not None for v in overrides.values()):
        spec = spec.with_overrides(**overrides)
    check_limit(spec.n_lineups, ctx.settings.max_lineups, "n_lineups")
    if req.contest is not None and spec.mode != "contest":
        raise InputError(Problem(f"contest settings were given, but the mode is '{spec.mode}'", field="contest",
                                 fix="set mode 'contest', or leave contest out"))
    return spec


def contest_for_request(slate, points, c: ContestSpecIn, seed: int, warnings: list[str]) -> Any:
    """Mode 'contest': the Contest the request describes, built by ``pipeline.contest_from_parts``
    as the CLI builds it: payouts from the kind / rows / parametric table, ownership from
    ``c.ownership`` (by name or site ID; others 0), else the slate's column, else modelled from
    the projections (or scenario means); the field is sampled with ``seed``."""

    if c.field_size <= 1:
        raise InputError(Problem("the contest needs at least 2 entries", field="contest.field_size",
                                 fix="e.g. 20000"))
    own = ownership_from_mapping(slate, c.ownership, warnings) if c.ownership else None
    return contest_from_parts(slate, points, payout_table(c), ownership=own, entry_fee=c.entry_fee,
                              field_size=c.field_size, rake=c.rake, seed=seed, warnings=warnings,
                              field_sharpness=c.field_sharpness, ownership_error=c.ownership_error)


def score_histograms(points, fresh_points, lineups: list[tuple[int, ...]], bins: int = 40) -> list[dict[str, Any]]:
    """Per lineup: one set of histogram edges over its in-sample and fresh scores, and the two count lists."""
    import numpy as np


    X = portfolio_scores(points, lineups)
    F = portfolio_scores(fresh_points, lineups) if fresh_points is not None else None
    out = []
    for j in range(len(lineups)):
        lo, hi = float(X[:, j].min()), float(X[:, j].max())
        if F is not None:
            lo, hi = min(lo, float(F[:, j].min())), max(hi, float(F[:, j].max()))
        if hi <= lo:
            hi = lo + 1.0
        c_in, edges = np.histogram(X[:, j], bins=bins, range=(lo, hi))
        c_out = np.histogram(F[:, j], bins=edges)[0].astype(int).tolist() if F is not None else None
        out.append({"edges": edges.tolist(), "in_sample": c_in.astype(int).tolist(), "fresh": c_out,
                    "n_in_sample": int(X.shape[0]), "n_fresh": None if F is None else int(F.shape[0])})
    return out


def fresh_seed(seed: int) -> int:
    """The seed of the independent validation set: the next seed (wrapping at 2**63 - 1)."""
    return seed + 1 if seed < MAX_SEED else 0


def _graph_of(ctx: Context):  # -> Callable[[], GraphConnection | None] | None
    """The service's graph (``TAILRACE_GRAPH_URI``) as a lazy opener, or None without one."""
    if not ctx.settings.graph_uri:
        return None

    return lambda: open_graph(ctx.settings.graph_uri)


def optimize_work(ctx: Context, req: OptimizeRequest, progress: Progress = no_progress) -> dict[str, Any]:
    """Build the portfolio and every requested part; returns the OptimizeResponse dict."""

    # the server lives on: a repeat, or a change that leaves the first lineup's choice alone
    # (an exposure, the lineup count), takes the portfolio engine's state from the last request
    # instead of recomputing it: the same arrays, so the same bytes (search.py, "warm engines")
    with warm_engines():
        return _optimize_work(ctx, req, progress)


def _optimize_work(ctx: Context, req: OptimizeRequest, progress: Progress) -> dict[str, Any]:
    """``optimize_work``'s body (run with the warm-engine store on)."""

    t0 = time.perf_counter()
    warnings: list[str] = []
    if req.slate is not None:
        slate = slate_from_json(req.slate)
        slate_id, _ = save_slate(ctx.store, slate)
    else:
        slate_id = req.slate_id
        slate = load_slate(ctx.store, slate_id)
    spec = resolve_spec(ctx, req)
    # team / make for team and manufacturer rules: the slate's, else the uploaded history's, else
    # the graph's (as on the CLI)
    history_model = history_from_store(ctx.store, req.history_id, slate) if req.history_id else None
    slate = fill_team_and_make(slate, spec, history_model, graph=_graph_of(ctx))
    spec.resolve(slate)  # bad names / obvious conflicts fail now, before any simulation
    n, seed, track, strengths = req.n_scenarios, req.seed, req.track, req.strengths
    progress(0.02, "simulating races")
    hist: dict[str, Any] = {"history_id": req.history_id, "history_weight": req.history_weight}
    if req.allow_projection_shift:
        hist["allow_shift"] = True
    scen, kstats = get_scenarios(ctx, slate, n, seed, track, progress, strengths, **hist)
    ctx.store.put_scenario_set(kstats["scenario_set_id"], slate_id,
                               {"n_scenarios": n, "seed": seed, "track": track, "strengths": strengths, **hist})
    t_scen = time.perf_counter()

    fresh, fresh_reason = None, None
    vseed = fresh_seed(seed)
    vn = req.validation_scenarios or n
    if req.include_tail_validation:
        progress(0.3, "simulating the fresh validation set")
        try:
            check_limit(vn, ctx.settings.max_scenarios, "validation_scenarios")
            fresh, _ = get_scenarios(ctx, slate, vn, vseed, track, strengths=strengths, **hist)
        except InputError:
            raise
        except Exception as exc:
            fresh_reason = f"the fresh scenario set could not be simulated: {exc}"
    t_fresh = time.perf_counter()

    contest, contest_req, contest_warnings = None, None, []
    if spec.mode == "contest":
        progress(0.32, "sampling the contest field")
        c = req.contest or ContestSpecIn()  # the default contest: a 20,000-entry $5 tournament
        contest_req = c.model_dump(mode="json")  # as stored with the portfolio and echoed in the answer
        contest = contest_for_request(slate, scen.points, c, seed, contest_warnings)

    def tick(done: int, total: int) -> None:
        progress(0.35 + 0.6 * done / max(total, 1), f"lineup {done} of {total}")

    explain = req.include_explain
    binding = min(spec.n_lineups, ctx.settings.explain_binding_limit)
    max_dup = req.contest.max_duplicates if spec.mode == "contest" and req.contest is not None else None
    try:
        run = run_optimize(slate, scen, spec, fresh=fresh, fresh_reason=fresh_reason, explain=explain,
                           binding_limit=binding, progress=tick, contest=contest, max_duplicates=max_dup)
    except (InputError, InfeasibleError):
        raise
    except Exception as exc:
        if not explain or _is_control_flow(exc):
            raise
        log.exception("optimize with explanations failed; retrying without")
        warnings.append(f"explain: the explanations failed ({type(exc).__name__}: {exc}); "
                        "the portfolio is given without them")
        explain = False
        run = run_optimize(slate, scen, spec, fresh=fresh, fresh_reason=fresh_reason, explain=False,
                           progress=tick, contest=contest, max_duplicates=max_dup)
    t_opt = time.perf_counter()
    res = run.result  # pipeline.OptimizeResult: the answer below reshapes its fields
    warnings = list(dict.fromkeys(list(kstats["warnings"]) + [f"contest: {w}" for w in contest_warnings]
                                  + list(res.warnings) + warnings))

    explain_out = None
    if req.include_explain:
        if explain:
            explain_out = [row.explain for row in res.lineups]
            if spec.n_lineups > binding:
                warnings.append(f"explain: constraint_binding is given for the first {binding} lineups only "
                                "(each relaxation re-solves; TAILRACE_EXPLAIN_BINDING_LIMIT); null for the rest")
        elif not any(w.startswith("explain:") for w in warnings):
            warnings.append("explain: not available")

    validation = None
    if req.include_tail_validation:
        fv = res.fresh_validation
        if (pair := fv.figures()) is not None:
            validation = {"seed": vseed, "n_scenarios": int(vn), "beta": fv.beta, "in_sample": pair[0].to_json(),
                          "out_of_sample": pair[1].to_json(), "relative_drop": fv.relative_drop}
        else:
            warnings.append(f"tail_validation: {fv.reason or fresh_reason or 'not available'}")

    calibration = None
    if req.include_calibration:
        progress(0.96, "calibration summary")
        calibration, why = calibration_summary(ctx, slate, track, req.history_id)
        if calibration is None:
            warnings.append(f"calibration_metrics: {why}")
    t_end = time.perf_counter()

    # the answer's own per-lineup figure: the distribution when asked for (each row's fresh_tail_metrics
    # come from the pipeline whenever there is a fresh set)
    extras: list[dict[str, Any]] = [{} for _ in res.lineups]
    if req.include_distributions and res.lineups:
        hists = score_histograms(scen.points, None if fresh is None else fresh.points, run.lineups)
        for j, ex in enumerate(extras):
            ex["distribution"] = hists[j]
    # the result's rows as the answer's, by the one mapping (schemas.LINEUP, schemas.EXPOSURE): lineups
    # without seconds and explain (that is `explain` below), every field present (null when not filled), so
    # a job's result and the synchronous answer (serialised through the response model) are the same JSON
    lineups = [LINEUP.row(r, **ex) for r, ex in zip(res.lineups, extras)]
    exposures = [EXPOSURE.row(e) for e in res.exposures]
    port = res.portfolio
    portfolio = {
        "slate_id": slate_id, "site": slate.site.key, "lineups": [lu["driver_ids"] for lu in lineups],
        "objective": res.objective, "mode": res.mode, "spec": res.spec,
        "scenario_set_id": kstats["scenario_set_id"], "n_scenarios": n, "seed": seed, "track": track,
        "strengths": strengths, **hist,
        # the digest of the points optimised on: /contest tells an in-sample judging by it (tailrace.judging)
        POINTS_DIGEST_KEY: points_digest(scen.points),
    }
    if contest_req is not None:
        portfolio["contest"] = contest_req
    portfolio_id = ctx.store.put_portfolio(slate_id, portfolio)
    progress(1.0, "done")
    return {
        "portfolio_id": portfolio_id,
        "slate_id": slate_id,
        "site": slate.site.key,
        "objective": res.objective,
        "mode": res.mode,
        "lineups": lineups,
        "exposures": exposures,
        "tail_metrics": {"portfolio_value": port.portfolio_value, "tail_beta": res.tail_beta,
                         "best_lineup": port.best_lineup_tail_metrics},
        "kernel_stats": kstats,
        "calibration_metrics": calibration,
        "tail_validation": validation,
        "explain": explain_out,
        "warnings": warnings,
        "race": res.race,
        "optimal": None if res.optimal is None else res.optimal.to_json(),
        "duplicates": res.duplicates,
        "contest": None if contest_req is None else {
            **{k: v for k, v in contest_req.items() if k != "payouts"},
            "custom_payouts": bool(contest_req.get("payouts")), "paid_places": int(contest.payouts.n_paid),
            **{k: v for k, v in (port.contest or {}).items() if k not in ("entry_fee", "field_size")}},
        "timings": {"scenarios": t_scen - t0, "validation_scenarios": t_fresh - t_scen,
                    "optimize": t_opt - t_fresh, "calibration": t_end - t_opt, "total": t_end - t0},
    }


def _is_control_flow(exc: BaseException) -> bool:
    return isinstance(exc, (ApiError, Cancelled))


# ---------------------------------------------------------------------------- calibration

CALIBRATION_SCENARIOS = 2_000


def calibration_summary(ctx: Context, slate, track: str | None,
                        history_id: str | None = None) -> tuple[dict[str, Any] | None, str]:
    """(summary, '') for the slate's track type, or (None, why not).

    The races come from the request's uploaded history (``history_id``, POST /histories) when
    given, else from the server's TAILRACE_HISTORY. The summary covers the most recent races of
    that track type in the history, each fitted only on earlier races; it is computed once per
    history content and track type and kept under the data directory.
    """
    text: str | None = None
    label = "the configured race-history file (TAILRACE_HISTORY)"
    if history_id:
        h = ctx.store.get_history(history_id)  # NotFound -> 404
        text, label = h["text"], f"the uploaded history {h['name']}"
    else:
        path = ctx.settings.history_path
        if path is None:
            return None, ("no race history: upload one (POST /histories, then history_id) or set "
                          "TAILRACE_HISTORY on the server to a CSV like cup_results_2019_2023.csv")
        p = Path(path)
        if not p.is_file():
            return None, "the configured race-history file (TAILRACE_HISTORY) does not exist on the server"
    try:
        name = track or slate.track
        if not name:
            return None, "the slate has no track, so its track type is unknown (pass track)"
        track_type = resolve_track(name).track_type
        raw = text.encode("utf-8") if text is not None else p.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()[:20]
        out = ctx.settings.data_dir / "calibration" / f"{digest}-{track_type}-{ctx.settings.calibration_races}.json"
        if out.is_file():
            return json.loads(out.read_text()), ""
        hist = parse_history(text, label) if text is not None else read_history(p)
        n_races = ctx.settings.calibration_races
        ids = [r.race_id for r in hist.races() if r.track_type == track_type][-n_races:]
        if not ids:
            return None, f"the history file has no {track_type} races"
        result = end_to_end_calibration(hist, ids, n_scenarios=CALIBRATION_SCENARIOS)
        data = result.model_dump(mode="json")
        data.pop("history", None)  # a server path
        summary = {"track_type": track_type, "scope": f"the last {len(ids)} {track_type} races of the history file, "
                   "each fitted only on races before it", **data}
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary))
        tmp.replace(out)
        return summary, ""
    except InputError as exc:
        return None, f"{label} could not be used: {worded(exc)}"
    except Exception as exc:
        log.exception("calibration summary failed")
        return None, f"calibration failed ({type(exc).__name__}: {exc})"
