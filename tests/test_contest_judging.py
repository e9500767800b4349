"""`tailrace contest` judges a portfolio on fresh races, and says so; on the optimisation set it warns.

Before the judge stream, ``contest --seed S`` simulated the very set ``optimize --seed S``
optimised on, so its ROI was in-sample (on the demo, 20 lineups, about +20 ROI points above
fresh races; ``benchmarks/in_sample_bias.py``). Here, on the demo slate with a small set:

* ``optimize --seed 3`` records the digest of its points; ``simulate --seed 3`` writes the same
  set A (the one road and key), whose digest the test computes itself with hashlib;
* ``contest --seed 3`` (simulating) judges on another set: ``judged_on`` "fresh", a points
  digest that is not A's, and figures that differ from the same contest judged on A;
* ``contest --scenarios A --portfolio result.json`` warns that the ROI is in-sample and says
  ``judged_on`` "optimisation scenarios"; with the upload CSV it cannot know: "given file".
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.judging import judge_seed, points_digest
from tailrace.sim.io import load_scenarios
from tailrace.slate import demo_paths

N, SEED = 300, 3


def _sha(points: np.ndarray) -> str:
    """The digest as README states it, computed here: sha256 of "float32 RxC\\n" and the float32 bytes."""
    a = np.asarray(points, dtype="<f4")
    return hashlib.sha256(f"float32 {a.shape[0]}x{a.shape[1]}\n".encode() + a.tobytes(order="C")).hexdigest()


def _slate_args() -> list[str]:
    sal, proj = demo_paths()
    return ["--site", "dk", "--salaries", str(sal), "--projections", str(proj)]


def _contest(d, portfolio: str, out: str, *extra: str) -> list[str]:
    return ["contest", *_slate_args(), "--portfolio", str(d / portfolio), "--field-size", "300", "--entry-fee", "3",
            "--seed", str(SEED), "--n-scenarios", str(N), "--json", str(d / out), *extra]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    d = tmp_path_factory.mktemp("judging")
    assert main(["optimize", *_slate_args(), "--n-scenarios", str(N), "--seed", str(SEED), "--lineups", "3",
                 "--no-explain", "--out", str(d / "up.csv"), "--json", str(d / "opt.json")]) == 0
    assert main(["simulate", *_slate_args(), "--scenarios", str(N), "--seed", str(SEED), "--out", str(d / "A.npz")]) == 0
    a = load_scenarios(d / "A.npz").points
    return d, a


def test_optimize_records_the_digest_of_its_points(made) -> None:
    d, a = made
    doc = json.loads((d / "opt.json").read_text())
    assert doc["scenario_meta"]["seed"] == SEED and doc["n_scenarios"] == N
    assert doc["scenario_meta"]["points_sha256"] == _sha(a) == points_digest(a)


def test_contest_simulates_fresh_races_not_the_optimisation_set(made, capsys) -> None:
    d, a = made
    assert main(_contest(d, "opt.json", "fresh.json")) == 0
    out = " ".join(capsys.readouterr().out.split())
    rep = json.loads((d / "fresh.json").read_text())
    # the same contest (same seed, so the same field) judged on A gives other figures: the sets differ
    # (the old code simulated A itself here, and the two reports were equal)
    assert main(_contest(d, "opt.json", "onA.json", "--scenarios", str(d / "A.npz"))) == 0
    on_a = json.loads((d / "onA.json").read_text())
    assert on_a["portfolio"]["expected_profit"] != rep["portfolio"]["expected_profit"]
    assert on_a["judge_scenarios"]["points_sha256"] == _sha(a) and on_a["judge_scenarios"]["seed"] is None

    assert "judged on 300 fresh races" in out
    assert rep["judged_on"] == "fresh"
    js = rep["judge_scenarios"]
    assert js["contest_seed"] == SEED and js["seed"] == judge_seed(SEED) and js["seed"] >= 2**63
    assert js["optimised_on_sha256"] == _sha(a) and js["points_sha256"] != _sha(a)
    assert not any("in-sample" in w for w in rep["warnings"])


def test_contest_on_the_optimisation_set_warns(made, capsys) -> None:
    d, a = made
    capsys.readouterr()
    assert main(_contest(d, "opt.json", "onA.json", "--scenarios", str(d / "A.npz"))) == 0
    cap = capsys.readouterr()
    err = " ".join(cap.err.split())
    assert "in-sample and optimistic" in err and "drop --scenarios" in err
    rep = json.loads((d / "onA.json").read_text())
    assert rep["judged_on"] == "optimisation scenarios"
    assert any("in-sample and optimistic" in w for w in rep["warnings"])
    # the upload CSV carries no digest: the file's origin is unknown
    assert main(_contest(d, "up.csv", "csv.json", "--scenarios", str(d / "A.npz"))) == 0
    assert "in-sample" not in " ".join(capsys.readouterr().err.split())
    rep = json.loads((d / "csv.json").read_text())
    assert rep["judged_on"] == "given file" and rep["judge_scenarios"]["optimised_on_sha256"] is None


def test_a_bad_digest_and_a_seed_out_of_range_exit_2(made, capsys) -> None:
    d, _ = made
    doc = json.loads((d / "opt.json").read_text())
    doc["scenario_meta"]["points_sha256"] = "not-a-digest"
    (d / "bad.json").write_text(json.dumps(doc))
    assert main(_contest(d, "bad.json", "x.json", "--scenarios", str(d / "A.npz"))) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "scenario_meta.points_sha256" in err and "bad.json" in err
    for cmd in ("optimize", "simulate", "contest"):
        assert main([cmd, "--seed", "-1", *_slate_args()]) == 2
        assert main([cmd, "--seed", str(2**63), *_slate_args()]) == 2


def test_judge_seeds_are_out_of_every_accepted_seed_s_reach() -> None:
    seeds = [judge_seed(s) for s in (0, 1, 2, 3, 2**63 - 1)]
    assert all(2**63 + 1 <= j < 2**64 for j in seeds) and len(set(seeds)) == len(seeds)
    assert judge_seed(1) == judge_seed(1)
    # as numpy's SeedSequence gives it, independently of the helper
    lo, hi = np.random.SeedSequence(1, spawn_key=(0x4A554447,)).generate_state(2, np.uint32)
    assert judge_seed(1) == 2**63 + 1 + ((int(hi) << 32) | int(lo)) % (2**63 - 1)
    with pytest.raises(ValueError):
        judge_seed(-1)


def test_the_demo_judges_its_contest_on_its_fresh_set_and_says_so(tmp_path, capsys) -> None:
    """`tailrace demo` builds on seed S and runs the contest on its seed S + 1 fresh set: the
    report's digest is that set's (recomputed here from a simulation of seed S + 1), never the
    optimisation set's, and the printed line says which races it judged on."""
    from tailrace.cli.runners.demo import run_demo
    from tailrace.pipeline import simulate_scenarios
    from tailrace.slate import demo_slate

    run_demo(tmp_path / "out", n_scenarios=N, seed=SEED, n_lineups=2)
    text = " ".join(capsys.readouterr().out.split())
    rep = json.loads((tmp_path / "out" / "contest.json").read_text())
    port = json.loads((tmp_path / "out" / "portfolio.json").read_text())
    assert rep["judged_on"] == "fresh" and rep["judge_scenarios"]["seed"] == SEED + 1
    assert rep["judge_scenarios"]["optimised_on_sha256"] == port["scenario_meta"]["points_sha256"]
    assert rep["judge_scenarios"]["points_sha256"] != port["scenario_meta"]["points_sha256"]
    fresh = simulate_scenarios(demo_slate(), rep["n_scenarios"], SEED + 1)
    assert rep["judge_scenarios"]["points_sha256"] == points_digest(fresh.points)
    assert f"judged on the {rep['n_scenarios']:,} fresh races (seed {SEED + 1}), not the {N:,} the portfolio" in text
