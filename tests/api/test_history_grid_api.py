"""POST /slates with a stored history and no projections (issue 24): the slate's starting grid is
the race's start column in the history, as `tailrace optimize --history` takes it; the ratings
that /simulate uses for it come from the races before it only."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.shared_data

LAS_VEGAS = "dk_2023_r03_las_vegas.csv"  # Chase Elliott (injured) is on the salary file, not on the grid


@pytest.fixture()
def api(tmp_path: Path):
    from fastapi.testclient import TestClient

    from tailrace.api.app import create_app
    from tailrace.api.settings import Settings

    with TestClient(create_app(Settings(data_dir=tmp_path / "data", sync_time_limit=600))) as c:
        yield c


def _starts(results: Path, season: int, num: int) -> dict[str, int]:
    """The race's start column, read straight from the results CSV."""
    with results.open(newline="", encoding="utf-8") as f:
        return {r["driver"]: int(r["start"]) for r in csv.DictReader(f)
                if (int(r["season"]), int(r["race_num"])) == (season, num)}


def _key(name: str) -> str:
    return " ".join(name.replace(".", "").lower().split())


def _upload_history(api, path: Path, name: str | None = None) -> str:
    r = api.post("/histories", files={"history": (name or path.name, path.read_bytes())})
    assert r.status_code == 201, r.text
    return r.json()["history_id"]


def test_slate_from_history_grid_over_http(api, real_slates_dir: Path, shared_results_path: Path) -> None:
    hid = _upload_history(api, shared_results_path)
    sal = (real_slates_dir / LAS_VEGAS).read_bytes()
    r = api.post("/slates", data={"site": "dk", "history_id": hid}, files={"salaries": (LAS_VEGAS, sal)})
    assert r.status_code == 201, r.text
    body = r.json()
    starts = _starts(shared_results_path, 2023, 3)
    assert len(starts) == 36  # 37 salary rows, Chase Elliott did not start
    # the salary file spells some names its own way ("AJ Allmendinger" for "A.J. Allmendinger")
    assert {_key(d["name"]): d["start"] for d in body["drivers"]} == {_key(k): v for k, v in starts.items()}
    assert body["n_drivers"] == 36 and "Chase Elliott" not in {d["name"] for d in body["drivers"]}
    race = body["race"]
    assert (race["track"], race["season"], race["race_num"]) == ("Las Vegas Motor Speedway", 2023, 3)
    assert race["race"] == "Pennzoil 400 presented by Jiffy Lube"
    left = [n for n in body["notes"] if "left out" in n]
    assert len(left) == 1 and "Chase Elliott" in left[0]
    (grid,) = [n for n in body["notes"] if n.startswith("grid: ")]
    assert grid.startswith("grid: 2023 race 3 at Las Vegas Motor Speedway from cup_results_2019_2023.csv "
                           "(start column only); ratings from the 146 races before it")  # 4 x 36 + 2
    assert "/tmp" not in r.text and "upload" not in grid

    # the ratings /simulate uses for this slate: the races before it only, as the CLI's
    from tailrace.sim.strength.from_history import history_grid
    from tailrace.sim.simulate import simulate
    from tailrace.slate import read_slate

    hg = history_grid(shared_results_path, read_slate("dk", real_slates_dir / LAS_VEGAS).race)
    assert hg.model is not None and hg.model.n_races == 146 and hg.model.last_race == (2023, 2)
    lib = read_slate("dk", real_slates_dir / LAS_VEGAS, grid=hg.grid)
    assert [d.name for d in lib.drivers] == [d["name"] for d in body["drivers"]]
    s = api.post("/simulate", json={"slate_id": body["slate_id"], "n_scenarios": 300, "seed": 4,
                                    "history_id": hid})
    assert s.status_code == 200, s.text
    means = [d["mean"] for d in s.json()["kernel_stats"]["drivers"]]
    want = simulate(lib, 300, 4, history=hg.model).points.astype(np.float64).mean(axis=0)
    assert np.allclose(means, want, rtol=0, atol=1e-9)


def test_history_grid_refusals_name_the_field(api, real_slates_dir: Path, shared_results_path: Path,
                                              tmp_path: Path) -> None:
    sal = (real_slates_dir / "dk_2023_r04_phoenix.csv").read_bytes()
    # a history without the race: 422 naming history and asking for projections
    short = tmp_path / "to_2022.csv"
    lines = shared_results_path.read_text(encoding="utf-8").splitlines()
    short.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if not ln.startswith("2023,")]) + "\n",
                     encoding="utf-8")
    hid = _upload_history(api, short)
    r = api.post("/slates", data={"site": "dk", "history_id": hid},
                 files={"salaries": ("dk_2023_r04_phoenix.csv", sal)})
    assert r.status_code == 422, r.text
    body = r.json()
    assert "holds no complete 2023 race at Phoenix Raceway" in body["message"]
    assert [d["field"] for d in body["detail"]] == ["history_id"]  # the request's field, not the library's
    assert "give a projections file with the grid (name, start)" in r.text and "Traceback" not in r.text
    # history_id beside projections: which gives the grid is ambiguous, so it is refused by name
    r = api.post("/slates", data={"site": "dk", "history_id": hid},
                 files={"salaries": ("dk_2023_r04_phoenix.csv", sal), "projections": ("p.csv", b"name,start\n")})
    assert r.status_code == 422, r.text
    assert [d["loc"] for d in r.json()["detail"]] == [["body", "history_id"]]


def test_a_race_with_no_earlier_race_says_so_once(api, real_slates_dir: Path, shared_results_path: Path) -> None:
    """Daytona 2019 is the history's first race: the grid comes from it and no ratings can (every
    note about that is said once, inside the grid line; it used to be repeated on its own)."""
    hid = _upload_history(api, shared_results_path)
    name = "dk_2019_r01_daytona.csv"
    r = api.post("/slates", data={"site": "dk", "history_id": hid},
                 files={"salaries": (name, (real_slates_dir / name).read_bytes())})
    assert r.status_code == 201, r.text
    notes = r.json()["notes"]
    (grid,) = [n for n in notes if n.startswith("grid: 2019 race 1 at Daytona International Speedway")]
    assert grid.endswith("send no history_id to /simulate or /optimize for this slate")
    said = grid.split("(start column only); ")[1].rsplit(": send no history_id", 1)[0]
    assert said and all(said not in n for n in notes if n is not grid), notes
    assert len(notes) == len(set(notes))
