"""Contest mode's cost, main's code (before) against this tree's (after), in CPU seconds (issue 25).

The machine these run on is shared, so wall time says little; CPU time (``time.process_time()``
of the process, every numba thread counted) of one ``generate_contest_portfolio`` call does
not depend on the load as much. Each side runs in its own child process (its own ``PYTHONPATH``),
the sides alternating for ``--rounds`` rounds, on the same inputs:

* the bundled demo slate (38 drivers at Kansas), ``--n-scenarios`` races (default 10,000,
  seed 11) simulated once here and handed to both children;
* a ``--field-size`` (default 20,000) $5 GPP with parametric payouts, its field sampled from
  the ownership model fed the scenario means (``make_contest``, seed 18), built in each child
  with that child's code (the draw is the same: ``sample_field`` at sharpness 0 is unchanged);
* 150 lineups, a 40 % exposure cap, the default cross-validated cap, seed 11.

Each child first runs a small warm-up call (numba compiled or loaded from its cache), then
times the real call. Printed per run: CPU and wall seconds, the cap, the estimate, the load
average and the run's own stage timings (wall); then per side the median CPU and wall, the
ratios after / before, and whether the two portfolios are the same bytes (a SHA-256 of the
lineups, marginal values, exposures, CV scores and the estimate: every figure but timings).

Since issue 25's third pass contest mode runs independent stages side by side on a helper
thread (``optimize.contest.overlap``): the after side's stage timings then overlap (``fields``
runs during ``fold_pools``, ``standings`` during ``cross_validation``; ``*_wait`` is what the
main thread waited for them), so they no longer add up to ``total``. ``--serial`` sets
``TAILRACE_SERIAL`` in both children (stages one after the other, as the baseline runs them).

``--main-src`` must hold the baseline's code as committed: a working tree with uncommitted
edits to the field models draws other fields and so another portfolio (``git archive <commit>
src | tar -x -C /tmp/base`` gives a clean copy).

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/contest_mode_speed.py [--main-src /work/main/src]
[--n-scenarios 10000] [--field-size 20000] [--threads N] [--rounds 2] [--serial]``
"""

from __future__ import annotations

import argparse
import hashlib
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
    _warm_lazy_store(p[:300], small)
    contest = make_contest(sal, 6, 50_000, entry_fee=5.0, field_size=field_size, projections=proj, rng=SEED + 7)
    c0, w0 = time.process_time(), time.perf_counter()
    port = generate_contest_portfolio(p, sal, rules, N_LINEUPS, contest, max_exposure=MAX_EXPOSURE, seed=SEED)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    h = hashlib.sha256()
    for a in (port.lineups, port.marginal_ev, port.exposures):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((port.n_candidates, port.cap_place, port.cv_scores, port.cv_folds, port.roi_estimate,
                   port.roi_interval, port.estimate_note, port.cv_by_field, port.cv_field_models)).encode())
    print(json.dumps({
        "cpu": cpu, "wall": wall, "cap": int(port.cap_place), "hash": h.hexdigest(),
        "estimate": getattr(port, "roi_estimate", None),
        "interval": list(getattr(port, "roi_interval", None) or []),
        "timings": {k: round(v, 2) for k, v in (port.timings or {}).items()},
    }))


def _warm_lazy_store(points: np.ndarray, contest) -> None:
    """Load (or compile) the lazily filled paid store's kernels, which the small warm-up call never
    reaches (its pools stay under ``GRID_BATCH``); a tree without them (an older baseline) skips this."""
    try:
        from tailrace.optimize.contest.paid import _PaidStore
    except ImportError:
        return
    store = _PaidStore(points, contest, 20)
    if not hasattr(store, "_lazy_paid") or not store.grid:
        return
    rng = np.random.default_rng(0)
    n = points.shape[1]
    cands = np.unique(np.sort(np.array([rng.choice(n, 6, replace=False) for _ in range(200)]), axis=1), axis=0)
    lazy = store._lazy_paid(cands)  # writes its likely-read candidates at once (a batch, where there is one)
    if lazy is not None:
        lazy.ensure(np.nonzero(~lazy.filled)[0][:3])  # a few, one by one
        lazy.ensure_all()  # a batch (16 or more), scenario by scenario


def run_side(src: str, npz: str, threads: int | None, serial: bool = False) -> dict:
    env = dict(os.environ, PYTHONPATH=src)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    if serial:
        env["TAILRACE_SERIAL"] = "1"
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
    ap.add_argument("--serial", action="store_true", help="TAILRACE_SERIAL=1 in both children (no helper thread)")
    ap.add_argument("--only", choices=("main", "this"), default=None, help="run one side only")
    ap.add_argument("--rounds", type=int, default=1, help="alternating runs of each side")
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
              f"{a.threads or os.environ.get('NUMBA_NUM_THREADS', 'default')}"
              f"{'; TAILRACE_SERIAL' if a.serial else ''}; load {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores", flush=True)
        runs: dict[str, list[dict]] = {"main": [], "this": []}
        for rnd in range(max(1, a.rounds)):
            order = (("main", a.main_src), ("this", here)) if rnd % 2 == 0 else (("this", here), ("main", a.main_src))
            for name, src in order:
                if a.only and a.only != name:
                    continue
                r = run_side(src, npz, a.threads, a.serial)
                runs[name].append(r)
                est = "" if r["estimate"] is None else (
                    f", estimate {100 * r['estimate']:+.1f} % [{100 * r['interval'][0]:+.1f}, "
                    f"{100 * r['interval'][1]:+.1f}]")
                label = "before" if name == "main" else "after"
                print(f"  {label:6s} ({src}): CPU {r['cpu']:.1f} s, wall {r['wall']:.1f} s, cap {r['cap']}{est}; "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
                print("         timings (wall s): " + ", ".join(f"{k} {v}" for k, v in r["timings"].items()),
                      flush=True)
        med = {k: (float(np.median([r["cpu"] for r in v])), float(np.median([r["wall"] for r in v])))
               for k, v in runs.items() if v}
        for name, label in (("main", "before"), ("this", "after")):
            if name in med:
                print(f"  {label}: median CPU {med[name][0]:.1f} s, wall {med[name][1]:.1f} s over "
                      f"{len(runs[name])} run(s)", flush=True)
        if len(med) == 2:
            same = {r["hash"] for r in runs["main"]} == {r["hash"] for r in runs["this"]} and \
                len({r["hash"] for r in runs["main"]}) == 1
            print(f"  ratio after / before: CPU {med['this'][0] / med['main'][0]:.2f}, wall "
                  f"{med['this'][1] / med['main'][1]:.2f}; same portfolio and figures (SHA-256): "
                  f"{'yes' if same else 'NO'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
