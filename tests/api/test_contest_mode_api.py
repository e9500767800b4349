"""POST /optimize with mode 'contest': the same lineups as the library (``tailrace optimize --mode contest``)
for the same slate, scenarios, contest settings and seed; plus the additive fields the web page draws."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tailrace.optimize.constraints import ConstraintSpec
from tailrace.pipeline import contest_from_options, run_optimize
from tailrace.slate import read_slate

from .conftest import small_demo_files

pytestmark = pytest.mark.service

N, SEED = 600, 5
CONTEST = {"entry_fee": 5.0, "field_size": 400, "rake": 0.13}
SPEC = {"n_lineups": 3, "max_overlap": 4, "mode": "contest"}


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    """The slate read from the same files, its scenarios, and a paths dict, in this process."""
    from tailrace.sim.simulate import simulate

    sal, proj = small_demo_files()
    d = tmp_path_factory.mktemp("lib")
    (d / "DKSalaries.csv").write_bytes(sal)
    (d / "proj.csv").write_bytes(proj)
    slate = read_slate("dk", d / "DKSalaries.csv", d / "proj.csv")
    return {"slate": slate, "scen": simulate(slate, N, SEED), "fresh": simulate(slate, N, SEED + 1), "dir": d,
            "files": (sal, proj)}


@pytest.fixture(scope="module")
def slate_id(client: httpx.Client, lib) -> str:
    sal, proj = lib["files"]
    r = client.post("/slates", data={"site": "dk"}, files={"salaries": ("DKSalaries.csv", sal),
                                                          "projections": ("proj.csv", proj)})
    assert r.status_code == 201, r.text
    return r.json()["slate_id"]


def _library_run(lib, max_duplicates=None, **contest_kw):
    slate, scen = lib["slate"], lib["scen"]
    contest = contest_from_options(slate, scen.points, seed=SEED, **contest_kw)
    return run_optimize(slate, scen, ConstraintSpec.model_validate(SPEC), contest=contest, explain=False,
                        max_duplicates=max_duplicates)


def _library_lineups(lib, **contest_kw) -> list[list[str]]:
    return [row.driver_ids for row in _library_run(lib, **contest_kw).result.lineups]


def test_contest_mode_lineups_equal_the_library(client: httpx.Client, slate_id: str, lib) -> None:
    body = {"slate_id": slate_id, "spec": SPEC, "n_scenarios": N, "seed": SEED, "contest": CONTEST,
            "include_tail_validation": True, "include_distributions": True}
    r = client.post("/optimize", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["mode"] == "contest"
    assert [lu["driver_ids"] for lu in got["lineups"]] == _library_lineups(lib, **CONTEST)
    assert got["contest"]["field_size"] == 400 and got["contest"]["entry_fee"] == 5.0
    assert got["contest"]["cap_place"] >= 1 and got["contest"]["paid_places"] > 0
    assert all(isinstance(lu["contest_marginal_ev"], float) for lu in got["lineups"])
    # the distributions: histograms over the lineup's own scores, recounted here from the scenarios
    slate = lib["slate"]
    for lu in got["lineups"]:
        idx = [slate.index_of(i) for i in lu["driver_ids"]]
        dist = lu["distribution"]
        for key, scen in (("in_sample", lib["scen"]), ("fresh", lib["fresh"])):
            x = np.asarray(scen.points, dtype=np.float64)[:, idx].sum(axis=1)
            assert dist[key] == np.histogram(x, bins=np.asarray(dist["edges"]))[0].tolist()
            assert sum(dist[key]) == N
        fresh_x = np.asarray(lib["fresh"].points, dtype=np.float64)[:, idx].sum(axis=1)
        assert lu["fresh_tail_metrics"]["mean"]["value"] == pytest.approx(fresh_x.mean(), rel=1e-12)
    # the stored portfolio keeps the contest it was built for (the page reads it back after a reload)
    pf = client.get(f"/portfolios/{got['portfolio_id']}").json()
    assert pf["contest"]["field_size"] == 400 and pf["mode"] == "contest"

    # /contest on it: the profit distribution is the portfolio's own profit figures
    c = client.post("/contest", json={"portfolio_id": got["portfolio_id"], "contest": CONTEST,
                                      "n_scenarios": N, "seed": SEED + 1})
    assert c.status_code == 200, c.text
    cj = c.json()
    pd = cj["profit_distribution"]
    assert sum(pd["counts"]) == N and len(pd["edges"]) == len(pd["counts"]) + 1
    assert pd["lower_cvar"] == cj["portfolio"]["profit_cvar"] and pd["alpha"] == cj["portfolio"]["cvar_alpha"]
    assert pd["mean"] == pytest.approx(cj["portfolio"]["expected_profit"], rel=1e-9, abs=1e-9)
    assert pd["values"][0] <= pd["lower_cvar"] <= pd["mean"] <= pd["values"][-1]


def test_contest_mode_with_ownership_equals_the_library_with_an_ownership_file(client: httpx.Client,
                                                                                 slate_id: str, lib) -> None:
    slate = lib["slate"]
    own = {d.name: float(5 + 3 * (k % 7)) for k, d in enumerate(slate.drivers)}
    path = lib["dir"] / "own.csv"
    path.write_text("name,ownership\n" + "".join(f"{k},{v}\n" for k, v in own.items()))
    body = {"slate_id": slate_id, "spec": SPEC, "n_scenarios": N, "seed": SEED,
            "contest": {**CONTEST, "kind": "double-up", "ownership": own}}
    r = client.post("/optimize", json=body)
    assert r.status_code == 200, r.text
    want = _library_lineups(lib, payouts="double-up", ownership=str(path), **CONTEST)
    assert [lu["driver_ids"] for lu in r.json()["lineups"]] == want


def test_contest_settings_outside_contest_mode_and_unknown_owners_are_422(client: httpx.Client,
                                                                          slate_id: str) -> None:
    r = client.post("/optimize", json={"slate_id": slate_id, "mode": "marginal", "n_scenarios": N,
                                       "contest": CONTEST})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "contest"
    r = client.post("/optimize", json={"slate_id": slate_id, "mode": "contest", "n_scenarios": N,
                                       "contest": {**CONTEST, "ownership": {"Nobody Atall": 10}}})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "contest.ownership.Nobody Atall"


def test_max_duplicates_optimal_pct_and_duplicates_equal_the_library(client: httpx.Client, slate_id: str,
                                                                     lib) -> None:
    body = {"slate_id": slate_id, "spec": SPEC, "n_scenarios": N, "seed": SEED,
            "contest": {**CONTEST, "max_duplicates": 0.05}}
    r = client.post("/optimize", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    want = _library_run(lib, max_duplicates=0.05, **CONTEST).result
    assert [lu["driver_ids"] for lu in got["lineups"]] == [row.driver_ids for row in want.lineups]
    for lu, row in zip(got["lineups"], want.lineups):
        assert lu["expected_duplicates"] == row.expected_duplicates <= 0.05
        assert (lu["optimal_pct"], lu["near_optimal_pct"], lu["sharing_cost"]) == \
            (row.optimal_pct, row.near_optimal_pct, row.sharing_cost)
    assert got["optimal"] == want.optimal.to_json()
    assert got["duplicates"]["max_duplicates"] == 0.05 and got["duplicates"]["n_entries"] == 400 - 3
    drivers = got["optimal"]["drivers"]
    assert [d["driver_id"] for d in drivers] == list(lib["slate"].ids)
    assert sum(d["optimal_pct"] for d in drivers) == pytest.approx(600.0)
    assert all(d["leverage"] == pytest.approx(d["optimal_pct"] - d["ownership_pct"]) for d in drivers)
    r = client.post("/optimize", json={**body, "contest": {**CONTEST, "max_duplicates": -1}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-2:] == ["contest", "max_duplicates"]


def test_max_duplicates_is_never_dropped_silently(client: httpx.Client, slate_id: str) -> None:
    """A duplicates limit where no lineup is built by contest mode is refused, naming the field
    (the CLI's exit 2), not ignored: /optimize with another mode, and /contest (a stored portfolio)."""
    body = {"slate_id": slate_id, "spec": {**SPEC, "mode": "marginal"}, "n_scenarios": N, "seed": SEED,
            "contest": {**CONTEST, "max_duplicates": 1.0}}
    r = client.post("/optimize", json=body)
    assert r.status_code == 422, r.text
    assert "contest settings were given, but the mode is 'marginal'" in r.text
    ok = client.post("/optimize", json={**body, "spec": SPEC, "contest": CONTEST})
    assert ok.status_code == 200, ok.text
    pid = ok.json()["portfolio_id"]
    r = client.post("/contest", json={"portfolio_id": pid, "n_scenarios": N, "seed": SEED,
                                      "contest": {**CONTEST, "max_duplicates": 1.0}})
    assert r.status_code == 422, r.text
    assert "contest.max_duplicates" in r.text
    r = client.post("/contest", json={"portfolio_id": pid, "n_scenarios": N, "seed": SEED, "contest": CONTEST})
    assert r.status_code in (200, 202), r.text
