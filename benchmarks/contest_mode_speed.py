"""Contest mode's cost, main's code against this tree's, in CPU seconds (issue 23: no slower than before).

The machine these run on is shared, so wall time says little; CPU time (``time.process_time()``
of the process, every numba thread counted) of one ``generate_contest_portfolio`` call does
not depend on the load. Each side runs in its own child process (its own ``PYTHONPATH``),
one after the other, on the same inputs:

* the bundled demo slate (38 drivers at Kansas), ``--n-scenarios`` races (default 10,000,
  seed 11) simulated once here and handed to both children;
* a ``--field-size`` (default 20,000) $5 GPP with parametric payouts, its field sampled from
  the ownership model fed the scenario means (``make_contest``, seed 18), built in each child
  with that child's code (the draw is the same: ``sample_field`` at sharpness 0 is unchanged);
* 150 lineups, a 40 % exposure cap, the default cross-validated cap, seed 11.

Each child first runs a small warm-up call (numba compiled or loaded from its cache), then
times the real call. Printed: CPU seconds and wall seconds of each side, the ratio
(this tree / main), the load average, and this tree's own timings split.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/contest_mode_speed.py [--main-src /work/main/src]
[--n-scenarios 10000] [--field-size 20000] [--threads N]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_LINEUPS = 150
MAX_EXPOSURE = 0.40
SEED = 11


def child(npz: str) -> None:
    """Time ``generate_contest_portfolio`` with the code on this process's path; print JSON."""
    from tailrace.contest import make_contest
    from tailrace.optimize.contest_mode import generate_contest_portfolio
    from tailrace.optimize.problem import LineupRules

    z = np.load(npz)
    p, sal, field_size = z["points"], z["salaries"], int(z["field_size"])
    rules = LineupRules(roster_size=6, salary_cap=50_000)
    proj = p.mean(axis=0, dtype=np.float64)
    # warm-up: compiles (or loads) every numba kernel on a small problem
    small = make_contest(sal, 6, 50_000, entry_fee=5.0, field_size=2_000, projections=proj, rng=1)
    generate_contest_portfolio(p[:600], sal, rules, 20, small, max_exposure=MAX_EXPOSURE, seed=1)
    contest = make_contest(sal, 6, 50_000, entry_fee=5.0, field_size=field_size, projections=proj, rng=SEED + 7)
    c0, w0 = time.process_time(), time.perf_counter()
    port = generate_contest_portfolio(p, sal, rules, N_LINEUPS, contest, max_exposure=MAX_EXPOSURE, seed=SEED)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(json.dumps({
        "cpu": cpu, "wall": wall, "cap": int(port.cap_place),
        "estimate": getattr(port, "roi_estimate", None),
        "interval": list(getattr(port, "roi_interval", None) or []),
        "timings": {k: round(v, 2) for k, v in (port.timings or {}).items()},
    }))


def run_side(src: str, npz: str, threads: int | None) -> dict:
    env = dict(os.environ, PYTHONPATH=src)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, __file__, "--child", npz], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"child with PYTHONPATH={src} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--main-src", default="/work/main/src", help="the baseline tree's src directory")
    ap.add_argument("--n-scenarios", type=int, default=10_000)
    ap.add_argument("--field-size", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=None, help="NUMBA_NUM_THREADS for both children")
    ap.add_argument("--only", choices=("main", "this"), default=None, help="run one side only")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child)
        return 0
    from tailrace.sim.simulate import simulate as simulate_races
    from tailrace.slate import demo_slate

    here = str(Path(__file__).resolve().parents[1] / "src")
    slate = demo_slate()
    pts = np.asarray(simulate_races(slate, a.n_scenarios, SEED).points, dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "inputs.npz")
        np.savez(npz, points=pts, salaries=np.asarray(slate.salaries(), np.int64), field_size=a.field_size)
        print(f"demo slate (Kansas, {slate.n} drivers), {a.n_scenarios:,} scenarios, {a.field_size:,}-entry $5 GPP, "
              f"{N_LINEUPS} lineups, {100 * MAX_EXPOSURE:.0f} % cap; NUMBA_NUM_THREADS "
              f"{a.threads or os.environ.get('NUMBA_NUM_THREADS', 'default')}; load {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores", flush=True)
        res = {}
        for name, src in (("main", a.main_src), ("this", here)):
            if a.only and a.only != name:
                continue
            r = res[name] = run_side(src, npz, a.threads)
            est = "" if r["estimate"] is None else (
                f", estimate {100 * r['estimate']:+.1f} % [{100 * r['interval'][0]:+.1f}, {100 * r['interval'][1]:+.1f}]")
            print(f"  {name:5s} ({src}): CPU {r['cpu']:.1f} s, wall {r['wall']:.1f} s, cap {r['cap']}{est}; load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            print("        timings (wall s): " + ", ".join(f"{k} {v}" for k, v in r["timings"].items()), flush=True)
        if len(res) == 2:
            print(f"  CPU ratio this / main: {res['this']['cpu'] / res['main']['cpu']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
