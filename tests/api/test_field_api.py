"""The field models through the API (issue 23): ``contest.field_sharpness`` reaches the sampler, and the
ownership report (a warning when the file cannot be realised, the file against the sampled field) travels
with /optimize and /contest; the ensemble's per-model ROI comes with /contest under 'auto'."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tailrace.slate import read_slate

from .conftest import small_demo_files

pytestmark = pytest.mark.service

N, SEED = 300, 3
SPEC = {"n_lineups": 2, "max_overlap": 4, "mode": "contest"}


@pytest.fixture(scope="module")
def setup(client: httpx.Client, tmp_path_factory):
    sal, proj = small_demo_files()
    d = tmp_path_factory.mktemp("fieldapi")
    (d / "s.csv").write_bytes(sal)
    (d / "p.csv").write_bytes(proj)
    slate = read_slate("dk", d / "s.csv", d / "p.csv")
    r = client.post("/slates", data={"site": "dk"}, files={"salaries": ("s.csv", sal), "projections": ("p.csv", proj)})
    assert r.status_code == 201, r.text
    # an ownership file no field of legal lineups can have: the six dearest drivers at 80 %, the rest sharing 120 %
    s = slate.salaries()
    dear = set(np.argsort(-s, kind="stable")[:6].tolist())
    raw = {d.name: (80.0 if k in dear else 120.0 / (slate.n - 6)) for k, d in enumerate(slate.drivers)}
    own = np.array([raw[d.name] for d in slate.drivers])
    implied = float(own @ s / 100.0)  # the file sums to 600 already: no scaling
    assert implied > 50_000
    return {"slate_id": r.json()["slate_id"], "own": raw, "implied": implied}


def test_optimize_contest_takes_the_sharpness_and_reports_the_ownership(client: httpx.Client, setup) -> None:
    body = {"slate_id": setup["slate_id"], "spec": SPEC, "n_scenarios": N, "seed": SEED,
            "contest": {"field_size": 300, "field_sharpness": 0.35, "ownership": setup["own"]}}
    r = client.post("/optimize", json=body)
    assert r.status_code == 200, r.text
    c = r.json()["contest"]
    assert c["field_sharpness"] == 0.35 and c["field_model"] == "calibrated, sharpness 0.35"
    assert c["selected_against"][0] == "calibrated, sharpness 0.35"
    rep = c["ownership_report"]
    assert rep["realisable"] is False and rep["implied_avg_salary"] == pytest.approx(setup["implied"], abs=0.01)
    assert rep["n_entries"] == 300 and len(rep["drivers"]) == 16
    assert all(d["field_pct"] is not None for d in rep["drivers"])
    assert "roi_estimate" in c and "roi_interval" in c and "estimate_note" in c
    warned = [w for w in r.json()["warnings"] if w.startswith("ownership: the ownership implies")]
    assert warned and f"${setup['implied']:,.0f}" in warned[0]

    # /contest on it with the default ('auto'): the figures against the plain field, and against each model
    cr = client.post("/contest", json={"portfolio_id": r.json()["portfolio_id"], "n_scenarios": N, "seed": 4,
                                       "contest": {"field_size": 300, "ownership": setup["own"]}})
    assert cr.status_code == 200, cr.text
    cj = cr.json()
    assert cj["contest"]["field_sharpness"] == "auto" and cj["contest"]["field_model"] == "calibrated"
    models = cj["contest"]["field_models"]
    assert len(models) == 3 and models[0]["roi"] == cj["portfolio"]["roi"]
    assert models[1]["model"].startswith("rejection, sharpness 0.2")
    assert cj["contest"]["ownership_report"]["realisable"] is False
    assert any(w.startswith("ownership: the ownership implies") for w in cj["warnings"])


def test_field_sharpness_out_of_range_is_422(client: httpx.Client, setup) -> None:
    for bad in (0.9, -0.1, "sharp"):
        r = client.post("/optimize", json={"slate_id": setup["slate_id"], "spec": SPEC, "n_scenarios": N,
                                           "contest": {"field_sharpness": bad}})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"][:3] == ["body", "contest", "field_sharpness"], r.json()
