"""Benchmark: `tailrace calibrate --seasons 2023`, whole process, cold and warm fit cache (issue 25, goal 4).

Runs the command as a fresh process for this checkout and for a baseline source tree (another
checkout's ``src``, e.g. ``git archive <commit> | tar -x -C /tmp/base``), alternating, each first
on an empty ``TAILRACE_CACHE_DIR`` (every track-parameter fit computed: "cold") and then again on
that cache ("warm"). Numba's compiled kernels are loaded from their own cache in both (warmed
once beforehand, outside the timing). Prints wall and CPU seconds, the load average, the
ratios to the baseline, and whether each run's JSON equals the baseline's with the ``seconds``
field masked (the calibration must not move by a byte).

    .venv/bin/python benchmarks/calibration_cold.py --baseline-src /tmp/base/src [--rounds 1]
        [--seasons 2023] [--history PATH] [--nice 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# ../shared/data beside the repository, or beside an ancestor (a git worktree kept under wt/)
DATA = next((d / "shared" / "data" / "cup_results_2019_2023.csv" for d in HERE.parents
             if (d / "shared" / "data" / "cup_results_2019_2023.csv").exists()),
            HERE.parent / "shared" / "data" / "cup_results_2019_2023.csv")
WARM_NUMBA = (
    "import numpy as np\n"
    "from tailrace.sim.params import DEFAULT_PARAMS\n"
    "from tailrace.sim.strength.from_slate import strength_from_start\n"
    "from tailrace.sim.race import simulate_race\n"
    "from tailrace.sim.scoring import score_outcomes\n"
    "from tailrace.sites import DRAFTKINGS\n"
    "p = DEFAULT_PARAMS['intermediate']; s = np.arange(1, 37)\n"
    "score_outcomes(DRAFTKINGS, s, simulate_race(strength_from_start(s, p), s, 267, p, 100, np.random.default_rng(1)))\n"
    "try:\n"
    "    from tailrace.sim import fit_kernels as k\n"
    "    k.desc_rank_rows(np.zeros((2, 3))); k.desc_rank_rows_unordered(np.zeros((2, 3)))\n"
    "    k.pool_row_stats(np.ones((2, 3)), np.ones((2, 3), bool), np.ones((2, 3)), np.ones((1, 2, 3), bool))\n"
    "    k.normalise_and_trim_rows(np.exp(k.shift_rows(np.zeros((2, 3)), np.ones((2, 3), bool))), 0.1)\n"
    "except ImportError:\n"
    "    pass\n"
)


def _run(src: Path, cache: Path, out: Path, args: argparse.Namespace) -> tuple[float, float]:
    """One whole-process calibrate run; returns (wall s, CPU s of the child)."""
    env = dict(os.environ, PYTHONPATH=str(src), TAILRACE_CACHE_DIR=str(cache))
    cmd = ["nice", "-n", str(args.nice), sys.executable, "-m", "tailrace.cli", "calibrate",
           "--history", str(args.history), "--seasons", args.seasons, "--json", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"calibrate failed ({src}): {done.stderr.strip()[-2000:]}")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _masked(path: Path) -> str:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("seconds", None)
    return json.dumps(doc, sort_keys=True)


def main() -> None:
    """Time both trees cold and warm, alternating; print the table and the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-src", type=Path, required=True, help="the baseline checkout's src directory")
    ap.add_argument("--history", type=Path, default=DATA)
    ap.add_argument("--seasons", default="2023")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--nice", type=int, default=10)
    args = ap.parse_args()
    trees = {"baseline": args.baseline_src.resolve(), "this": (HERE / "src").resolve()}
    for src in trees.values():
        subprocess.run([sys.executable, "-c", WARM_NUMBA], env=dict(os.environ, PYTHONPATH=str(src)), check=True)
    work = Path(tempfile.mkdtemp(prefix="tailrace-calib-cold-"))
    rows: dict[tuple[str, str], list[tuple[float, float]]] = {}
    same = True
    try:
        for r in range(args.rounds):
            for phase in ("cold", "warm"):
                for name, src in trees.items():
                    cache = work / f"cache-{name}-{r}"
                    if phase == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    load = os.getloadavg()[0]
                    out = work / f"{name}-{phase}-{r}.json"
                    wall, cpu = _run(src, cache, out, args)
                    rows.setdefault((name, phase), []).append((wall, cpu))
                    print(f"round {r + 1} {phase:4s} {name:8s}: {wall:7.1f} s wall {cpu:7.1f} s CPU  (load {load:.2f})",
                          flush=True)
                    if name != "baseline":
                        ok = _masked(out) == _masked(work / f"baseline-{phase}-{r}.json")
                        same &= ok
                        print(f"    JSON equal to the baseline's but for 'seconds': {ok}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"cpu count {os.cpu_count()}; medians over {args.rounds} round(s)")
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    for phase in ("cold", "warm"):
        bw, bc = (med([x[i] for x in rows[("baseline", phase)]]) for i in (0, 1))
        tw, tc = (med([x[i] for x in rows[("this", phase)]]) for i in (0, 1))
        print(f"{phase}: baseline {bw:.1f} s wall / {bc:.1f} s CPU; this {tw:.1f} s wall / {tc:.1f} s CPU;"
              f" ratio {tw / bw:.2f} wall, {tc / bc:.2f} CPU" + ("  goal <= 60 s: " + ("met" if tw <= 60 else "NOT met")
                                                                  if phase == "cold" else ""))
    print(f"every JSON identical to the baseline's (seconds masked): {same}")


if __name__ == "__main__":
    main()
