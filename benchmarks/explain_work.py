"""How much search work the explanations' binding-constraint re-solves take (lineups evaluated).

``explain.constraint_binding`` re-solves each explained lineup once as it is ("now") and once per
relaxed constraint. Each re-solve runs under ``explain.BINDING_WORK`` (lineups evaluated, not
seconds). This script records every such re-solve (status, lineups evaluated, seconds) on the
demo slate (Kansas, 38 drivers, 10,000 scenarios, seed 7) with the demo's portfolio and a few
other objectives and rules, and on the 40-driver slate of ``whole_process.py`` (one lineup),
and prints the distribution of the work against the budget: what the budget must exceed for
every usual re-solve to finish exactly.

It wraps the solver ``explain`` calls (``tailrace.explain.solve_lineup``) to read each result;
it runs on older code too (there the re-solves ran under a wall-clock limit), e.g. with
``PYTHONPATH=<old src>``.

Usage: python benchmarks/explain_work.py [--cases demo,mean,...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tailrace import explain
from tailrace.optimize.constraints import ConstraintSpec
from tailrace.pipeline import run_optimize
from tailrace.scenario_sets import simulate_scenarios
from tailrace.slate import demo_slate, read_slate

ROOT = Path(__file__).resolve().parents[1]
DEMO = {"global_max_exposure": 0.5, "max_overlap": 4}
TOP = ["Riley Marchetti", "Dale Whitaker Jr.", "Parker Strickland", "Kurt Bramwell"]

# name -> (slate, spec overrides, lineups explained); slate "demo" (38 drivers) or "bench40"
CASES: dict[str, tuple[str, dict, int]] = {
    "demo": ("demo", {"objective": {"kind": "upper-cvar", "beta": 0.01}, "n_lineups": 20, **DEMO}, 20),
    "marginal": ("demo", {"objective": {"kind": "upper-cvar", "beta": 0.01}, "n_lineups": 10, "mode": "marginal",
                          **DEMO}, 10),
    "upper5": ("demo", {"objective": {"kind": "upper-cvar", "beta": 0.05}, "n_lineups": 3, **DEMO}, 3),
    "mean": ("demo", {"objective": {"kind": "mean"}, "n_lineups": 3, **DEMO}, 3),
    "lower": ("demo", {"objective": {"kind": "lower-cvar", "alpha": 0.2}, "n_lineups": 3, **DEMO}, 3),
    "blend": ("demo", {"objective": {"kind": "blend", "blend": [
        {"weight": 0.7, "kind": "upper-cvar", "level": 0.01}, {"weight": 0.3, "kind": "lower-cvar", "level": 0.2}]},
        "n_lineups": 3, **DEMO}, 3),
    "target": ("demo", {"objective": {"kind": "target-prob", "target": 300.0}, "n_lineups": 3, **DEMO}, 3),
    "rules": ("demo", {"objective": {"kind": "upper-cvar", "beta": 0.01}, "n_lineups": 3, "locks": [TOP[0]],
                       "excludes": [TOP[1]], "min_salary": 48000,
                       "groups": [{"name": "top four", "drivers": TOP, "at_most": 2}], **DEMO}, 3),
    "bench40": ("bench40", {"objective": {"kind": "upper-cvar", "beta": 0.01}, "n_lineups": 1}, 1),
}


def bench40_slate(d: Path):
    """The 40-driver slate of ``whole_process.py`` (the demo slate plus two cheap drivers)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import whole_process  # lazy: a sibling script, only for this slate

    inp = whole_process.make_inputs(d)
    return read_slate("dk", inp["sal"], inp["proj"])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of: " + ",".join(CASES))
    ap.add_argument("--json", default="", help="write every re-solve's record here")
    a = ap.parse_args(argv)
    records: list[dict] = []
    real = explain.solve_lineup

    def recording(*args, **kw):
        t = time.perf_counter()
        res = real(*args, **kw)
        records.append({"case": case, "status": res.status, "n_evaluated": int(res.n_evaluated),
                        "seconds": time.perf_counter() - t})
        return res

    explain.solve_lineup = recording
    slates = {}
    scen = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in a.cases.split(","):
            kind, spec, k = CASES[case]
            if kind not in slates:
                slates[kind] = demo_slate() if kind == "demo" else bench40_slate(Path(tmp))
                scen[kind] = simulate_scenarios(slates[kind], 10_000, 7 if kind == "demo" else 3)
            t = time.perf_counter()
            n0 = len(records)
            run_optimize(slates[kind], scen[kind], ConstraintSpec.model_validate(spec), binding_limit=k,
                         timings=False, share_figures=False)
            got = records[n0:]
            ev = [r["n_evaluated"] for r in got]
            print(f"{case:9s} {len(got):3d} re-solves, {time.perf_counter() - t:6.1f} s: lineups evaluated "
                  f"max {max(ev):,}, median {int(np.median(ev)):,}; "
                  f"{sum(r['status'] != 'optimal' for r in got)} not finished; "
                  f"re-solve seconds max {max(r['seconds'] for r in got):.2f}", flush=True)
    ev = np.array([r["n_evaluated"] for r in records])
    q = np.percentile(ev, [50, 90, 99, 100])
    print(f"all {len(ev)} re-solves: lineups evaluated median {q[0]:,.0f}, 90 % {q[1]:,.0f}, 99 % {q[2]:,.0f}, "
          f"max {q[3]:,.0f}")
    budget = getattr(explain, "BINDING_WORK", None)
    if budget is not None:
        print(f"budget {budget:,} lineups: {budget / max(ev.max(), 1):.1f}x the largest")
    if a.json:
        Path(a.json).write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
