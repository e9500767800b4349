"""One ownership rule everywhere (issue 12, defect 8): any positive percent column is scaled to
roster x 100 (a warning past 5 %); only what is clearly not percent is refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tailrace.cli import main
from tailrace.contest.ownership import scale_ownership
from tailrace.errors import InputError
from tailrace.slate import demo_paths, demo_slate


def test_scale_by_hand() -> None:
    own, msgs = scale_ownership(np.array([270.0, 180.0, 90.0]), 1, "f.csv")  # sums to 540 for a 1-driver roster
    assert np.allclose(own, [50.0, 100 / 3, 50 / 3]) and "540.0 %" in msgs[0]
    own, msgs = scale_ownership(np.array([60.0, 42.0]), 1, "f.csv")  # 102: within 5 %, quietly
    assert np.allclose(own.sum(), 100.0) and msgs == []
    for bad in ([0.3, 0.5, 0.2], [0.0, 0.0], [50.0, -1.0]):
        with pytest.raises(InputError):
            scale_ownership(np.array(bad), 1, "f.csv")


def test_cli_rescales_a_540_percent_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    slate = demo_slate()
    given = np.array([d.ownership for d in slate.drivers])
    own = tmp_path / "own.csv"
    with own.open("w", newline="") as f:  # the demo's ownership, scaled to sum to 540 %
        w = csv.writer(f)
        w.writerow(["id", "ownership"])
        for d, v in zip(slate.drivers, given * 540.0 / given.sum()):
            w.writerow([d.id, f"{v:.6f}"])
    sal, proj = demo_paths()
    out = tmp_path / "r.json"
    assert main(["optimize", "--site", "dk", "--salaries", str(sal), "--projections", str(proj),
                 "--n-scenarios", "300", "--mode", "contest", "--lineups", "2", "--field-size", "300",
                 "--ownership", str(own), "--json", str(out)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "sums to 540.0 %" in err
    assert any("540.0 %" in w for w in json.loads(out.read_text())["warnings"])
