"""The full flow over HTTP against a real server, checked number for number against the library.

upload -> simulate -> optimize (sync, and async with progress) -> contest -> export / entries;
and 16 concurrent identical /optimize calls.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import hashlib
import io
import json
import time

import httpx
import numpy as np
import pytest

from tailrace.optimize.constraints import ConstraintSpec
from tailrace.slate import read_slate

from .conftest import small_demo_files

pytestmark = pytest.mark.service

N, SEED = 2000, 3
SPEC = {"n_lineups": 4, "global_max_exposure": 0.75, "max_overlap": 4,
        "objective": {"kind": "upper-cvar", "beta": 0.05}}


def _volatile_free(body: dict) -> dict:
    """The response without the parts that honestly differ between calls (wall-clock times, cache hit)."""
    b = json.loads(json.dumps(body))
    b.pop("timings", None)
    for k in ("seconds", "cache_hit"):
        b["kernel_stats"].pop(k, None)
    return b


@pytest.fixture(scope="module")
def files() -> tuple[bytes, bytes]:
    return small_demo_files()


@pytest.fixture(scope="module")
def lib(files, tmp_path_factory):
    """The library's own answers for the same slate files, computed in this process."""
    from tailrace.sim.simulate import simulate

    d = tmp_path_factory.mktemp("lib")
    (d / "DKSalaries.csv").write_bytes(files[0])
    (d / "proj.csv").write_bytes(files[1])
    slate = read_slate("dk", d / "DKSalaries.csv", d / "proj.csv")
    return {"slate": slate, "scen": simulate(slate, N, SEED), "fresh": simulate(slate, N, SEED + 1)}


@pytest.fixture(scope="module")
def slate_id(client: httpx.Client, files) -> str:
    r = client.post("/slates", data={"site": "dk"}, files={"salaries": ("DKSalaries.csv", files[0]),
                                                          "projections": ("proj.csv", files[1])})
    assert r.status_code == 201, r.text
    return r.json()["slate_id"]


def test_simulate_matches_library_and_hits_cache(client: httpx.Client, slate_id: str, lib) -> None:
    body = {"slate_id": slate_id, "n_scenarios": N, "seed": SEED}
    r = client.post("/simulate", json=body)
    assert r.status_code == 200, r.text
    ks = r.json()["kernel_stats"]
    P = np.asarray(lib["scen"].points, dtype=np.float64)
    assert ks["count"] == N and ks["seed"] == SEED
    assert [d["id"] for d in ks["drivers"]] == lib["slate"].ids
    assert [d["mean"] for d in ks["drivers"]] == P.mean(axis=0).tolist()
    assert [d["p99"] for d in ks["drivers"]] == np.quantile(P, 0.99, axis=0).tolist()
    assert ks["invariant_checks_passed"] is True
    again = client.post("/simulate", json=body).json()
    assert again["kernel_stats"]["cache_hit"] is True
    assert again["scenario_set_id"] == r.json()["scenario_set_id"]
    health = client.get("/health").json()["cache"]
    assert health["hits"] >= 1 and health["disk_entries"] >= 1


def _request(slate_id: str, **kw) -> dict:
    return {"slate_id": slate_id, "spec": SPEC, "n_scenarios": N, "seed": SEED, "include_explain": True,
            "include_tail_validation": True, "include_calibration": True, **kw}


@pytest.fixture(scope="module")
def optimized(client: httpx.Client, slate_id: str) -> dict:
    r = client.post("/optimize", json=_request(slate_id))
    assert r.status_code == 200, r.text
    return r.json()


def test_optimize_matches_library(optimized: dict, lib) -> None:
    from tailrace.pipeline import run_optimize

    want = run_optimize(lib["slate"], lib["scen"], ConstraintSpec.model_validate(SPEC), fresh=lib["fresh"],
                        explain=True, binding_limit=2).result.to_json()
    got = optimized
    assert len(got["lineups"]) == 4
    for a, b in zip(got["lineups"], want["lineups"]):
        assert a["driver_ids"] == b["driver_ids"]
        assert a["objective_value"] == b["objective_value"] and a["bound"] == b["bound"]
        assert a["tail_metrics"] == b["tail_metrics"]
    assert [e["driver_id"] for e in got["exposures"]] == [e["driver_id"] for e in want["exposures"]]
    assert [e["share"] for e in got["exposures"]] == [e["exposure"] for e in want["exposures"]]
    assert got["tail_metrics"]["best_lineup"] == want["portfolio"]["best_lineup_tail_metrics"]
    fv = want["fresh_validation"]
    assert got["tail_validation"]["in_sample"] == fv["in_sample"]
    assert got["tail_validation"]["out_of_sample"] == fv["out_of_sample"]
    assert got["tail_validation"]["seed"] == SEED + 1
    # explanations: one per lineup, each with the three parts
    assert len(got["explain"]) == 4
    for ex, wex in zip(got["explain"], (lu["explain"] for lu in want["lineups"])):
        assert set(ex) >= {"why_high_tail", "constraint_binding", "tail_vs_mean"}
        assert ex["why_high_tail"] == wex["why_high_tail"] and ex["tail_vs_mean"] == wex["tail_vs_mean"]
        assert ex["constraint_binding"] == wex["constraint_binding"]
    assert got["explain"][0]["constraint_binding"] is not None and got["explain"][3]["constraint_binding"] is None
    assert any(w.startswith("explain: constraint_binding is given for the first 2") for w in got["warnings"])
    # every requested part is present; calibration has no history configured: null + a warning saying why
    assert got["calibration_metrics"] is None
    assert any(w.startswith("calibration_metrics:") and "TAILRACE_HISTORY" in w for w in got["warnings"])
    ks = got["kernel_stats"]
    assert ks["count"] == N and ks["seed"] == SEED and ks["invariant_checks_passed"] is True
    assert set(got["timings"]) >= {"scenarios", "optimize", "total"}


def test_async_optimize_reports_progress_and_same_answer(client: httpx.Client, slate_id: str,
                                                         optimized: dict) -> None:
    r = client.post("/optimize?async=true", json=_request(slate_id))
    assert r.status_code == 202, r.text
    jid = r.json()["job_id"]
    seen: list[float] = []
    end = time.monotonic() + 120
    while time.monotonic() < end:
        job = client.get(f"/jobs/{jid}").json()
        seen.append(job["progress"])
        if job["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.05)
    assert job["state"] == "done", job
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert any(0.0 < p < 1.0 for p in seen), seen
    assert _volatile_free(job["result"]) == _volatile_free(optimized)


def _sha(points) -> str:
    """The points digest as README states it, computed here: sha256 of "float32 RxC\\n" and the bytes."""
    a = np.asarray(points, dtype="<f4")
    return hashlib.sha256(f"float32 {a.shape[0]}x{a.shape[1]}\n".encode() + a.tobytes()).hexdigest()


def test_contest_matches_library(client: httpx.Client, optimized: dict, lib) -> None:
    """/contest with the seed /optimize used judges on fresh races (the seed's judge stream), not on
    the portfolio's optimisation set (which it did before: an in-sample ROI); the field keeps the seed."""
    from tailrace.api.contest_work import contest_inputs
    from tailrace.contest import make_contest, run_contest
    from tailrace.judging import judge_seed
    from tailrace.sim.simulate import simulate

    contest = {"entry_fee": 5, "field_size": 500, "rake": 0.13}
    r = client.post("/contest", json={"portfolio_id": optimized["portfolio_id"], "contest": contest,
                                      "n_scenarios": N, "seed": SEED})
    assert r.status_code == 200, r.text
    got = r.json()
    slate = lib["slate"]
    judged = simulate(slate, N, judge_seed(SEED)).points
    own, proj, _ = contest_inputs(slate, judged)
    c = make_contest(slate.salaries(), 6, 50_000, entry_fee=5, field_size=500, rake=0.13, ownership=own,
                     projections=proj, rng=SEED)
    lineups = np.asarray([[slate.index_of(i) for i in lu["driver_ids"]] for lu in optimized["lineups"]])
    want = run_contest(c, judged, lineups).to_dict()
    assert got["portfolio"] == want["portfolio"]
    assert [lu["roi"] for lu in got["lineups"]] == [f["roi"] for f in want["lineups"]]
    assert got["contest"]["n_entries"] == 500
    # what it was judged on, and the stored portfolio's record of what it was optimised on
    stored = client.get(f"/portfolios/{optimized['portfolio_id']}").json()
    assert stored["points_sha256"] == _sha(lib["scen"].points)
    con = got["contest"]
    assert con["judged_on"] == "fresh" and con["seed"] == SEED and con["scenario_seed"] == judge_seed(SEED)
    assert con["points_sha256"] == _sha(judged) != stored["points_sha256"] == con["optimised_on_sha256"]
    assert con["scenario_set_id"] != stored["scenario_set_id"]
    assert not any("in-sample" in w for w in got["warnings"])


def test_export_and_entries(client: httpx.Client, optimized: dict, lib) -> None:
    from tailrace.export import upload_text

    pid = optimized["portfolio_id"]
    r = client.get(f"/portfolios/{pid}/export", params={"site": "dk"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    slate = lib["slate"]
    lineups = [[slate.index_of(i) for i in lu["driver_ids"]] for lu in optimized["lineups"]]
    assert r.text == upload_text(lineups, slate)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["D"] * 6 and [row for row in rows[1:]] == [lu["driver_ids"] for lu in optimized["lineups"]]
    assert client.get(f"/portfolios/{pid}/export", params={"site": "fd"}).status_code == 422
    entries = "Entry ID,Contest Name,Contest ID,Entry Fee,D,D,D,D,D,D\r\n" + "".join(
        f"{4000 + k},=HYPERLINK(\"x\"),77,$5,,,,,,\r\n" for k in range(4))
    r = client.post(f"/portfolios/{pid}/entries", files={"file": ("DKEntries.csv", entries.encode())})
    assert r.status_code == 200, r.text
    out = list(csv.reader(io.StringIO(r.text)))
    assert [row[4:10] for row in out[1:5]] == [lu["driver_ids"] for lu in optimized["lineups"]]
    assert all(row[1].startswith("'=") for row in out[1:5])  # formula neutralised
    bad = client.post(f"/portfolios/{pid}/entries", files={"file": ("DKEntries.csv", entries.encode()[:60])})
    assert bad.status_code == 422


def test_infeasible_is_409_naming_conflicts(client: httpx.Client, slate_id: str, lib) -> None:
    slate = lib["slate"]
    spec = {"n_lineups": 2, "locks": [slate.names[0]], "excludes": [slate.names[0]]}
    r = client.post("/optimize", json={"slate_id": slate_id, "spec": spec, "n_scenarios": 1000, "seed": 1})
    assert r.status_code == 409, r.text
    assert any(slate.names[0] in c for c in r.json()["conflicts"])
    r = client.post("/optimize", json={"slate_id": slate_id, "spec": {"locks": ["Nobody Atall"]},
                                       "n_scenarios": 1000, "seed": 1})
    assert r.status_code == 422 and "Nobody Atall" in r.text


def test_sixteen_concurrent_identical_calls(server, client: httpx.Client, slate_id: str) -> None:
    cache_dir = server.data_dir / "scenario-cache"
    before = set(cache_dir.glob("*.npz"))
    body = {"slate_id": slate_id, "spec": SPEC, "n_scenarios": 20_000, "seed": 4242}

    def call(_: int) -> bytes:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            r = c.post("/optimize", json=body)
            assert r.status_code == 200, r.text
            return r.content

    with cf.ThreadPoolExecutor(16) as ex:
        bodies = list(ex.map(call, range(16)))
    assert len(set(bodies)) == 1, "16 identical calls gave different bytes"
    new = set(cache_dir.glob("*.npz")) - before
    assert len(new) == 1, f"expected one new cached scenario set, found {len(new)}"


def test_calibration_metrics_with_a_history_file(shared_results_path, tmp_path, files) -> None:
    """With TAILRACE_HISTORY set, calibration_metrics holds the calibration of the slate's track type."""
    from .conftest import TEST_ENV, start_server

    srv = start_server(tmp_path / "data", {**TEST_ENV, "TAILRACE_HISTORY": str(shared_results_path),
                                           "TAILRACE_CALIBRATION_RACES": "1"})
    try:
        with srv.client() as c:
            sid = c.post("/slates", data={"site": "dk"}, files={"salaries": ("s.csv", files[0]),
                                                                "projections": ("p.csv", files[1])}).json()["slate_id"]
            r = c.post("/optimize", json={"slate_id": sid, "n_scenarios": 500, "seed": 1, "include_calibration": True})
            assert r.status_code == 200, r.text
            cal = r.json()["calibration_metrics"]
            assert cal is not None, r.json()["warnings"]
            assert cal["track_type"] == "intermediate" and cal["races_evaluated"] == 1
            assert cal["races"][0]["track_type"] == "intermediate"
            assert set(cal["models"]) == {"tailrace", "start_position", "recent_form"}
            assert "history" not in cal and str(shared_results_path) not in r.text  # no server path
    finally:
        srv.stop()


def test_simulate_with_given_strengths_matches_library(client: httpx.Client, slate_id: str, lib) -> None:
    from tailrace.sim.simulate import simulate

    strengths = [0.1 * (16 - k) for k in range(16)]
    r = client.post("/simulate", json={"slate_id": slate_id, "n_scenarios": 500, "seed": 5, "strengths": strengths})
    assert r.status_code == 200, r.text
    want = simulate(lib["slate"], 500, 5, strengths=np.asarray(strengths))
    ks = r.json()["kernel_stats"]
    assert [d["mean"] for d in ks["drivers"]] == np.asarray(want.points, dtype=np.float64).mean(axis=0).tolist()
    assert ks["strength_source"] == "given"
    r = client.post("/simulate", json={"slate_id": slate_id, "n_scenarios": 500, "seed": 5, "strengths": [1.0]})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "strengths"
