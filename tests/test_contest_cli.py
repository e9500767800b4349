"""`tailrace contest` end to end on the demo slate with a small scenario file and field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.export import write_upload
from tailrace.sim.io import save_scenarios
from tailrace.sim.scenarios import Scenarios
from tailrace.slate import demo_paths, demo_slate


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("contest")
    slate = demo_slate()
    rng = np.random.default_rng(0)
    pts = rng.gamma(2.0, 12.0, (400, slate.n)).astype(np.float32)
    save_scenarios(d / "scen.npz", Scenarios(points=pts, driver_ids=tuple(slate.ids)))
    sal = slate.salaries()
    lus = []
    while len(lus) < 4:
        lu = tuple(sorted(rng.choice(slate.n, 6, replace=False).tolist()))
        if sal[list(lu)].sum() <= 50_000:
            lus.append(lu)
    write_upload(d / "port.csv", lus, slate)
    (d / "opt.json").write_text(json.dumps({"lineups": [{"driver_ids": [slate.ids[i] for i in lu]} for lu in lus]}))
    return d, slate, lus


def _args(d, portfolio: str, *extra: str) -> list[str]:
    sal, proj = demo_paths()
    return ["contest", "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
            "--scenarios", str(d / "scen.npz"), "--portfolio", str(d / portfolio),
            "--field-size", "300", "--entry-fee", "3", *extra]


def test_contest_cli_writes_the_report(files) -> None:
    d, slate, lus = files
    assert main(_args(d, "port.csv", "--json", str(d / "a.json"))) == 0
    rep = json.loads((d / "a.json").read_text())
    assert set(rep["portfolio"]) >= {"expected_profit", "roi", "roi_se", "cash_rate", "top1_rate", "win_rate", "profit_cvar"}
    assert [r["driver_ids"] for r in rep["lineups"]] == [[slate.ids[i] for i in lu] for lu in lus]
    assert rep["n_entries"] == 300 and rep["entry_fee"] == 3.0
    # the optimiser's JSON gives the same figures as the upload CSV
    assert main(_args(d, "opt.json", "--json", str(d / "b.json"))) == 0
    assert json.loads((d / "b.json").read_text())["portfolio"] == rep["portfolio"]


def test_contest_cli_bad_input_exits_2(files, capsys) -> None:
    d, slate, _ = files
    (d / "own.csv").write_text("id,ownership\n" + "\n".join(f"{i},0.1" for i in slate.ids))
    assert main(_args(d, "port.csv", "--ownership", str(d / "own.csv"))) == 2
    assert "ownership looks like fractions" in " ".join(capsys.readouterr().err.split())
    assert main(_args(d, "port.csv", "--rake", "1.5")) == 2
