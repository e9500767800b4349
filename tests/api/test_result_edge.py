"""Issue 27 item 3: NaN -> null handled once, at the models' edge (``json_models.JsonReady``), for the
pipeline's result and the API's answers alike; and the API's lineup agrees with the pipeline's
on a lineup whose objective value is not finite (it used to publish it as a required float, so
such a row failed the answer's validation: a 500)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tailrace.api.schemas import LINEUP, ContestResponse, KernelStats, LineupOut, OptimizeResponse
from tailrace.json_models import json_answer
from tailrace.pipeline import FreshFigures, LineupRow


def _row(**over) -> LineupRow:
    base = dict(index=0, driver_ids=["1", "2", "3", "4", "5", "6"], names=list("ABCDEF"), salary=np.int64(49_800),
                objective_value=float("nan"), bound=np.float64(120.5), gap=float("inf"), optimal=np.bool_(False),
                status="time_limit", tail_metrics={"mean": {"value": np.float32(88.25)}, "cvar_upper": {"0.01": {
                    "value": float("nan")}}})
    return LineupRow(**(base | over))


def test_a_non_finite_figure_is_none_in_the_model_and_null_in_its_json() -> None:
    r = _row()
    assert r.objective_value is None and r.gap is None  # NaN and inf as the stage gave them
    assert r.bound == 120.5 and r.salary == 49_800 and r.optimal is False
    assert r.tail_metrics == {"mean": {"value": 88.25}, "cvar_upper": {"0.01": {"value": None}}}
    text = json.dumps(r.to_json(), allow_nan=False)  # would raise on a NaN left in
    assert '"objective_value": null' in text and '"gap": null' in text
    assert FreshFigures(best_lineup_upper_cvar=np.float64("nan"), best_lineup_mean=1.5, mean_lineup_objective=None,
                        n_scenarios=np.int64(100)).to_json() == {
        "best_lineup_upper_cvar": None, "best_lineup_mean": 1.5, "mean_lineup_objective": None, "n_scenarios": 100}


def test_the_api_lineup_takes_a_row_whose_objective_value_is_null() -> None:
    out = LineupOut.model_validate(LINEUP.row(_row()))  # before: "Input should be a valid number" (a 500)
    assert out.objective_value is None and out.bound == 120.5
    schema = OptimizeResponse.model_json_schema()["$defs"]["LineupOut"]["properties"]["objective_value"]
    assert {"type": "null"} in schema["anyOf"] and {"type": "number"} in schema["anyOf"]
    finite = LineupOut.model_validate(LINEUP.row(_row(objective_value=np.float64(97.75), gap=0.0)))
    assert finite.objective_value == 97.75 and finite.gap == 0.0


def test_json_answer_cleans_a_plain_answer_and_keeps_its_keys_and_order() -> None:
    raw = {"portfolio_id": "pf_1", "contest": {"entry_fee": np.float64(3.0), "paid_places": np.int64(30)},
           "portfolio": {"roi": float("nan"), "entries": np.int64(2)},
           "lineups": [{"index": 0, "roi_se": float("-inf")}], "warnings": ["w"],
           "profit_distribution": {"counts": np.array([1, 2])},
           "timings": {"total": 0.5}}  # profit_distribution before timings, as contest_work has it (the model: after)
    out = json_answer(ContestResponse, raw)
    assert list(out) == list(raw)
    assert out["portfolio"] == {"roi": None, "entries": 2} and out["lineups"] == [{"index": 0, "roi_se": None}]
    assert out["contest"] == {"entry_fee": 3.0, "paid_places": 30} and out["profit_distribution"] == {"counts": [1, 2]}
    assert type(out["contest"]["paid_places"]) is int
    json.dumps(out, allow_nan=False)


def test_kernel_stats_make_numpy_checks_plain() -> None:
    stats = {"scenario_set_id": "s", "count": np.int64(400), "seed": 3, "seconds": 0.25, "cache_hit": False,
             "invariant_checks_passed": np.bool_(True),
             "invariant_checks": {"passed": np.bool_(True), "max_points": np.float32(64.5), "bad": float("nan")},
             "track": "Kansas", "track_type": "intermediate", "strength_source": "projections", "history": None,
             "warnings": [], "drivers": [{"id": "1", "name": "A", "mean": np.float64(30.0), "sd": 4.0, "p90": 36.0,
                                          "p99": 41.0, "p5": 24.0, "p50": 30.0, "p95": math.inf}]}
    out = json_answer(KernelStats, stats)
    assert out["invariant_checks_passed"] is True and out["count"] == 400
    assert out["invariant_checks"] == {"passed": True, "max_points": 64.5, "bad": None}
    assert out["drivers"][0]["p95"] is None and out["drivers"][0]["mean"] == 30.0
    json.dumps(out, allow_nan=False)
    with pytest.raises(ValueError):
        json_answer(KernelStats, {**stats, "count": "many"})  # still validated as it always was
