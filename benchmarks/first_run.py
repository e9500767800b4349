"""The first run after an install: how long numba takes to compile tailrace's kernels, and proof
that the compiled kernels are kept once (not once per process or per tailrace cache directory).

Runs ``simulate`` (100,000 x 40), ``optimize`` (one upper-CVaR lineup, 40 x 10,000,
``--no-explain``) and ``contest`` (150 lineups, 20,000 entries x 10,000), the commands of
``whole_process.py``, each as its own ``tailrace`` process, three times over:

1. ``cold``: numba's cache empty (``NUMBA_CACHE_DIR`` a fresh directory, as after an install),
   tailrace's cache empty (``TAILRACE_CACHE_DIR`` fresh): every kernel a command uses compiles;
2. ``warm``: the same caches again: the kernels load from numba's cache;
3. ``new tailrace cache``: numba's cache kept, ``TAILRACE_CACHE_DIR`` fresh again: nothing compiles
   either (numba's cache does not live in or depend on tailrace's cache directory).

Per run: wall and child CPU seconds, and the number of compiled-kernel files (``*.nbc``) numba
wrote. Each command's inputs come from ``whole_process.make_inputs``; the 10,000-scenario file is
made once, before the first run, with numba's usual cache (not counted).

Usage: python benchmarks/first_run.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import whole_process as wp  # noqa: E402

SRC = wp.ROOT / "src"
ORDER = ("simulate", "optimize", "contest")


def _run(args: list[str], cwd: Path, numba_dir: Path | None, cache_dir: Path) -> tuple[float, float]:
    """(wall s, child CPU s) of one ``tailrace`` process; ``numba_dir`` None: numba's usual cache."""
    extra = {"TAILRACE_CACHE_DIR": str(cache_dir)}
    if numba_dir is not None:
        extra["NUMBA_CACHE_DIR"] = str(numba_dir)
    wall, cpu, _ = wp.run(SRC, args, cwd, env_extra=extra, bytecode=False)  # the environment as given
    return wall, cpu


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tailrace-first-") as tmp:
        d = Path(tmp)
        inp = wp.make_inputs(d)
        out = d / "out"
        out.mkdir()
        _run(["simulate", "--site", "dk", "--salaries", str(inp["sal"]), "--projections", str(inp["proj"]),
              "--scenarios", "10000", "--seed", "3", "--out", str(inp["s10k"])], d, None, d / "cache-setup")
        numba_dir = d / "numba"
        print(f"first_run: {SRC}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
              f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'unset (all cores)')}")
        print(f"{'pass':<20} {'command':<10} {'wall':>8} {'cpu':>8}  {'kernel files written':>20}")
        for label, cache in (("cold", "cache-1"), ("warm", "cache-1"), ("new tailrace cache", "cache-2")):
            tot_w = tot_c = 0.0
            for name in ORDER:
                before = {p: p.stat().st_mtime_ns for p in numba_dir.rglob("*.nbc")} if numba_dir.exists() else {}
                w, c = _run(wp.commands(inp, out)[name], out, numba_dir, d / cache)
                after = {p: p.stat().st_mtime_ns for p in numba_dir.rglob("*.nbc")}
                written = sum(1 for p, t in after.items() if before.get(p) != t)
                tot_w, tot_c = tot_w + w, tot_c + c
                print(f"{label:<20} {name:<10} {w:>7.2f}s {c:>7.2f}s  {written:>20}", flush=True)
            print(f"{label:<20} {'all three':<10} {tot_w:>7.2f}s {tot_c:>7.2f}s")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
