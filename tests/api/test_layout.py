"""The API's layout (issue 27, items 3 and 4): job modules side by side, routes through dependencies,
and the /optimize answer's rows generated from the pipeline's result model by one mapping.

Fast: no server, no simulation (the rows below are built by hand)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

import tailrace.api as api_pkg

API = Path(api_pkg.__file__).parent
WORK = sorted(p.stem for p in API.glob("*_work.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (at module level or inside a function)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_every_job_kind_has_its_own_work_module_and_none_imports_another() -> None:
    from tailrace.api.kinds import WORK_MODULES, work

    assert WORK == sorted(["backtest_work", "contest_work", "optimize_work", "plan_work", "review_work",
                           "simulate_work"])
    # every job kind's work function lives in <kind>_work.py
    assert {k: work(k).__module__ for k in WORK_MODULES} == {k: f"tailrace.api.{k}_work" for k in WORK_MODULES}
    assert sorted(f"{k}_work" for k in WORK_MODULES) == WORK
    for stem in WORK:
        others = {f"tailrace.api.{s}" for s in WORK if s != stem}
        assert not _imports(API / f"{stem}.py") & others, f"{stem} imports another job module"


def test_routes_take_dependencies_not_app_state() -> None:
    routes = sorted((API / "routes").glob("*.py"))
    assert len(routes) > 10
    for path in routes:
        text = path.read_text(encoding="utf-8")
        assert "app.state" not in text, f"{path.name} reads app.state (use deps.StoreDep, JobsDep, ...)"
        assert "Depends(" not in text, f"{path.name} declares its own Depends (use the Annotated aliases in deps)"
    # deps.py is the one reader of app.state outside app.py
    readers = {p.name for p in API.rglob("*.py") if "app.state" in p.read_text(encoding="utf-8")}
    assert readers == {"app.py", "deps.py"}


def test_lineup_and_exposure_models_are_the_pipelines_fields() -> None:
    from tailrace.api.schemas import Exposure, LineupOut, OptimizeResponse
    from tailrace.pipeline import ExposureRow, LineupRow

    row = list(LineupRow.model_fields)
    want = row[:row.index("seconds")] + row[row.index("seconds") + 1:row.index("explain")] + \
        ["distribution"] + row[row.index("explain") + 1:]
    # each lineup's figures on the fresh set are the pipeline's own now, right after its in-sample ones
    assert row.index("fresh_tail_metrics") == row.index("tail_metrics") + 1
    assert list(LineupOut.model_fields) == want
    assert list(Exposure.model_fields) == ["driver_id", "name", "count", "share"]
    assert list(ExposureRow.model_fields) == ["driver_id", "name", "count", "exposure"]
    # the pipeline's descriptions are the API's
    assert LineupOut.model_fields["sharing_cost"].description == LineupRow.model_fields["sharing_cost"].description
    assert "Poisson copies" in LineupOut.model_fields["sharing_cost"].description
    assert OptimizeResponse.model_fields["lineups"].annotation == list[LineupOut]


def test_the_one_mapping_reshapes_rows_and_turns_nan_to_null() -> None:
    from tailrace.api.schemas import EXPOSURE, LINEUP, Exposure, LineupOut
    from tailrace.pipeline import ExposureRow, LineupRow

    lu = LineupRow(index=0, driver_ids=["1", "2"], names=["A", "B"], salary=50000, objective_value=1.5, bound=2.0,
                   gap=0.25, optimal=False, status="gap", seconds=0.3, tail_metrics={"mean": 3.0},
                   explain={"why_high_tail": []}, sharing_cost=0.5, fresh_tail_metrics={"mean": 2.5})
    got = LINEUP.row(lu, distribution={"edges": [math.nan, 4.0], "fresh": None})
    assert "seconds" not in got and "explain" not in got
    assert got["distribution"] == {"edges": [None, 4.0], "fresh": None}  # the API's own figure, NaN as null
    assert got["fresh_tail_metrics"] == {"mean": 2.5}  # the pipeline's, as it came
    with pytest.raises(TypeError):
        LINEUP.row(lu, fresh_tail_metrics={})  # a pipeline field, not the API's to add
    assert (got["objective_value"], got["gap"], got["status"], got["sharing_cost"]) == (1.5, 0.25, "gap", 0.5)
    assert got["contest_marginal_ev"] is None  # not set on the row: present as null
    LineupOut.model_validate(got)  # the answer's row fits the generated model
    ex = EXPOSURE.row(ExposureRow(driver_id="7", name="C", count=3, exposure=0.75))
    assert ex == {"driver_id": "7", "name": "C", "count": 3, "share": 0.75}
    assert Exposure.model_validate(ex).share == 0.75
    with pytest.raises(TypeError):
        LINEUP.row(lu, distribution={}, bogus=1)  # only the API's own fields can be added
