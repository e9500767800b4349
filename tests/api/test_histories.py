"""History over HTTP (issue 11, item 1): upload a results CSV, simulate / optimize / contest with
its ratings, checked number for number against the library."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from tailrace.sim.strength.from_history import load_history_model
from tailrace.slate import demo_paths, read_slate

from .conftest import small_demo_files

pytestmark = pytest.mark.service

N, SEED = 1000, 5
DEMO_HISTORY = Path(demo_paths()[0]).with_name("history.csv")


@pytest.fixture(scope="module")
def history_id(client: httpx.Client) -> str:
    r = client.post("/histories", files={"history": ("my results.csv", DEMO_HISTORY.read_bytes())})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["races"] == 36 and body["drivers"] == 38 and body["last_race"] == [2025, 36]
    assert body["name"] == "my results.csv"
    assert client.get(f"/histories/{body['history_id']}").json() == body
    return body["history_id"]


@pytest.fixture(scope="module")
def uploaded(client: httpx.Client, tmp_path_factory):
    sal, proj = small_demo_files()
    r = client.post("/slates", data={"site": "dk"}, files={"salaries": ("DKSalaries.csv", sal),
                                                          "projections": ("proj.csv", proj)})
    assert r.status_code == 201, r.text
    d = tmp_path_factory.mktemp("hist")
    (d / "s.csv").write_bytes(sal)
    (d / "p.csv").write_bytes(proj)
    return r.json()["slate_id"], read_slate("dk", d / "s.csv", d / "p.csv")


def test_simulate_with_history_matches_library(client: httpx.Client, history_id: str, uploaded) -> None:
    from tailrace.sim.simulate import simulate

    slate_id, slate = uploaded
    r = client.post("/simulate", json={"slate_id": slate_id, "n_scenarios": N, "seed": SEED,
                                       "history_id": history_id, "history_weight": 0.6})
    assert r.status_code == 200, r.text
    ks = r.json()["kernel_stats"]
    assert ks["history"]["weight"] == 0.6 and ks["history"]["races"] == 36
    lib = simulate(slate, N, SEED, history=load_history_model(DEMO_HISTORY), history_weight=0.6)
    assert [d["mean"] for d in ks["drivers"]] == np.asarray(lib.points, np.float64).mean(axis=0).tolist()
    plain = client.post("/simulate", json={"slate_id": slate_id, "n_scenarios": N, "seed": SEED}).json()
    assert plain["scenario_set_id"] != r.json()["scenario_set_id"]


def test_optimize_and_contest_keep_the_history(client: httpx.Client, history_id: str, uploaded) -> None:
    slate_id, _ = uploaded
    r = client.post("/optimize", json={"slate_id": slate_id, "n_scenarios": N, "seed": SEED, "history_id": history_id,
                                       "spec": {"n_lineups": 2, "objective": {"kind": "upper-cvar", "beta": 0.05}}})
    assert r.status_code == 200, r.text
    pid = r.json()["portfolio_id"]
    assert r.json()["kernel_stats"]["history"]["weight"] == 0.5
    c = client.post("/contest", json={"portfolio_id": pid, "n_scenarios": N, "seed": SEED,
                                      "contest": {"entry_fee": 5, "field_size": 200}})
    assert c.status_code == 200, c.text


def test_bad_history_upload_and_unknown_id(client: httpx.Client, uploaded) -> None:
    bad = b"season,race_num,track,driver,start,finish,laps,laps_led,status\n2025,1,Kansas,A,x,1,200,0,running\n"
    r = client.post("/histories", files={"history": ("bad.csv", bad)})
    assert r.status_code == 422, r.text
    assert "bad.csv" in r.text and "row 2" in r.text and "/tmp" not in r.text
    r = client.post("/histories", files={"history": ("x.bin", b"\x00\x01\x02")})
    assert r.status_code == 422 and "binary" in r.text
    r = client.post("/simulate", json={"slate_id": uploaded[0], "n_scenarios": N, "history_id": "hi_nope"})
    assert r.status_code == 404, r.text
    r = client.post("/simulate", json={"slate_id": uploaded[0], "n_scenarios": N, "history_id": "hi_x",
                                       "history_weight": 3})
    assert r.status_code == 422
