"""`tailrace optimize` end to end in a subprocess, on a small external matrix and salary CSV."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from tailrace import tail
from tailrace.errors import InputError

N_DRIVERS = 14
S = 600
NAMES = [f"Driver {chr(65 + i)}" for i in range(N_DRIVERS)]
IDS = [str(31600000 + 17 * i) for i in range(N_DRIVERS)]
SAL = [11000, 10400, 9900, 9500, 9100, 8800, 8400, 8000, 7600, 7200, 6800, 6400, 6000, 5600]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("opt")
    sal = d / "DKSalaries.csv"
    with sal.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Position", "Name + ID", "Name", "ID", "Roster Position", "Salary", "Game Info", "TeamAbbrev",
                    "AvgPointsPerGame"])
        for n, i, s in zip(NAMES, IDS, SAL):
            w.writerow(["D", f"{n} ({i})", n, i, "D", s, "Kansas Speedway 09/27/2026 03:00PM ET", "", "30.0"])
    g = np.random.default_rng(12)
    scale = np.linspace(14, 6, N_DRIVERS)
    pts = (g.gamma(1.5, 1.0, size=(S, N_DRIVERS)) * scale).round(2)
    mat = d / "matrix.csv"
    with mat.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(reversed(IDS)))  # columns in another order than the salary file
        for row in pts:
            w.writerow([f"{v:.2f}" for v in reversed(row)])
    return {"dir": d, "salaries": sal, "matrix": mat, "points": pts}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tailrace.cli", "optimize", *args], capture_output=True, text=True,
                          timeout=300)


def brute_best(points: np.ndarray, beta: float) -> tuple[tuple[int, ...], float]:
    best, val = None, -np.inf
    for c in combinations(range(N_DRIVERS), 6):
        if sum(SAL[i] for i in c) > 50000:
            continue
        v = tail.cvar_upper(points[:, list(c)].astype(np.float32).astype(np.float64).sum(axis=1), beta)
        if v > val:
            best, val = c, v
    return best, val


def test_optimize_writes_upload_and_json(files):
    out, js = files["dir"] / "upload.csv", files["dir"] / "result.json"
    r = run_cli("--site", "dk", "--salaries", str(files["salaries"]), "--scenarios", str(files["matrix"]),
                "--objective", "upper-cvar", "--beta", "0.05", "--lineups", "3", "--max-overlap", "4",
                "--out", str(out), "--json", str(js))
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["D"] * 6
    assert [sorted(x) for x in rows[1:]] == [sorted(lu["driver_ids"]) for lu in res["lineups"]]
    assert len(res["lineups"]) == 3
    # the first independent lineup is the unconstrained optimum: check it against brute force
    want_lu, want_val = brute_best(files["points"], 0.05)
    first = res["lineups"][0]
    assert sorted(first["driver_ids"]) == sorted(IDS[i] for i in want_lu)
    assert first["objective_value"] == pytest.approx(want_val, rel=1e-6)
    assert first["optimal"] and first["gap"] == pytest.approx(0.0, abs=1e-9) and first["bound"] >= first["objective_value"] - 1e-9
    assert first["salary"] == sum(SAL[i] for i in want_lu)
    assert first["tail_metrics"]["cvar_upper"]["0.05"]["value"] == pytest.approx(want_val, rel=1e-6)
    for a, b in combinations([set(lu["driver_ids"]) for lu in res["lineups"]], 2):
        assert len(a & b) <= 4
    ex = first["explain"]
    assert {"why_high_tail", "tail_vs_mean", "constraint_binding"} <= set(ex)
    assert ex["why_high_tail"]["tail_score"] == pytest.approx(want_val, rel=1e-6)
    counts = {}
    for lu in res["lineups"]:
        for i in lu["driver_ids"]:
            counts[i] = counts.get(i, 0) + 1
    assert {e["driver_id"]: e["count"] for e in res["portfolio"]["exposures"]} == counts
    assert res["fresh_validation"]["available"] is False and "external" in res["fresh_validation"]["reason"]
    assert "best_lineup_tail_metrics" in res["portfolio"]
    assert "Driver" in r.stdout  # the table


def test_spec_file_and_flag_overrides(files):
    spec = files["dir"] / "spec.yaml"
    spec.write_text("locks: [driver a]\nexcludes: ['" + IDS[1] + "']\nn_lineups: 2\n"
                    "objective: {kind: upper-cvar, beta: 0.1}\nmax_overlap: 5\n")
    js = files["dir"] / "r2.json"
    r = run_cli("--site", "dk", "--salaries", str(files["salaries"]), "--scenarios", str(files["matrix"]),
                "--spec", str(spec), "--lineups", "1", "--objective", "mean", "--no-explain", "--json", str(js))
    assert r.returncode == 0, r.stderr
    res = json.loads(js.read_text())
    assert len(res["lineups"]) == 1 and res["objective"]["name"] == "mean"
    lu = res["lineups"][0]
    assert IDS[0] in lu["driver_ids"] and IDS[1] not in lu["driver_ids"]
    assert "explain" not in lu
    # brute-force mean optimum with A locked and B excluded
    P = files["points"].astype(np.float32).astype(np.float64)
    best = max((c for c in combinations(range(N_DRIVERS), 6) if 0 in c and 1 not in c
                and sum(SAL[i] for i in c) <= 50000), key=lambda c: P[:, list(c)].sum(axis=1).mean())
    assert sorted(lu["driver_ids"]) == sorted(IDS[i] for i in best)


def test_bad_spec_exits_2_naming_the_field(files):
    spec = files["dir"] / "bad.json"
    spec.write_text(json.dumps({"objective": {"kind": "upper-cvar", "beta": 5}, "n_lineups": 3}))
    r = run_cli("--site", "dk", "--salaries", str(files["salaries"]), "--scenarios", str(files["matrix"]),
                "--spec", str(spec))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "objective.beta" in r.stderr and str(spec) in r.stderr


def test_user_errors_exit_2_without_traceback(files):
    base = ["--site", "dk", "--salaries", str(files["salaries"]), "--scenarios", str(files["matrix"])]
    r = run_cli(*base, "--lock", "Driver A", "--exclude", "driver a")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "infeasible" in r.stderr and "both locked and excluded" in r.stderr
    r = run_cli(*base, "--lock", "Dryver Q")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "unknown driver 'Dryver Q'" in r.stderr
    r = run_cli(*base, "--mode", "contest", "--min-salary", "60000")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "min salary $60,000 is above" in r.stderr
    r = run_cli(*base, "--mode", "greedy")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "mode" in r.stderr
    r = run_cli("--site", "dk", "--salaries", str(files["salaries"]))
    assert r.returncode == 2 and "--projections" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_simulating_through_the_cache_gives_fresh_validation(tmp_path):
    from tailrace.slate import demo_paths

    sal, proj = demo_paths()
    env = {**__import__("os").environ, "TAILRACE_CACHE_DIR": str(tmp_path / "cache")}
    args = [sys.executable, "-m", "tailrace.cli", "optimize", "--site", "dk", "--salaries", str(sal),
            "--projections", str(proj), "--n-scenarios", "2000", "--seed", "3", "--lineups", "2",
            "--objective", "upper-cvar", "--beta", "0.05", "--explain-binding", "0"]
    outs = []
    for k in range(2):  # the second run reads both scenario sets from the cache
        js = tmp_path / f"r{k}.json"
        r = subprocess.run([*args, "--json", str(js)], capture_output=True, text=True, timeout=600, env=env)
        assert r.returncode == 0, r.stderr
        outs.append(json.loads(js.read_text()))
    a, b = outs
    assert [lu["driver_ids"] for lu in a["lineups"]] == [lu["driver_ids"] for lu in b["lineups"]]
    fv = a["fresh_validation"]
    assert fv["available"] and fv["seed_in"] == 3 and fv["seed_out"] == 4
    assert fv["in_sample"]["n_scenarios"] == fv["out_of_sample"]["n_scenarios"] == 2000
    ins, oos = fv["in_sample"]["best_lineup_upper_cvar"], fv["out_of_sample"]["best_lineup_upper_cvar"]
    assert fv["relative_drop"]["best_lineup_upper_cvar"] == pytest.approx((ins - oos) / ins)
    why = a["lineups"][0]["explain"]["why_high_tail"]
    assert set(why["events"]) == {"led_most_laps", "most_fastest_laps", "won", "gained_10_places"}
    assert a["lineups"][0]["explain"]["constraint_binding"] is None
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 2


def test_run_optimize_library_call_is_deterministic(files):
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.pipeline import run_optimize
    from tailrace.sim.scenarios import Scenarios
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import Driver, Slate

    slate = Slate(site=DRAFTKINGS, drivers=tuple(Driver(id=i, name=n, salary=s) for i, n, s in zip(IDS, NAMES, SAL)))
    P = files["points"].astype(np.float32)
    scen = Scenarios(points=P, driver_ids=tuple(IDS), meta={"seed": 1})
    fresh = Scenarios(points=P[::-1].copy(), driver_ids=tuple(IDS), meta={"seed": 2})
    spec = ConstraintSpec.from_data({"n_lineups": 3, "global_max_exposure": 0.67, "max_overlap": 4,
                                     "objective": {"kind": "upper-cvar", "beta": 0.05}})
    runs = [run_optimize(slate, scen, spec, fresh=fresh, timings=False) for _ in range(2)]
    a, b = (json.dumps(r.result.to_json(), sort_keys=True) for r in runs)
    assert a == b
    res = runs[0].result.to_json()
    assert "timings" not in res and all("seconds" not in lu for lu in res["lineups"])
    # same scenarios in another order: nothing is fitted to noise, so the drop is zero
    assert res["fresh_validation"]["relative_drop"]["best_lineup_upper_cvar"] == pytest.approx(0.0, abs=1e-12)
    assert max(e["count"] for e in res["portfolio"]["exposures"]) <= 2  # floor(0.67 * 3)
    assert runs[0].lineups == [tuple(sorted(IDS.index(i) for i in lu["driver_ids"])) for lu in res["lineups"]]


def test_each_lineup_is_also_scored_on_the_fresh_set(files):
    """The lineup table's in-sample figures flatter lineups picked on those scenarios: each row also
    carries its tail metrics on the fresh set, worked out here by hand (mean; upper CVaR 5 % of 600
    scenarios = the mean of the best 30 scores), and the CLI's table shows them in a "fresh" column."""
    import io

    from rich.console import Console

    from tailrace.cli.runners import optimize as runner
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.pipeline import run_optimize
    from tailrace.sim.scenarios import Scenarios
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import Driver, Slate

    slate = Slate(site=DRAFTKINGS, drivers=tuple(Driver(id=i, name=n, salary=s) for i, n, s in zip(IDS, NAMES, SAL)))
    P = files["points"].astype(np.float32)
    F = (np.random.default_rng(5).gamma(1.5, 1.0, size=P.shape) * np.linspace(14, 6, N_DRIVERS)).astype(np.float32)
    scen = Scenarios(points=P, driver_ids=tuple(IDS), meta={"seed": 1})
    spec = ConstraintSpec.from_data({"n_lineups": 3, "max_overlap": 4, "objective": {"kind": "upper-cvar", "beta": 0.05}})
    res = run_optimize(slate, scen, spec, explain=False, timings=False,
                       fresh=Scenarios(points=F, driver_ids=tuple(IDS), meta={"seed": 2})).result
    for lu in res.lineups:
        cols = [IDS.index(i) for i in lu.driver_ids]
        x = F[:, cols].astype(np.float64).sum(axis=1)
        got = lu.fresh_tail_metrics
        assert got["mean"]["value"] == pytest.approx(x.mean(), rel=1e-9)
        assert got["cvar_upper"]["0.05"]["value"] == pytest.approx(np.sort(x)[-30:].mean(), rel=1e-9)
        assert got["cvar_upper"]["0.05"]["value"] != lu.tail_metrics["cvar_upper"]["0.05"]["value"]
    # without a fresh set there is nothing honest to show beside the in-sample figures
    bare = run_optimize(slate, scen, spec, explain=False, timings=False, fresh_reason="none").result
    assert all(lu.fresh_tail_metrics is None for lu in bare.lineups)
    assert all("fresh_tail_metrics" not in lu for lu in bare.to_json()["lineups"])

    out = io.StringIO()
    old = runner.console
    runner.console = Console(file=out, width=250, color_system=None)
    try:
        runner.print_portfolio_table(res)
    finally:
        runner.console = old
    text = out.getvalue()
    assert any("CVaR↑0.05" in line and "fresh" in line for line in text.splitlines())  # the header row
    out = io.StringIO()
    runner.console = Console(file=out, width=250, color_system=None)
    try:
        runner.print_portfolio_table(bare)
    finally:
        runner.console = old
    assert "no fresh scenarios (none): the figures above are on the optimisation scenarios" in out.getvalue()
    first = res.lineups[0]
    assert f"{first.fresh_tail_metrics['cvar_upper']['0.05']['value']:.1f}" in text


def test_the_cli_json_is_the_library_result(files, tmp_path):
    """One typed result: the CLI's --json file is ``OptimizeResult.to_json()`` of the same run, and
    reads back as the same (frozen) model; parts a run did not make are absent, not null."""
    import pydantic

    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.pipeline import OptimizeResult, run_optimize
    from tailrace.sim.io import load_scenarios
    from tailrace.slate import read_slate

    js = tmp_path / "r.json"
    r = run_cli("--site", "dk", "--salaries", str(files["salaries"]), "--scenarios", str(files["matrix"]),
                "--objective", "upper-cvar", "--beta", "0.05", "--lineups", "2", "--max-overlap", "4",
                "--no-explain", "--json", str(js))
    assert r.returncode == 0, r.stderr
    got = json.loads(js.read_text())
    slate = read_slate("dk", files["salaries"])
    scen = load_scenarios(files["matrix"], expected_ids=slate.ids)
    spec = ConstraintSpec.from_data({"n_lineups": 2, "max_overlap": 4, "objective": {"kind": "upper-cvar", "beta": 0.05}})
    reason = "an external scenario matrix has no independent fresh set; simulate (--projections) to get one"
    res = run_optimize(slate, scen, spec, explain=False, fresh_reason=reason).result
    want = res.to_json()

    def steady(d: dict) -> dict:  # wall-clock figures aside
        d = json.loads(json.dumps(d))
        d.pop("timings"), d["portfolio"].pop("seconds"), d["scenario_meta"].pop("seconds", None)
        for lu in d["lineups"]:
            lu.pop("seconds")
        return d

    assert steady(got) == steady(want) and list(got) == list(want)
    assert OptimizeResult.model_validate(got).to_json() == got  # the file reads back as the model
    assert got["fresh_validation"] == {"available": False, "reason": reason}
    assert all("explain" not in lu and "contest_marginal_ev" not in lu for lu in got["lineups"])
    assert "contest" not in got["portfolio"]
    with pytest.raises(pydantic.ValidationError):
        res.lineups[0].salary = 1  # frozen


def test_contest_mode_matches_the_contest_module(files):
    from tailrace.optimize.constraints import ConstraintSpec
    from tailrace.optimize.contest_mode import generate_contest_portfolio
    from tailrace.pipeline import contest_from_options, run_optimize
    from tailrace.sim.scenarios import Scenarios
    from tailrace.sites import DRAFTKINGS
    from tailrace.slate import Driver, Slate

    slate = Slate(site=DRAFTKINGS, drivers=tuple(Driver(id=i, name=n, salary=s) for i, n, s in zip(IDS, NAMES, SAL)))
    P = files["points"].astype(np.float32)
    scen = Scenarios(points=P, driver_ids=tuple(IDS), meta={"seed": 1})
    contest = contest_from_options(slate, P, entry_fee=5.0, field_size=300, seed=4)
    spec = ConstraintSpec.from_data({"n_lineups": 3, "mode": "contest", "max_overlap": 4, "locks": ["Driver C"]})
    with pytest.raises(InputError, match="needs a contest"):
        run_optimize(slate, scen, spec)
    run = run_optimize(slate, scen, spec, contest=contest, explain=False)
    res = run.result.to_json()
    assert res["mode"] == "contest" and len(res["lineups"]) == 3
    resolved = spec.resolve(slate)
    direct = generate_contest_portfolio(P, slate.salaries(), resolved.rules, 3, contest, max_overlap=4)
    assert run.lineups == [tuple(sorted(int(i) for i in row)) for row in direct.lineups]
    assert all(IDS[2] in lu["driver_ids"] for lu in res["lineups"])  # the lock holds
    assert [lu["contest_marginal_ev"] for lu in res["lineups"]] == pytest.approx(list(direct.marginal_ev))
    assert res["portfolio"]["contest"]["field_size"] == 300
    with pytest.raises(InputError, match="min exposures"):
        run_optimize(slate, scen, spec.with_overrides(min_exposure={"Driver A": 0.3}), contest=contest)
    # a fixed cap instead of the cross-validated one: the same as the contest module with that cap
    fixed = run_optimize(slate, scen, spec, contest=contest, explain=False, contest_cap=3)
    direct3 = generate_contest_portfolio(P, slate.salaries(), resolved.rules, 3, contest, max_overlap=4, cap_place=3)
    assert fixed.lineups == [tuple(sorted(int(i) for i in row)) for row in direct3.lineups]
    info = fixed.result.to_json()["portfolio"]["contest"]
    assert info["cap_place"] == 3 and info["cap_place_source"] == "fixed" and info["cv_scores"] is None
    with pytest.raises(InputError, match="contest cap"):
        run_optimize(slate, scen, spec, contest=contest, explain=False, contest_cap=0)


def test_max_duplicates_and_optimal_pct_through_the_cli(files, tmp_path):
    base = ["--site", "dk", "--salaries", str(files["salaries"]), "--scenarios", str(files["matrix"])]
    r = run_cli(*base, "--max-duplicates", "1")  # mode independent: no field to count in
    assert r.returncode == 2 and "Traceback" not in r.stderr and "--max-duplicates" in r.stderr
    r = run_cli(*base, "--mode", "contest", "--max-duplicates", "-1")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "must be a number >= 0" in r.stderr
    js = tmp_path / "c.json"
    r = run_cli(*base, "--mode", "contest", "--lineups", "3", "--field-size", "300", "--max-duplicates", "0.5",
                "--no-explain", "--json", str(js))
    assert r.returncode == 0, r.stderr
    got = json.loads(js.read_text())
    assert got["duplicates"]["max_duplicates"] == 0.5 and got["duplicates"]["n_entries"] == 297
    assert all(lu["expected_duplicates"] <= 0.5 and lu["sharing_cost"] >= 0 for lu in got["lineups"])
    assert "optimal %" in r.stdout and "dups" in r.stdout and "leverage" in r.stdout
    drivers = got["optimal"]["drivers"]
    assert got["optimal"]["ownership_source"] == "contest" and len(drivers) == N_DRIVERS
    # optimal % by a direct count: each scenario's best lineup under the cap, over every lineup
    P = files["points"].astype(np.float32)
    feas = np.array([c for c in combinations(range(N_DRIVERS), 6) if sum(SAL[i] for i in c) <= 50000])
    best = feas[P[:, feas].astype(np.float64).sum(axis=2).argmax(axis=1)]
    want = np.bincount(best.ravel(), minlength=N_DRIVERS) * 100.0 / S
    np.testing.assert_allclose([d["optimal_pct"] for d in drivers], want, atol=1e-9)
