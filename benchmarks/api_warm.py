"""Warm ``/optimize`` (20 lineups, demo slate, 10,000 scenarios), baseline against today's code, same run.

Each side runs in its own child process (``PYTHONPATH`` = that side's ``src``), as the API does:
one ``Context`` (store, scenario cache) for the life of the process, ``optimize_work`` called
directly (the HTTP layer adds ~30 ms, measured by ``benchmarks/api.py``). Per side: one warm-up
request (numba, the scenario set), then ``--reps`` rounds of two requests: the same request again
("repeat") and one with another global max exposure ("exposure": 0.5 <-> 0.45, what a user on
the web page changes). Reported: median CPU (process time) and wall per kind, the ratio, and
whether both sides' answers are the same bytes (timings, ids and cache-hit flags masked).
Sides alternate (base, new, base, new) so load from other jobs hits both alike.

The baseline is a git revision (default: ``git merge-base HEAD main``) exported once to
``~/.cache/tailrace-bench/<commit>/src`` (see ``whole_process.py``).

Usage: python benchmarks/api_warm.py [--baseline REV] [--reps 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

CHILD = r"""
import hashlib, json, sys, tempfile, time
from pathlib import Path
from tailrace.api.optimize_work import optimize_work
from tailrace.api.schemas import OptimizeRequest
from tailrace.api.context import Context
from tailrace.api.records import save_slate, slate_from_uploads
from tailrace.api.settings import Settings
from tailrace.slate import demo_paths

reps = int(sys.argv[1])
MASK = ("seconds", "time", "timings", "elapsed", "wall", "portfolio_id", "hit")


def mask(x):
    if isinstance(x, dict):
        return {k: ("<m>" if any(t in k.lower() for t in MASK) else mask(v)) for k, v in x.items()}
    if isinstance(x, list):
        return [mask(v) for v in x]
    return x


with tempfile.TemporaryDirectory() as tmp:
    ctx = Context.create(Settings(data_dir=Path(tmp) / "data", sync_time_limit=3600))
    sal, proj = demo_paths()
    slate = slate_from_uploads("dk", sal.read_bytes(), "s.csv", proj.read_bytes(), "p.csv", None)
    sid, _ = save_slate(ctx.store, slate)

    def req(exp):
        return OptimizeRequest(slate_id=sid, n_scenarios=10_000, seed=7,
                               spec={"n_lineups": 20, "global_max_exposure": exp,
                                     "objective": {"kind": "upper-cvar", "beta": 0.01}})

    optimize_work(ctx, req(0.5))  # warm-up: numba kernels, the scenario set
    out = {"repeat": [], "exposure": [], "hash": {}}
    for r in range(reps):
        for kind, exp in (("repeat", 0.5), ("exposure", 0.45 if r % 2 == 0 else 0.5)):
            c, w = time.process_time(), time.perf_counter()
            body = optimize_work(ctx, req(exp))
            out[kind].append((time.process_time() - c, time.perf_counter() - w))
            h = hashlib.sha256(json.dumps(mask(body), sort_keys=True, default=str).encode()).hexdigest()[:16]
            out["hash"].setdefault(str(exp), set()).add(h)
    out["hash"] = {k: sorted(v) for k, v in out["hash"].items()}
    print("RESULT " + json.dumps(out))
"""


def run_side(src: Path, reps: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("TAILRACE_DASK_SCHEDULER", None)
    p = subprocess.run([sys.executable, "-c", CHILD, str(reps)], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{src}: exited {p.returncode}:\n{p.stderr[-2000:]}")
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def main(argv: list[str]) -> int:
    from whole_process import baseline_src

    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="")
    ap.add_argument("--reps", type=int, default=4, help="request pairs per process")
    ap.add_argument("--rounds", type=int, default=2, help="processes per side, alternating")
    a = ap.parse_args(argv)
    if not a.baseline:
        a.baseline = subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                                    capture_output=True, text=True).stdout.strip()[:12]
    sides = {"base": baseline_src(a.baseline), "new": ROOT / "src"}
    print(f"api_warm: warm optimize_work, 20 lineups, demo slate, 10,000 scenarios; baseline {a.baseline} vs "
          f"{sides['new']}; {os.cpu_count()} CPUs, NUMBA_NUM_THREADS="
          f"{os.environ.get('NUMBA_NUM_THREADS', 'unset (all cores)')}, load average {os.getloadavg()[0]:.1f}; "
          f"{a.rounds} alternating processes per side x {a.reps} request pairs")
    res = {s: {"repeat": [], "exposure": [], "hash": {}} for s in sides}
    for _ in range(a.rounds):
        for s, src in sides.items():
            r = run_side(src, a.reps)
            res[s]["repeat"] += r["repeat"]
            res[s]["exposure"] += r["exposure"]
            for k, v in r["hash"].items():
                res[s]["hash"].setdefault(k, set()).update(v)
    print(f"{'request':<10} {'base cpu':>9} {'new cpu':>8} {'ratio':>6}   {'base wall':>9} {'new wall':>8} {'ratio':>6}")
    for kind in ("repeat", "exposure"):
        bc, nc = (statistics.median(c for c, _ in res[s][kind]) for s in sides)
        bw, nw = (statistics.median(w for _, w in res[s][kind]) for s in sides)
        print(f"{kind:<10} {bc:>8.2f}s {nc:>7.2f}s {bc / nc:>5.2f}x   {bw:>8.2f}s {nw:>7.2f}s {bw / nw:>5.2f}x")
    for exp in sorted(res["new"]["hash"]):
        b, n = res["base"]["hash"].get(exp, set()), res["new"]["hash"][exp]
        ok = len(b) == 1 and b == n
        print(f"exposure {exp}: answers {'the same bytes on both sides and every repeat' if ok else f'DIFFER base {sorted(b)} new {sorted(n)}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
