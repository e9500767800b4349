"""The field models on the command line (issue 23): --field-sharpness reaches the sampler, and the
ownership report travels with the figures (a warning, the file against the sampled field, the JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.errors import InputError
from tailrace.pipeline import parse_field_sharpness
from tailrace.slate import demo_paths, read_slate


def test_parse_field_sharpness() -> None:
    assert parse_field_sharpness("auto") == "auto" and parse_field_sharpness(None) == "auto"
    assert parse_field_sharpness(" AUTO ") == "auto"
    assert parse_field_sharpness("0.35") == 0.35 and parse_field_sharpness(0) == 0.0
    for bad in ("0.61", "-0.1", "sharp", True, "nan"):
        with pytest.raises(InputError, match="field sharpness"):
            parse_field_sharpness(bad)


@pytest.fixture(scope="module")
def bad_ownership(tmp_path_factory) -> tuple[Path, float]:
    """An ownership file over the cap: the six dearest demo drivers at 80 %, the other 32 sharing 120 %."""
    sal, proj = demo_paths()
    slate = read_slate("dk", sal, proj)
    s = slate.salaries()
    dear = set(np.argsort(-s, kind="stable")[:6].tolist())
    own = np.array([80.0 if k in dear else 120.0 / 32 for k in range(slate.n)])
    p = tmp_path_factory.mktemp("own") / "own.csv"
    p.write_text("name,ownership\n" + "".join(f"{d.name},{float(own[k])!r}\n" for k, d in enumerate(slate.drivers)))
    return p, float(own @ s / 100.0)


def test_optimize_contest_flag_reaches_the_sampler_and_the_warning_the_json(tmp_path: Path, bad_ownership,
                                                                            capsys) -> None:
    sal, proj = demo_paths()
    own, implied = bad_ownership
    assert implied > 50_000
    out = tmp_path / "r.json"
    assert main(["optimize", "--site", "dk", "--salaries", str(sal), "--projections", str(proj), "--n-scenarios",
                 "200", "--lineups", "2", "--mode", "contest", "--field-size", "300", "--ownership", str(own),
                 "--field-sharpness", "0.35", "--no-explain", "--json", str(out)]) == 0
    cap = capsys.readouterr()
    d = json.loads(out.read_text())
    c = d["portfolio"]["contest"]
    assert c["field_sharpness"] == 0.35 and c["field_model"] == "calibrated, sharpness 0.35"
    rep = c["ownership_report"]
    assert rep["realisable"] is False and rep["implied_avg_salary"] == pytest.approx(implied, abs=0.01)
    assert rep["n_entries"] == 300 and rep["field_avg_salary"] <= 50_000
    warned = [w for w in d["warnings"] if w.startswith("ownership: the ownership implies")]
    assert warned and f"${implied:,.0f}" in warned[0] and f"${implied:,.0f}" in cap.err
    assert "NOT" in cap.out and "your file against the field tailrace sampled" in cap.out


def test_contest_command_shows_each_field_model(tmp_path: Path, bad_ownership, capsys) -> None:
    sal, proj = demo_paths()
    own, implied = bad_ownership
    up = tmp_path / "up.csv"
    slate = read_slate("dk", sal, proj)
    cheap = np.argsort(slate.salaries(), kind="stable")[10:22]  # two lineups under the cap
    ids = [slate.drivers[int(i)].id for i in cheap]
    up.write_text("D,D,D,D,D,D\n" + ",".join(ids[:6]) + "\n" + ",".join(ids[6:12]) + "\n")
    out = tmp_path / "c.json"
    assert main(["contest", "--site", "dk", "--salaries", str(sal), "--projections", str(proj), "--portfolio",
                 str(up), "--n-scenarios", "200", "--field-size", "400", "--ownership", str(own),
                 "--json", str(out)]) == 0
    cap = capsys.readouterr()
    d = json.loads(out.read_text())
    c = d["contest"]
    assert c["field_sharpness"] == "auto" and [m["model"].split(",")[0] for m in c["field_models"]] == \
        ["calibrated", "rejection", "calibrated"]
    assert c["field_models"][0]["roi"] == d["portfolio"]["roi"]
    assert c["ownership_report"]["implied_avg_salary"] == pytest.approx(implied, abs=0.01)
    assert any(w.startswith("ownership: the ownership implies") for w in d["warnings"])
    assert "ROI against each field model" in cap.out


def test_bad_sharpness_is_exit_2_naming_the_flag(capsys) -> None:
    sal, proj = demo_paths()
    assert main(["optimize", "--site", "dk", "--salaries", str(sal), "--projections", str(proj), "--mode", "contest",
                 "--field-sharpness", "0.9"]) == 2
    err = capsys.readouterr().err
    assert "--field-sharpness" in err and "Traceback" not in err
