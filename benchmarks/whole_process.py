"""Whole-process timings of the common commands, today's code against a baseline, in the same run.

Each command runs as its own ``tailrace`` process (start-up, imports, loading the cached numba
kernels, the work, writing the output), alternating baseline and new, ``--reps`` times each
after one untimed warm-up per side (the warm-up fills numba's kernel cache; the figures are
"warm"). Reported per command: the median wall time and the median CPU time of the child
(user + sys, from ``getrusage``), and the ratio baseline / new. The machine is shared, so the
CPU figure is the steadier one.

Commands (a 40-driver DraftKings slate built from the bundled demo slate plus two cheap
drivers, written to a temporary directory):

* ``help``: ``tailrace --help``;
* ``simulate``: 100,000 scenarios x 40 drivers to an npz file;
* ``optimize``: one exact upper-CVaR (1 %) lineup, 40 drivers, 10,000 scenarios, ``--no-explain``;
* ``optimize+explain``: the same with the default explanations (binding constraints re-solved);
* ``contest``: 150 lineups against a 20,000-entry field x 10,000 scenarios (warm: the field
  sampler's calibrated weights come from the on-disk cache its warm-up filled);
* ``contest-cold``: the same with an empty ``TAILRACE_CACHE_DIR`` for every run (a first contest on
  a new slate or seed: the field's pilot rounds run).

Python's bytecode is cached as an install would have it: each child runs without
``PYTHONDONTWRITEBYTECODE`` and with ``PYTHONPYCACHEPREFIX`` under the benchmark's cache directory
(both sides alike; a source tree without ``__pycache__`` otherwise recompiles the ~45 tailrace
modules a command imports, 0.15-0.3 s, in every process). ``--as-given`` keeps the environment as
it is instead.

Every output is compared between the two sides with timings masked (``seconds`` and other
``*_seconds``/``time`` keys of the JSON and the npz metadata): "same bytes" must say yes.

The baseline is a git revision (default: ``git merge-base HEAD main``) exported once to
``~/.cache/tailrace-bench/<commit>/src`` (its numba cache then persists across runs); the new
side is the ``src`` next to this script. ``NUMBA_NUM_THREADS`` is passed through as set.

Usage: python benchmarks/whole_process.py [--baseline REV] [--reps 3] [--only simulate,optimize]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TIMING_KEYS = ("seconds", "time", "elapsed", "wall")


def baseline_src(rev: str) -> Path:
    """``src`` of git revision ``rev``, exported once under the user's cache directory."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True,
                            text=True).stdout.strip()
    dest = bench_cache() / commit
    if not (dest / "src" / "tailrace" / "__init__.py").exists():
        data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True,
                              capture_output=True).stdout
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
    return dest / "src"


def make_inputs(d: Path) -> dict[str, Path]:
    """The 40-driver slate (salaries, projections), a 10,000-scenario file and a 150-lineup portfolio."""
    demo = ROOT / "src" / "tailrace" / "data" / "demo"
    sal_rows = list(csv.reader((demo / "dk_salaries.csv").open(encoding="utf-8")))
    head, rows = sal_rows[0], sal_rows[1:]
    proj = list(csv.DictReader((demo / "projections.csv").open(encoding="utf-8")))
    game = rows[0][6]
    for k, (sal, pts) in enumerate(((4600, 9.0), (4500, 8.0))):
        name, did = f"Bench Driver {k + 1}", str(31599900 + k)
        rows.append(["D", f"{name} ({did})", name, did, "D", str(sal), game, "", f"{pts:.2f}"])
        proj.append({"name": name, "start": str(len(proj) + 1), "projection": f"{pts}"})
    sal_path, proj_path = d / "salaries40.csv", d / "projections40.csv"
    with sal_path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([head] + rows)
    with proj_path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "start", "projection"])
        for r in proj:
            w.writerow([r["name"], r["start"], r["projection"]])
    # 150 random lineups under the cap (seeded), as an optimiser JSON result
    ids = [r[3] for r in rows]
    sal = np.array([int(r[5]) for r in rows])
    rng = np.random.default_rng(150)
    lineups: list[list[str]] = []
    seen: set[tuple[int, ...]] = set()
    while len(lineups) < 150:
        pick = tuple(sorted(rng.choice(len(ids), 6, replace=False).tolist()))
        if sal[list(pick)].sum() <= 50_000 and pick not in seen:
            seen.add(pick)
            lineups.append([ids[i] for i in pick])
    port = d / "portfolio150.json"
    port.write_text(json.dumps({"lineups": [{"driver_ids": x} for x in lineups]}), encoding="utf-8")
    return {"sal": sal_path, "proj": proj_path, "port": port, "s10k": d / "s10k.npz"}


def commands(inp: dict[str, Path], out: Path) -> dict[str, list[str]]:
    s, p = str(inp["sal"]), str(inp["proj"])
    return {
        "help": ["--help"],
        "simulate": ["simulate", "--site", "dk", "--salaries", s, "--projections", p, "--scenarios", "100000",
                     "--seed", "7", "--out", str(out / "sim.npz")],
        "simulate-cold": ["simulate", "--site", "dk", "--salaries", s, "--projections", p, "--scenarios", "100000",
                          "--seed", "7", "--out", str(out / "simc.npz")],
        "optimize": ["optimize", "--site", "dk", "--salaries", s, "--scenarios", str(inp["s10k"]), "--lineups", "1",
                     "--objective", "upper-cvar", "--beta", "0.01", "--no-explain", "--json", str(out / "opt.json")],
        "optimize+explain": ["optimize", "--site", "dk", "--salaries", s, "--scenarios", str(inp["s10k"]),
                             "--lineups", "1", "--objective", "upper-cvar", "--beta", "0.01",
                             "--json", str(out / "optx.json")],
        "contest": ["contest", "--site", "dk", "--salaries", s, "--portfolio", str(inp["port"]), "--scenarios",
                    str(inp["s10k"]), "--field-size", "20000", "--json", str(out / "contest.json")],
        "contest-cold": ["contest", "--site", "dk", "--salaries", s, "--portfolio", str(inp["port"]), "--scenarios",
                         str(inp["s10k"]), "--field-size", "20000", "--json", str(out / "contestc.json")],
    }


COLD = {"simulate-cold", "contest-cold"}  # commands run with an empty TAILRACE_CACHE_DIR each time


def _mask(x):
    if isinstance(x, dict):
        return {k: ("<t>" if any(t in k.lower() for t in TIMING_KEYS) else _mask(v)) for k, v in x.items()}
    if isinstance(x, list):
        return [_mask(v) for v in x]
    return x


def digest(path: Path) -> str:
    """Hash of an output with its timings masked."""
    h = hashlib.sha256()
    if path.suffix == ".npz":
        with np.load(path) as z:
            for k in sorted(z.files):
                a = z[k]
                if k == "meta_json":
                    a = json.dumps(_mask(json.loads(str(a))), sort_keys=True)
                    h.update(a.encode())
                else:
                    h.update(k.encode() + str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    else:
        h.update(json.dumps(_mask(json.loads(path.read_text(encoding="utf-8"))), sort_keys=True).encode())
    return h.hexdigest()[:16]


BYTECODE = True  # children keep compiled bytecode (see the module docstring); --as-given: env unchanged


def bench_cache() -> Path:
    """The benchmark's cache directory (baseline exports, bytecode)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tailrace-bench"


def run(src: Path, args: list[str], out: Path, cold: bool = False,
        env_extra: dict[str, str] | None = None, bytecode: bool | None = None) -> tuple[float, float, str]:
    """(wall s, child CPU s, stdout+stderr) of one ``tailrace`` process on ``src``; ``cold``: with a
    fresh, empty ``TAILRACE_CACHE_DIR``; ``env_extra``: more environment; ``bytecode``: override
    ``BYTECODE`` (cached bytecode for the child)."""
    env = dict(os.environ, PYTHONPATH=str(src), COLUMNS="120", **(env_extra or {}))
    env.pop("TAILRACE_DASK_SCHEDULER", None)
    if BYTECODE if bytecode is None else bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bench_cache() / "pycache")
    if cold:
        env["TAILRACE_CACHE_DIR"] = tempfile.mkdtemp(prefix="cache-", dir=out)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "tailrace.cli", *args], env=env, cwd=out, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{src}: tailrace {' '.join(args)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    if cold:
        shutil.rmtree(env["TAILRACE_CACHE_DIR"], ignore_errors=True)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), p.stdout + p.stderr


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="", help="git revision to compare against (default: where this branch left main, git merge-base HEAD main)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated subset of: help,simulate,simulate-cold,optimize,"
                                               "optimize+explain,contest,contest-cold")
    ap.add_argument("--as-given", action="store_true", help="run the children in this environment as it is "
                    "(PYTHONDONTWRITEBYTECODE and all) instead of with cached bytecode")
    a = ap.parse_args(argv)
    global BYTECODE
    BYTECODE = not a.as_given
    if not a.baseline:
        a.baseline = subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True,
                                    capture_output=True, text=True).stdout.strip()[:12]
    base, new = baseline_src(a.baseline), ROOT / "src"
    with tempfile.TemporaryDirectory(prefix="tailrace-wp-") as tmp:
        d = Path(tmp)
        inp = make_inputs(d)
        outs = {"base": d / "base", "new": d / "new"}
        for o in outs.values():
            o.mkdir()
        run(new, ["simulate", "--site", "dk", "--salaries", str(inp["sal"]), "--projections", str(inp["proj"]),
                  "--scenarios", "10000", "--seed", "3", "--out", str(inp["s10k"])], d)
        want = [x for x in a.only.split(",") if x] or None
        print(f"whole_process: baseline {a.baseline} ({base.parent.name[:10]}) vs {new}; {os.cpu_count()} CPUs, "
              f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset (all cores)')}, "
              f"load average {os.getloadavg()[0]:.1f}; median of {a.reps} alternating runs after a warm-up; "
              f"bytecode {'cached' if BYTECODE else 'as the environment says'}")
        print(f"{'command':<18} {'base wall':>9} {'new wall':>9} {'ratio':>6}   {'base cpu':>9} {'new cpu':>8} "
              f"{'ratio':>6}   same bytes")
        for name, args in commands(inp, d).items():
            if want and name not in want:
                continue
            per = {"base": [], "new": []}
            hashes = {}
            cold = name in COLD
            for side, src in (("base", base), ("new", new)):  # warm-up: numba cache, page cache
                run(src, commands(inp, outs[side])[name], outs[side], cold)
            for _ in range(a.reps):
                for side, src in (("base", base), ("new", new)):
                    per[side].append(run(src, commands(inp, outs[side])[name], outs[side], cold)[:2])
            for side in outs:
                files = [f for f in outs[side].iterdir() if f.suffix in (".npz", ".json")]
                hashes[side] = {f.name: digest(f) for f in files}
            same = "n/a" if not hashes["base"] else ("yes" if hashes["base"] == hashes["new"] else
                                                      f"NO {hashes['base']} != {hashes['new']}")
            bw, nw = (statistics.median(w for w, _ in per[s]) for s in ("base", "new"))
            bc, nc = (statistics.median(c for _, c in per[s]) for s in ("base", "new"))
            print(f"{name:<18} {bw:>8.2f}s {nw:>8.2f}s {bw / nw:>5.2f}x   {bc:>8.2f}s {nc:>7.2f}s {bc / nc:>5.2f}x   {same}",
                  flush=True)
            for o in outs.values():
                for f in o.iterdir():
                    f.unlink()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
